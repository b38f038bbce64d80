"""The invoice export: one code path for the button, the list action, the
Operations wizard and the scheduled action.

How it never duplicates and never loses an id (see README, "Reliability"):

1. Invoices are locked with PostgreSQL *session* advisory locks, which, unlike
   row locks, survive the commits made below; a lock held by another run (or a
   button click) makes this run leave the invoice alone. A crashed worker's
   locks die with its connection.
2. Before any request, every invoice of the batch is marked "outcome unknown"
   (``magento_export_sent_at``) and that mark is committed.
3. A request whose answer is lost leaves the mark; the next attempt first looks
   the invoice up in Magento (by the comment carrying the Odoo number, then by
   items) and links what it finds instead of posting again.
4. Each outcome (the Magento id, or the failure) is committed on its own, so a
   later crash or error rolls back nothing already learned.
"""

import json
import logging
import threading

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.modules import module as odoo_module
from odoo.tools import split_every

from ..magento_client import MagentoError
from ..magento_export.payload import invoice_comment
from ..magento_export.pipeline import InFlight
from ..magento_export.policy import EXPORTABLE, MAX_ATTEMPTS, failure_outcome
from ..magento_export.sender import ExportJob, export_invoice

_logger = logging.getLogger(__name__)

BATCH_SIZE = 200
# First key of our advisory locks ("MAGE"), the second being the invoice id.
LOCK_NAMESPACE = 0x4D414745
FIELDS_READ_AFTER_LOCK = ["magento_invoice_id", "magento_export_sent_at", "magento_export_attempts", "state"]


class MagentoInvoiceExporter(models.AbstractModel):
    _name = "magento.invoice.exporter"
    _description = "Magento Invoice Export"

    # ------------------------------------------------------------------
    # Entry points
    # ------------------------------------------------------------------
    @api.model
    def _export_invoices(self, instances, moves=None, respect_attempts=True):
        """Export the eligible invoices of ``instances`` (only ``moves`` if given).

        With ``respect_attempts``, invoices that failed :data:`MAX_ATTEMPTS`
        times are skipped (and counted as such). Returns the process logs, one
        per instance.
        """
        logs = self.env["magento.process.log"]
        for instance in instances:
            logs |= self._export_instance(instance, moves, respect_attempts)
        return logs

    @api.model
    def _cron_export_invoices(self):
        instances = self.env["magento.instance"].sudo().search([])
        self._export_invoices(instances)

    # ------------------------------------------------------------------
    # One instance
    # ------------------------------------------------------------------
    def _export_instance(self, instance, moves, respect_attempts):
        Move = self.env["account.move"].sudo()
        domain = [
            ("magento_instance_id", "=", instance.id),
            ("company_id", "=", instance.company_id.id),
        ]
        if moves is not None:
            domain.append(("id", "in", moves.ids))
        states = ("to_export", "failed") if respect_attempts else EXPORTABLE
        move_ids = Move.search(domain + [("magento_export_state", "in", states)], order="id").ids
        skipped = Move.search_count(domain + [("magento_export_state", "=", "skipped")]) if respect_attempts else 0
        log = (
            self.env["magento.process.log"]
            .sudo()
            .create({"operation": "export_invoice", "instance_id": instance.id, "company_id": instance.company_id.id})
        )
        # The log exists even if this run dies later.
        self._commit()
        counts = {"exported": 0, "failed": 0, "skipped": skipped}
        stop = None
        try:
            client_factory = instance._client_factory()
        except UserError as error:
            stop = str(error.args[0])
        done = 0
        for batch_ids in split_every(BATCH_SIZE, move_ids, list):
            if stop:
                break
            stop = self._export_batch(instance, Move.browse(batch_ids), log, counts, client_factory)
            done += len(batch_ids)
            self.env["ir.cron"]._notify_progress(done=done, remaining=len(move_ids) - done)
        if stop:
            summary = self.env._("The run stopped: %(reason)s", reason=stop)
        else:
            summary = self.env._(
                "%(exported)s exported, %(failed)s failed, %(skipped)s skipped.",
                exported=counts["exported"],
                failed=counts["failed"],
                skipped=counts["skipped"],
            )
        log._finish(counts["exported"], counts["failed"], counts["skipped"], summary=summary, stopped=bool(stop))
        self._commit()
        return log

    def _export_batch(self, instance, moves, log, counts, client_factory):
        """Export one batch; return a reason to stop the run, or None."""
        locked = self._lock(moves)
        try:
            moves = moves.browse(locked)
            # Another run may have exported them between our search and the lock.
            moves.invalidate_recordset(FIELDS_READ_AFTER_LOCK)
            moves.invalidate_recordset(["magento_export_state"])
            moves = moves.filtered(lambda m: m.magento_export_state in EXPORTABLE)
            if not moves:
                return None
            jobs = self._prepare_jobs(instance, moves)
            fresh = moves.filtered(lambda m: not m.magento_export_sent_at)
            if fresh:
                fresh.write({"magento_export_sent_at": fields.Datetime.now()})
            # The "outcome unknown" marks must be durable before any request leaves.
            self._commit()

            local = threading.local()

            def send(job):
                if not hasattr(local, "client"):
                    local.client = client_factory()
                return export_invoice(local.client, job)

            runner = InFlight(send, instance.export_concurrency)
            stop = None
            by_id = {move.id: move for move in moves}
            for job, result, error in runner.run(jobs, key=lambda j: j.magento_order_id):
                move = by_id[job.move_id]
                if error is None:
                    self._record_success(move, job, result, log)
                    counts["exported"] += 1
                else:
                    outcome = self._record_failure(move, job, error, log, instance)
                    counts["failed"] += 1
                    if outcome.stops_run and not stop:
                        stop = instance._explain_error(error)
                        runner.cancel()
                # This invoice's outcome, alone: nothing later can roll it back.
                self._commit()
            unsent = moves.browse([job.move_id for job in runner.unsent if not job.uncertain])
            if unsent:
                unsent.write({"magento_export_sent_at": False})
                self._commit()
            return stop
        finally:
            self._unlock(locked)

    # ------------------------------------------------------------------
    # Jobs and outcomes
    # ------------------------------------------------------------------
    def _prepare_jobs(self, instance, moves):
        uncertain_orders = moves.filtered("magento_export_sent_at").magento_sale_order_id
        claimed = {}
        if uncertain_orders:
            # Magento invoices already linked to other Odoo invoices of these
            # orders must not be adopted by items.
            linked = (
                self.env["account.move"]
                .sudo()
                .search_read(
                    [("magento_sale_order_id", "in", uncertain_orders.ids), ("magento_invoice_id", "!=", 0)],
                    ["magento_sale_order_id", "magento_invoice_id"],
                )
            )
            for row in linked:
                claimed.setdefault(row["magento_sale_order_id"][0], set()).add(row["magento_invoice_id"])
        jobs = []
        for move in moves:
            order = move.magento_sale_order_id
            jobs.append(
                ExportJob(
                    move_id=move.id,
                    name=move.name,
                    magento_order_id=order.magento_order_id,
                    items=move._magento_invoice_items(),
                    comment=invoice_comment(move.name),
                    notify=instance.notify_customer_on_invoice,
                    capture=order.magento_payment_method_id.capture_on_export,
                    uncertain=bool(move.magento_export_sent_at),
                    claimed_ids=frozenset(claimed.get(order.id, ())),
                )
            )
        return jobs

    def _record_success(self, move, job, result, log):
        ref = result.increment_id or str(result.invoice_id)
        move.write(
            {
                "magento_invoice_id": result.invoice_id,
                "magento_invoice_ref": ref,
                "magento_export_sent_at": False,
            }
        )
        if result.adopted:
            message = self.env._(
                "Found in Magento as invoice %(ref)s, created by an earlier attempt whose answer was lost: "
                "linked without creating another.",
                ref=ref,
            )
        else:
            message = self.env._("Exported to Magento as invoice %(ref)s", ref=ref)
        move._message_log(body=Markup("%s") % message)
        log._add_lines(
            [
                {
                    "level": "info",
                    "message": message,
                    "res_model": "account.move",
                    "res_id": move.id,
                    "record_name": move.name,
                    "move_id": move.id,
                    "http_status": 200,
                    "request": self._request_text(job),
                    "response": json.dumps({"entity_id": result.invoice_id, "increment_id": result.increment_id}),
                }
            ]
        )

    def _record_failure(self, move, job, error, log, instance):
        if isinstance(error, MagentoError):
            outcome = failure_outcome(error)
            message = str(error)
            status = error.status
            response = error.response_body
            retryable = error.retryable
        else:
            # A bug of ours, not Magento's answer: whether the request left is
            # unknown, so the next attempt looks first.
            _logger.exception("Unexpected error exporting %s to Magento", move.name, exc_info=error)
            outcome = failure_outcome(error)
            outcome = type(outcome)(counts_attempt=True, uncertain=True, stops_run=False)
            message = self.env._("Unexpected error: %(error)s", error=error)
            status, response, retryable = None, None, True
        attempts = move.magento_export_attempts + (1 if outcome.counts_attempt else 0)
        move.write(
            {
                "magento_export_attempts": attempts,
                "magento_export_sent_at": (move.magento_export_sent_at or fields.Datetime.now())
                if outcome.uncertain
                else False,
            }
        )
        if outcome.counts_attempt:
            note = self.env._(
                "Export to Magento failed (attempt %(attempt)s of %(max)s): %(message)s",
                attempt=attempts,
                max=MAX_ATTEMPTS,
                message=message,
            )
        else:
            note = self.env._("Export to Magento not attempted: %(message)s", message=message)
        if outcome.uncertain:
            note += " " + self.env._(
                "Magento may have created the invoice anyway: the next attempt looks for it before creating one."
            )
        move._message_log(body=Markup("%s") % note)
        log._add_lines(
            [
                {
                    "level": "error",
                    "message": message,
                    "res_model": "account.move",
                    "res_id": move.id,
                    "record_name": move.name,
                    "move_id": move.id,
                    "http_status": status,
                    "retryable": retryable,
                    "request": self._request_text(job),
                    "response": response,
                }
            ]
        )
        return outcome

    @staticmethod
    def _request_text(job):
        return f"POST V1/order/{job.magento_order_id}/invoice\n{json.dumps(job.request_body(), indent=2)}"

    # ------------------------------------------------------------------
    # Locks and commits
    # ------------------------------------------------------------------
    def _lock(self, moves):
        """Take this session's advisory lock on each invoice; return the ids taken."""
        if not moves:
            return []
        self.env.cr.execute(
            "SELECT id FROM unnest(%s::int[]) AS id WHERE pg_try_advisory_lock(%s, id)",
            [moves.ids, LOCK_NAMESPACE],
        )
        return [row[0] for row in self.env.cr.fetchall()]

    def _unlock(self, ids):
        if ids:
            self.env.cr.execute("SELECT pg_advisory_unlock(%s, id) FROM unnest(%s::int[]) AS id", [LOCK_NAMESPACE, ids])

    def _commit(self):
        """Commit outside tests: each outcome must survive what comes after it."""
        if odoo_module.current_test or self.env.context.get("magento_export_no_commit"):
            return
        self.env.cr.commit()  # pylint: disable=invalid-commit
