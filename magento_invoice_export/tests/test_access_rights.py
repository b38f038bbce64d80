from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import Form, tagged

from .common import MagentoTestCommon


@tagged("post_install", "-at_install")
class TestAccessRights(MagentoTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plain_user = cls._user("plain", "base.group_user")
        cls.invoicing_user = cls._user("invoicing", "account.group_account_invoice")
        cls.manager = cls._user("magento_manager", "magento_invoice_export.group_magento_manager")
        cls.administrator = cls._user("administrator", "base.group_system,magento_invoice_export.group_magento_manager")

    def _read_secret(self, user):
        instance = self.instance.with_user(user)
        instance.invalidate_recordset()
        return instance.consumer_secret

    def test_plain_user_sees_no_instance(self):
        with self.assertRaises(AccessError):
            self.instance.with_user(self.plain_user).read(["name"])

    def test_invoicing_user_reads_instance_but_not_credentials(self):
        self.assertEqual(self.instance.with_user(self.invoicing_user).name, "Luma Shop")
        with self.assertRaises(AccessError):
            self._read_secret(self.invoicing_user)
        with self.assertRaises(AccessError):
            self.instance.with_user(self.invoicing_user).write({"name": "Renamed"})

    def test_manager_configures_but_cannot_read_credentials(self):
        instance = self.instance.with_user(self.manager)
        instance.write({"notify_customer_on_invoice": True, "timeout": 12})
        self.assertTrue(instance.notify_customer_on_invoice)
        with self.assertRaises(AccessError):
            self._read_secret(self.manager)
        with self.assertRaises(AccessError):
            instance.write({"consumer_secret": "n" * 32})
        arch = instance.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertNotIn("consumer_secret", arch, "the form must not even carry the credential fields")
        self.assertIn("notify_customer_on_invoice", arch)

    def test_administrator_reads_and_writes_credentials(self):
        self.assertEqual(self._read_secret(self.administrator), self.magento.credentials["consumer_secret"])
        self.instance.with_user(self.administrator).write({"consumer_secret": "r" * 32})
        self.assertEqual(self._read_secret(self.administrator), "r" * 32)
        arch = self.instance.with_user(self.administrator).get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertRegex(arch, r'name="consumer_secret"[^>]*password="True"')

    def test_manager_can_test_connection_without_reading_credentials(self):
        result = self.instance.with_user(self.manager).action_test_connection()
        self.assertEqual(result["params"]["type"], "success")

    def test_instances_are_isolated_per_company(self):
        other_company = self.setup_other_company()["company"]
        other_instance = self.env["magento.instance"].create(
            {"name": "Other", "url": "https://other.example.com", "company_id": other_company.id}
        )
        visible = self.env["magento.instance"].with_user(self.manager).search([])
        self.assertIn(self.instance, visible)
        self.assertNotIn(other_instance, visible)

    def test_only_managers_create_instances(self):
        with self.assertRaises(AccessError):
            self.env["magento.instance"].with_user(self.invoicing_user).create(
                {"name": "Sneaky", "url": "https://sneaky.example.com"}
            )

    # ------------------------------------------------------------ who runs what
    def test_only_settings_administrators_redirect_the_credentials(self):
        for field, value in (
            ("url", "https://attacker.example.com"),
            ("store_code", "fr"),
            ("auth_method", "bearer"),
            ("verify_tls", False),
        ):
            with self.subTest(field=field), self.assertRaisesRegex(AccessError, "Settings administrator"):
                self.instance.with_user(self.manager).write({field: value})
        self.instance.with_user(self.administrator).write({"store_code": "default", "verify_tls": True})
        arch = self.instance.with_user(self.manager).get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('readonly="id and not can_edit_connection"', arch)

    def test_magento_user_runs_the_operations_the_group_promises(self):
        """Issue 23: Execute said "You are not allowed to modify 'Magento Instance'"
        to the group that "Runs Magento operations"."""
        magento_user = self._user("magento_user", "magento_invoice_export.group_magento_user")
        sale_order, order = self._magento_order()
        move = self._invoice(sale_order)
        wizard = self.env["magento.operation.wizard"].with_user(magento_user).create({"operation": "export_invoice"})
        log = self.env["magento.process.log"].browse(wizard.action_execute()["res_id"])
        self.assertEqual((log.state, log.exported_count, log.user_id), ("done", 1, magento_user))
        self.assertTrue(move.magento_invoice_id)
        self.assertEqual(len(self._invoice_posts(order)), 1)
        new_order = self.magento.store.add_order(
            [{"sku": self.product_bag.default_code, "name": self.product_bag.name, "qty": 1, "price": 34}]
        )
        wizard = (
            self.env["magento.operation.wizard"]
            .with_user(magento_user)
            .create({"operation": "import_orders", "order_refs": new_order["increment_id"]})
        )
        log = self.env["magento.process.log"].browse(wizard.action_execute()["res_id"])
        self.assertEqual((log.state, log.imported_count, log.user_id), ("done", 1, magento_user))
        # Running is not configuring.
        with self.assertRaises(AccessError):
            self.instance.with_user(magento_user).write({"name": "Renamed"})
        with self.assertRaises(AccessError):
            self.instance.with_user(magento_user).action_test_connection()

    def test_only_magento_users_run_operations(self):
        for user in (self.plain_user, self.invoicing_user):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.env["magento.operation.wizard"].with_user(user).create({"operation": "export_invoice"})
        with self.assertRaises(AccessError):
            self.instance.with_user(self.invoicing_user).action_test_connection()

    def test_a_magento_user_runs_only_their_companys_instances(self):
        other_company = self.setup_other_company()["company"]
        other_instance = self.env["magento.instance"].create(
            {"name": "Other", "url": "https://other.example.com", "company_id": other_company.id}
        )
        magento_user = self._user("magento_user_a", "magento_invoice_export.group_magento_user")
        wizard = (
            self.env["magento.operation.wizard"]
            .with_user(magento_user)
            .create({"operation": "export_invoice", "instance_ids": [Command.set(other_instance.ids)]})
        )
        with self.assertRaises(AccessError):
            wizard.action_execute()
        self.assertFalse(self.env["magento.process.log"].search([("instance_id", "=", other_instance.id)]))

    def test_magento_user_alone_opens_operations_and_logs(self):
        """Magento > Operations and a run's log, with no accounting right at all."""
        magento_user = self._user("magento_only", "magento_invoice_export.group_magento_user")
        sale_order, _order = self._magento_order()
        self._invoice(sale_order)
        log = self._bulk_export()
        with Form(self.env["magento.operation.wizard"].with_user(magento_user)) as wizard:
            self.assertEqual(wizard.export_invoice_count, 0, "exported just now")
            self.assertIn(self.instance, wizard.instance_ids)
        form = Form(log.with_user(magento_user))
        self.assertEqual(form.exported_count, 1)
        line = log.line_ids.with_user(magento_user)
        self.assertTrue(line.record_name.startswith("INV/"), "the invoice is named without reading it")

    def test_magento_manager_alone_runs_the_bulk_export(self):
        sale_order, order = self._magento_order()
        move = self._invoice(sale_order)
        with Form(self.env["magento.operation.wizard"].with_user(self.manager)) as wizard:
            wizard.operation = "export_invoice"
            self.assertEqual(wizard.export_invoice_count, 1)
        action = wizard.record.action_execute()
        log = self.env["magento.process.log"].browse(action["res_id"])
        self.assertEqual((log.exported_count, log.user_id), (1, self.manager))
        self.assertTrue(move.magento_invoice_id)
        self.assertEqual(len(self._invoice_posts(order)), 1)

    def test_nobody_writes_what_magento_holds_over_rpc(self):
        """Clearing an id would make the next export post a second Magento invoice."""
        sale_order, _order = self._magento_order()
        move = self._invoice(sale_order)
        move.action_magento_export_invoice()
        for vals in ({"magento_invoice_id": 0}, {"magento_export_sent_at": False}, {"magento_no_export": True}):
            with self.subTest(vals=vals), self.assertRaisesRegex(AccessError, "kept by the export"):
                move.with_user(self.invoicing_user).write(vals)
        self.assertTrue(move.magento_invoice_id)

    # ------------------------------------------------- forged ids (issue 22)
    def _new_invoice_vals(self, **magento):
        return {
            "move_type": "out_invoice",
            "partner_id": self.partner_a.id,
            "invoice_line_ids": [Command.create({"product_id": self.product_bag.id, "price_unit": 34})],
            **magento,
        }

    def test_nobody_creates_an_invoice_with_what_magento_holds(self):
        """Issue 22: an invoice created with magento_invoice_id 999999 showed "Exported as FAKE-1"."""
        Move = self.env["account.move"]
        for user in (self.invoicing_user, self.manager, self.administrator):
            for vals in (
                {"magento_invoice_id": 999999, "magento_invoice_ref": "FAKE-1"},
                {"magento_export_sent_at": "2026-01-01 00:00:00"},
                {"magento_export_attempts": 3},
                {"magento_exported_items": [[1, 2.0]]},
                {"magento_no_export": True, "magento_no_export_reason": "no"},
            ):
                forged = self.assertRaisesRegex(AccessError, "kept by the export")
                with self.subTest(user=user.login, vals=vals), forged:
                    Move.with_user(user).create(self._new_invoice_vals(**vals))
        # Nor through the context's defaults, which Odoo's own sudo'ed creations would apply.
        with self.assertRaisesRegex(AccessError, "kept by the export"):
            Move.with_user(self.invoicing_user).with_context(default_magento_invoice_id=999999).create(
                self._new_invoice_vals()
            )
        with self.assertRaisesRegex(AccessError, "kept by the export"):
            Move.sudo().with_context(default_magento_invoice_ref="FAKE-1").create(self._new_invoice_vals())
        # Nor from a CSV file.
        result = Move.with_user(self.invoicing_user).load(
            ["partner_id/.id", "move_type", "magento_invoice_id", "magento_invoice_ref"],
            [[str(self.partner_a.id), "out_invoice", "999999", "FAKE-1"]],
        )
        self.assertFalse(result["ids"])
        self.assertFalse(Move.search([("magento_invoice_ref", "=", "FAKE-1")]))
        # Blank values are no forgery (a file exported from Odoo carries them).
        move = Move.with_user(self.invoicing_user).create(
            self._new_invoice_vals(magento_invoice_id=0, magento_invoice_ref=False)
        )
        self.assertFalse(move.magento_invoice_id)

    def test_odoo_still_copies_and_reverses_an_exported_invoice(self):
        sale_order, _order = self._magento_order()
        move = self._invoice(sale_order)
        move.action_magento_export_invoice()
        copy = move.with_user(self.invoicing_user).copy()
        self.assertFalse(copy.magento_invoice_id or copy.magento_exported_items or copy.magento_export_sent_at)
        credit_note = move.with_user(self.invoicing_user).with_context(include_business_fields=True)._reverse_moves()
        self.assertFalse(credit_note.magento_invoice_id)
        reversal = (
            self.env["account.move.reversal"]
            .with_user(self.invoicing_user)
            .with_context(active_model="account.move", active_ids=move.ids)
            .create({"journal_id": move.journal_id.id, "reason": "wrong price"})
        )
        reversal.modify_moves()
        self.assertEqual(len(reversal.new_move_ids), 1)
        self.assertFalse(reversal.new_move_ids.magento_invoice_id)
        self.assertEqual((move.state, move.payment_state), ("posted", "reversed"))

    # ------------------------------------------- the order's link (issue 22)
    def _order_users(self):
        """A sales user, an invoicing user, a Magento manager and a Settings administrator, all in Sales."""
        sales = "sales_team.group_sale_salesman_all_leads"
        return [
            self._user("sales", sales),
            self._user("invoicing_sales", f"account.group_account_invoice,{sales}"),
            self._user("manager_sales", f"magento_invoice_export.group_magento_manager,{sales}"),
            self._user("admin_sales", f"base.group_system,magento_invoice_export.group_magento_manager,{sales}"),
        ]

    def test_nobody_moves_an_order_to_another_magento_order(self):
        """Issue 22: a moved order sent its next credit memo to another Magento order."""
        users = self._order_users()
        sales_user = users[0]
        sale_order, order = self._magento_order()
        other_method = self.pm_banktransfer
        for user in users:
            for vals in (
                {"magento_order_id": order["entity_id"] + 1},
                {"magento_order_id": 0},
                {"magento_order_ref": "000000999"},
                {"magento_instance_id": False},
                {"magento_payment_method_id": other_method.id},
                {"magento_base_to_order_rate": 2.0},
            ):
                with self.subTest(user=user.login, vals=vals), self.assertRaisesRegex(AccessError, "the import"):
                    sale_order.with_user(user).write(vals)
        self.assertEqual(sale_order.magento_order_id, order["entity_id"])
        # Nor the lines' bookkeeping: magento_qty_decimal turned the whole-units check off.
        line = sale_order.order_line.filtered("magento_item_id")[:1]
        for user in users:
            for vals in (
                {"magento_qty_decimal": "decimal"},
                {"magento_qty_invoiced": 2},
                {"magento_qty_canceled": 1},
                {"magento_item_id": 4242},
            ):
                with self.subTest(user=user.login, vals=vals), self.assertRaisesRegex(AccessError, "the import"):
                    line.with_user(user).write(vals)
                with self.subTest(user=user.login, vals=vals, via="order"), self.assertRaises(AccessError):
                    sale_order.with_user(user).write({"order_line": [Command.update(line.id, vals)]})
        self.assertFalse(line.magento_qty_invoiced)
        # What is not the link stays the salesperson's.
        sale_order.with_user(sales_user).write({"client_order_ref": "PO-7", "note": "Leave at the door"})
        line.with_user(sales_user).write({"name": "Joust Duffle Bag, blue"})

    def test_nobody_creates_an_order_linked_to_magento(self):
        sales_user = self._user("sales_new", "sales_team.group_sale_salesman_all_leads")
        SaleOrder = self.env["sale.order"].with_user(sales_user)
        base = {"partner_id": self.partner_a.id}
        for vals in (
            {"magento_instance_id": self.instance.id, "magento_order_id": 4242},
            {"magento_order_ref": "000004242"},
            {"magento_payment_method_id": self.pm_checkmo.id},
            {"magento_base_to_order_rate": 0.5},
            {"order_line": [Command.create({"product_id": self.product_bag.id, "magento_item_id": 77})]},
            {"order_line": [Command.create({"product_id": self.product_bag.id, "magento_qty_decimal": "decimal"})]},
        ):
            with self.subTest(vals=vals), self.assertRaisesRegex(AccessError, "the import"):
                SaleOrder.create({**base, **vals})
        with self.assertRaisesRegex(AccessError, "the import"):
            SaleOrder.with_context(default_magento_order_id=4242).create(base)
        result = SaleOrder.load(
            ["partner_id/.id", "magento_order_id", "magento_order_ref"], [[str(self.partner_a.id), "4242", "X"]]
        )
        self.assertFalse(result["ids"])
        self.assertTrue(result["messages"])
        self.assertFalse(self.env["sale.order"].search([("magento_order_id", "=", 4242)]))
        # A sales order not from Magento is made and changed as ever.
        with Form(SaleOrder) as form:
            form.partner_id = self.partner_a
            with form.order_line.new() as line:
                line.product_id = self.product_bag
                line.product_uom_qty = 2
        plain = form.record
        plain.action_confirm()
        with Form(plain) as form, form.order_line.edit(0) as line:
            line.product_uom_qty = 3
        self.assertEqual((plain.magento_order_id, plain.order_line.product_uom_qty), (0, 3))
        # The import sets the link (it runs as superuser): see TestImportOrders.
