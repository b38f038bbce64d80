"""Credit notes of Magento orders become Magento credit memos (docs/magento-behaviour.md §8).

What Magento received is read from the double's journal and store; what the
accountant sees from the credit note, its chatter and the process log.
"""

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from .common import MagentoTestCommon


@tagged("post_install", "-at_install")
class TestExportCreditMemo(MagentoTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pm_checkmo.create_creditmemo_on = "validate"
        # As the import makes them: Magento's prices, no Odoo tax (the totals then agree).
        (cls.product_bag | cls.product_hoodie).taxes_id = False
        cls.goodwill = cls.env["product.product"].create({"name": "Goodwill Gesture", "type": "service"})
        cls.pm_gateway = cls.env["magento.payment.method"].create(
            {
                "instance_id": cls.instance.id,
                "code": "braintree",
                "name": "Braintree",
                "create_invoice_on": "validate",
                "create_creditmemo_on": "validate",
                "capture_on_export": True,
                "refund_online": True,
            }
        )

    # ------------------------------------------------------------ helpers
    def _exported_invoice(self, **order):
        sale_order, magento_order = self._magento_order(**order)
        invoice = self._invoice(sale_order)
        invoice.action_magento_export_invoice()
        self.assertTrue(invoice.magento_invoice_id, invoice.magento_last_error)
        return invoice, magento_order

    def _credit_note(self, invoice, quantities=None, drop=(), add=(), post=True):
        """A credit note reversing ``invoice`` as Odoo's Reverse button makes it,
        then edited: ``quantities`` by product, lines of products in ``drop``
        removed, ``(product, price)`` lines without a sale line added."""
        credit_note = invoice.with_context(include_business_fields=True)._reverse_moves()
        with Form(credit_note) as form:
            for index in reversed(range(len(form.invoice_line_ids))):
                with form.invoice_line_ids.edit(index) as line:
                    product = line.product_id
                    if quantities and product in quantities:
                        line.quantity = quantities[product]
                if product in drop:
                    form.invoice_line_ids.remove(index)
            for product, price in add:
                with form.invoice_line_ids.new() as line:
                    line.product_id = product
                    line.price_unit = price
                    line.tax_ids.clear()
        if post:
            credit_note.action_post()
        return credit_note

    def _refund_posts(self, magento_order=None, invoice=None):
        """Refunds Magento received through the order (offline), or through ``invoice`` (online)."""
        if invoice is not None:
            return self.magento.requests("POST", rf"/V1/invoice/{invoice.magento_invoice_id}/refund$")
        return self.magento.requests("POST", rf"/V1/order/{magento_order['entity_id']}/refund$")

    def _item(self, invoice, product):
        """The Magento order item the invoice's product line is linked to."""
        return invoice.magento_sale_order_id.order_line.filtered(lambda li: li.product_id == product).magento_item_id

    # ------------------------------------------------------------ what Magento receives
    def test_full_refund_reverses_the_whole_invoice_in_magento(self):
        invoice, magento_order = self._exported_invoice()
        credit_note = invoice.with_context(include_business_fields=True)._reverse_moves(cancel=True)
        self.assertIn(credit_note.payment_state, ("paid", "reversed"), "settled against its invoice")
        self.assertEqual(credit_note.magento_sale_order_id, invoice.magento_sale_order_id)
        self.assertEqual(credit_note.magento_export_state, "to_export")
        credit_note.action_magento_export_invoice()

        (post,) = self._refund_posts(magento_order)
        body = post["json"]
        self.assertEqual(
            sorted((i["order_item_id"], i["qty"]) for i in body["items"]),
            sorted([(self._item(invoice, self.product_bag), 2.0), (self._item(invoice, self.product_hoodie), 3.0)]),
        )
        self.assertEqual(body["arguments"]["shipping_amount"], 5.0, "the shipping refunded, never left to guess")
        self.assertEqual((body["arguments"]["adjustment_positive"], body["arguments"]["adjustment_negative"]), (0, 0))
        self.assertEqual(body["comment"]["comment"], credit_note._magento_comment())
        self.assertTrue(body["comment"]["comment"].startswith(f"Odoo credit note {credit_note.name} ["))
        self.assertIs(body["notify"], False)
        memo = self.magento.store.get_creditmemo(credit_note.magento_invoice_id)
        self.assertEqual(credit_note.magento_invoice_ref, memo["increment_id"])
        self.assertEqual(credit_note.magento_export_state, "exported")
        self.assertEqual(credit_note.magento_status_text, f"Exported as Magento credit memo {memo['increment_id']}")
        self.assertAlmostEqual(float(memo["grand_total"]), credit_note.amount_total)
        self.assertFalse(credit_note.magento_totals_warning)
        chatter = "".join(credit_note.message_ids.mapped("body"))
        self.assertIn(f"Exported to Magento as credit memo {memo['increment_id']}", chatter)
        self.assertEqual(self.magento.store.get_order(magento_order["entity_id"])["state"], "closed")
        log = self.env["magento.process.log"].search([("operation", "=", "export_creditmemo")], limit=1)
        self.assertEqual(log.exported_count, 1)
        self.assertIn(f"POST V1/order/{magento_order['entity_id']}/refund", log.line_ids.request)

    def test_a_resource_the_integration_lacks_is_named_in_the_admin_words(self):
        # The README's old list of resources: invoices, but no credit memos.
        invoice, magento_order = self._exported_invoice()
        integration = self.magento.add_integration(
            resources=("Magento_Sales::sales_invoice", "Magento_Sales::actions_view", "Magento_Sales::invoice")
        )
        keys = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
        self.instance.write({key: integration[key] for key in keys})
        credit_note = self._credit_note(invoice, {self.product_bag: 1, self.product_hoodie: 0})
        log = self._bulk_export(operation="export_creditmemo")
        self.assertFalse(self.magento.store.order_creditmemos(magento_order["entity_id"]))
        self.assertEqual((log.state, credit_note.magento_export_attempts), ("failed", 0), "the instance's fault")
        self.assertIn("The consumer isn't authorized to access Magento_Sales::creditmemo.", log.summary)
        self.assertIn(
            "allow the integration of Luma Shop Sales > Operations > Orders > Actions > Credit Memos (Magento "
            "refused Magento_Sales::creditmemo)",
            log.summary,
        )

    def test_partial_refund_without_shipping(self):
        invoice, magento_order = self._exported_invoice()
        credit_note = self._credit_note(
            invoice, {self.product_bag: 1, self.product_hoodie: 0}, drop=[self.product_shipping]
        )
        credit_note.action_magento_export_invoice()
        body = self._refund_posts(magento_order)[0]["json"]
        self.assertEqual(body["items"], [{"order_item_id": self._item(invoice, self.product_bag), "qty": 1.0}])
        self.assertEqual(body["arguments"]["shipping_amount"], 0.0, "0 said, or Magento refunds all the shipping")
        memo = self.magento.store.get_creditmemo(credit_note.magento_invoice_id)
        self.assertEqual(float(memo["grand_total"]), 34.0)
        self.assertEqual(float(memo["shipping_amount"]), 0.0)

    def test_two_partial_refunds_then_one_too_many_refused_before_sending(self):
        invoice, magento_order = self._exported_invoice()
        for _round in range(2):
            credit_note = self._credit_note(
                invoice, {self.product_bag: 1, self.product_hoodie: 0}, drop=[self.product_shipping]
            )
            credit_note.action_magento_export_invoice()
            self.assertTrue(credit_note.magento_invoice_id, credit_note.magento_last_error)
        bag = self._item(invoice, self.product_bag)
        items = self.magento.store.get_order(magento_order["entity_id"])["items"]
        self.assertEqual(next(i for i in items if i["item_id"] == bag)["qty_refunded"], 2)
        third = self._credit_note(invoice, {self.product_bag: 1, self.product_hoodie: 0}, drop=[self.product_shipping])
        third.action_magento_export_invoice()
        self.assertEqual(len(self._refund_posts(magento_order)), 2, "nothing sent for the third")
        self.assertEqual(third.magento_export_state, "failed")
        self.assertIn("more than Magento has left to refund", third.magento_last_error)
        self.assertIn("1.0 on this credit note, 0.0 left of 2.0 invoiced in Magento", third.magento_last_error)
        self.assertEqual(third.magento_failure_kind, "action")

    def test_an_adjustment_carries_a_line_without_order_item(self):
        invoice, magento_order = self._exported_invoice()
        credit_note = self._credit_note(
            invoice,
            {self.product_bag: 0, self.product_hoodie: 0},
            drop=[self.product_shipping],
            add=[(self.goodwill, 10.0)],
        )
        credit_note.action_magento_export_invoice()
        body = self._refund_posts(magento_order)[0]["json"]
        self.assertEqual(body["arguments"]["adjustment_positive"], 10.0)
        self.assertEqual(len(body["items"]), 1, "one item with nothing, never an empty list (Magento: refund all)")
        self.assertEqual(body["items"][0]["qty"], 0.0)
        memo = self.magento.store.get_creditmemo(credit_note.magento_invoice_id)
        self.assertEqual(float(memo["grand_total"]), 10.0)
        self.assertEqual(credit_note.magento_export_state, "exported")

    def test_notify_and_return_to_stock_follow_the_instance(self):
        self.instance.write({"notify_customer_on_creditmemo": True, "return_to_stock": True})
        invoice, magento_order = self._exported_invoice()
        credit_note = self._credit_note(
            invoice, {self.product_bag: 1, self.product_hoodie: 0}, drop=[self.product_shipping]
        )
        credit_note.action_magento_export_invoice()
        body = self._refund_posts(magento_order)[0]["json"]
        self.assertIs(body["notify"], True)
        back_to_stock = body["arguments"]["extension_attributes"]["return_to_stock_items"]
        self.assertEqual(back_to_stock, [self._item(invoice, self.product_bag)])
        self.assertEqual(credit_note.magento_export_state, "exported", "Magento accepted the items back")

    def test_amounts_go_in_the_order_base_currency(self):
        """Magento takes shipping and adjustments in the base currency (§8)."""
        sale_order, magento_order = self._magento_order(rate=2.0)
        invoice = self._invoice(sale_order)
        invoice.action_magento_export_invoice()
        credit_note = self._credit_note(
            invoice, {self.product_bag: 0, self.product_hoodie: 0}, add=[(self.goodwill, 10.0)]
        )
        credit_note.action_magento_export_invoice()
        arguments = self._refund_posts(magento_order)[0]["json"]["arguments"]
        self.assertEqual((arguments["shipping_amount"], arguments["adjustment_positive"]), (2.5, 5.0))

    def test_configurable_product_goes_through_its_parent_item(self):
        invoice, magento_order = self._exported_invoice()
        credit_note = self._credit_note(
            invoice, {self.product_bag: 0, self.product_hoodie: 1}, drop=[self.product_shipping]
        )
        credit_note.action_magento_export_invoice()
        parent = self._item(invoice, self.product_hoodie)
        self.assertEqual(self._refund_posts(magento_order)[0]["json"]["items"], [{"order_item_id": parent, "qty": 1.0}])
        memo = self.magento.store.get_creditmemo(credit_note.magento_invoice_id)
        child = next(i for i in magento_order["items"] if i.get("parent_item_id") == parent)
        refunded = {line["order_item_id"]: float(line["qty"]) for line in memo["items"]}
        self.assertEqual(refunded.get(child["item_id"]), 1.0, "Magento's child follows its parent")

    # ------------------------------------------------------------ online and offline
    def test_online_refund_goes_through_the_magento_invoice(self):
        invoice, magento_order = self._exported_invoice(payment_method=self.pm_gateway)
        credit_note = invoice.with_context(include_business_fields=True)._reverse_moves(cancel=True)
        credit_note.action_magento_export_invoice()
        self.assertFalse(self._refund_posts(magento_order), "not the offline route")
        (post,) = self._refund_posts(invoice=invoice)
        self.assertIs(post["json"]["isOnline"], True)
        self.assertEqual(credit_note.magento_export_state, "exported")

    def test_offline_payment_methods_are_refunded_through_the_order(self):
        invoice, magento_order = self._exported_invoice()
        invoice.with_context(include_business_fields=True)._reverse_moves(cancel=True).action_magento_export_invoice()
        self.assertEqual(len(self._refund_posts(magento_order)), 1)
        self.assertFalse(self._refund_posts(invoice=invoice))
        with self.assertRaisesRegex(ValidationError, "Magento refunds it only offline"):
            self.pm_checkmo.refund_online = True

    def test_an_online_refund_magento_cannot_make_is_explained(self):
        """Uncaptured, the invoice has no transaction: Magento says only "see error log" (§8)."""
        self.pm_gateway.capture_on_export = False
        invoice, _magento_order = self._exported_invoice(payment_method=self.pm_gateway)
        credit_note = invoice.with_context(include_business_fields=True)._reverse_moves(cancel=True)
        credit_note.action_magento_export_invoice()
        self.assertEqual(credit_note.magento_export_state, "failed")
        self.assertEqual(credit_note.magento_last_error, "Could not save a Creditmemo, see error log for details")
        self.assertIn("turn off Refund Online in Magento on the payment method", credit_note.magento_advice)
        line = credit_note.magento_log_line_ids[:1]
        self.assertEqual(line.message, "Could not save a Creditmemo, see error log for details")
        self.assertEqual(line.advice, credit_note.magento_advice)

    # ------------------------------------------------------------ triggers
    def test_blank_trigger_never_exports_credit_notes(self):
        self.pm_checkmo.create_creditmemo_on = False
        invoice, magento_order = self._exported_invoice()
        credit_note = invoice.with_context(include_business_fields=True)._reverse_moves(cancel=True)
        self.assertEqual(credit_note.magento_export_state, "not_exportable")
        self.assertEqual(credit_note.magento_export_reason, "payment_method_never_refunds")
        with self.assertRaisesRegex(UserError, "never exports credit notes"):
            credit_note.action_magento_export_invoice()
        self._bulk_export(operation="export_creditmemo")
        self.assertFalse(self._refund_posts(magento_order))
        self.assertFalse(credit_note.magento_invoice_id, "the reversal never inherits the invoice's Magento id")

    def test_refunded_trigger_waits_for_the_money_back(self):
        """The customer paid; the credit note waits until the money goes back.

        (A credit note posted against an unpaid invoice is settled with it at
        once, so Odoo calls it paid.)"""
        self.pm_checkmo.create_creditmemo_on = "refunded"
        invoice, _magento_order = self._exported_invoice()
        self._register_payment(invoice)
        credit_note = self._credit_note(invoice, {self.product_bag: 1, self.product_hoodie: 0})
        self.assertEqual(credit_note.payment_state, "not_paid")
        self.assertEqual(
            (credit_note.magento_export_state, credit_note.magento_export_reason), ("waiting", "not_refunded")
        )
        self._register_payment(credit_note)
        self.assertEqual(credit_note.magento_export_state, "to_export")
        credit_note.action_magento_export_invoice()
        self.assertEqual(credit_note.magento_export_state, "exported")

    def test_validate_trigger_exports_on_posting(self):
        invoice, _magento_order = self._exported_invoice()
        credit_note = self._credit_note(invoice, {self.product_bag: 1, self.product_hoodie: 0}, post=False)
        self.assertEqual(
            (credit_note.magento_export_state, credit_note.magento_export_reason), ("waiting", "not_posted")
        )
        credit_note.action_post()
        self.assertEqual(credit_note.magento_export_state, "to_export")

    def test_credit_note_of_an_invoice_not_exported_waits_then_follows_it(self):
        sale_order, magento_order = self._magento_order()
        invoice = self._invoice(sale_order)
        credit_note = self._credit_note(invoice, {self.product_bag: 1, self.product_hoodie: 0})
        self.assertEqual(
            (credit_note.magento_export_state, credit_note.magento_export_reason), ("waiting", "invoice_not_exported")
        )
        self.assertEqual(credit_note.magento_status_text, "Waits for the invoice it refunds to be exported to Magento")
        with self.assertRaisesRegex(UserError, "Waits for the invoice it refunds"):
            credit_note.action_magento_export_invoice()
        # One scheduled run: the invoice first, then its credit memo.
        self.env["magento.invoice.exporter"]._cron_export_invoices()
        self.assertEqual(len(self._invoice_posts(magento_order)), 1)
        self.assertEqual(len(self._refund_posts(magento_order)), 1)
        self.assertEqual(credit_note.magento_export_state, "exported")
        logs = self.env["magento.process.log"].search([("instance_id", "=", self.instance.id)], limit=2)
        self.assertEqual(set(logs.mapped("operation")), {"export_invoice", "export_creditmemo"})

    # ------------------------------------------------------------ failures
    def test_a_refusal_is_shown_as_magento_wrote_it(self):
        invoice, magento_order = self._exported_invoice()
        order = self.magento.store.orders[magento_order["entity_id"]]
        order["state"] = order["status"] = "holded"
        credit_note = self._credit_note(invoice, {self.product_bag: 1, self.product_hoodie: 0})
        credit_note.action_magento_export_invoice()
        expected = (
            "Creditmemo Document Validation Error(s):\n"
            "A creditmemo can not be created when an order has a status of holded"
        )
        self.assertEqual(credit_note.magento_last_error, expected)
        self.assertEqual(credit_note.magento_failure_kind, "action")
        self.assertIn("the order's status forbids it", credit_note.magento_advice)
        self.assertEqual(credit_note.magento_log_line_ids[:1].http_status, 400)

    def test_three_failures_then_skipped_by_the_bulk_export(self):
        invoice, magento_order = self._exported_invoice()
        order = self.magento.store.orders[magento_order["entity_id"]]
        order["state"] = order["status"] = "holded"
        credit_note = self._credit_note(invoice, {self.product_bag: 1, self.product_hoodie: 0})
        for _attempt in range(3):
            self._bulk_export(operation="export_creditmemo")
        self.assertEqual(credit_note.magento_export_attempts, 3)
        self.assertEqual(credit_note.magento_export_state, "skipped")
        form = Form(self.env["magento.operation.wizard"])
        form.operation = "export_creditmemo"
        self.assertEqual((form.export_creditmemo_count, form.skipped_creditmemo_count), (0, 1))
        log = self.env["magento.process.log"].browse(form.save().action_execute()["res_id"])
        self.assertEqual(len(self._refund_posts(magento_order)), 3)
        self.assertEqual((log.operation, log.skipped_count), ("export_creditmemo", 1))

    def test_lost_answer_is_looked_up_and_linked_never_posted_twice(self):
        invoice, magento_order = self._exported_invoice()
        credit_note = self._credit_note(invoice, {self.product_bag: 1, self.product_hoodie: 0})
        self.magento.inject("drop_after", method="POST", path=r"/refund$")
        credit_note.action_magento_export_invoice()
        self.assertFalse(credit_note.magento_invoice_id)
        self.assertTrue(credit_note.magento_export_sent_at, "marked: Magento may hold it")
        self.assertEqual(len(self.magento.store.order_creditmemos(magento_order["entity_id"])), 1)
        credit_note.action_magento_export_invoice()
        (memo,) = self.magento.store.order_creditmemos(magento_order["entity_id"])
        self.assertEqual(len(self._refund_posts(magento_order)), 1, "looked up, not posted again")
        self.assertTrue(self.magento.requests("GET", r"/V1/creditmemos"))
        self.assertEqual(credit_note.magento_invoice_id, memo["entity_id"])
        self.assertIn("Found in Magento as credit memo", "".join(credit_note.message_ids.mapped("body")))

    def test_totals_that_differ_after_sending_need_action_with_both_figures(self):
        """The shop shows shipping including tax, the instance says otherwise:
        Magento reads the 5.00 of shipping sent as tax included and refunds
        short. Both figures are shown, and the credit note needs action."""
        self.magento.store.shipping_display_incl_tax = True
        self.addCleanup(setattr, self.magento.store, "shipping_display_incl_tax", False)
        tax = self.env["account.tax"].create({"name": "Shipping VAT 20%", "amount": 20, "amount_type": "percent"})
        invoice, _magento_order = self._exported_invoice(shipping_tax=tax)
        self.assertEqual(invoice.amount_total, 230.0, "Magento's total: the shipping taxed in both")
        credit_note = self._credit_note(invoice, {self.product_bag: 0, self.product_hoodie: 0})
        self.assertEqual(credit_note.amount_total, 6.0)
        action = credit_note.action_magento_export_invoice()

        self.assertEqual(credit_note.magento_export_state, "exported")
        warning = credit_note.magento_totals_warning
        self.assertIn("totals $\xa05.00 where this credit note totals $\xa06.00", warning)
        self.assertEqual((action["params"]["type"], credit_note.magento_failure_kind), ("warning", "action"))
        self.assertIn("Magento's total differs, needs action", credit_note.magento_status_text)
        self.assertEqual(credit_note.magento_status, "exported_check", "the badge: Exported, Check Amounts")
        log_line = credit_note.magento_log_line_ids.filtered(lambda li: li.level == "warning")
        self.assertEqual(log_line.message, warning)

        credit_note.action_magento_difference_checked()
        self.assertFalse(credit_note.magento_failure_kind)
        self.assertEqual(credit_note.magento_status, "exported")
        self.assertTrue(any("checked the difference of totals" in b for b in credit_note.message_ids.mapped("body")))

    def test_shipping_shown_including_tax_is_refunded_to_the_cent(self):
        self.magento.store.shipping_display_incl_tax = True
        self.addCleanup(setattr, self.magento.store, "shipping_display_incl_tax", False)
        self.instance.shipping_incl_tax = True
        tax = self.env["account.tax"].create({"name": "Shipping VAT 20%", "amount": 20, "amount_type": "percent"})
        invoice, magento_order = self._exported_invoice(shipping_tax=tax)
        credit_note = self._credit_note(invoice, {self.product_bag: 0, self.product_hoodie: 0})
        credit_note.action_magento_export_invoice()

        arguments = self._refund_posts(magento_order)[0]["json"]["arguments"]
        self.assertEqual(arguments["shipping_amount"], 6.0, "read by Magento including tax")
        self.assertFalse(credit_note.magento_totals_warning)
        memo = self.magento.store.get_creditmemo(credit_note.magento_invoice_id)
        self.assertEqual(float(memo["grand_total"]), 6.0)

    # ------------------------------------------------------------ who may
    def test_what_magento_holds_is_said_of_the_credit_memo_not_an_invoice(self):
        invoice, _magento_order = self._exported_invoice()
        credit_note = self._credit_note(invoice, quantities={self.product_bag: 1}, drop=(self.product_hoodie,))
        credit_note.action_magento_export_invoice()
        ref = credit_note.magento_invoice_ref
        self.assertTrue(ref, credit_note.magento_last_error)
        action = credit_note.button_draft()
        message = action["params"]["message"]
        self.assertEqual(action["params"]["title"], "Magento keeps its credit memo")
        self.assertEqual(
            message,
            f"Magento keeps its credit memo {ref}: Magento never deletes, cancels or changes a credit memo. "
            f"{credit_note.name} can be posted again only with the quantities and amounts exported; to give "
            "back what it refunds, invoice it again.",
        )
        with self.assertRaises(UserError) as caught:
            credit_note.unlink()
        self.assertEqual(
            str(caught.exception),
            f"{credit_note.name} is credit memo {ref} in Magento: it cannot be deleted, or Odoo would lose the "
            "link while Magento keeps its credit memo. Post it again with what was exported.",
        )
        with Form(credit_note) as form, form.invoice_line_ids.edit(0) as line:
            line.quantity = 2
        with self.assertRaises(UserError) as caught:
            credit_note.action_post()
        self.assertIn("Magento never changes a credit memo. Post it with these quantities.", str(caught.exception))
        self.assertNotIn("invoice", str(caught.exception).replace(credit_note.name, ""))
        with self.assertRaises(AccessError) as caught:
            credit_note.write({"magento_invoice_ref": "FAKE-1"})
        self.assertIn("The Magento fields of an invoice or credit note", str(caught.exception))

    def test_the_buttons_speak_of_the_credit_note(self):
        from ..export.const import LOCK_NAMESPACE

        invoice, _magento_order = self._exported_invoice()
        draft = self._credit_note(invoice, post=False)
        self.assertEqual(draft.magento_status_text, "Waits to be posted")
        credit_note = self._credit_note(invoice, quantities={self.product_bag: 1}, drop=(self.product_hoodie,))
        with self.env.registry.cursor() as other:  # another run is exporting it
            other.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_NAMESPACE, credit_note.id])
            action = credit_note.action_magento_export_invoice()
            other.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, credit_note.id])
        self.assertEqual(
            action["params"]["message"],
            f"Another run is exporting {credit_note.name} right now. Reload the credit note in a moment.",
        )
        credit_note.action_magento_export_invoice()
        self.assertTrue(credit_note.magento_invoice_id, credit_note.magento_last_error)
        with self.assertRaisesRegex(UserError, "None of the selected invoices or credit notes can be exported"):
            credit_note.action_magento_export_selected()

    def test_roles(self):
        invoice, magento_order = self._exported_invoice()
        credit_note = invoice.with_context(include_business_fields=True)._reverse_moves(cancel=True)
        plain = self._user("plain_cm", "base.group_user")
        with self.assertRaises(Exception):  # noqa: B017 - AccessError or its read variant
            credit_note.with_user(plain).action_magento_export_invoice()
        self.assertFalse(self._refund_posts(magento_order))
        with self.assertRaises(Exception):  # noqa: B017
            credit_note.with_user(plain).write({"magento_invoice_id": 0})
        accountant = self._user("accountant_cm", "account.group_account_invoice")
        credit_note.with_user(accountant).action_magento_export_invoice()
        self.assertEqual(credit_note.magento_export_state, "exported")
        arch = credit_note.with_user(accountant).get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("Export Credit Memo In Magento", arch)
        with self.assertRaisesRegex(Exception, "kept by the export"):
            credit_note.with_user(accountant).write({"magento_invoice_id": 0})
