from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import MagentoTestCommon


@tagged("post_install", "-at_install")
class TestImportOrders(MagentoTestCommon):
    def _magento_only_order(self, **kwargs):
        """An order that exists in Magento only (not yet in Odoo)."""
        bag, hoodie = self._products()
        return self.magento.store.add_order(
            [
                {"sku": bag.default_code, "name": bag.name, "qty": 2, "price": 34},
                {
                    "sku": "MH01",
                    "child_sku": hoodie.default_code,
                    "name": hoodie.name,
                    "type": "configurable",
                    "qty": 1,
                    "price": 52,
                },
            ],
            shipping_amount=5,
            **kwargs,
        )

    def _import(self, refs=None, since=None):
        wizard = Form(self.env["magento.operation.wizard"])
        wizard.operation = "import_orders"
        if refs is not None:
            wizard.import_by = "increment_id"
            wizard.order_refs = refs
        else:
            wizard.import_by = "since"
            wizard.since = since
        action = wizard.save().action_execute()
        return self.env["magento.process.log"].browse(action.get("res_id") or action["domain"][0][2])

    def _sale_order(self, order):
        return self.env["sale.order"].search(
            [("magento_instance_id", "=", self.instance.id), ("magento_order_id", "=", order["entity_id"])]
        )

    def test_import_by_number_fills_every_link(self):
        order = self._magento_only_order(payment_method="purchaseorder", customer_email="new.buyer@example.com")
        log = self._import(order["increment_id"])
        self.assertEqual((log.operation, log.imported_count, log.state), ("import_orders", 1, "done"))
        self.assertEqual(log.exported_count, 0, "an import exports nothing")
        sale_order = self._sale_order(order)
        self.assertEqual(sale_order.state, "sale")
        self.assertEqual(sale_order.magento_order_ref, order["increment_id"])
        self.assertEqual(sale_order.partner_id.email, "new.buyer@example.com")
        bag_line, hoodie_line, shipping_line = sale_order.order_line
        parent, child = order["items"][1], order["items"][2]
        self.assertEqual(
            (bag_line.product_id, bag_line.product_uom_qty, bag_line.magento_item_id),
            (self.product_bag, 2, order["items"][0]["item_id"]),
        )
        self.assertEqual(hoodie_line.magento_item_id, parent["item_id"], "configurable: the parent item")
        self.assertNotIn(child["item_id"], sale_order.order_line.mapped("magento_item_id"))
        self.assertEqual((shipping_line.price_unit, shipping_line.magento_item_id), (5, 0))
        method = sale_order.magento_payment_method_id
        self.assertEqual((method.code, method.create_invoice_on), ("purchaseorder", False), "new method: never export")

    def test_import_again_never_duplicates_and_reuses_customer(self):
        order = self._magento_only_order(customer_email="roni_cost@example.com")
        self._import(order["increment_id"])
        log = self._import(order["increment_id"])
        self.assertEqual((log.imported_count, log.skipped_count), (0, 1))
        self.assertEqual(len(self._sale_order(order)), 1)
        self._sale_order(order).partner_id.email = "Roni_Cost@Example.com"
        other = self._magento_only_order(customer_email="RONI_COST@example.com")
        self._import(other["increment_id"])
        self.assertEqual(self._sale_order(other).partner_id, self._sale_order(order).partner_id)

    def test_import_since_date_pages_through_orders(self):
        old = self._magento_only_order(created_at="2020-01-01 00:00:00")
        recent = [self._magento_only_order(created_at="2031-01-02 00:00:00") for _ in range(5)]
        importer = type(self.env["magento.order.importer"])
        original = importer._import_orders

        def small_pages(this, *args, **kwargs):
            return original(this, *args, page_size=2, **kwargs)

        with patch.object(importer, "_import_orders", small_pages):
            log = self._import(since="2031-01-01 00:00:00")
        self.assertEqual(log.imported_count, 5)
        pages = self.magento.requests("GET", r"/V1/orders$")[-3:]
        self.assertEqual([p["query"]["searchCriteria[currentPage]"] for p in pages], ["1", "2", "3"])
        self.assertFalse(self._sale_order(old))
        self.assertTrue(all(self._sale_order(order) for order in recent))

    def test_missing_sku_is_named_and_others_still_imported(self):
        unknown = self.magento.store.add_order([{"sku": "WJ12-S-Blue", "name": "Jacket", "qty": 1, "price": 77}])
        good = self._magento_only_order()
        log = self._import(f"{unknown['increment_id']}, {good['increment_id']}, 999999999")
        self.assertEqual((log.imported_count, log.failed_count), (1, 2))
        messages = log.line_ids.mapped("message")
        self.assertTrue(
            any(
                m.startswith(f"Order {unknown['increment_id']} not imported: no product with SKU WJ12-S-Blue")
                for m in messages
            ),
            messages,
        )
        self.assertIn("Magento has no order 999999999.", log.line_ids.mapped("message"))
        self.assertFalse(self._sale_order(unknown))
        self.assertTrue(self._sale_order(good))

    def test_order_in_a_currency_without_pricelist_is_refused(self):
        order = self._magento_only_order(currency="EUR")
        log = self._import(order["increment_id"])
        self.assertEqual((log.imported_count, log.failed_count), (0, 1))
        self.assertEqual(
            log.line_ids.message,
            f"Order {order['increment_id']} not imported: it is in EUR and no pricelist uses that currency.",
        )
        self.assertFalse(self._sale_order(order))

    def test_imported_order_exports_its_invoice(self):
        order = self._magento_only_order(payment_method="checkmo")
        self._import(order["increment_id"])
        move = self._sale_order(order)._create_invoices()
        move.action_post()
        move.action_magento_export_invoice()
        invoice = self.magento.store.invoices[move.magento_invoice_id]
        self.assertEqual(invoice["order_id"], order["entity_id"])
        self.assertEqual(invoice["grand_total"], order["grand_total"], "Odoo's and Magento's totals agree")

    def test_wizard_requires_numbers(self):
        wizard = Form(self.env["magento.operation.wizard"])
        wizard.operation = "import_orders"
        with self.assertRaisesRegex(UserError, "Enter the Magento order numbers"):
            wizard.save().action_execute()
