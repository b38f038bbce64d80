from odoo import fields, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    magento_item_id = fields.Integer(
        string="Magento Order Item ID",
        copy=False,
        help="The Magento order item invoiced through this line (for a configurable product, the parent item).",
    )
