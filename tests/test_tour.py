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
