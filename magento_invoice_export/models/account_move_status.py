"""The export status of an invoice or credit note, and the sentence that
says it in plain words."""

import datetime

import pytz

from odoo import api, fields, models

from ..magento_export.policy import EXPORTABLE, MAX_ATTEMPTS, export_status

# The reasons a document waits or stays out, and the status a person reads for
# each: a choice (the payment method's, a manager's) is no error.
REASON_STATUS = {
    "not_paid": "waiting_payment",
    "not_refunded": "waiting_payment",
    "marked_not_to_export": "not_to_export",
    "payment_method_never": "not_to_export",
    "payment_method_never_refunds": "not_to_export",
    "payment_method_not_configured": "not_to_export",
    "instance_archived": "not_to_export",
}


class AccountMove(models.Model):
    _inherit = "account.move"

    @api.depends(
        "move_type",
        "state",
        "payment_state",
        "currency_id",
        "magento_invoice_id",
        "magento_export_attempts",
        "magento_order_count",
        "magento_sale_order_id.magento_order_id",
        "magento_sale_order_id.currency_id",
        "magento_sale_order_id.magento_payment_method_id.create_invoice_on",
        "magento_sale_order_id.magento_payment_method_id.create_creditmemo_on",
        "reversed_entry_id.magento_invoice_id",
        "magento_sale_order_id.magento_payment_method_id.active",
        "magento_instance_id.active",
        "magento_no_export",
        "magento_invoiced_in_magento",
        "invoice_line_ids.quantity",
        "invoice_line_ids.sale_line_ids.magento_item_id",
    )
    def _compute_magento_export_state(self):
        for move in self:
            order = move.magento_sale_order_id
            if not order:
                move.magento_export_state = False
                move.magento_export_reason = False
                continue
            if move.magento_invoice_id:
                # Decided without reading lines: the common case of a bulk run.
                move.magento_export_state = "exported"
                move.magento_export_reason = False
                continue
            method = order.magento_payment_method_id
            refund = move.move_type == "out_refund"
            status, reason = export_status(
                move_type=move.move_type,
                state=move.state,
                payment_state=move.payment_state,
                magento_invoice_id=move.magento_invoice_id,
                attempts=move.magento_export_attempts,
                order_count=move.magento_order_count,
                has_order_id=bool(order.magento_order_id),
                method_code=method.code,
                method_configured=bool(method) and method.active,
                trigger=method.create_creditmemo_on if refund else method.create_invoice_on,
                instance_active=move.magento_instance_id.active,
                currency_matches=move.currency_id == order.currency_id,
                # A credit note may carry only shipping or an adjustment.
                has_items=bool(move._magento_invoice_items()) or (refund and any(move._magento_refund_amounts())),
                no_export=move.magento_no_export,
                invoiced_in_magento=move.magento_invoiced_in_magento,
                invoice_exported=not refund or bool(move._magento_refunded_invoice().magento_invoice_id),
            )
            if refund and reason == "payment_method_never":
                reason = "payment_method_never_refunds"
            move.magento_export_state = status
            move.magento_export_reason = reason

    @api.depends("magento_export_state", "magento_export_reason", "magento_failure_kind", "magento_export_sent_at")
    def _compute_magento_status(self):
        for move in self:
            move.magento_status = move._magento_status_of()

    def _magento_status_of(self):
        """The one status a person reads, from the export's status and the last
        failure: a lost answer waits, a failure needing a person says so."""
        state, reason = self.magento_export_state, self.magento_export_reason
        if state == "exported":
            return "exported_check" if self.magento_failure_kind == "action" else "exported"
        if state in ("waiting", "not_exportable"):
            return REASON_STATUS.get(reason, state)
        if state == "skipped":
            return "skipped"
        if state in EXPORTABLE and self.magento_failure_kind == "action":
            return "needs_action"
        if state in EXPORTABLE and self.magento_export_sent_at:
            return "waiting_magento"
        return {"failed": "will_retry"}.get(state, state or False)

    @api.depends(
        "magento_status", "magento_export_reason", "magento_export_sent_at", "magento_invoice_ref", "magento_linked"
    )
    @api.depends_context("tz", "uid")
    def _compute_magento_status_text(self):
        """The status in plain words: "will retry" only when something will."""
        cron = self.env.ref("magento_invoice_export.ir_cron_magento_export_invoice", raise_if_not_found=False)
        cron = cron.sudo() if cron and cron.active else False
        grace = self.env["magento.invoice.exporter"]._lost_answer_grace()
        reasons = dict(self._fields["magento_export_reason"]._description_selection(self.env))
        for move in self:
            status = move.magento_status
            if status in ("exported", "exported_check"):
                move.magento_status_text = move._magento_exported_text()
            elif status == "waiting_magento":
                move.magento_status_text = move._magento_waiting_text(grace)
            elif status in ("to_export", "will_retry", "needs_action", "skipped"):
                move.magento_status_text = move._magento_to_export_text(cron)
            else:
                move.magento_status_text = reasons.get(move.magento_export_reason) or False

    def _magento_to_export_text(self, cron):
        status = self.magento_status
        if status == "needs_action":
            return self.env._("Failed, needs action: see What to Do")
        if status == "skipped":
            return self.env._("Skipped after %(max)s failed attempts: a Magento manager resets them", max=MAX_ATTEMPTS)
        if status == "will_retry" and cron:
            return self.env._(
                "Failed, will retry at %(time)s (scheduled export)", time=self._magento_local_time(cron.nextcall)
            )
        if status == "will_retry":
            return self.env._("Failed, tried again at the next export (the scheduled export is off)")
        if cron:
            return self.env._(
                "Goes to Magento with the scheduled export at %(time)s", time=self._magento_local_time(cron.nextcall)
            )
        return self.env._("Goes to Magento at the next export (the scheduled export is off)")

    def _magento_waiting_text(self, grace):
        """A lost answer: waited out while Magento may still be working on it, then looked up."""
        until = self.magento_export_sent_at + datetime.timedelta(seconds=grace)
        if until > fields.Datetime.now():
            return self.env._(
                "Waiting until %(time)s: Magento may still be creating it", time=self._magento_local_time(until)
            )
        # Said short, for the worklist; the log's line says the rest (created only if Magento lacks it).
        return self.env._(
            "No answer since %(time)s: the next export looks it up first",
            time=self._magento_local_time(self.magento_export_sent_at),
        )

    def _magento_exported_text(self):
        if self.move_type == "out_refund":
            text = self.env._("Exported as Magento credit memo %(ref)s", ref=self._magento_number())
        elif self.magento_linked:
            text = self.env._("Linked to Magento invoice %(ref)s", ref=self._magento_number())
        else:
            text = self.env._("Exported as Magento invoice %(ref)s", ref=self._magento_number())
        if self.magento_status == "exported_check":
            text += self.env._(": Magento's total differs, needs action")
        return text

    def _magento_local_time(self, moment):
        """``moment`` (UTC) in the user's time zone: the time, and the day when not today."""
        local = fields.Datetime.context_timestamp(self, moment)
        today = fields.Datetime.context_timestamp(self, fields.Datetime.now()).date()
        return local.strftime("%H:%M") if local.date() == today else local.strftime("%Y-%m-%d %H:%M")

    @api.model
    def _magento_time_said(self, moment):
        """``moment`` (UTC) for a text kept and read later, by anyone: in the
        zone of the user who writes it (else the company's, else UTC), named."""
        zone = self.env.context.get("tz") or self.env.user.tz or self.env.company.partner_id.tz or "UTC"
        try:
            local = pytz.utc.localize(moment).astimezone(pytz.timezone(zone))
        except pytz.UnknownTimeZoneError:
            zone, local = "UTC", pytz.utc.localize(moment)
        return f"{local.strftime('%Y-%m-%d %H:%M:%S')} ({zone})"
