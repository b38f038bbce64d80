"""Bulk actions on the worklist (issue 23): the form's decisions taken for
the selected invoices and credit notes (Reset attempts, Not to Export, Allow
Export Again), each with a notification that says what it did and what it
left unchanged, and why. Exporting the selection again is the list's Export
In Magento (account_move.action_magento_export_selected): it takes failed and
skipped ones too, attempts not counted against them.

The responsible's activity follows each decision taken here at once, synced
once for the whole selection (export/activities.py)."""

from odoo import models
from odoo.exceptions import AccessError, UserError

from .account_move import _notification


class AccountMove(models.Model):
    _inherit = "account.move"

    # ------------------------------------------------------------------
    # Bulk actions (views/account_move_bulk_views.xml)
    # ------------------------------------------------------------------
    def action_magento_bulk_reset_attempts(self):
        """Reset the failed attempts of the selection: the scheduled export takes them again."""
        before = {move: move.magento_export_attempts for move in self}
        self.action_magento_reset_attempts()  # checks the user is a Magento manager
        done = self.filtered(lambda m: before[m] and not m.magento_export_attempts)
        unchanged = self._magento_unchanged(
            done,
            [
                (lambda m: m.magento_invoice_id, self.env._("%(documents)s already in Magento")),
                (lambda m: not m.magento_export_attempts, self.env._("%(documents)s without failed attempts")),
            ],
        )
        message = self.env._(
            "%(documents)s: failed attempts reset, the scheduled export takes them again.",
            documents=self._magento_count(done),
        )
        return self._magento_bulk_notification(self.env._("Reset Export Attempts"), done, message, unchanged)

    def action_magento_bulk_no_export(self):
        """Mark the selected invoices Not to Export, as the form's Not to Export
        or Link by Hand does (the same wizard, its lock and its checks)."""
        self._magento_check_manager()
        candidates = self.filtered(
            lambda m: (
                m.magento_instance_id
                and m.move_type == "out_invoice"
                and not m.magento_invoice_id
                and not m.magento_no_export
            )
        )
        reason = self.env._("chosen for several invoices at once, from a list, by %(user)s", user=self.env.user.name)
        busy = self.browse()
        for move in candidates:
            wizard = self.env["magento.invoice.link.wizard"].create(
                {"move_id": move.id, "decision": "no_export", "reason": reason}
            )
            try:
                with self.env.cr.savepoint():
                    wizard.with_context(magento_bulk_decision=True).action_confirm()
            except AccessError:
                raise
            except UserError:
                busy |= move  # being exported right now: its run decides it
        done = candidates - busy
        self.env["magento.invoice.exporter"]._sync_activities_safely(done)
        unchanged = self._magento_unchanged(
            done,
            [
                (lambda m: m.magento_invoice_id, self.env._("%(documents)s already in Magento")),
                (lambda m: m.magento_no_export, self.env._("%(documents)s already marked")),
                (
                    lambda m: m.move_type != "out_invoice",
                    self.env._("%(documents)s (Not to Export is decided for invoices)"),
                ),
                (lambda m: m in busy, self.env._("%(documents)s being exported right now: try again in a moment")),
            ],
        )
        message = self.env._("%(documents)s marked Not to Export.", documents=self._magento_count(done))
        return self._magento_bulk_notification(self.env._("Not to Export"), done, message, unchanged)

    def action_magento_bulk_allow_export(self):
        """Allow the selected documents marked Not to Export to go to Magento again."""
        marked = self.filtered("magento_no_export")
        self.action_magento_allow_export()  # checks the user is a Magento manager
        unchanged = self._magento_unchanged(
            marked, [(lambda m: True, self.env._("%(documents)s not marked Not to Export"))]
        )
        message = self.env._("%(documents)s allowed to go to Magento again.", documents=self._magento_count(marked))
        return self._magento_bulk_notification(self.env._("Allow Export Again"), marked, message, unchanged)

    # ------------------------------------------------------------------
    # Their words
    # ------------------------------------------------------------------
    def _magento_unchanged(self, done, reasons):
        """What of the selection was left as it was, in words: documents of no
        Magento order first, then each by the first of ``reasons`` (a test, and
        a sentence with ``%(documents)s``) that fits."""
        left = self - done
        phrases = []
        foreign = (lambda m: not m.magento_instance_id, self.env._("%(documents)s not of a Magento order"))
        for test, template in [foreign, *reasons]:
            fitting = left.filtered(test)
            left -= fitting
            if fitting:
                phrases.append(template % {"documents": self._magento_count(fitting)})
        return phrases

    def _magento_count(self, moves):
        """ "3 invoices", "1 credit note", "2 invoices and 1 credit note"."""
        invoices = moves.filtered(lambda m: m.move_type == "out_invoice")
        refunds = moves.filtered(lambda m: m.move_type == "out_refund")
        others = moves - invoices - refunds
        parts = []
        if invoices:
            parts.append(
                self.env._("1 invoice") if len(invoices) == 1 else self.env._("%(count)s invoices", count=len(invoices))
            )
        if refunds:
            parts.append(
                self.env._("1 credit note")
                if len(refunds) == 1
                else self.env._("%(count)s credit notes", count=len(refunds))
            )
        if others:
            parts.append(
                self.env._("1 other entry")
                if len(others) == 1
                else self.env._("%(count)s other entries", count=len(others))
            )
        if len(parts) > 1:
            return self.env._("%(first)s and %(last)s", first=", ".join(parts[:-1]), last=parts[-1])
        return parts[0] if parts else ""

    def _magento_bulk_notification(self, title, done, message, unchanged):
        """``message`` says what was done; ``unchanged``, what was left as it was and why."""
        if not done:
            message = self.env._("Nothing changed: %(unchanged)s.", unchanged=", ".join(unchanged))
        elif unchanged:
            message += " " + self.env._("Left as they were: %(unchanged)s.", unchanged=", ".join(unchanged))
        return _notification("success" if done and not unchanged else "warning", title, message)

    # ------------------------------------------------------------------
    # The responsible's activity follows each person's decision
    # ------------------------------------------------------------------
    def action_magento_allow_export(self):
        result = super().action_magento_allow_export()
        self.env["magento.invoice.exporter"]._sync_activities_safely(self)
        return result

    def action_magento_reset_attempts(self):
        result = super().action_magento_reset_attempts()
        self.env["magento.invoice.exporter"]._sync_activities_safely(self)
        return result

    def action_magento_difference_checked(self):
        result = super().action_magento_difference_checked()
        self.env["magento.invoice.exporter"]._sync_activities_safely(self)
        return result
