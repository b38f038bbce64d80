"""The export of invoices and credit notes: one code path for both documents
and for the button, the list action, the Operations wizard and the scheduled
action. Invoices become Magento invoices, credit notes Magento credit memos;
only the jobs (magento_export.sender.ExportJob) and the checks before sending
differ.

How it never duplicates and never loses an id (see README, "Reliability"):

1. Invoices are locked with PostgreSQL *session* advisory locks, which, unlike
   row locks, survive the commits made below; a lock held by another run (or a
   button click) makes this run leave the invoice alone. A crashed worker's
   locks die with its connection. What the run reads of a locked invoice is
   read in a transaction begun after the lock (Odoo's are REPEATABLE READ).
2. Before an invoice's request leaves, the invoice is marked "outcome unknown"
   (``magento_export_sent_at``) and that mark is committed; marks are written
   for the rest of its batch at once, to save commits (marks of invoices
   never sent are cleared when the batch closes).
3. A request whose answer is lost leaves the mark; the next attempt first looks
   the invoice up in Magento (by the comment unique to the Odoo invoice) and
   links what it finds instead of posting again. It posts again
   only once the lost request cannot still be running in Magento (the grace
   period, ``magento_invoice_export.lost_answer_grace_seconds``, 600 s).
4. Outcomes (the Magento id, or the failure) are committed together, a few
   dozen at a time or every couple of seconds: a crash before their commit
   leaves the marks of point 2, so the next run looks them up and links what
   Magento holds; nothing already committed is rolled back by what follows.
   A commit PostgreSQL refuses (a payment registered at that moment) is made
   again one outcome at a time; an outcome refused alone waits for the next
   run, marked. Amid a caller's own unfinished changes, the run waits for the
   caller's commit instead.
5. One Magento request per document: the numbers of a batch's new documents
   (and credit memos' totals) are learned by one look-up for the whole batch.
6. One stream of requests per run: the next batch is locked, checked and
   prepared while the requests of the one before travel (what those ask for
   counts as invoiced already in its checks), and a batch whose answers are
   all in is closed (look-up, notes, log lines, locks) a little at a time
   between answers. The first batch and the last ones are small, so that the
   first request leaves soon and little is left to close after the last.
"""

import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.modules import module as odoo_module

from ..magento_export.policy import EXPORTABLE, MAX_ATTEMPTS
from .const import MOVE_TYPES, OPERATIONS
from .stream import DocumentStream

_logger = logging.getLogger(__name__)


class MagentoInvoiceExporter(models.AbstractModel):
    _name = "magento.invoice.exporter"
    _description = "Magento Document Export"

    @api.model
    def _export_invoices(self, instances, moves=None, respect_attempts=True, documents=("invoice", "creditmemo")):
        """Export the eligible invoices and credit notes of ``instances`` (only
        ``moves`` if given; only the ``documents`` named).

        With ``respect_attempts``, documents that failed :data:`MAX_ATTEMPTS`
        times are skipped (and counted as such). Returns the process logs, one
        per instance and document (a document with nothing to do among
        ``moves`` gets none).
        """
        if self._caller_has_unfinished_changes():
            # The run commits after each invoice: here that would commit the
            # caller's own changes too (a server action, an automation). It runs
            # once the caller has committed, in a transaction of its own, and
            # not at all if the caller rolls back.
            self._export_after_commit(instances, moves, respect_attempts, documents)
            return self.env["magento.process.log"]
        logs = self.env["magento.process.log"]
        logs._close_interrupted_runs()
        for instance in instances:
            for document in documents:
                if moves is not None and not moves.filtered(lambda m, d=document: m.move_type == MOVE_TYPES[d]):
                    continue
                logs |= self._export_instance(instance, moves, respect_attempts, document)
        return logs

    def _idle_logged_today(self, instance, skipped, operation):
        """A run with nothing to export: worth no log, or one a day to recall skipped invoices."""
        if not skipped:
            return True
        midnight = fields.Datetime.now().replace(hour=0, minute=0, second=0, microsecond=0)
        return bool(
            self.env["magento.process.log"]
            .sudo()
            .search_count(
                [
                    ("instance_id", "=", instance.id),
                    ("operation", "=", operation),
                    ("start_date", ">=", midnight),
                    ("skipped_count", ">", 0),
                ],
                limit=1,
            )
        )

    def _caller_has_unfinished_changes(self):
        """Whether the transaction holds changes of the caller's: pending in the
        cache, or already written (PostgreSQL gave it a transaction id)."""
        if odoo_module.current_test or self.env.context.get("magento_export_no_commit"):
            return False
        if self.env.cache.get_dirty_fields() or self.env.transaction.tocompute:
            return True
        self.env.cr.execute("SELECT txid_current_if_assigned() IS NOT NULL")
        return self.env.cr.fetchone()[0]

    def _export_after_commit(self, instances, moves, respect_attempts, documents=("invoice", "creditmemo")):
        instance_ids, move_ids = instances.ids, moves.ids if moves is not None else None
        self._after_commit(
            "the export",
            lambda env: env[self._name]._export_invoices(
                env["magento.instance"].browse(instance_ids).exists(),
                env["account.move"].browse(move_ids).exists() if move_ids is not None else None,
                respect_attempts,
                documents,
            ),
        )

    def _after_commit(self, what, run):
        """Call ``run(env)`` once the caller's transaction is committed, in a
        transaction of its own with the caller's user, context and superuser
        mode; not at all if the caller rolls back. No caller is left to tell
        of a failure then: it is logged."""
        registry, uid, context, su = self.env.registry, self.env.uid, dict(self.env.context), self.env.su

        def hook():
            try:
                with registry.cursor() as cr:
                    run(api.Environment(cr, uid, context, su=su))
            except Exception:
                _logger.exception("Magento: %s run after the caller's commit failed", what)

        self.env.cr.postcommit.add(hook)

    @api.model
    def _cron_export_invoices(self):
        # Hourly runs with nothing to do leave no log (one a day when invoices stay skipped).
        instances = self.env["magento.instance"].sudo().search([])
        self.with_context(magento_quiet_when_idle=True)._export_invoices(instances)

    def _domain(self, instance, document):
        """The documents of ``instance`` a run of ``document`` may take."""
        return [
            ("magento_instance_id", "=", instance.id),
            ("company_id", "=", instance.company_id.id),
            ("move_type", "=", MOVE_TYPES[document]),
        ]

    def _select(self, instance, move_ids, respect_attempts, document):
        """``(ids to export, count skipped)`` of ``instance`` (among ``move_ids`` if given)."""
        Move = self.env["account.move"].sudo()
        domain = self._domain(instance, document)
        if move_ids is not None:
            domain.append(("id", "in", move_ids))
        states = ("to_export", "failed") if respect_attempts else EXPORTABLE
        # Money may have moved: only a person, from the document, sends it again.
        unattended = [("magento_payment_check", "=", False)] if respect_attempts else []
        selected = Move.search(domain + unattended + [("magento_export_state", "in", states)], order="id").ids
        skipped = Move.search_count(domain + [("magento_export_state", "=", "skipped")]) if respect_attempts else 0
        return selected, skipped

    def _forecast(self, instances, document):
        """What a run of ``instances`` (attempts respected) will do with their
        ``document``s: counts of those it exports, of those it only looks up
        (an earlier request may still be running in Magento), of those it
        skips, and of those waiting for a person to check their payment."""
        Move = self.env["account.move"].sudo()
        since = fields.Datetime.now() - timedelta(seconds=self._lost_answer_grace())
        forecast = dict.fromkeys(("export", "waiting", "skipped", "payment_check"), 0)
        for instance in instances:
            selected, skipped = self._select(instance, None, True, document)
            waiting = Move.search_count([("id", "in", selected), ("magento_export_sent_at", ">", since)])
            forecast["export"] += len(selected) - waiting
            forecast["waiting"] += waiting
            forecast["skipped"] += skipped
            forecast["payment_check"] += Move.search_count(
                self._domain(instance, document)
                + [("magento_payment_check", "=", True), ("magento_export_state", "in", ("to_export", "failed"))]
            )
        return forecast

    def _export_instance(self, instance, moves, respect_attempts, document="invoice"):
        operation = OPERATIONS[document]
        move_ids, skipped = self._select(instance, moves.ids if moves is not None else None, respect_attempts, document)
        if (
            not move_ids
            and self.env.context.get("magento_quiet_when_idle")
            and self._idle_logged_today(instance, skipped, operation)
        ):
            return self.env["magento.process.log"]
        log = (
            self.env["magento.process.log"]
            .sudo()
            .create({"operation": operation, "instance_id": instance.id, "company_id": instance.company_id.id})
            ._for_run()
        )
        try:
            # The log exists even if this run dies later.
            self._commit()
            return self._run_instance(instance, log, move_ids, skipped)
        except Exception:
            # A pooled connection must not keep the log's lock: the run would look alive for ever.
            log._release()
            raise

    def _run_instance(self, instance, log, move_ids, skipped):
        """The run itself, batch after batch; returns its finished log."""
        # A queued run taken up again after its worker died goes on counting.
        counts = {
            "exported": log.exported_count,
            "failed": log.failed_count,
            "waiting": log.waiting_count,
            "not_exportable": log.not_exportable_count,
            "skipped": skipped,
            "todo": len(move_ids)
            + log.exported_count
            + log.failed_count
            + log.waiting_count
            + log.not_exportable_count,
        }
        stop = None
        try:
            client_factory = instance._client_factory()
        except UserError as error:
            stop = str(error.args[0])
        if not stop:
            self._fill_numbers(instance, log, client_factory)
            stop = self._export_batches(instance, move_ids, log, counts, client_factory)
        summary = self._summary(counts, stop)
        if counts["not_exportable"]:
            summary += " " + self.env._(
                "%(count)s not exportable: Magento invoiced their goods already; their lines say what a Magento "
                "manager can do.",
                count=counts["not_exportable"],
            )
        if counts["skipped"]:
            summary += " " + self.env._(
                "Skipped ones failed %(max)s times: fix what their log says, then a Magento manager resets their "
                "attempts (Magento > Invoices or Credit Notes, filter Skipped).",
                max=MAX_ATTEMPTS,
            )
        if counts.get("busy"):
            summary += " " + self.env._("%(count)s left alone: another run was exporting them.", count=counts["busy"])
        if counts.get("retry"):
            summary += " " + self.env._(
                "%(count)s changed by someone else meanwhile: the next run takes them up.", count=counts["retry"]
            )
        log._finish(
            counts["exported"],
            counts["failed"],
            counts["skipped"],
            summary=summary,
            stopped=bool(stop),
            waiting=counts["waiting"],
            not_exportable=counts["not_exportable"],
        )
        self._commit()
        return log

    def _summary(self, counts, stop):
        """The run's counts in a sentence (its first words, for the log's summary)."""
        if stop:
            return self.env._("The run stopped: %(reason)s", reason=stop)
        if not counts["waiting"]:
            return self.env._(
                "%(exported)s exported, %(failed)s failed, %(skipped)s skipped.",
                exported=counts["exported"],
                failed=counts["failed"],
                skipped=counts["skipped"],
            )
        # A wait is no failure: the document goes by itself once Magento settles.
        return self.env._(
            "%(exported)s exported, %(waiting)s waiting, %(failed)s failed, %(skipped)s skipped. "
            "Waiting ones were looked up, not sent again: Magento may still be creating them after a request "
            "whose answer was lost. An export %(minutes)s minutes after that request creates those Magento "
            "still does not have.",
            exported=counts["exported"],
            waiting=counts["waiting"],
            failed=counts["failed"],
            skipped=counts["skipped"],
            minutes=max(round(self._lost_answer_grace() / 60), 1),
        )

    def _export_batches(self, instance, move_ids, log, counts, client_factory):
        """Export the run's documents as one stream of requests (export/stream.py);
        return a reason to stop the run, or None."""
        return DocumentStream(self, instance, move_ids, log, counts, client_factory).run()
