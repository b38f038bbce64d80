from odoo import api, fields, models
from odoo.exceptions import AccessError

from .sale_order import magento_fields_set

# What Magento's order item holds, read by the import; the export keeps
# magento_qty_decimal once it asked Magento (as superuser). No one edits them:
# "Decimal Quantities" would turn the whole-units check off.
MAGENTO_LINE_BOOKKEEPING = frozenset(
    {"magento_item_id", "magento_qty_decimal", "magento_qty_invoiced", "magento_qty_canceled"}
)


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    magento_item_id = fields.Integer(
        string="Magento Order Item ID",
        copy=False,
        readonly=True,
        help="The Magento order item invoiced through this line (for a configurable product, the parent item).",
    )
    magento_qty_decimal = fields.Selection(
        [("whole", "Whole Units Only"), ("decimal", "Decimal Quantities")],
        string="Magento Quantities",
        copy=False,
        readonly=True,
        help="Whether Magento accepts a fractional quantity of this item (its is_qty_decimal): it "
        "silently truncates 1.5 to 1 otherwise. Read by the import, or asked of Magento before "
        "an invoice with a fractional quantity is sent.",
    )
    magento_qty_invoiced = fields.Float(
        string="Invoiced in Magento Itself",
        digits="Product Unit of Measure",
        copy=False,
        readonly=True,
        help="What Magento had invoiced of this item when the order was imported (e.g. by its payment "
        "gateway at checkout): no Odoo invoice can export it again.",
    )
    magento_qty_canceled = fields.Float(
        string="Canceled in Magento", digits="Product Unit of Measure", copy=False, readonly=True
    )

    @api.model_create_multi
    def create(self, vals_list):
        self._magento_refuse_bookkeeping(vals_list, creating=True)
        return super().create(vals_list)

    def write(self, vals):
        self._magento_refuse_bookkeeping([vals], creating=False)
        return super().write(vals)

    def _magento_refuse_bookkeeping(self, vals_list, creating):
        found = magento_fields_set(self, vals_list, MAGENTO_LINE_BOOKKEEPING, creating)
        if found:
            raise AccessError(
                self.env._(
                    "What a sales order line holds of its Magento order item (%(fields)s) is set by the import "
                    "alone: it is what Magento holds.",
                    fields=found,
                )
            )
