from markupsafe import Markup

from odoo import fields, models
from odoo.exceptions import UserError

from ..magento_client import MagentoError


class MagentoInvoiceLinkWizard(models.TransientModel):
    """A Magento manager's decision for one invoice: never export it, or link it
    to a Magento invoice that already stands for it."""

    _name = "magento.invoice.link.wizard"
    _description = "Magento Invoice by Hand"

    move_id = fields.Many2one("account.move", required=True, readonly=True, ondelete="cascade")
    decision = fields.Selection(
        [("no_export", "Never export it"), ("link", "Link it to a Magento invoice")],
        required=True,
        default="no_export",
    )
    reason = fields.Char(help="Kept in the invoice's chatter.")
    magento_invoice_id = fields.Integer(
        string="Magento Invoice ID", help="The invoice's entity id in Magento (in its admin URL), not its number."
    )

    def action_confirm(self):
        self.ensure_one()
        move = self.move_id
        move._magento_check_manager()
        # The same lock as the export's: never decided while a run is sending it.
        exporter = self.env["magento.invoice.exporter"]
        if not exporter._lock(move):
            raise UserError(self.env._("%(name)s is being exported right now: try again in a moment.", name=move.name))
        try:
            move.invalidate_recordset()
            result = self._decide(move)
        finally:
            exporter._unlock(move.ids)
        # Decided by a person: the responsible's activity closes now, not at the
        # next run (a bulk decision syncs its whole selection once instead).
        if not self.env.context.get("magento_bulk_decision"):
            exporter._sync_activities_safely(move)
        return result

    def _decide(self, move):
        # The model's rule, not only the form's: invoices of a Magento order only.
        if move.move_type != "out_invoice" or not move.magento_instance_id:
            raise UserError(
                self.env._("%(name)s is not an invoice of a Magento order: nothing to decide.", name=move.name)
            )
        if move.magento_invoice_id:
            raise UserError(
                self.env._("%(name)s is already Magento invoice %(ref)s.", name=move.name, ref=move.magento_invoice_ref)
            )
        if self.decision == "no_export":
            if not (self.reason or "").strip():
                raise UserError(self.env._("Say why this invoice is never to go to Magento."))
            move._magento_write({"magento_no_export": True, "magento_no_export_reason": self.reason.strip()})
            move._message_log(
                body=Markup("%s")
                % self.env._("Marked Not to Export to Magento: %(reason)s", reason=self.reason.strip())
            )
            return True
        return self._link(move)

    def _link(self, move):
        if self.magento_invoice_id <= 0:
            raise UserError(self.env._("Enter the Magento invoice's id (a number, as in its admin URL)."))
        other = (
            self.env["account.move"]
            .sudo()
            .search(
                [
                    # Any instance of the same shop: one Magento invoice, one Odoo invoice.
                    ("magento_instance_id.shop_key", "=", move.magento_instance_id.shop_key),
                    ("magento_invoice_id", "=", self.magento_invoice_id),
                ],
                limit=1,
            )
        )
        if other:
            raise UserError(
                self.env._(
                    "Magento invoice %(id)s already stands for %(other)s.", id=self.magento_invoice_id, other=other.name
                )
            )
        instance = move.magento_instance_id
        try:
            invoice = instance._get_client().get_invoice(self.magento_invoice_id)
        except MagentoError as error:
            raise UserError(instance._explain_error(error)) from None
        order_id = move.magento_sale_order_id.magento_order_id
        if int(invoice.get("order_id") or 0) != order_id:
            raise UserError(
                self.env._(
                    "Magento invoice %(id)s belongs to another Magento order (id %(other)s), not to %(ref)s "
                    "(id %(mine)s).",
                    id=self.magento_invoice_id,
                    other=invoice.get("order_id"),
                    ref=move.magento_sale_order_id.magento_order_ref,
                    mine=order_id,
                )
            )
        mine = dict(move._magento_invoice_items())
        items = [
            [int(line["order_item_id"]), round(float(line["qty"]), 4)]
            for line in invoice.get("items") or []
            if int(line.get("order_item_id") or 0) in mine
        ]
        ref = invoice.get("increment_id") or str(self.magento_invoice_id)
        move._magento_write(
            {
                "magento_invoice_id": self.magento_invoice_id,
                "magento_invoice_ref": ref,
                "magento_export_sent_at": False,
                "magento_exported_items": items,
                "magento_invoiced_in_magento": False,
                "magento_no_export": False,
                "magento_linked": True,
                "magento_last_error": False,
                "magento_advice": False,
                "magento_failure_kind": False,
            }
        )
        note = self.env._("Linked by hand to Magento invoice %(ref)s.", ref=ref)
        if (self.reason or "").strip():
            note += " " + self.reason.strip()
        move._message_log(body=Markup("%s") % note)
        return True
