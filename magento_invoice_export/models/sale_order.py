import logging

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError

_logger = logging.getLogger(__name__)

# What ties a sales order to its Magento order: where its invoices and credit
# memos go (shop, order), how they are named, when they are exported (the
# payment method) and the base amounts a credit memo sends (the rate). Magento's
# facts, read by the import: no one edits them.
MAGENTO_ORDER_LINK = frozenset(
    {
        "magento_instance_id",
        "magento_order_id",
        "magento_order_ref",
        "magento_payment_method_id",
        "magento_base_to_order_rate",
    }
)


def magento_fields_set(model, vals_list, guarded, creating):
    """The labels of the ``guarded`` fields that ``vals_list`` sets, where only
    the import (or the export's bookkeeping) may: code running as superuser,
    which no RPC call, CSV import or screen can be.

    On creation, blank values and the fields' own defaults set nothing, and the
    context's ``default_`` keys count even for superuser code: Odoo's own
    sudo'ed creations apply them from a context the caller sends.
    """
    checked = [] if model.env.su else list(vals_list)
    if creating:
        checked.append({key[8:]: value for key, value in model.env.context.items() if key.startswith("default_")})
    found = set()
    for vals in checked:
        for name in guarded & set(vals):
            field = model._fields[name]
            value = vals[name]
            if not creating or (value and not (field.default and value == field.default(model))):
                found.add(field._description_string(model.env))
    return ", ".join(sorted(found))


class SaleOrder(models.Model):
    _inherit = "sale.order"

    magento_instance_id = fields.Many2one(
        "magento.instance", index="btree_not_null", copy=False, readonly=True, check_company=True, ondelete="restrict"
    )
    magento_order_id = fields.Integer(
        string="Magento Order ID", copy=False, readonly=True, help="The order's entity_id in Magento."
    )
    magento_order_ref = fields.Char(
        string="Magento Order Number", copy=False, readonly=True, help="The order's increment_id in Magento."
    )
    magento_payment_method_id = fields.Many2one("magento.payment.method", copy=False, readonly=True, check_company=True)
    magento_shop_key = fields.Char(related="magento_instance_id.shop_key", store=True)
    magento_base_to_order_rate = fields.Float(
        string="Magento Base to Order Rate",
        digits=(12, 6),
        default=1.0,
        copy=False,
        readonly=True,
        help="Magento's base_to_order_rate: order amounts are base amounts times this rate. Credit memos send "
        "Magento their refunded shipping and adjustments in the base currency.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        self._magento_refuse_link(vals_list, creating=True)
        return super().create(vals_list)

    def write(self, vals):
        # A moved order would send its next invoice or credit memo to another Magento order.
        self._magento_refuse_link([vals], creating=False)
        return super().write(vals)

    def _magento_refuse_link(self, vals_list, creating):
        found = magento_fields_set(self, vals_list, MAGENTO_ORDER_LINK, creating)
        if found:
            raise AccessError(
                self.env._(
                    "The Magento link of a sales order (%(fields)s) is set by the import alone: changed, its "
                    "invoices and credit memos would go to another Magento order. Import the order from Magento "
                    "instead.",
                    fields=found,
                )
            )

    def _create_invoices(self, grouped=False, final=False, date=None):
        # Magento invoices one order at a time: several Magento orders invoiced
        # together give one invoice each, never one that cannot be exported.
        magento = self.filtered("magento_order_id")
        if grouped or len(magento) < 2:
            return super()._create_invoices(grouped=grouped, final=final, date=date)
        moves = super(SaleOrder, magento)._create_invoices(grouped=True, final=final, date=date)
        if self - magento:
            moves |= super(SaleOrder, self - magento)._create_invoices(grouped=grouped, final=final, date=date)
        return moves

    def _prepare_confirmation_values(self):
        # An imported order keeps the date its customer placed it in Magento.
        values = super()._prepare_confirmation_values()
        if self and all(self.mapped("magento_order_id")):
            values.pop("date_order", None)
        return values

    def init(self):
        # One Magento order (one shop, one entity_id) is one sales order,
        # whichever instance of that shop brought it; 0 is "no order".
        # The index holds under concurrent imports; the constraint below words it.
        # The first release's constraint (per instance, 0 included) goes.
        self.env.cr.execute("ALTER TABLE sale_order DROP CONSTRAINT IF EXISTS sale_order_magento_order_uniq")
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    "CREATE UNIQUE INDEX IF NOT EXISTS sale_order_magento_shop_order_uniq "
                    "ON sale_order (magento_shop_key, magento_order_id) WHERE magento_order_id != 0"
                )
        except psycopg2.errors.UniqueViolation:
            # A database of the first release may hold one Magento order twice
            # (two instances of one shop): the constraint still guards new ones.
            _logger.warning(
                "Some Magento orders are linked to two sales orders of one shop: merge them, then update the "
                "module to add the unique index sale_order_magento_shop_order_uniq."
            )

    @api.constrains("magento_instance_id", "magento_order_id")
    def _check_magento_order_unique(self):
        # Read through the instances, before the shop key is stored: the index
        # would refuse the write with a database error instead of these words.
        self.flush_model(["magento_instance_id", "magento_order_id"])
        self.env["magento.instance"].flush_model(["shop_key"])
        orders = self.filtered("magento_order_id")
        if not orders:
            return
        # One query for all of them (an import checks a page of orders at once).
        self.env.cr.execute(
            "SELECT mine.id, other.name FROM sale_order mine "
            "JOIN magento_instance mi ON mi.id = mine.magento_instance_id "
            "JOIN magento_instance oi ON oi.shop_key = mi.shop_key "
            "JOIN sale_order other ON other.magento_instance_id = oi.id "
            "AND other.magento_order_id = mine.magento_order_id AND other.id != mine.id "
            "WHERE mine.id = ANY(%s) LIMIT 1",
            [orders.ids],
        )
        clash = self.env.cr.fetchone()
        if clash:
            order = orders.browse(clash[0])
            raise ValidationError(
                self.env._(
                    "Magento order %(ref)s (id %(id)s) of this shop is already the sales order %(other)s.",
                    ref=order.magento_order_ref or order.magento_order_id,
                    id=order.magento_order_id,
                    other=clash[1],
                )
            )


# Here rather than in a wizards/ file of its own, so that no __init__.py changes:
# the Create Invoices wizard of sales orders (sale.advance.payment.inv).
class SaleAdvancePaymentInv(models.TransientModel):
    _inherit = "sale.advance.payment.inv"

    @api.model
    def default_get(self, fields_list):
        # Magento orders are invoiced one invoice per order whatever the box
        # says (SaleOrder._create_invoices): it starts unticked for them.
        values = super().default_get(fields_list)
        if "consolidated_billing" in fields_list and self.env.context.get("active_model") == "sale.order":
            orders = self.env["sale.order"].browse(self.env.context.get("active_ids") or [])
            if orders and all(orders.mapped("magento_order_id")):
                values["consolidated_billing"] = False
        return values
