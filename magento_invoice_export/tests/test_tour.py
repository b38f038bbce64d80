from odoo.tests import HttpCase, tagged

from .common import MagentoTestCommon


@tagged("post_install", "-at_install")
class TestMagentoTour(MagentoTestCommon, HttpCase):
    def test_export_from_the_invoice_then_bulk(self):
        sale_order, order = self._magento_order()
        move = self._invoice(sale_order)
        other_order, _other = self._magento_order()
        other = self._invoice(other_order)
        self.start_tour(
            f"/odoo/action-account.action_move_out_invoice_type/{move.id}",
            "magento_invoice_export_tour",
            login=self.env.user.login,
        )
        self.assertTrue(move.magento_invoice_id)
        self.assertEqual(len(self._invoice_posts(order)), 1)
        self.assertTrue(other.magento_invoice_id)

    def test_dashboard_refusal_wait_and_bulk_action(self):
        exporter = self.env["magento.invoice.exporter"]
        refused_order, refused_magento = self._magento_order()
        refused = self._invoice(refused_order)
        body = {
            "message": "Invoice Document Validation Error(s):\n"
            "An invoice cannot be created when an order has a status of holded"
        }
        self.magento.inject("error", status=400, method="POST", body=body)
        exporter._export_invoices(self.instance, moves=refused)
        waiting_order, _order = self._magento_order()
        waiting = self._invoice(waiting_order)
        # The connection breaks once the request left: Magento may be creating it.
        self.magento.inject("drop", method="POST")
        exporter._export_invoices(self.instance, moves=waiting)
        self.assertEqual((refused.magento_status, waiting.magento_status), ("needs_action", "waiting_magento"))
        self.start_tour(
            "/odoo/action-magento_invoice_export.action_magento_dashboard",
            "magento_invoice_export_worklist_tour",
            login=self.env.user.login,
        )
        self.assertTrue(refused.magento_no_export)
        self.assertEqual(refused.magento_status, "not_to_export")
        self.assertEqual(waiting.magento_status, "waiting_magento")
        # Its one refused request, none since: marked by hand, it never leaves.
        self.assertEqual(len(self._invoice_posts(refused_magento)), 1)
