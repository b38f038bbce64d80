from lxml import etree

from odoo import fields
from odoo.osv import expression
from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from ..models.magento_instance_dashboard import DASHBOARD_COUNTS, DOCUMENT_KINDS
from .common import MagentoTestCommon


@tagged("post_install", "-at_install")
class TestDashboard(MagentoTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pm_checkmo.create_creditmemo_on = "validate"

    def _documents(self):
        """Invoices and credit notes in each state the dashboard counts."""
        docs = {}
        docs["to_export"] = self._invoice(self._magento_order()[0])
        docs["waiting"] = self._invoice(self._magento_order(payment_method=self.pm_banktransfer)[0])
        docs["action"] = self._invoice(self._magento_order()[0])
        docs["action"]._magento_write(
            {"magento_export_attempts": 1, "magento_failure_kind": "action", "magento_last_error": "Refused"}
        )
        docs["retry"] = self._invoice(self._magento_order()[0])
        docs["retry"]._magento_write(
            {"magento_export_attempts": 1, "magento_failure_kind": "retry", "magento_last_error": "Timed out"}
        )
        docs["exported"] = self._invoice(self._magento_order()[0])
        docs["exported"].action_magento_export_invoice()
        docs["refund"] = docs["exported"].with_context(include_business_fields=True)._reverse_moves(cancel=True)
        docs["refund"].action_magento_export_invoice()
        docs["refund_to_export"] = self._invoice(self._magento_order()[0])
        docs["refund_to_export"].action_magento_export_invoice()
        docs["refund_to_export"] = (
            docs["refund_to_export"].with_context(include_business_fields=True)._reverse_moves(cancel=True)
        )
        self.env.invalidate_all()
        return docs

    def _worklist_filters(self):
        arch = self.env.ref("magento_invoice_export.view_magento_invoice_search").arch
        return {node.get("name"): node.get("domain") for node in etree.fromstring(arch).iter("filter")}

    def _worklist_count(self, instance, count, move_type):
        """What the worklist shows when the count's button opens it."""
        action = instance.with_context(
            magento_dashboard_count=count, magento_dashboard_move_type=move_type
        ).action_dashboard_open()
        filters = self._worklist_filters()
        names = [key.removeprefix("search_default_") for key in action["context"] if key.startswith("search_default_")]
        self.assertTrue(names)
        # Filters of one group are ORed, as the search view does.
        ored = expression.OR([safe_eval(filters[name]) for name in names])
        return self.env["account.move"].search_count(action["domain"] + ored)

    def test_counts_match_the_worklist_filters(self):
        docs = self._documents()
        self.assertEqual(docs["exported"].magento_export_state, "exported")
        self.assertEqual(docs["refund"].magento_export_state, "exported")
        instance = self.instance
        instance.invalidate_recordset()
        expected = {
            "invoice": {"to_export": 2, "waiting": 1, "action": 1, "exported_today": 2},
            "refund": {"to_export": 1, "waiting": 0, "action": 0, "exported_today": 1},
        }
        for kind, move_type in DOCUMENT_KINDS.items():
            for count in DASHBOARD_COUNTS:
                with self.subTest(kind=kind, count=count):
                    value = instance[f"dashboard_{kind}_{count}"]
                    self.assertEqual(value, expected[kind][count])
                    self.assertEqual(value, self._worklist_count(instance, count, move_type))

    def test_each_document_counts_once_in_the_row_of_its_badge(self):
        docs = self._documents()
        # A lost answer after a passing fault: its badge says Waiting for Magento.
        lost = self._invoice(self._magento_order()[0])
        lost._magento_write(
            {
                "magento_export_attempts": 1,
                "magento_failure_kind": "retry",
                "magento_export_sent_at": fields.Datetime.now(),
            }
        )
        in_magento = self._invoice(self._magento_order()[0])
        in_magento._magento_write({"magento_invoiced_in_magento": True})
        self.env.invalidate_all()
        rows = {
            "to_export": ("to_export", "will_retry"),
            "waiting": ("waiting", "waiting_payment", "waiting_magento"),
            "action": ("needs_action", "skipped", "not_exportable", "exported_check"),
        }
        self.assertEqual(lost.magento_status, "waiting_magento")
        self.assertEqual(in_magento.magento_status, "not_exportable")
        invoices = self.env["account.move"].search(
            [("magento_instance_id", "=", self.instance.id), ("move_type", "=", "out_invoice")]
        )
        for row, statuses in rows.items():
            with self.subTest(row=row):
                self.assertEqual(
                    self._worklist_count(self.instance, row, "out_invoice"),
                    len(invoices.filtered(lambda move, statuses=statuses: move.magento_status in statuses)),
                )
        self.assertEqual(self._worklist_count(self.instance, "waiting", "out_invoice"), 2)
        self.assertEqual(self._worklist_count(self.instance, "to_export", "out_invoice"), 2)
        self.assertEqual(self._worklist_count(self.instance, "action", "out_invoice"), 2)
        self.assertEqual(docs["action"].magento_status, "needs_action")

    def test_counts_are_read_grouped(self):
        self._documents()
        instances = self.instance | self.instance.copy({"name": "Second Shop"})
        # As many queries for one instance as for two: counted per count, not per instance.
        instances.mapped("dashboard_invoice_to_export")  # warms the caches of rules and access
        queries = []
        for records in (instances[0], instances):
            records.invalidate_recordset()
            before = self.cr.sql_log_count
            records.mapped("dashboard_invoice_to_export")
            queries.append(self.cr.sql_log_count - before)
        self.assertEqual(queries[0], queries[1])
        self.assertLessEqual(queries[0], len(DASHBOARD_COUNTS) + 4)
        self.assertEqual(instances[1].dashboard_invoice_to_export, 0)

    def test_magento_user_opens_the_dashboard(self):
        self._documents()
        user = self._user("dashboard_user", "magento_invoice_export.group_magento_user")
        self.assertFalse(user.has_group("account.group_account_invoice"))
        action = (
            self.env["ir.actions.act_window"]
            .with_user(user)
            ._for_xml_id("magento_invoice_export.action_magento_dashboard")
        )
        views = self.env["magento.instance"].with_user(user).get_views(action["views"])
        arch = views["views"]["kanban"]["arch"]
        self.assertNotIn("action_dashboard_open", arch, "no list the user may not open is offered")
        self.assertIn("action_dashboard_operation", arch)
        fields = [name for name in self.instance._fields if name.startswith("dashboard_")]
        records = (
            self.env["magento.instance"]
            .with_user(user)
            .web_search_read([], {name: {} for name in ["name", "url", *fields]})["records"]
        )
        self.assertEqual(records[0]["dashboard_invoice_to_export"], 2)
        self.assertEqual(records[0]["dashboard_invoice_exported_today"], 2)
        wizard_action = (
            self.instance.with_user(user)
            .with_context(magento_dashboard_operation="export_creditmemo")
            .action_dashboard_operation()
        )
        self.assertEqual(wizard_action["context"]["default_instance_ids"], self.instance.ids)
        wizard = (
            self.env["magento.operation.wizard"].with_user(user).with_context(**wizard_action["context"]).create({})
        )
        self.assertEqual(wizard.operation, "export_creditmemo")
        self.assertEqual(wizard.instance_ids, self.instance)

    def test_root_menu_opens_the_dashboard(self):
        menu = self.env.ref("magento_invoice_export.menu_magento_root")
        self.assertEqual(menu.action, self.env.ref("magento_invoice_export.action_magento_dashboard"))

    def test_open_in_magento(self):
        docs = self._documents()
        base = self.instance.url.rstrip("/")
        invoice, refund = docs["exported"], docs["refund"]
        self.assertEqual(
            invoice.magento_admin_url, f"{base}/admin/sales/invoice/view/invoice_id/{invoice.magento_invoice_id}/"
        )
        self.assertEqual(
            refund.magento_admin_url,
            f"{base}/admin/sales/creditmemo/view/creditmemo_id/{refund.magento_invoice_id}/",
        )
        self.assertFalse(docs["to_export"].magento_admin_url)
        arch = invoice.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertRegex(arch, r'name="magento_admin_url"[^>]*widget="url"')

    def test_sales_orders_searched_by_magento_number(self):
        sale_order, magento_order = self._magento_order()
        self._magento_order()
        arch = self.env["sale.order"].get_views([(False, "search")])["views"]["search"]["arch"]
        self.assertIn('name="magento_order_ref"', arch)
        found = self.env["sale.order"].search([("magento_order_ref", "ilike", magento_order["increment_id"])])
        self.assertEqual(found, sale_order)
        for xmlid in ("sale.view_quotation_tree", "sale.view_order_tree"):
            view = self.env.ref(xmlid)
            list_arch = self.env["sale.order"].get_views([(view.id, "list")])["views"]["list"]["arch"]
            self.assertRegex(list_arch, r'name="magento_order_ref"[^>]*optional="show"')
