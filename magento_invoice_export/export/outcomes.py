"""Outcomes: what a run records of each document (its Magento id, or why
not), the chatter notes and log lines, and their commits."""

import datetime
import json
import logging

from odoo import fields, models
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY as PG_CONCURRENCY_ERRORS
from odoo.tools import split_every

from ..magento_client import MagentoError
from ..magento_client.client import is_array_limit
from ..magento_export.advice import NEEDS_ACTION, failure_kind
from ..magento_export.money import AmountMismatch
from ..magento_export.policy import MAX_ATTEMPTS, FailureOutcome, failure_outcome
from ..magento_export.sender import NoMatchingMagentoInvoice
from .const import ANNOUNCE_CHUNK

_logger = logging.getLogger(__name__)


class MagentoExportOutcomes(models.AbstractModel):
    _inherit = "magento.invoice.exporter"

    def _record_refusal(self, move, job, problem, sink, in_magento=False, advice=None):
        """Bad input found before sending: a failed attempt, nothing sent.

        Goods Magento invoiced already (``in_magento``) cost no attempt: the
        invoice becomes Not Exportable with that reason until it is corrected.
        """
        message = self.env._("Not sent: %(problem)s", problem=problem)
        # The problem says what to do (or its advice does, shown apart); it
        # needs a person either way.
        failure = {
            "magento_last_error": message[:500],
            "magento_advice": advice or problem,
            "magento_failure_kind": "action",
        }
        if in_magento:
            move._magento_write({"magento_invoiced_in_magento": True, **failure})
        else:
            move._magento_write({"magento_export_attempts": move.magento_export_attempts + 1, **failure})
        sink.note(move, message)
        sink.line(move, "warning" if in_magento else "error", message, retryable=False, request=self._request_text(job))

    def _record_success(self, move, job, result):
        """The Magento id, in the cache: committed with the next outcomes."""
        move._magento_write(
            {
                "magento_invoice_id": result.invoice_id,
                "magento_invoice_ref": result.increment_id or False,
                "magento_export_sent_at": False,
                "magento_last_error": False,
                "magento_advice": False,
                "magento_failure_kind": False,
                "magento_linked": result.own,
                "magento_amounts_differ": False,
                "magento_payment_check": False,
                "magento_exported_items": [[item_id, qty] for item_id, qty in job.items],
                "magento_exported_total": move.amount_total,
                "magento_exported_currency_id": move.currency_id.id,
            }
        )

    def _record_failure(self, move, job, error, sink, instance):
        if getattr(error, "deferred", False):
            return self._record_deferral(move, job, error, sink)
        if isinstance(error, AmountMismatch):
            # Nothing left, and an earlier lost request was looked up first
            # and is not in Magento: nothing is unknown about this document.
            move._magento_write({"magento_export_sent_at": False, "magento_amounts_differ": error.reason == "total"})
            problem, advice = self._money_problem(move, job, error)
            self._record_refusal(move, job, problem, sink, advice=advice)
            return FailureOutcome(counts_attempt=True, uncertain=False, stops_run=False)
        if isinstance(error, NoMatchingMagentoInvoice):
            # An earlier POST whose answer was lost is still to be looked up.
            outcome = FailureOutcome(counts_attempt=True, uncertain=job.uncertain, stops_run=False)
            message = self.env._(
                "Not sent: Magento invoiced this order itself (for example its payment gateway at checkout) and "
                "none of its own invoices (%(refs)s) has exactly this invoice's items and quantities, so Magento "
                "would refuse another one. Make this invoice match Magento's, or correct it with a credit note.",
                refs=", ".join(error.refs) or "-",
            )
            status, response, retryable = None, None, False
        elif isinstance(error, MagentoError):
            outcome = failure_outcome(error)
            # Magento's words; with what to change when only the merchant's settings can help.
            message = instance._explain_error(error) if is_array_limit(error) else str(error)
            status = error.status
            response = error.response_body
            retryable = error.retryable
        else:
            # A bug of ours, not Magento's answer: whether the request left is
            # unknown, so the next attempt looks first.
            _logger.exception("Unexpected error exporting %s to Magento", move.name, exc_info=error)
            outcome = FailureOutcome(counts_attempt=True, uncertain=True, stops_run=False)
            message = self.env._(
                "Unexpected error in Odoo: %(error)s. Export again; if it persists, report it with the server log.",
                error=error,
            )
            status, response, retryable = None, None, True
        kind = "document" if isinstance(error, NoMatchingMagentoInvoice) else failure_kind(error)
        advice = self._advice(kind, job)
        payment_check = self._money_may_have_moved(job, kind, outcome)
        if payment_check:
            advice = self._payment_advice(job, kind, outcome)
            if job.is_creditmemo and kind == "document":
                advice += " " + self._advice(kind, job)
        elif getattr(error, "magento_holds", None):
            advice = self._holds_advice(move, error.magento_holds)
        elif kind == "credentials":
            advice = instance._credentials_advice(error)
        attempts = move.magento_export_attempts + (1 if outcome.counts_attempt else 0)
        move._magento_write(
            {
                "magento_export_attempts": attempts,
                "magento_export_sent_at": (move.magento_export_sent_at or fields.Datetime.now())
                if outcome.uncertain
                else False,
                "magento_last_error": message[:500],
                "magento_advice": advice,
                "magento_failure_kind": "action" if kind in NEEDS_ACTION or payment_check else "retry",
                "magento_payment_check": payment_check,
            }
        )
        explained = instance._explain_error(error) if isinstance(error, MagentoError) else message
        if outcome.counts_attempt:
            note = self.env._(
                "Export to Magento failed (attempt %(attempt)s of %(max)s): %(message)s",
                attempt=attempts,
                max=MAX_ATTEMPTS,
                message=explained,
            )
        else:
            note = self.env._("Export to Magento stopped, no attempt counted: %(message)s", message=explained)
        if outcome.uncertain and job.is_creditmemo:
            note += " " + self.env._(
                "Magento may have created the credit memo anyway: the next attempt looks for it before creating one."
            )
        elif outcome.uncertain:
            note += " " + self.env._(
                "Magento may have created the invoice anyway: the next attempt looks for it before creating one."
            )
        sink.note(move, note)
        sink.line(
            move,
            "error",
            message,
            http_status=status,
            retryable=retryable,
            request=self._request_text(job),
            response=response,
            advice=advice,
        )
        return outcome

    @staticmethod
    def _money_may_have_moved(job, kind, outcome):
        """A capture or an online refund that failed where the payment gateway
        may have been called: its outcome is unknown (a timeout, a 5xx), or
        Magento refused it as a whole (InvoiceOrder.php and RefundInvoice.php
        call the gateway inside their transaction; its refusal is a 400)."""
        moves_money = job.capture if not job.is_creditmemo else bool(job.refund_invoice_id)
        return bool(moves_money and (outcome.uncertain or kind == "document"))

    def _payment_advice(self, job, kind, outcome):
        if kind == "document" and not outcome.uncertain and not job.is_creditmemo:
            return self.env._(
                "Magento could not capture the payment: the authorization may have expired, or the payment "
                "gateway refused it. Check the order's payment in Magento's admin (Sales > Orders > the order > "
                "Transactions), capture it there or invoice without capture (the payment method's Capture "
                "setting), then export this invoice from its own button."
            )
        if job.is_creditmemo:
            return self.env._(
                "The online refund may have reached the payment gateway though Magento did not confirm it. Check "
                "in Magento's admin (Sales > Orders > the order > Credit Memos and Transactions) whether money "
                "left; the scheduled export will not send it again. Export it from its own button once checked: "
                "it looks for Magento's credit memo first."
            )
        return self.env._(
            "The capture may have reached the payment gateway though Magento did not confirm it. Check in "
            "Magento's admin (Sales > Orders > the order > Invoices and Transactions) whether the payment was "
            "captured; the scheduled export will not send it again. Export it from its own button once checked: "
            "it looks for Magento's invoice first."
        )

    def _record_deferral(self, move, job, error, sink):
        grace = self._lost_answer_grace()
        after = move.magento_export_sent_at + datetime.timedelta(seconds=grace)
        # Kept in the log, read later by anyone: the times say their zone.
        values = {"sent": move._magento_time_said(move.magento_export_sent_at), "after": move._magento_time_said(after)}
        if job.is_creditmemo:
            message = self.env._(
                "Magento does not show this credit memo yet, but the request sent at %(sent)s may still be running "
                "there. Not sent again: from %(after)s, the next export looks it up again and creates it only if "
                "Magento still does not have it.",
                **values,
            )
        else:
            message = self.env._(
                "Magento does not show this invoice yet, but the request sent at %(sent)s may still be running "
                "there. Not sent again: from %(after)s, the next export looks it up again and creates it only if "
                "Magento still does not have it.",
                **values,
            )
        sink.line(move, "warning", message, retryable=True, request=f"GET {job.lookup_path()}")
        return failure_outcome(error)

    def _announce(self, batch, documents, sink, outcomes):
        """Numbers, chatter notes and log lines of a batch's exported
        documents, a few at a time (a generator: the run answers Magento in
        between). ``documents`` is what the batch's look-up found; a document
        missing there is noted by its id, and a later run fills its number."""
        found = {int(document["entity_id"]): document for document in documents}
        for _job, result in batch.exported:
            document = found.get(result.invoice_id)
            if document is not None:
                result.increment_id, result.document = document.get("increment_id"), document
        for chunk in split_every(ANNOUNCE_CHUNK, batch.exported, list):
            # Outcomes recorded meanwhile are committed first: a refused
            # commit below rolls back this chunk only.
            outcomes.commit()
            # Once more if PostgreSQL refuses the commit (a payment registered meanwhile).
            for _attempt in range(2):
                for job, result in chunk:
                    move = batch.by_id[job.move_id]
                    totals_warning = self._totals_warning(move, job, result)
                    if result.increment_id or totals_warning:
                        values = {"magento_invoice_ref": result.increment_id or False}
                        if totals_warning:
                            # Sent, and Magento's figure is not Odoo's: a person looks.
                            values.update(
                                magento_totals_warning=totals_warning,
                                magento_failure_kind=False
                                if job.money is not None and job.money.accept_difference
                                else "action",
                                magento_advice=self._totals_advice(job),
                            )
                        move._magento_write(values)
                    self._announce_one(move, job, result, sink, totals_warning)
                try:
                    sink.flush()
                except PG_CONCURRENCY_ERRORS:
                    self._rollback()
                    sink.clear()
                    continue
                if self._commit_outcome():
                    break
                sink.clear()
            yield

    def _announce_one(self, move, job, result, sink, totals_warning):
        ref = result.increment_id or f"#{result.invoice_id}"
        if job.is_creditmemo and result.adopted:
            message = self.env._(
                "Found in Magento as credit memo %(ref)s, created by an earlier attempt whose answer was lost: "
                "linked without creating another.",
                ref=ref,
            )
        elif job.is_creditmemo:
            message = self.env._("Exported to Magento as credit memo %(ref)s", ref=ref)
        elif result.own:
            message = self.env._(
                "Linked to Magento's own invoice %(ref)s: Magento invoiced these items itself (for example its "
                "payment gateway at checkout), with the same quantities. Nothing was created in Magento.",
                ref=ref,
            )
        elif result.adopted:
            message = self.env._(
                "Found in Magento as invoice %(ref)s, created by an earlier attempt whose answer was lost: "
                "linked without creating another.",
                ref=ref,
            )
        else:
            message = self.env._("Exported to Magento as invoice %(ref)s", ref=ref)
        if job.left_out:
            message += ". " + self.env._("Left out of it: %(lines)s.", lines="; ".join(job.left_out))
        sink.note(move, message)
        sink.line(
            move,
            "info",
            message,
            http_status=200,
            request=self._request_text(job),
            response=json.dumps({"entity_id": result.invoice_id, "increment_id": result.increment_id}),
        )
        if totals_warning:
            sink.note(move, totals_warning)
            sink.line(move, "warning", totals_warning)

    def _totals_warning(self, move, job, result):
        """Magento's document total against the Odoo document's, in the
        document's currency (the order's): a sentence with both, or False.
        Checked before sending (magento_export/money.py); a difference here
        means Magento computed otherwise than foreseen, or a manager accepted
        Magento's amounts, or the document was Magento's own."""
        document = result.document or {}
        if document.get("grand_total") is None:
            return False
        currency = move.currency_id
        theirs = float(document["grand_total"])
        if currency.compare_amounts(theirs, move.amount_total) == 0:
            return False
        values = {
            "ref": result.increment_id or result.invoice_id,
            "magento": currency.format(theirs),
            "odoo": currency.format(move.amount_total),
        }
        if job.is_creditmemo:
            return self.env._(
                "Magento's credit memo %(ref)s totals %(magento)s where this credit note totals %(odoo)s.", **values
            )
        return self.env._("Magento's invoice %(ref)s totals %(magento)s where this invoice totals %(odoo)s.", **values)

    def _totals_advice(self, job):
        if job.money is not None and job.money.accept_difference:
            return self.env._("A Magento manager chose to export it at Magento's amounts (see the chatter).")
        advice = self.env._(
            "Compare the two documents: Magento's is what the customer's account shows. Correct the difference "
            "with a credit note, in Odoo or in Magento; then a Magento manager marks the difference checked."
        )
        if job.is_creditmemo and job.shipping_amount:
            # The one shop setting the export cannot read (README, Money to the cent).
            advice += " " + self.env._(
                "It refunds shipping: check that the instance's Shipping Shown Including Tax matches Magento's "
                "Display Shipping Amount (Stores > Configuration > Sales > Tax > Orders, Invoices, Credit Memos "
                "Display Settings)."
            )
        return advice

    def _wake_waiting_credit_notes(self, invoices):
        """Credit notes waiting for these invoices, exported now, may go next."""
        if not invoices:
            return
        waiting = (
            self.env["account.move"]
            .sudo()
            .search(
                [
                    ("magento_sale_order_id", "in", invoices.magento_sale_order_id.ids),
                    ("move_type", "=", "out_refund"),
                    ("magento_export_reason", "=", "invoice_not_exported"),
                ]
            )
        )
        if waiting:
            self.env.add_to_compute(waiting._fields["magento_export_state"], waiting)
            waiting._recompute_recordset(["magento_export_state", "magento_export_reason"])
            self._commit_outcome()
