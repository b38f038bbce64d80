"""Issue 23, items 7, 10 and 11: setting a shop up as a new user finds it, in
the user's words: payment methods, the first steps, Test Connection's texts,
the admin's path."""

import ast

from lxml import etree

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from .common import MagentoTestCommon


@tagged("post_install", "-at_install")
class TestShopSetup(MagentoTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = cls._user("setup_manager", "magento_invoice_export.group_magento_manager")
        cls.magento_user = cls._user("setup_user", "magento_invoice_export.group_magento_user")

    def _test_connection_failure(self):
        with self.assertRaises(UserError) as error:
            self.instance.action_test_connection()
        return str(error.exception)

    # ------------------------------------------------------------------
    # Test Connection (item 11)
    # ------------------------------------------------------------------
    def test_a_wrong_secret_says_the_keys_do_not_match_the_integration(self):
        self.instance.consumer_secret = "0" * 32
        message = self._test_connection_failure()
        self.assertIn("Magento refused the credentials: The signature is invalid. Verify and try again.", message)
        self.assertIn("The keys of Luma Shop do not match the integration's in Magento.", message)
        self.assertIn(
            "System > Extensions > Integrations, edit the integration (it must be active) and copy its four keys "
            "again, whole, from Integration Info > Integration Details",
            message,
        )
        self.assertNotIn("allowed these resources", message, "no resource is refused: the keys are")

    def test_an_export_with_a_wrong_secret_says_what_test_connection_says(self):
        sale_order, _order = self._magento_order()
        move = self._invoice(sale_order)
        self.instance.consumer_secret = "0" * 32
        self.env["magento.invoice.exporter"]._export_invoices(self.instance, moves=move)
        log = self.env["magento.process.log"].search([("instance_id", "=", self.instance.id)], order="id desc", limit=1)
        said = "\n".join([log.summary or "", *log.line_ids.mapped("message"), move.magento_last_error or ""])
        self.assertIn("The keys of Luma Shop do not match the integration's in Magento.", said)
        self.assertIn("Integration Info > Integration Details", said)
        self.assertFalse(move.magento_invoice_id)

    def test_an_unknown_token_ends_magentos_sentence_before_the_advice(self):
        self.instance.access_token = "0" * 32
        message = self._test_connection_failure()
        self.assertIn(
            "Magento refused the credentials: Specified token does not exist. The keys of Luma Shop do not match",
            message,
        )

    def test_https_against_a_shop_on_http_says_the_scheme_not_tls_verification(self):
        self.instance.url = self.magento.url.replace("http://", "https://")
        message = self._test_connection_failure()
        self.assertIn("the shop answers on http://, not https://. Correct the shop base URL to http://", message)
        self.assertNotIn("turn off TLS verification", message)

    # ------------------------------------------------------------------
    # Open in Magento: the admin's path
    # ------------------------------------------------------------------
    def test_the_admin_path_makes_the_links_to_magentos_admin(self):
        base = self.instance.url.rstrip("/")
        self.assertEqual(self.instance.admin_path, "admin", "Magento's default frontName")
        self.assertEqual(
            self.instance._magento_admin_url("invoice", 41), f"{base}/admin/sales/invoice/view/invoice_id/41/"
        )
        self.instance.admin_path = "backoffice_7x2"
        self.assertEqual(
            self.instance._magento_admin_url("creditmemo", 9),
            f"{base}/backoffice_7x2/sales/creditmemo/view/creditmemo_id/9/",
        )
        self.assertFalse(self.instance._magento_admin_url("invoice", 0))
        for path in ("admin/sales", "https://shop.example.com/admin", "back office"):
            with self.subTest(path=path), self.assertRaises(ValidationError) as error:
                self.instance.admin_path = path
            self.assertIn("letters, digits and underscores only", str(error.exception))
        arch = self.instance.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="admin_path"', arch)

    # ------------------------------------------------------------------
    # Payment methods (item 7)
    # ------------------------------------------------------------------
    def test_never_is_said_and_chosen_as_a_value(self):
        self.assertEqual(self.pm_cashondelivery.create_invoice_on, False, "stored blank, as before")
        self.assertEqual(self.pm_cashondelivery.invoice_trigger, "never")
        self.assertEqual(self.pm_cashondelivery.creditmemo_trigger, "never")
        labels = dict(self.env["magento.payment.method"]._fields["invoice_trigger"]._description_selection(self.env))
        self.assertEqual(labels["never"], "Never")
        with Form(self.pm_cashondelivery) as form:
            form.invoice_trigger = "validate"
            form.creditmemo_trigger = "refunded"
        self.assertEqual(
            (self.pm_cashondelivery.create_invoice_on, self.pm_cashondelivery.create_creditmemo_on),
            ("validate", "refunded"),
        )
        with Form(self.pm_checkmo) as form:
            form.invoice_trigger = "never"
        self.assertFalse(self.pm_checkmo.create_invoice_on, "Never is what the export reads as never")
        never = self.env["magento.payment.method"].search(
            [("instance_id", "=", self.instance.id), ("invoice_trigger", "=", "never")]
        )
        self.assertEqual(never, self.pm_checkmo)

    def test_the_list_opens_the_form_and_shows_every_setting(self):
        views = self.env["magento.payment.method"].get_views([(False, "list")])
        arch = etree.fromstring(views["views"]["list"]["arch"])
        self.assertFalse(arch.get("editable"), "an inline list never reaches the form's warning and chatter")
        columns = {field.get("name"): field for field in arch.iter("field")}
        for name in ("invoice_trigger", "creditmemo_trigger", "refund_online"):
            self.assertIn(name, columns)
            self.assertNotEqual(columns[name].get("optional"), "hide", f"{name} is shown")
        self.assertNotIn("create_invoice_on", columns, "its blank cell said nothing")

    # ------------------------------------------------------------------
    # First steps (item 10)
    # ------------------------------------------------------------------
    def test_scheduled_actions_are_in_the_apps_configuration(self):
        menu = self.env.ref("magento_invoice_export.menu_magento_crons")
        self.assertEqual(menu.parent_id, self.env.ref("magento_invoice_export.menu_magento_configuration"))
        action = menu.action.sudo()
        crons = (
            self.env["ir.cron"]
            .with_user(self.manager)
            .with_context(active_test=False)
            .search(ast.literal_eval(action.domain))
        )
        self.assertLessEqual(
            {"Magento: Export Invoices and Credit Memos", "Magento: Run Queued Exports", "Magento: Import Orders"},
            set(crons.mapped("name")),
            "the app's own, switched off ones too",
        )
        self.assertTrue(all(cron.model_name.startswith("magento.") for cron in crons))
        self.assertEqual(crons.with_user(self.manager).read(["interval_type"])[0]["interval_type"], "hours")
        others = self.env["ir.cron"].with_user(self.manager).with_context(active_test=False).search_count([])
        self.assertEqual(others, len(crons), "a Magento manager reads the app's scheduled actions only")
        with self.assertRaises(AccessError):
            crons[:1].with_user(self.manager).write({"interval_number": 5})
        # The form the menu opens reads nothing a Magento manager may not (base's reads models).
        form = action.view_ids.filtered(lambda view: view.view_mode == "form").view_id
        arch = etree.fromstring(crons.with_user(self.manager).get_views([(form.id, "form")])["views"]["form"]["arch"])
        self.assertEqual(arch.get("edit"), "False", "read only for a Magento manager")
        names = {field.get("name") for field in arch.iter("field")}
        self.assertTrue(crons.with_user(self.manager).web_read({name: {} for name in names}))
        admin_crons = self.env["ir.cron"].with_user(self.env.user).search([])
        self.assertGreater(len(admin_crons), len(crons), "a Settings administrator still sees every one")
        visible = self.env["ir.ui.menu"].with_user(self.magento_user)._visible_menu_ids()
        self.assertNotIn(menu.id, visible, "a Magento user does not configure")
        self.assertIn(menu.id, self.env["ir.ui.menu"].with_user(self.manager)._visible_menu_ids())

    def _invoicing_wizard(self, orders):
        """Sales > Orders > select > Create Invoices."""
        context = {"active_model": "sale.order", "active_ids": orders.ids}
        return Form(self.env["sale.advance.payment.inv"].with_context(**context))

    def test_create_invoices_does_not_offer_consolidation_for_magento_orders(self):
        orders = self._magento_order()[0] | self._magento_order()[0]
        wizard = Form(
            self.env["sale.advance.payment.inv"].with_context(active_model="sale.order", active_ids=orders.ids)
        )
        self.assertFalse(wizard.consolidated_billing, "each Magento order gets its own invoice")
        moves = wizard.save().create_invoices()
        self.assertEqual(len(orders.invoice_ids), 2, moves)
        other = self.env["sale.order"].create(
            {"partner_id": self.partner_a.id, "order_line": [(0, 0, {"product_id": self.product_bag.id})]}
        )
        other.action_confirm()
        wizard = Form(
            self.env["sale.advance.payment.inv"].with_context(
                active_model="sale.order", active_ids=(other | orders).ids
            )
        )
        self.assertTrue(wizard.consolidated_billing, "Odoo's default for other orders")
