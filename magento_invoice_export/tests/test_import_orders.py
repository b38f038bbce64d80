import datetime
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged

from .common import MagentoTestCommon


@tagged("post_install", "-at_install")
class TestImportOrders(MagentoTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tax_10 = cls._sales_tax("10% Reduced", 10)

    @classmethod
    def _sales_tax(cls, name, amount, **values):
        return cls.env["account.tax"].create(
            {"name": name, "amount": amount, "type_tax_use": "sale", "company_id": cls.env.company.id, **values}
        )

    def _magento_only_order(self, rates=(0, 0), **kwargs):
        """An order that exists in Magento only (not yet in Odoo); ``rates``:
        Magento's tax rate of the bag's and the hoodie's lines."""
        bag, hoodie = self._products()
        return self.magento.store.add_order(
            [
                {"sku": bag.default_code, "name": bag.name, "qty": 2, "price": 34, "tax_percent": rates[0]},
                {
                    "sku": "MH01",
                    "child_sku": hoodie.default_code,
                    "name": hoodie.name,
                    "type": "configurable",
                    "qty": 1,
                    "price": 52,
                    "tax_percent": rates[1],
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

    def test_new_payment_methods_are_named_with_magentos_titles(self):
        """Issue 23, item 7: they read "Cashondelivery", "Banktransfer"."""
        self.pm_cashondelivery.unlink()
        orders = [
            self._magento_only_order(payment_method="cashondelivery"),
            self._magento_only_order(payment_method="braintree_cc", payment_title="Credit Card (Braintree)"),
            self._magento_only_order(payment_method="klarna_pay"),  # no title in the order
        ]
        # An order of before Magento kept the title: a core method's default title.
        orders[0]["extension_attributes"].pop("payment_additional_info")
        log = self._import(" ".join(order["increment_id"] for order in orders))
        methods = [self._sale_order(order).magento_payment_method_id for order in orders]
        self.assertEqual(
            [(method.code, method.name, method.invoice_trigger) for method in methods],
            [
                ("cashondelivery", "Cash On Delivery", "never"),
                ("braintree_cc", "Credit Card (Braintree)", "never"),
                ("klarna_pay", "Klarna Pay", "never"),
            ],
        )
        self.assertIn(
            "New payment method Credit Card (Braintree) (braintree_cc): invoices of these orders will not be "
            "exported until you choose its trigger (Magento > Configuration > Payment Methods).",
            log.line_ids.mapped("message"),
        )
        self.assertIn(
            "Set Create Invoice on Magento of Cash On Delivery from Never to Validate or In-Payment/Paid.",
            log.line_ids.mapped("advice"),
        )

    def test_the_order_date_is_when_the_customer_placed_it(self):
        """Issue 23, item 10: it was the import's time. Magento's API gives UTC, as Odoo stores it."""
        order = self._magento_only_order(created_at="2031-05-04 22:30:15")
        self._import(order["increment_id"])
        sale_order = self._sale_order(order)
        self.assertEqual(sale_order.state, "sale")
        self.assertEqual(fields.Datetime.to_string(sale_order.date_order), "2031-05-04 22:30:15")

    def test_new_payment_methods_get_a_safe_capture_default(self):
        gateway = self._magento_only_order(payment_method="braintree")
        offline = self._magento_only_order(payment_method="purchaseorder")
        self._import(f"{gateway['increment_id']} {offline['increment_id']}")
        braintree = self._sale_order(gateway).magento_payment_method_id
        purchaseorder = self._sale_order(offline).magento_payment_method_id
        self.assertEqual((braintree.capture_on_export, braintree.uncaptured_risk), (True, False))
        self.assertEqual((purchaseorder.capture_on_export, purchaseorder.is_offline), (False, True))
        braintree.create_invoice_on = "validate"
        move = self._sale_order(gateway)._create_invoices()
        move.action_post()
        move.action_magento_export_invoice()
        self.assertTrue(self.magento.requests("POST")[-1]["json"]["capture"], "Magento is asked to capture")

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
        same_day_before = self._magento_only_order(created_at="2031-01-01 08:59:59")
        recent = [self._magento_only_order(created_at="2031-01-02 00:00:00") for _ in range(5)]
        importer = type(self.env["magento.order.importer"])
        original = importer._import_orders

        def small_pages(this, *args, **kwargs):
            return original(this, *args, page_size=2, **kwargs)

        with patch.object(importer, "_import_orders", small_pages):
            log = self._import(since="2031-01-01 09:00:00")
        self.assertEqual((log.imported_count, log.state), (5, "done"), log.line_ids.mapped("message"))
        pages = self.magento.requests("GET", r"/V1/orders$")[-3:]
        self.assertEqual([p["query"]["searchCriteria[currentPage]"] for p in pages], ["1", "2", "3"])
        self.assertEqual([p["status"] for p in pages], [200, 200, 200], "every page's signature verified")
        # Only the day travels (a time would not verify on every Magento); pages follow entity_id.
        self.assertEqual(pages[0]["query"]["searchCriteria[filterGroups][0][filters][0][value]"], "2031-01-01")
        self.assertEqual(pages[0]["query"]["searchCriteria[sortOrders][0][field]"], "entity_id")
        self.assertFalse(self._sale_order(old) or self._sale_order(same_day_before))
        self.assertTrue(all(self._sale_order(order) for order in recent))

    def test_signed_import_verifies_on_magento_2_4_7(self):
        """2.4.7+ encode signed query values again: several numbers at once still verify."""
        self.patch(self.magento, "magento_version", "2.4.7")
        orders = [self._magento_only_order(created_at="2033-01-01 10:00:00") for _ in range(12)]
        log = self._import(", ".join(order["increment_id"] for order in orders))
        self.assertEqual((log.imported_count, log.state), (12, "done"), log.summary)
        since = self._import(since="2033-01-01 09:30:00")
        self.assertEqual((since.state, since.skipped_count), ("done", 12), since.summary)

    def test_order_numbers_magento_could_not_verify_are_refused(self):
        with self.assertRaisesRegex(UserError, "000000001/2"):
            self._import("000000001/2")

    def test_only_the_instance_store_view_and_one_sale_order_per_magento_order(self):
        self.magento.store_views["fr"] = {"id": 2, "code": "fr", "name": "French"}
        self.addCleanup(self.magento.store_views.pop, "fr")
        default_order = self._magento_only_order(created_at="2032-01-01 00:00:00")
        french_order = self._magento_only_order(created_at="2032-01-01 00:00:00", store_id=2)
        self._import(since="2032-01-01 00:00:00")
        self.assertTrue(self._sale_order(default_order))
        self.assertFalse(self._sale_order(french_order), "another store view's order")
        self.assertEqual(self.instance.magento_store_id, 1, "read from GET /V1/store/storeViews")
        log = self._import(french_order["increment_id"])
        self.assertEqual(log.failed_count, 1)
        self.assertIn("belongs to another store view (id 2) than default (id 1)", log.line_ids.message)

        importer = self.env["magento.order.importer"]
        french = self.instance.copy({"name": "Luma FR", "store_code": "fr", **self.magento.credentials})
        self.assertFalse(french.magento_store_id, "a copy asks Magento for its own store view")
        self.assertEqual(importer._import_orders(french, since=datetime.datetime(2032, 1, 1)).imported_count, 1)
        imported = self.env["sale.order"].search([("magento_order_id", "=", french_order["entity_id"])])
        self.assertEqual(imported.magento_instance_id, french)
        # A third instance of the same shop, taking every store view, meets both orders: none twice.
        everything = self.instance.copy({"name": "Luma all", "store_code": "all", **self.magento.credentials})
        log = importer._import_orders(everything, since=datetime.datetime(2032, 1, 1))
        self.assertEqual((log.imported_count, log.skipped_count), (0, 2))
        self.assertIn(
            f"Order {french_order['increment_id']} was imported already, as {imported.name} through the "
            "instance Luma FR of the same shop.",
            log.line_ids.mapped("message"),
        )
        with self.assertRaisesRegex(ValidationError, "already the sales order"):
            self.env["sale.order"].sudo().create(  # as the import creates orders (it alone may link them)
                {
                    "partner_id": self.partner_a.id,
                    "magento_instance_id": everything.id,
                    "magento_order_id": french_order["entity_id"],
                }
            )

    def test_bundle_with_dynamic_sku_is_matched_by_its_own_sku(self):
        kit = {
            "type": "bundle",
            "sku": "24-WG080",
            "name": "Sprite Yoga Companion Kit",
            "qty": 1,
            "children": [
                {"sku": "24-WG084", "name": "Ball", "qty": 1, "price": 23},
                {"sku": "24-WG088", "name": "Strap", "qty": 2, "price": 14},
            ],
        }
        order = self.magento.store.add_order([kit])
        self.assertEqual(order["items"][0]["sku"], "24-WG080-24-WG084-24-WG088")
        log = self._import(order["increment_id"])
        self.assertEqual(
            log.line_ids.message,
            f"Order {order['increment_id']} not imported: no product with SKU 24-WG080 (the bundle Sprite Yoga "
            "Companion Kit, whose order line reads 24-WG080-24-WG084-24-WG088) in Odoo. Create it (Invoicing > "
            "Customers > Products, Internal Reference = the SKU) and import again.",
        )
        bundle = self.env["product.product"].create({"name": "Sprite Yoga Companion Kit", "default_code": "24-WG080"})
        self.assertEqual(self._import(order["increment_id"]).imported_count, 1)
        line = self._sale_order(order).order_line
        self.assertEqual((line.product_id, line.magento_item_id), (bundle, order["items"][0]["item_id"]))

    def test_orders_magento_cannot_invoice_are_not_imported_until_they_move_on(self):
        states = {
            "canceled": ("canceled", "not imported: it is canceled in Magento (status canceled), so nothing"),
            "closed": ("closed", "not imported: it is closed in Magento (status closed), so nothing"),
            "holded": ("holded", "not imported yet: it is holded in Magento (status holded). Import it again"),
            "pending_payment": ("pending_payment", "not imported yet: it is pending_payment in Magento"),
        }
        orders = {state: self._magento_only_order(state=state, status=status) for state, (status, _m) in states.items()}
        log = self._import(", ".join(order["increment_id"] for order in orders.values()))
        self.assertEqual((log.imported_count, log.failed_count), (0, 4))
        for state, (_status, message) in states.items():
            prefix = f"Order {orders[state]['increment_id']} {message}"
            self.assertTrue(any(m.startswith(prefix) for m in log.line_ids.mapped("message")), prefix)
        held = orders["holded"]
        held.update(state="processing", status="processing")
        self.assertEqual(self._import(held["increment_id"]).imported_count, 1, "once released, it imports")

    def test_quantity_rules_and_what_magento_invoiced_itself_are_kept(self):
        bag, _hoodie = self._products()
        order = self.magento.store.add_order(
            [
                {"sku": bag.default_code, "name": bag.name, "qty": 2, "price": 34},
                {"sku": bag.default_code, "name": "Bag by the metre", "qty": 1.5, "price": 10, "is_qty_decimal": True},
            ],
            invoiced=True,
        )
        self._import(order["increment_id"])
        lines = self._sale_order(order).order_line
        self.assertEqual(lines.mapped("magento_qty_decimal"), ["whole", "decimal"])
        self.assertEqual(lines.mapped("magento_qty_invoiced"), [2, 1.5])

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

    def test_a_product_of_another_company_is_named_and_the_order_waits_for_it(self):
        other_company = self.setup_other_company()["company"]
        jacket = self.env["product.product"].create(
            {"name": "Jacket", "default_code": "WJ12-S-Blue", "company_id": other_company.id}
        )
        order = self.magento.store.add_order([{"sku": "WJ12-S-Blue", "name": "Jacket", "qty": 1, "price": 77}])
        log = self._import(order["increment_id"])
        self.assertEqual((log.imported_count, log.failed_count), (0, 1))
        self.assertEqual(
            log.line_ids.message,
            f"Order {order['increment_id']} not imported: the product [WJ12-S-Blue] Jacket belongs to the company "
            f"{other_company.name}, and this instance's orders are {self.env.company.name}'s. Share the product "
            f"(leave its Company empty) or move it to {self.env.company.name}, and import the order again.",
        )
        self.assertFalse(self._sale_order(order))
        jacket.company_id = False
        log = self._import(order["increment_id"])
        self.assertEqual(log.imported_count, 1, log.line_ids.mapped("message"))
        self.assertEqual(self._sale_order(order).order_line.product_id, jacket)

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

    def _messages(self, log):
        return log.line_ids.sorted("id").mapped("message")

    def test_taxed_order_gets_the_company_taxes_and_magento_total(self):
        """10 % and 21 % items and taxed shipping: Magento's prices excluding
        tax, the company's taxes of those rates, Magento's grand total."""
        inclusive = self._sales_tax("21% incl.", 21, price_include_override="tax_included")
        self._sales_tax("VAT standard", 21, sequence=1)
        vat_21 = self._sales_tax("VAT 21%", 21, sequence=5)
        order = self._magento_only_order(rates=(10, 21), shipping_tax_percent=21)
        self.assertEqual((order["tax_amount"], order["grand_total"]), (18.77, 143.77))
        log = self._import(order["increment_id"])
        self.assertEqual(log.imported_count, 1, self._messages(log))
        bag_line, hoodie_line, shipping_line = self._sale_order(order).order_line
        self.assertEqual((bag_line.price_unit, bag_line.tax_id), (34, self.tax_10))
        self.assertEqual(hoodie_line.tax_id, vat_21, "the 21 % tax excluded from price that says 21 %")
        self.assertNotEqual(hoodie_line.tax_id, inclusive)
        self.assertEqual((shipping_line.price_unit, shipping_line.tax_id), (5, vat_21), "shipping at 1.05 / 5")
        self.assertEqual(self._sale_order(order).amount_total, 143.77)
        self.assertEqual(log.line_ids.level, "info", "the totals agree: no warning")

    def test_tax_included_catalog_imports_prices_excluding_tax(self):
        """A shop whose catalog prices include 21 %: Magento's ``price`` excludes it, so does the line."""
        vat_21 = self._sales_tax("21%", 21)
        bag, _hoodie = self._products()
        order = self.magento.store.add_order(
            [{"sku": bag.default_code, "name": bag.name, "qty": 1, "price": 10, "tax_percent": 21}]
        )
        self.assertEqual(order["items"][0]["price_incl_tax"], 12.10, "the catalog's price")
        self._import(order["increment_id"])
        line = self._sale_order(order).order_line
        self.assertEqual((line.price_unit, line.tax_id, line.price_total), (10, vat_21, 12.10))

    def test_line_discounts_reproduce_magento_rows(self):
        """A row discount is the line's percentage when that gives Magento's
        row to the cent, else the price net of it, named in the description."""
        bag, hoodie = self._products()
        order = self.magento.store.add_order(
            [
                # 10 % of 68.00; 100.00 of 1,234.00 is 8.1037 %: 8.10 % would give 1,134.05.
                {
                    "sku": bag.default_code,
                    "name": bag.name,
                    "qty": 2,
                    "price": 34,
                    "discount_amount": 6.80,
                    "tax_percent": 10,
                },
                {
                    "sku": hoodie.default_code,
                    "name": hoodie.name,
                    "qty": 1,
                    "price": 1234,
                    "discount_amount": 100,
                    "tax_percent": 10,
                },
            ],
            shipping_amount=5,
            shipping_tax_percent=10,
        )
        log = self._import(order["increment_id"])
        self.assertEqual(log.imported_count, 1, self._messages(log))
        bag_line, hoodie_line, _shipping = self._sale_order(order).order_line
        self.assertEqual((bag_line.price_unit, bag_line.discount, bag_line.price_subtotal), (34, 10, 61.20))
        self.assertEqual((hoodie_line.price_unit, hoodie_line.discount, hoodie_line.price_subtotal), (1134, 0, 1134))
        self.assertEqual(
            hoodie_line.name, "Chaz Kangeroo Hoodie (Magento's price 1234.00 less its discount of 100.00, 8.1037 %)"
        )
        self.assertEqual((self._sale_order(order).amount_total, order["grand_total"]), (1320.22, 1320.22))
        self.assertEqual(log.line_ids.level, "info")
        # Its invoice is Magento's, to the cent.
        move = self._sale_order(order)._create_invoices()
        move.action_post()
        move.action_magento_export_invoice()
        invoice = self.magento.store.invoices[move.magento_invoice_id]
        self.assertEqual((invoice["grand_total"], invoice["tax_amount"]), (move.amount_total, move.amount_tax))

    def test_dynamic_bundle_and_discounted_shipping_keep_magento_total(self):
        """A dynamic bundle is taxed and discounted through its parts; shipping's
        discount is the shipping line's, its tax on shipping less discount."""
        bundle = self.env["product.product"].create({"name": "Sprite Yoga Companion Kit", "default_code": "24-WG080"})
        kit = {
            "type": "bundle",
            "sku": "24-WG080",
            "name": "Sprite Yoga Companion Kit",
            "qty": 1,
            "tax_percent": 10,
            "children": [
                {"sku": "24-WG084", "name": "Ball", "qty": 1, "price": 23, "discount_amount": 2.30},
                {"sku": "24-WG088", "name": "Strap", "qty": 2, "price": 14.99},
            ],
        }
        order = self.magento.store.add_order(
            [kit], shipping_amount=10, shipping_tax_percent=21, shipping_discount_amount=2
        )
        vat_21 = self._sales_tax("21%", 21)
        log = self._import(order["increment_id"])
        self.assertEqual(log.imported_count, 1, self._messages(log))
        kit_line, shipping_line = self._sale_order(order).order_line
        self.assertEqual((kit_line.product_id, kit_line.tax_id, kit_line.price_subtotal), (bundle, self.tax_10, 50.68))
        self.assertEqual((shipping_line.discount, shipping_line.tax_id, shipping_line.price_subtotal), (20, vat_21, 8))
        self.assertEqual((self._sale_order(order).amount_total, order["grand_total"]), (65.43, 65.43))

    def test_missing_odoo_tax_stops_the_order_until_it_exists(self):
        order = self._magento_only_order(rates=(21, 10), shipping_tax_percent=21)
        partners = self.env["res.partner"].search_count([])
        log = self._import(order["increment_id"])
        self.assertEqual((log.imported_count, log.failed_count), (0, 1))
        self.assertEqual(
            log.line_ids.message,
            f"Order {order['increment_id']} not imported: Magento taxes [24-MB01] Joust Duffle Bag, shipping at "
            f"21 %; Odoo has no sales tax of 21 % (not included in price) in {self.env.company.name}: create one "
            "in Invoicing > Configuration > Accounting > Taxes, then import again.",
        )
        self.assertFalse(self._sale_order(order))
        self.assertEqual(self.env["res.partner"].search_count([]), partners, "nothing made for a refused order")
        vat_21 = self._sales_tax("21%", 21)
        log = self._import(order["increment_id"])
        self.assertEqual(log.imported_count, 1, self._messages(log))
        self.assertEqual(self._sale_order(order).order_line.tax_id, vat_21 | self.tax_10)
        self.assertEqual(self._sale_order(order).amount_total, order["grand_total"])

    def test_rounding_difference_is_imported_with_a_warning(self):
        """Three rows of 1.05 at 10 %: Magento's tax is 0.315 rounded once, 0.32;
        rounded per line it is 0.33. Round Globally agrees with Magento."""
        bag, _hoodie = self._products()
        spec = {"sku": bag.default_code, "name": bag.name, "qty": 1, "price": 1.05, "tax_percent": 10}
        order = self.magento.store.add_order([spec] * 3)
        self.assertEqual((order["tax_amount"], order["grand_total"]), (0.32, 3.47))
        self.env.company.tax_calculation_rounding_method = "round_per_line"
        log = self._import(order["increment_id"])
        sale_order = self._sale_order(order)
        self.assertEqual(log.imported_count, 1, "kept")
        self.assertEqual(
            (log.line_ids.level, log.line_ids.message),
            (
                "warning",
                f"Imported {sale_order.name}: Odoo's total 3.48 differs from Magento's 3.47 by 0.01: its invoices "
                "will not be exported until their totals agree with Magento's.",
            ),
        )
        self.assertIn("Rounding Method: Round Globally", log.line_ids.advice)
        self.assertEqual(log.line_ids.res_id, sale_order.id)

        self.env.company.tax_calculation_rounding_method = "round_globally"
        again = self.magento.store.add_order([spec] * 3)
        log = self._import(again["increment_id"])
        self.assertEqual(self._sale_order(again).amount_total, 3.47)
        self.assertEqual(log.line_ids.level, "info")

    def test_untaxed_order_imports_as_before(self):
        order = self._magento_only_order()
        log = self._import(order["increment_id"])
        sale_order = self._sale_order(order)
        self.assertFalse(sale_order.order_line.tax_id, "no tax in Magento, none in Odoo")
        self.assertEqual(sale_order.order_line.mapped("discount"), [0, 0, 0])
        self.assertEqual(sale_order.order_line.mapped("price_unit"), [34, 52, 5])
        self.assertEqual((sale_order.amount_total, order["grand_total"]), (125, 125))
        self.assertEqual(log.line_ids.message, f"Imported as {sale_order.name}.")

    def test_wizard_requires_numbers(self):
        wizard = Form(self.env["magento.operation.wizard"])
        wizard.operation = "import_orders"
        with self.assertRaisesRegex(UserError, "Enter the Magento order numbers"):
            wizard.save().action_execute()

    def _scheduled_import_in_pages_of_one(self, fail_second_page=False):
        importer = type(self.env["magento.order.importer"])
        original_import, original_page = importer._import_orders, importer._import_page
        pages = []

        def small_pages(this, *args, **kwargs):
            return original_import(this, *args, page_size=1, **kwargs)

        def page(this, *args, **kwargs):
            pages.append(args)
            if fail_second_page and len(pages) == 1:  # Magento fails the next page of the listing
                self.magento.inject("error", method="GET", path=r"/V1/orders$", status=500, times=None)
            return original_page(this, *args, **kwargs)

        with patch.object(importer, "_import_orders", small_pages), patch.object(importer, "_import_page", page):
            self.env["magento.order.importer"]._cron_import_orders()
        self.magento.clear_faults()
        return self.env["magento.process.log"].search([("operation", "=", "import_orders")], limit=1)

    def test_scheduled_import_never_passes_an_order_of_a_page_that_failed(self):
        """Pages follow entity_id: the first order was changed late, the second
        (on the page that fails) earlier. The mark stays before the second.
        (Dates apart from the other tests': the double keeps its orders.)"""
        changed_late = self._magento_only_order(created_at="2032-06-01 08:00:00")
        changed_late.update(updated_at="2032-06-01 12:00:00")
        earlier = self._magento_only_order(created_at="2032-06-01 09:00:00")
        self.instance.last_order_update = "2032-06-01 07:00:00"
        log = self._scheduled_import_in_pages_of_one(fail_second_page=True)
        self.assertEqual(log.state, "failed")
        self.assertTrue(self._sale_order(changed_late))
        self.assertFalse(self._sale_order(earlier))
        self.assertEqual(fields.Datetime.to_string(self.instance.last_order_update), "2032-06-01 07:00:00")
        self._scheduled_import_in_pages_of_one()
        self.assertTrue(self._sale_order(earlier), "taken by the next scheduled import")
        self.assertEqual(fields.Datetime.to_string(self.instance.last_order_update), "2032-06-01 12:00:00")

    def test_scheduled_import_never_passes_an_order_it_could_not_import(self):
        unknown = self.magento.store.add_order(
            [{"sku": "WJ12-S-Blue", "name": "Jacket", "qty": 1, "price": 77}], created_at="2032-01-01 09:00:00"
        )
        later = self._magento_only_order(created_at="2032-01-01 10:00:00")
        self.instance.last_order_update = "2032-01-01 07:00:00"
        self._scheduled_import_in_pages_of_one()
        self.assertTrue(self._sale_order(later))
        self.assertEqual(fields.Datetime.to_string(self.instance.last_order_update), "2032-01-01 09:00:00")
        jacket = self.env["product.product"].create({"name": "Jacket", "default_code": "WJ12-S-Blue"})
        self.assertTrue(jacket)
        self._scheduled_import_in_pages_of_one()
        self.assertTrue(self._sale_order(unknown), "imported once its product exists")
        self.assertEqual(fields.Datetime.to_string(self.instance.last_order_update), "2032-01-01 10:00:00")

    def test_scheduled_import_takes_what_was_created_or_changed_since_the_last_one(self):
        held = self._magento_only_order(state="holded", status="holded", created_at="2034-01-01 08:00:00")
        fresh = self._magento_only_order(created_at="2034-01-01 09:00:00", payment_method="klarna_pay")
        self.instance.last_order_update = "2034-01-01 07:00:00"
        self.env["magento.order.importer"]._cron_import_orders()
        self.assertTrue(self._sale_order(fresh))
        self.assertFalse(self._sale_order(held))
        self.assertEqual(fields.Datetime.to_string(self.instance.last_order_update), "2034-01-01 09:00:00")
        log = self.env["magento.process.log"].search([("operation", "=", "import_orders")], limit=1)
        self.assertIn(
            "New payment method Klarna Pay (klarna_pay): invoices of these orders will not be exported until you "
            "choose its trigger",
            " ".join(log.line_ids.mapped("message")),
        )
        # The hold is released in Magento: the order changes, the next scheduled import takes it.
        held.update(state="processing", status="processing", updated_at="2034-01-02 10:00:00")
        self.env["magento.order.importer"]._cron_import_orders()
        self.assertTrue(self._sale_order(held))
        cron = self.env.ref("magento_invoice_export.ir_cron_magento_import_orders")
        self.assertFalse(cron.active, "inactive until someone turns it on")
