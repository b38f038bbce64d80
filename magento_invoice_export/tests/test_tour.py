from odoo import fields
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

    def test_worklist_filters_and_advice(self):
        refused_order, _order = self._magento_order()
        refused = self._invoice(refused_order)
        body = {
            "message": "Invoice Document Validation Error(s):\n"
            "An invoice cannot be created when an order has a status of holded"
        }
        self.magento.inject("error", status=400, method="POST", body=body)
        self.env["magento.invoice.exporter"]._export_invoices(self.instance, moves=refused)
        waiting_order, _order = self._magento_order()
        waiting = self._invoice(waiting_order)
        waiting._magento_write({"magento_export_sent_at": fields.Datetime.now()})
        self.start_tour(
            "/odoo/action-magento_invoice_export.action_magento_invoices",
            "magento_invoice_export_worklist_tour",
            login=self.env.user.login,
        )
