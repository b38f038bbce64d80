from odoo import fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    magento_instance_id = fields.Many2one("magento.instance", index="btree_not_null", copy=False, check_company=True)
    magento_order_id = fields.Integer(string="Magento Order ID", copy=False, help="The order's entity_id in Magento.")
    magento_order_ref = fields.Char(
        string="Magento Order Number", copy=False, help="The order's increment_id in Magento."
    )
    magento_payment_method_id = fields.Many2one("magento.payment.method", copy=False, check_company=True)

    _sql_constraints = [
        (
            "magento_order_uniq",
            "UNIQUE(magento_instance_id, magento_order_id)",
            "This Magento order is already linked to another sales order.",
        ),
    ]
