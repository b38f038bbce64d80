"""Activities for the instance's responsible user (issue 23): one open
activity per document that needs a person (Magento refused it as it stands,
it was skipped after its failed attempts, or Magento's total differs from
Odoo's), kept in step after each run and each person's decision, and marked
done, with what became of the document, once it needs no one."""

import logging
import re
from collections import defaultdict

from odoo import models
from odoo.tools import plaintext2html

from ..magento_export.policy import MAX_ATTEMPTS

_logger = logging.getLogger(__name__)

ACTIVITY_TYPE = "magento_invoice_export.mail_activity_type_magento_needs_action"
SUMMARY_WIDTH = 150
# The documents that need a person: their badge, as the worklist and the
# dashboard read it (an instance's fault costs no attempt and needs one too).
NEEDS_PERSON = ("needs_action", "skipped", "exported_check")
NEEDS_PERSON_DOMAIN = [("magento_status", "in", NEEDS_PERSON)]


class MagentoExportActivities(models.AbstractModel):
    _inherit = "magento.invoice.exporter"

    def _run_instance(self, instance, log, move_ids, skipped):
        # Every run comes here: the button's, the list action's, the wizard's,
        # the scheduled export and the queued runs.
        log = super()._run_instance(instance, log, move_ids, skipped)
        moves = self.env["account.move"].browse(set(move_ids) | set(log.sudo().line_ids.move_id.ids))
        # And the documents with an open activity that no run touches any more:
        # marked Not to Export or linked by hand from the form's wizard.
        moves |= self._with_open_activity(instance)
        if self._sync_activities_safely(moves):
            self._commit()  # the run's outcomes are committed already; these are its activities
        return log

    def _with_open_activity(self, instance):
        """The documents of ``instance`` whose responsible has a Magento activity open."""
        activity_type = self.env.ref(ACTIVITY_TYPE, raise_if_not_found=False)
        if not activity_type:
            return self.env["account.move"]
        return (
            self.env["account.move"]
            .sudo()
            .search(
                [
                    ("magento_instance_id", "=", instance.id),
                    ("activity_ids.activity_type_id", "=", activity_type.id),
                ]
            )
        )

    def _sync_activities_safely(self, moves):
        """Sync in a savepoint of its own: a failure here is logged and never
        undoes what the run or the person did. Returns whether it went through."""
        try:
            with self.env.cr.savepoint():
                self._sync_activities(moves)
        except Exception:
            _logger.exception("Magento: the activities of %s documents could not be brought up to date", len(moves))
            return False
        return True

    def _sync_activities(self, moves):
        """Open, update or close the responsible's activity of each of ``moves``."""
        activity_type = self.env.ref(ACTIVITY_TYPE, raise_if_not_found=False)
        # Sudo: who runs the export (a Magento manager without accounting
        # rights, the scheduler) schedules activities for someone else.
        moves = moves.sudo().exists()
        if not activity_type or not moves:
            return
        Activity = self.env["mail.activity"].sudo()
        current = defaultdict(Activity.browse)
        for activity in Activity.search(
            [
                ("res_model", "=", "account.move"),
                ("res_id", "in", moves.ids),
                ("activity_type_id", "=", activity_type.id),
            ],
            order="id",
        ):
            current[activity.res_id] |= activity
        to_create = []
        for move in moves:
            activity = current[move.id]
            if len(activity) > 1:
                # Two syncs of the same document at once: one activity stays.
                activity[1:].unlink()
                activity = activity[:1]
            if not self._needs_person(move):
                if activity:
                    activity.action_feedback(feedback=self._activity_feedback(move))
                continue
            values = self._activity_values(move)
            if activity:
                changed = self._activity_changes(activity, values)
                if changed:
                    activity.with_context(mail_activity_quick_update=True).write(changed)
            elif values.get("user_id"):
                to_create.append(
                    {
                        **values,
                        "res_model_id": self.env["ir.model"]._get_id("account.move"),
                        "res_id": move.id,
                        "activity_type_id": activity_type.id,
                    }
                )
        if to_create:
            # One email per activity (or per activity handed to a new responsible)
            # would flood them after a bad run: the activities menu counts them.
            Activity.with_context(mail_activity_quick_update=True).create(to_create)

    @staticmethod
    def _needs_person(move):
        """See NEEDS_PERSON_DOMAIN."""
        return move.magento_status in NEEDS_PERSON

    def _activity_values(self, move):
        """Summary (what is wrong, one line), note (What to Do) and who; an
        activity already assigned stays with its user when the instance has no
        responsible any more."""
        if move.magento_export_state == "exported":
            summary = move.magento_totals_warning or move.magento_status_text
        elif move.magento_export_state == "skipped":
            summary = self.env._(
                "Skipped after %(max)s failed attempts: %(error)s",
                max=MAX_ATTEMPTS,
                error=move.magento_last_error or move.magento_status_text,
            )
        else:
            # The activity's type already says it needs action: what Magento (or the check) said.
            summary = move.magento_last_error or move.magento_status_text
        values = {
            "summary": self._one_line(summary or ""),
            "note": plaintext2html(self._activity_note(move)),
        }
        responsible = move.magento_instance_id.responsible_user_id
        if responsible:
            values["user_id"] = responsible.id
        return values

    def _activity_note(self, move):
        """What to Do; for a skipped document, how it is taken up again (the
        advice of a passing fault says it is tried again: not any more)."""
        advice = move.magento_advice or move.magento_status_text or ""
        if move.magento_export_state != "skipped":
            return advice
        skipped = self.env._(
            "The scheduled export leaves it alone after %(max)s failed attempts: once the cause is fixed (see its "
            "log on the Magento Info tab), a Magento manager resets its attempts (Reset there, or Actions > Reset "
            "Magento Export Attempts on the list), or export it from its own button.",
            max=MAX_ATTEMPTS,
        )
        return f"{advice}\n\n{skipped}" if move.magento_failure_kind == "action" and advice else skipped

    @staticmethod
    def _one_line(text):
        """``text`` on one line of at most SUMMARY_WIDTH characters (its
        no-break spaces, as in amounts, kept)."""
        text = re.sub(r"[ \t\r\n]+", " ", text).strip()
        if len(text) <= SUMMARY_WIDTH:
            return text
        return text[: SUMMARY_WIDTH - 1].rsplit(" ", 1)[0] + "…"

    @staticmethod
    def _activity_changes(activity, values):
        """The values that differ from the activity's, the note compared as it is stored (sanitized)."""
        changes = {}
        for name, value in values.items():
            stored = activity[name].id if name == "user_id" else activity[name]
            if name == "note":
                value = activity._fields["note"].convert_to_cache(value, activity)
            if (stored or False) != (value or False):
                changes[name] = values[name]
        return changes

    def _activity_feedback(self, move):
        """What became of the document, said as the activity is marked done."""
        if move.magento_no_export:
            return self.env._("Marked Not to Export: %(reason)s", reason=move.magento_no_export_reason or "")
        return move.magento_status_text or ""
