"""Money to the cent (README, *Money to the cent*): what Magento recorded equals
the Odoo document, or nothing was sent and the document says why, with both
figures. Magento's figures are read from the double's store, which computes
them as Magento does (docs/magento-behaviour.md §10)."""

from odoo.tests import Form, tagged

from .common import MagentoTestCommon


@tagged("post_install", "-at_install")
class TestExportMoney(MagentoTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pm_checkmo.create_creditmemo_on = "validate"
        cls.goodwill = cls.env["product.product"].create({"name": "Goodwill Gesture", "type": "service"})
        cls.tax_10 = cls.env["account.tax"].create(
            {"name": "VAT 10%", "amount": 10, "type_tax_use": "sale", "company_id": cls.env.company.id}
        )

    def _edited_invoice(self, sale_order, prices):
        """An invoice of the whole order with the ``prices`` of some products changed in Odoo."""
        move = self._invoice(sale_order, post=False)
        with Form(move) as form:
            for index in range(len(form.invoice_line_ids)):
                with form.invoice_line_ids.edit(index) as line:
                    if line.product_id in prices:
                        line.price_unit = prices[line.product_id]
        move.action_post()
        return move

    def _exported_invoice(self):
        sale_order, magento_order = self._magento_order()
        invoice = self._invoice(sale_order)
        invoice.action_magento_export_invoice()
        self.assertTrue(invoice.magento_invoice_id, invoice.magento_last_error)
        return invoice, magento_order

    def _credit_note(self, invoice, quantities, prices=None, add=()):
        """A credit note of ``invoice`` (Odoo's Reverse), keeping ``quantities``
        by product (others removed), at ``prices`` where given, with ``add``:
        ``(product, price, taxes)`` lines without an order item."""
        credit_note = invoice.with_context(include_business_fields=True)._reverse_moves()
        with Form(credit_note) as form:
            for index in reversed(range(len(form.invoice_line_ids))):
                with form.invoice_line_ids.edit(index) as line:
                    product = line.product_id
                    if product in quantities:
                        line.quantity = quantities[product]
                        line.price_unit = (prices or {}).get(product, line.price_unit)
                if product not in quantities:
                    form.invoice_line_ids.remove(index)
            for product, price, taxes in add:
                with form.invoice_line_ids.new() as line:
                    line.product_id = product
                    line.price_unit = price
                    line.tax_ids.clear()
                    for tax in taxes:
                        line.tax_ids.add(tax)
        credit_note.action_post()
        return credit_note

    def _memo_of(self, credit_note):
        return self.magento.store.get_creditmemo(credit_note.magento_invoice_id)

    # ------------------------------------------------------------ invoices
    def test_an_invoice_at_another_price_is_not_sent_and_says_by_how_much(self):
        sale_order, magento_order = self._magento_order()  # 2 bags at 34.00, 3 hoodies at 52.00, shipping 5.00
        move = self._edited_invoice(sale_order, {self.product_bag: 30.0})
        move.action_magento_export_invoice()

        self.assertFalse(self._invoice_posts(magento_order), "nothing reached Magento")
        self.assertFalse(move.magento_invoice_id)
        usd = move.currency_id
        self.assertIn(
            f"Magento would invoice {usd.format(229.0)} where this invoice says {usd.format(221.0)}, a difference "
            f"of {usd.format(8.0)} (Magento: subtotal {usd.format(224.0)}, shipping {usd.format(5.0)}).",
            move.magento_last_error,
        )
        self.assertEqual((move.magento_failure_kind, move.magento_amounts_differ), ("action", True))
        self.assertEqual(move.magento_status_text, "Failed, needs action: see What to Do")
        self.assertIn("a Magento manager may export it at Magento's amounts", move.magento_advice)

    def test_a_manager_exports_at_magentos_amounts_and_the_chatter_says_so(self):
        sale_order, _magento_order = self._magento_order()
        move = self._edited_invoice(sale_order, {self.product_bag: 30.0})
        move.action_magento_export_invoice()
        self.assertTrue(move.magento_amounts_differ)
        accountant = self._user("accountant_money", "account.group_account_invoice")
        with self.assertRaisesRegex(Exception, "Only a Magento manager"):
            move.with_user(accountant).action_magento_accept_difference()

        move.action_magento_accept_difference()  # the test user manages Magento
        self.assertTrue(move.magento_invoice_id, move.magento_last_error)
        recorded = self.magento.store.get_invoice(move.magento_invoice_id)
        self.assertEqual(float(recorded["grand_total"]), 229.0, "Magento's amounts, as accepted")
        bodies = move.message_ids.mapped("body")
        self.assertTrue(any("chose to export this invoice at Magento's amounts" in b for b in bodies), bodies)
        self.assertIn("229.00", move.magento_totals_warning)
        self.assertFalse(move.magento_failure_kind, "accepted: it needs no more action")

    def test_an_invoice_at_the_orders_prices_is_exported_at_its_total(self):
        sale_order, _magento_order = self._magento_order()
        move = self._invoice(sale_order, {self.product_hoodie: 1})
        move.action_magento_export_invoice()
        recorded = self.magento.store.get_invoice(move.magento_invoice_id)
        self.assertEqual(float(recorded["grand_total"]), move.amount_total)
        self.assertFalse(move.magento_totals_warning)

    # ------------------------------------------------------------ credit memos
    def test_a_credit_note_at_a_lower_price_refunds_that_price(self):
        invoice, magento_order = self._exported_invoice()
        credit_note = self._credit_note(invoice, {self.product_bag: 1}, prices={self.product_bag: 30.0})
        credit_note.action_magento_export_invoice()

        (post,) = self.magento.requests("POST", rf"/V1/order/{magento_order['entity_id']}/refund$")
        self.assertEqual(post["json"]["arguments"]["adjustment_negative"], 4.0, "34.00 invoiced, 30.00 credited")
        self.assertEqual(float(self._memo_of(credit_note)["grand_total"]), credit_note.amount_total)
        self.assertFalse(credit_note.magento_totals_warning)

    def test_a_taxed_goodwill_line_is_refunded_tax_included(self):
        invoice, magento_order = self._exported_invoice()
        credit_note = self._credit_note(invoice, {}, add=[(self.goodwill, 10.0, self.tax_10)])
        self.assertEqual(credit_note.amount_total, 11.0)
        credit_note.action_magento_export_invoice()

        (post,) = self.magento.requests("POST", rf"/V1/order/{magento_order['entity_id']}/refund$")
        self.assertEqual(post["json"]["arguments"]["adjustment_positive"], 11.0)
        self.assertEqual(float(self._memo_of(credit_note)["grand_total"]), 11.0)

    def test_more_shipping_than_magento_has_left_is_not_sent(self):
        invoice, magento_order = self._exported_invoice()
        shipping = self.product_shipping
        credit_note = self._credit_note(invoice, {shipping: 1}, prices={shipping: 7.0})
        credit_note.action_magento_export_invoice()

        self.assertFalse(self.magento.requests("POST", rf"/V1/order/{magento_order['entity_id']}/refund$"))
        self.assertIn("Maximum shipping amount allowed to refund is: 5.00", credit_note.magento_last_error)
        self.assertEqual(credit_note.magento_failure_kind, "action")

    # ------------------------------------------------------------ money movements
    def test_an_uncertain_capture_waits_for_a_person(self):
        self.pm_checkmo.capture_on_export = True
        sale_order, magento_order = self._magento_order()
        move = self._invoice(sale_order)
        self.magento.inject("error_after", status=500, method="POST")
        move.action_magento_export_invoice()
        self.assertEqual((move.magento_payment_check, move.magento_failure_kind), (True, "action"))
        self.assertIn("Check in Magento's admin", move.magento_advice)

        self._bulk_export()
        self.assertEqual(len(self._invoice_posts(magento_order)), 1, "the bulk export leaves it to a person")
        self.assertFalse(move.magento_invoice_id)

        self.env["ir.config_parameter"].set_param("magento_invoice_export.lost_answer_grace_seconds", 0)
        move.action_magento_export_invoice()
        self.assertEqual(len(self._invoice_posts(magento_order)), 1, "found in Magento, not captured twice")
        self.assertTrue(move.magento_invoice_id)
        self.assertFalse(move.magento_payment_check)
