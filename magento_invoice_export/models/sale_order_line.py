from odoo import fields, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    magento_item_id = fields.Integer(
        string="Magento Order Item ID",
        copy=False,
        help="The Magento order item invoiced through this line (for a configurable product, the parent item).",
    )
    magento_qty_decimal = fields.Selection(
        [("whole", "Whole Units Only"), ("decimal", "Decimal Quantities")],
        string="Magento Quantities",
        copy=False,
        help="Whether Magento accepts a fractional quantity of this item (its is_qty_decimal): it "
        "silently truncates 1.5 to 1 otherwise. Read by the import, or asked of Magento before "
        "an invoice with a fractional quantity is sent.",
    )
    magento_qty_invoiced = fields.Float(
        string="Invoiced in Magento Itself",
        digits="Product Unit of Measure",
        copy=False,
        help="What Magento had invoiced of this item when the order was imported (e.g. by its payment "
        "gateway at checkout): no Odoo invoice can export it again.",
    )
    magento_qty_canceled = fields.Float(string="Canceled in Magento", digits="Product Unit of Measure", copy=False)
