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

import datetime
import json
import logging
import sys
import threading
import time
from collections import deque

from markupsafe import Markup
from psycopg2.extensions import TRANSACTION_STATUS_INERROR

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.modules import module as odoo_module
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY as PG_CONCURRENCY_ERRORS
from odoo.tools import split_every

from ..magento_client import MagentoError
from ..magento_client.client import is_array_limit
from ..magento_export.advice import NEEDS_ACTION, failure_kind
from ..magento_export.payload import creditmemo_comment, invoice_comment
from ..magento_export.pipeline import InFlight, NotSent
from ..magento_export.policy import (
    DEFAULT_LOST_ANSWER_GRACE,
    DOCUMENTS,
    EXPORTABLE,
    MAX_ATTEMPTS,
    FailureOutcome,
    failure_outcome,
    may_post_again,
)
from ..magento_export.sender import ExportJob, NoMatchingMagentoInvoice, NumbersLookup, export_document

_logger = logging.getLogger(__name__)


BATCH_SIZE = 200
# The first batch of a run, and the last BATCH_SIZE documents, go in batches
# this small: Magento gets its first request sooner, and the last batch's
# closing (numbers, notes), which no request overlaps, is short.
EDGE_BATCH_SIZE = 40
# More documents than this, asked for from a screen, are exported in the
# background (ir.config_parameter magento_invoice_export.background_threshold).
DEFAULT_BACKGROUND_THRESHOLD = 20
# Outcomes committed together: at most this many, at most this many seconds old.
COMMIT_EVERY = 50
# Seconds a thread may hold the GIL while another waits, during a batch's requests.
GIL_SWITCH_INTERVAL = 0.0001
COMMIT_SECONDS = 2.0
# Exported documents announced (number, note, log line) between two answers.
ANNOUNCE_CHUNK = 50
# First key of our advisory locks ("MAGE"), the second being the invoice id.
LOCK_NAMESPACE = 0x4D414745
FIELDS_READ_AFTER_LOCK = ["magento_invoice_id", "magento_export_sent_at", "magento_export_attempts", "state"]
# Each document's run, in this order: a credit memo needs its invoice in Magento first.
MOVE_TYPES = {document: move_type for move_type, document in DOCUMENTS.items()}
OPERATIONS = {"invoice": "export_invoice", "creditmemo": "export_creditmemo"}


class MagentoInvoiceExporter(models.AbstractModel):
    _name = "magento.invoice.exporter"
    _description = "Magento Invoice Export"

    # ------------------------------------------------------------------
    # Entry points
    # ------------------------------------------------------------------
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

    # ------------------------------------------------------------------
    # In the background: long runs never inside a web request
    # ------------------------------------------------------------------
    def _background_threshold(self):
        return int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("magento_invoice_export.background_threshold", DEFAULT_BACKGROUND_THRESHOLD)
        )

    def _export_from_screen(self, instances, moves=None, respect_attempts=True, documents=("invoice", "creditmemo")):
        """The Operations wizard's and the list action's export: at once for a
        handful of documents, otherwise queued for the background (the
        scheduled runner, or queue_job's jobs) with a log per instance and
        document that shows its progress. Returns the logs."""
        queued = self.env["magento.process.log"]
        todo = []
        for instance in instances:
            for document in documents:
                ids = None
                if moves is not None:
                    ids = moves.filtered(lambda m, d=document: m.move_type == MOVE_TYPES[d]).ids
                if ids == []:
                    continue
                selected, skipped = self._select(instance, ids, respect_attempts, document)
                todo.append((instance, document, ids, selected, skipped))
        if sum(len(selected) for *_rest, selected, _skipped in todo) <= self._background_threshold():
            return self._export_invoices(instances, moves, respect_attempts, documents)
        for instance, document, _ids, selected, skipped in todo:
            queued |= self._queue(instance, document, selected, skipped, respect_attempts)
        return queued

    def _queue(self, instance, document, move_ids, skipped, respect_attempts):
        """A queued log for ``move_ids`` and what runs it: jobs when queue_job
        is installed, else the scheduled runner, triggered at once."""
        logs = self.env["magento.process.log"]
        # Set now, in this one transaction: workers starting together would race to create it.
        self.env["account.move"]._magento_db_tag()
        for batch_ids in split_every(BATCH_SIZE, move_ids, list) if self._queue_job_ready() else [move_ids]:
            log = logs.sudo().create(
                {
                    "operation": OPERATIONS[document],
                    "instance_id": instance.id,
                    "company_id": instance.company_id.id,
                    "state": "queued",
                    "queued_move_ids": batch_ids,
                    "respect_attempts": respect_attempts,
                    "skipped_count": skipped,
                    "remaining_count": len(batch_ids),
                }
            )
            logs |= log
            if self._queue_job_ready():
                self._enqueue(log)
        if not self._queue_job_ready():
            self.env.ref("magento_invoice_export.ir_cron_magento_run_queued").sudo()._trigger()
        return logs

    def _queue_job_ready(self):
        """Whether OCA's queue_job is installed (its jobs then carry the runs)."""
        return "queue.job" in self.env and hasattr(self, "with_delay")

    def _enqueue(self, log):
        # Imported here: queue_job is optional.
        from odoo.addons.queue_job.job import identity_exact

        self._ensure_channel()
        self.with_delay(
            channel="root.magento",
            identity_key=identity_exact,
            description=log.name,
            max_retries=5,
        )._run_queued_log(log.id)

    def _ensure_channel(self):
        """The root.magento channel, created on first use (queue_job's capacity is set in the server's config)."""
        Channel = self.env["queue.job.channel"].sudo()
        if not Channel.search_count([("complete_name", "=", "root.magento")], limit=1):
            root = Channel.search([("complete_name", "=", "root")], limit=1)
            Channel.create({"name": "magento", "parent_id": root.id})

    @api.model
    def _cron_run_queued(self):
        """The scheduled runner: every queued log, oldest first."""
        for log in self.env["magento.process.log"].sudo().search([("state", "=", "queued")], order="id"):
            self._run_queued_log(log.id)

    @api.model
    def _run_queued_log(self, log_id):
        """Run one queued log (a queue_job job, or the scheduled runner)."""
        log = self.env["magento.process.log"].sudo().browse(log_id).exists()
        # Queued, or a run whose worker died (a retried job): one worker only.
        if not log or log.state not in ("queued", "running", "interrupted") or not log._try_claim():
            return False
        document = "creditmemo" if log.operation == "export_creditmemo" else "invoice"
        move_ids, skipped = self._select(log.instance_id, log.queued_move_ids, log.respect_attempts, document)
        # What this log already recorded is not tried again: no attempt spent twice.
        done = set(log.line_ids.move_id.ids)
        move_ids = [move_id for move_id in move_ids if move_id not in done]
        log = log._for_run(claimed=True)
        log.write({"state": "running", "end_date": False})
        try:
            self._commit()
            self._run_instance(log.instance_id, log, move_ids, skipped)
        except PG_CONCURRENCY_ERRORS:
            log._release()
            if self._queue_job_ready():
                from odoo.addons.queue_job.exception import RetryableJobError

                # Soon: what it recorded is kept, the rest waits for it.
                raise RetryableJobError("Magento export: a concurrent change, tried again", seconds=2) from None
            raise
        except Exception:
            log._release()
            raise
        return True

    @api.model
    def _cron_export_invoices(self):
        # Hourly runs with nothing to do leave no log (one a day when invoices stay skipped).
        instances = self.env["magento.instance"].sudo().search([])
        self.with_context(magento_quiet_when_idle=True)._export_invoices(instances)

    # ------------------------------------------------------------------
    # One instance
    # ------------------------------------------------------------------
    def _select(self, instance, move_ids, respect_attempts, document):
        """``(ids to export, count skipped)`` of ``instance`` (among ``move_ids`` if given)."""
        Move = self.env["account.move"].sudo()
        domain = [
            ("magento_instance_id", "=", instance.id),
            ("company_id", "=", instance.company_id.id),
            ("move_type", "=", MOVE_TYPES[document]),
        ]
        if move_ids is not None:
            domain.append(("id", "in", move_ids))
        states = ("to_export", "failed") if respect_attempts else EXPORTABLE
        selected = Move.search(domain + [("magento_export_state", "in", states)], order="id").ids
        skipped = Move.search_count(domain + [("magento_export_state", "=", "skipped")]) if respect_attempts else 0
        return selected, skipped

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
            "skipped": skipped,
            "todo": len(move_ids) + log.exported_count + log.failed_count,
        }
        stop = None
        try:
            client_factory = instance._client_factory()
        except UserError as error:
            stop = str(error.args[0])
        if not stop:
            self._fill_numbers(instance, log, client_factory)
            stop = self._export_batches(instance, move_ids, log, counts, client_factory)
        if stop:
            summary = self.env._("The run stopped: %(reason)s", reason=stop)
        else:
            summary = self.env._(
                "%(exported)s exported, %(failed)s failed, %(skipped)s skipped.",
                exported=counts["exported"],
                failed=counts["failed"],
                skipped=counts["skipped"],
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
        log._finish(counts["exported"], counts["failed"], counts["skipped"], summary=summary, stopped=bool(stop))
        self._commit()
        return log

    def _export_batches(self, instance, move_ids, log, counts, client_factory):
        """Export the run's documents as one stream of requests; return a
        reason to stop the run, or None.

        The documents go in batches of BATCH_SIZE, each locked, checked and
        prepared while the requests of the one before are still travelling,
        and closed (numbers learned, notes written, locks released) in Odoo's
        idle time between answers: Magento's pace, not Odoo's bookkeeping,
        sets the speed of the run.
        """
        Move = self.env["account.move"].sudo()
        to_open = deque(_batches(move_ids))
        sink = _Sink(self, log)
        outcomes = _Outcomes(self, instance, sink, counts)
        batches = []  # opened and not closed yet
        batch_of = {}  # move id -> its open batch
        travelling = {}  # move id -> (move, job): sent or to be sent, no answer yet
        claimed = {}  # order id -> Magento ids linked already (shared by the order's jobs)
        chores = deque()  # closings of batches, done a little at a time between answers
        progress = {"done": 0}
        streaming = True
        local = threading.local()

        def send(job):
            if not hasattr(local, "client"):
                local.client = client_factory()
            if isinstance(job, NumbersLookup):
                return job.send(local.client)
            try:
                return export_document(local.client, job)
            except MagentoError as error:
                if error.instance_fault:
                    # The instance's own fault (credentials, address): no
                    # other request of this run leaves after this one.
                    runner.cancel()
                raise

        def more():
            while to_open and not outcomes.stop:
                ids = to_open.popleft()
                # Outcomes not committed yet must not be rolled back by what
                # opening a batch commits or rolls back.
                outcomes.commit()
                batch = self._open_batch(instance, Move.browse(ids), sink, counts, client_factory, claimed, travelling)
                progress["done"] += len(ids)
                self.env["ir.cron"]._notify_progress(done=progress["done"], remaining=len(move_ids) - progress["done"])
                if isinstance(batch, str):
                    outcomes.stop = batch
                    runner.cancel()
                    return None
                if batch is None:
                    continue
                batches.append(batch)
                for job in batch.jobs:
                    batch_of[job.move_id] = batch
                    travelling[job.move_id] = (batch.by_id[job.move_id], job)
                return batch.jobs
            return None

        def before_send(job):
            if not job.may_post:
                return None
            batch = batch_of[job.move_id]
            if job.move_id in batch.marked:
                return None
            # The outcomes recorded so far go first: the marks' commit must
            # not carry them unaccounted for.
            outcomes.commit()
            # Mark this document and the rest of its batch in one write (each
            # commit costs the ORM's cache): durable before any of their
            # requests leaves, so that if Odoo dies, the next run looks them
            # up instead of posting blindly.
            window = [job.move_id] + [
                j.move_id for j in batch.jobs if j.may_post and j.move_id not in batch.marked and j is not job
            ]
            batch.moves.browse(window)._magento_write({"magento_export_sent_at": fields.Datetime.now()})
            if not self._commit_outcome():
                # The mark is not durable: this request must not leave now.
                counts["retry"] = counts.get("retry", 0) + 1
                return False
            batch.marked.update(window)
            return True

        def idle():
            if not chores:
                return False
            try:
                next(chores[0])
            except StopIteration:
                chores.popleft()
            return True

        def answered(batch, job):
            travelling.pop(job.move_id, None)
            batch.left -= 1
            if batch.left:
                return
            # Every answer of the batch is in: learn its numbers, among the
            # other batches' requests.
            outcomes.commit()
            batch.exported = outcomes.take(batch.by_id)
            unknown = [result.invoice_id for _job, result in batch.exported if not result.increment_id]
            if unknown and streaming and not runner.cancelled:
                kind = "creditmemos" if batch.jobs[0].is_creditmemo else "invoices"
                runner.add([NumbersLookup(kind, min(unknown), max(unknown), batch=batch)])
            else:
                chores.append(self._close_batch(batch, None, client_factory, sink, outcomes, batches, batch_of, log))

        runner = InFlight(send, instance.export_concurrency)
        # Odoo's thread works in Python between answers: a worker waiting
        # for the GIL to read its answer must not wait its default 5 ms.
        switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(min(switch_interval, GIL_SWITCH_INTERVAL))
        try:
            stream = runner.run(
                [],
                key=lambda job: job.magento_order_id,
                before_send=before_send,
                more=more,
                idle=idle,
                report_unsent=True,
            )
            for job, result, error in stream:
                if isinstance(job, NumbersLookup):
                    if error is not None and not isinstance(error, NotSent):
                        _logger.info("Magento: numbers of new %s not learned now (%s)", job.kind, error)
                    # Not sent (the run stopped): asked once the stream is over.
                    documents = result if error is None else None if isinstance(error, NotSent) else []
                    chores.append(
                        self._close_batch(job.batch, documents, client_factory, sink, outcomes, batches, batch_of, log)
                    )
                    continue
                batch = batch_of[job.move_id]
                if isinstance(error, NotSent):
                    if job.move_id in batch.marked and not job.uncertain:
                        batch.unsent.append(job.move_id)
                else:
                    stops = outcomes.add(batch.by_id[job.move_id], job, result, error)
                    if stops and not outcomes.stop:
                        outcomes.stop = instance._explain_error(error)
                        runner.cancel()
                answered(batch, job)
            streaming = False
            sys.setswitchinterval(switch_interval)
            # Jobs the stopped run never handed to a worker.
            for job in runner.unsent:
                if isinstance(job, NumbersLookup):
                    continue
                batch = batch_of.get(job.move_id)
                if batch is not None and job.move_id in travelling:
                    if job.move_id in batch.marked and not job.uncertain:
                        batch.unsent.append(job.move_id)
                    answered(batch, job)
            while chores:
                idle()
        finally:
            sys.setswitchinterval(switch_interval)
            for batch in batches:
                self._unlock(batch.locked)
        return outcomes.stop

    def _open_batch(self, instance, moves, sink, counts, client_factory, claimed, travelling):
        """Lock, check and prepare one batch: a :class:`_Batch` with jobs to
        send, None when none is left to send, or a reason to stop the run."""
        locked = self._lock(moves)
        counts["busy"] = counts.get("busy", 0) + len(moves) - len(locked)
        moves = moves.browse(locked)
        batch = None
        try:
            # Odoo's transactions are REPEATABLE READ: this one's snapshot may
            # predate the moment another run let these documents go, and would
            # show them as they were (unmarked, while that run's request made
            # them in Magento). A transaction begun after the locks reads them
            # as that run left them.
            self._commit_outcome()
            # Another run may have exported them between our search and the lock.
            moves.invalidate_recordset([*FIELDS_READ_AFTER_LOCK, "magento_export_state"])
            moves = moves.filtered(lambda m: m.magento_export_state in EXPORTABLE)
            if not moves:
                return None
            jobs = self._prepare_jobs(instance, moves, claimed)
            try:
                check = self._check_refunds_before_sending if jobs[0].is_creditmemo else self._check_before_sending
                refused = check(jobs, moves, client_factory, list(travelling.values()))
            except MagentoError as error:
                # Asking Magento about the order met the instance's own fault.
                return instance._explain_error(error)
            for job, problem, in_magento in refused:
                self._record_refusal(moves.browse(job.move_id), job, problem, sink, in_magento)
                counts["failed"] += 1
            if refused:
                refused_ids = {job.move_id for job, _problem, _in_magento in refused}
                jobs = [job for job in jobs if job.move_id not in refused_ids]
                sink.flush()
                # Refused again by the next run if a concurrent change rolls this back.
                self._commit_outcome()
            if jobs:
                batch = _Batch(locked, moves, jobs)
            return batch
        finally:
            if batch is None:
                self._unlock(locked)

    def _close_batch(self, batch, documents, client_factory, sink, outcomes, batches, batch_of, log):
        """Close a batch whose answers are all in, a step at a time (a
        generator): numbers, notes and log lines; marks of what was never sent
        cleared; credit notes waiting for its invoices woken; locks released.
        ``documents`` is what the look-up of its new numbers found, None when
        it has still to be asked."""
        if documents is None:
            documents = self._learn_numbers(batch.exported, client_factory)
        yield from self._announce(batch, documents, sink, outcomes)
        outcomes.commit()
        # Marked ahead but never sent (the run stopped): nothing is unknown about them.
        unsent = batch.moves.browse(batch.unsent)
        if unsent:
            unsent._magento_write({"magento_export_sent_at": False})
            # Rolled back, they are only looked up once more: never posted twice.
            self._commit_outcome()
        if not batch.jobs[0].is_creditmemo:
            self._wake_waiting_credit_notes(batch.moves.browse([job.move_id for job, _result in batch.exported]))
        self._unlock(batch.locked)
        batches.remove(batch)
        for job in batch.jobs:
            batch_of.pop(job.move_id, None)
        log._heartbeat()
        # Memory stays flat however many batches a run takes.
        self.env.invalidate_all()

    # ------------------------------------------------------------------
    # Jobs and outcomes
    # ------------------------------------------------------------------
    def _prepare_jobs(self, instance, moves, claimed=None):
        """One :class:`ExportJob` per move of the batch (all of one document).

        ``claimed`` (order id -> Magento invoice ids linked already) is the
        run's, shared by an order's jobs in every batch."""
        if moves[:1].move_type == "out_refund":
            return self._prepare_creditmemo_jobs(instance, moves)
        # Any order's Magento invoices may be looked up (after a lost answer,
        # or a refusal: Magento may have invoiced the goods itself): those
        # linked to other Odoo invoices must not be adopted by items.
        claimed = {} if claimed is None else claimed
        for move in self._exported(moves.magento_sale_order_id, ("out_invoice",)):
            claimed.setdefault(move.magento_sale_order_id.id, set()).add(move.magento_invoice_id)
        jobs = []
        for move, common in self._job_basics(moves):
            order = move.magento_sale_order_id
            jobs.append(
                ExportJob(
                    **common,
                    notify=instance.notify_customer_on_invoice,
                    capture=order.magento_payment_method_id.capture_on_export,
                    # Shared by the order's jobs, which run one after the other.
                    claimed_ids=claimed.setdefault(order.id, set()),
                    # Read here, with the batch's lines at hand, not once per outcome.
                    left_out=tuple(move._magento_left_out_lines()),
                )
            )
        return jobs

    def _prepare_creditmemo_jobs(self, instance, moves):
        jobs = []
        for move, common in self._job_basics(moves):
            order = move.magento_sale_order_id
            shipping, positive, negative = move._magento_refund_amounts()
            if not common["items"]:
                # No item means "refund everything" to Magento: an amount-only
                # credit memo names one item with nothing to refund.
                first = order.order_line.filtered("magento_item_id")[:1]
                common["items"] = [(first.magento_item_id, 0.0)]
            refunded = move._magento_refunded_invoice() if order.magento_payment_method_id.refund_online else None
            jobs.append(
                ExportJob(
                    **common,
                    document="creditmemo",
                    notify=instance.notify_customer_on_creditmemo,
                    shipping_amount=shipping,
                    adjustment_positive=positive,
                    adjustment_negative=negative,
                    refund_invoice_id=refunded.magento_invoice_id if refunded else 0,
                    refund_move_id=refunded.id if refunded else 0,
                    return_to_stock=instance.return_to_stock,
                )
            )
        return jobs

    def _job_basics(self, moves):
        """``(move, fields every job has)`` for each move."""
        grace = self._lost_answer_grace()
        now = fields.Datetime.now()
        db_tag = self.env["account.move"]._magento_db_tag()
        for move in moves:
            comment = creditmemo_comment if move.move_type == "out_refund" else invoice_comment
            yield (
                move,
                {
                    "move_id": move.id,
                    "name": move.name,
                    "magento_order_id": move.magento_sale_order_id.magento_order_id,
                    "items": move._magento_invoice_items(),
                    "comment": comment(move.name, f"{db_tag}-{move.id}"),
                    "uncertain": bool(move.magento_export_sent_at),
                    "may_post": may_post_again(move.magento_export_sent_at or None, now, grace),
                },
            )

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

    def _check_before_sending(self, jobs, moves, client_factory, travelling=()):
        """``[(job, problem)]`` for the jobs Magento would refuse or silently change.

        Nothing is sent for them. What is left of an item is what was ordered,
        less what Magento canceled, less what exported Odoo invoices and earlier
        jobs of this batch took. What Magento invoiced itself (a gateway at
        checkout) can only be *linked*: a job reaching into it is marked
        ``link_only`` and must match one of Magento's own invoices. A fractional
        quantity of an item Magento counts in whole units would be truncated
        there (docs/magento-behaviour.md §5): refused. ``travelling`` are the
        run's ``(move, job)`` sent or about to be, whose answer is not in: their
        goods count as taken, as earlier jobs of the batch do.
        """
        orders, items, failures = self._order_items(jobs, moves, client_factory)
        by_id = {move.id: move for move in moves}
        taken = {}
        exported = self._exported(orders, ("out_invoice",))
        credited = {}  # key -> Magento numbers of exported invoices credited in Odoo since
        own_taken = {}  # key -> what invoices linked to Magento's own invoices took of it
        for move in exported:
            is_credited = any(r.state == "posted" for r in move.reversal_move_ids)
            # What Magento holds, not the lines as they may have been edited since.
            held = move.magento_exported_items or move._magento_invoice_items()
            for item_id, qty in held:
                key = (move.magento_sale_order_id.id, int(item_id))
                taken[key] = taken.get(key, 0.0) + qty
                if move.magento_linked:
                    own_taken[key] = own_taken.get(key, 0.0) + qty
                if is_credited:
                    credited.setdefault(key, []).append(move.magento_invoice_ref)
        for move, job in travelling:
            for item_id, qty in job.items:
                key = (move.magento_sale_order_id.id, item_id)
                taken[key] = taken.get(key, 0.0) + qty
        refused = []
        for job in sorted(jobs, key=lambda j: j.move_id):
            order_id = by_id[job.move_id].magento_sale_order_id.id
            if order_id in failures:
                refused.append((job, failures[order_id], False))
                continue
            problems = []
            in_magento = []
            link_only = False
            for item_id, qty in job.items:
                key = (order_id, item_id)
                info = items[key]
                if qty != int(qty) and info["kind"] == "whole":
                    problems.append(self._whole_units_problem(info, qty, refund=False))
                left = info["ordered"] - info["canceled"] - taken.get(key, 0.0)
                if qty > left + 1e-6 and credited.get(key):
                    # Refunding never lowers what Magento invoiced (§8): the
                    # credited invoice still holds these goods there.
                    in_magento += credited[key]
                elif qty > left + 1e-6:
                    problems.append(
                        self.env._(
                            "The invoice asks Magento for more than the order has left to invoice "
                            "(%(product)s: %(qty)s on this invoice, %(left)s left of %(ordered)s ordered). "
                            "Correct the quantities with a credit note and a new invoice.",
                            product=info["name"],
                            qty=round(qty, 4),
                            left=round(max(left, 0.0), 4),
                            ordered=round(info["ordered"], 4),
                        )
                    )
                elif qty > left - max(info["native"] - own_taken.get(key, 0.0), 0.0) + 1e-6:
                    link_only = True
            if in_magento:
                refused.append(
                    (
                        job,
                        self.env._(
                            "Magento already invoiced these goods with %(refs)s, credited in Odoo since, and Magento "
                            "never invoices the same goods twice. A Magento manager can mark this invoice Not to "
                            "Export, or link it by hand to a Magento invoice (Magento Info tab).",
                            refs=", ".join(sorted(set(in_magento))),
                        ),
                        True,
                    )
                )
                continue
            if problems:
                refused.append((job, " ".join(problems), False))
                continue
            job.link_only = link_only
            for item_id, qty in job.items:
                taken[(order_id, item_id)] = taken.get((order_id, item_id), 0.0) + qty
        return refused

    def _exported(self, orders, move_types):
        """The moves of ``orders`` Magento holds, of ``move_types``."""
        return (
            self.env["account.move"]
            .sudo()
            .search(
                [
                    ("magento_sale_order_id", "in", orders.ids),
                    ("magento_invoice_id", "!=", 0),
                    ("move_type", "in", move_types),
                ]
            )
        )

    def _order_items(self, jobs, moves, client_factory):
        """``(orders, items, failures)``: the batch's orders; what Odoo knows of
        each of their Magento items, by ``(order id, item id)``; and, by order
        id, why Magento could not say whether an item takes a fractional
        quantity a job asks for."""
        orders = moves.magento_sale_order_id
        items = {}
        for line in orders.order_line.filtered("magento_item_id"):
            info = items.setdefault(
                (line.order_id.id, line.magento_item_id),
                {"ordered": 0.0, "native": 0.0, "canceled": 0.0, "lines": line.browse(), "kind": False},
            )
            info["ordered"] += line.product_uom_qty
            info["native"] += line.magento_qty_invoiced
            info["canceled"] += line.magento_qty_canceled
            info["lines"] |= line
            info["kind"] = info["kind"] or line.magento_qty_decimal
            info["name"] = line.product_id.display_name
        by_id = {move.id: move for move in moves}
        unknown = self.env["sale.order"]
        for job in jobs:
            order = by_id[job.move_id].magento_sale_order_id
            if any(qty != int(qty) and not items[(order.id, i)]["kind"] for i, qty in job.items):
                unknown |= order
        return orders, items, self._learn_quantity_kinds(unknown, items, client_factory)

    def _check_refunds_before_sending(self, jobs, moves, client_factory, travelling=()):
        """``[(job, problem, False)]`` for the credit memos Magento would refuse
        or silently cut: a fractional quantity of a whole-unit item, or more of
        an item than Magento has left to refund (what exported invoices took,
        less what exported credit notes gave back). Through an invoice (online),
        Magento caps each quantity at what that invoice has left, silently: the
        same check, against that invoice (docs/magento-behaviour.md §8).
        ``travelling`` credit notes, whose answer is not in, count as refunded."""
        orders, items, failures = self._order_items(jobs, moves, client_factory)
        by_id = {move.id: move for move in moves}
        exported = self._exported(orders, ("out_invoice", "out_refund"))
        left, invoiced, on_invoice = {}, {}, {}
        for move in exported:
            sign = 1 if move.move_type == "out_invoice" else -1
            invoice = move if sign > 0 else move._magento_refunded_invoice()
            for item_id, qty in move.magento_exported_items or move._magento_invoice_items():
                key = (move.magento_sale_order_id.id, int(item_id))
                left[key] = left.get(key, 0.0) + sign * qty
                on_invoice[(invoice.id, int(item_id))] = on_invoice.get((invoice.id, int(item_id)), 0.0) + sign * qty
                if sign > 0:
                    invoiced[key] = invoiced.get(key, 0.0) + qty
        for move, job in travelling:
            self._refund_taken(move, job, left, on_invoice)
        refused = []
        for job in sorted(jobs, key=lambda j: j.move_id):
            move = by_id[job.move_id]
            order_id = move.magento_sale_order_id.id
            if order_id in failures:
                refused.append((job, failures[order_id], False))
                continue
            invoice = move.browse(job.refund_move_id) if job.refund_invoice_id else None
            problems = []
            for item_id, qty in job.items:
                key = (order_id, item_id)
                info = items[key]
                if not qty:
                    continue
                if qty != int(qty) and info["kind"] == "whole":
                    problems.append(self._whole_units_problem(info, qty, refund=True))
                available = left.get(key, 0.0)
                if invoice:
                    available = min(available, on_invoice.get((invoice.id, item_id), 0.0))
                if qty > available + 1e-6:
                    problems.append(
                        self.env._(
                            "The credit note refunds more than Magento has left to refund (%(product)s: %(qty)s on "
                            "this credit note, %(left)s left of %(invoiced)s invoiced in Magento%(through)s). Correct "
                            "its quantities, or export the invoice of these goods first.",
                            product=info["name"],
                            qty=round(qty, 4),
                            left=round(max(available, 0.0), 4),
                            invoiced=round(invoiced.get(key, 0.0), 4),
                            through=self.env._(", on invoice %(ref)s", ref=invoice._magento_number())
                            if invoice
                            else "",
                        )
                    )
            if problems:
                refused.append((job, " ".join(problems), False))
                continue
            self._refund_taken(move, job, left, on_invoice)
        return refused

    @staticmethod
    def _refund_taken(move, job, left, on_invoice):
        """What a credit memo on its way takes from what is left to refund."""
        order_id = move.magento_sale_order_id.id
        for item_id, qty in job.items:
            left[(order_id, item_id)] = left.get((order_id, item_id), 0.0) - qty
            if job.refund_invoice_id:
                key = (job.refund_move_id, item_id)
                on_invoice[key] = on_invoice.get(key, 0.0) - qty

    def _whole_units_problem(self, info, qty, refund):
        """A fractional quantity of an item Magento counts in whole units: an
        invoice truncates it (§5), a credit memo is refused (§8)."""
        if refund:
            return self.env._(
                "Magento counts %(product)s in whole units and refuses to refund %(qty)s of it: refund whole units.",
                product=info["name"],
                qty=round(qty, 4),
            )
        return self.env._(
            "Magento counts %(product)s in whole units and would record %(qty)s as %(whole)s: invoice whole units "
            "of it.",
            product=info["name"],
            qty=round(qty, 4),
            whole=int(qty),
        )

    def _learn_quantity_kinds(self, orders, items, client_factory):
        """Ask Magento whether the items of ``orders`` take decimal quantities.

        Only for orders Odoo did not import (linked by another connector) and
        only when an invoice holds a fractional quantity. Returns
        ``{order id: problem}`` for the orders Magento could not tell about.
        """
        failures = {}
        if not orders:
            return failures
        client = client_factory()
        for order in orders:
            try:
                magento_order = client.get_order(order.magento_order_id)
            except MagentoError as error:
                if error.instance_fault:
                    raise  # the run stops: no invoice spends an attempt on it
                failures[order.id] = self.env._(
                    "An invoice line has a fractional quantity, and Magento could not say whether it accepts one "
                    "for that item (%(error)s): export again later.",
                    error=error,
                )
                continue
            for item in magento_order.get("items") or []:
                info = items.get((order.id, item.get("item_id")))
                if info:
                    info["kind"] = "decimal" if item.get("is_qty_decimal") else "whole"
                    info["lines"].sudo().magento_qty_decimal = info["kind"]
        return failures

    def _record_refusal(self, move, job, problem, sink, in_magento=False):
        """Bad input found before sending: a failed attempt, nothing sent.

        Goods Magento invoiced already (``in_magento``) cost no attempt: the
        invoice becomes Not Exportable with that reason until it is corrected.
        """
        message = self.env._("Not sent: %(problem)s", problem=problem)
        # The problem says what to do; it needs a person either way.
        failure = {"magento_last_error": message[:500], "magento_advice": problem, "magento_failure_kind": "action"}
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
                "magento_exported_items": [[item_id, qty] for item_id, qty in job.items],
            }
        )

    def _fill_numbers(self, instance, log, client_factory):
        """Numbers an earlier run could not learn (Magento did not tell then)."""
        Move = self.env["account.move"].sudo()
        document_type = "out_refund" if log.operation == "export_creditmemo" else "out_invoice"
        missing = Move.search(
            [
                ("magento_instance_id", "=", instance.id),
                ("move_type", "=", document_type),
                ("magento_invoice_id", "!=", 0),
                ("magento_invoice_ref", "=", False),
            ],
            limit=BATCH_SIZE,
        )
        # Not those of a run still busy with them (it learns their numbers itself).
        locked = self._lock(missing)
        try:
            self._fill_locked_numbers(missing.browse(locked), document_type, client_factory)
        finally:
            self._unlock(locked)

    def _fill_locked_numbers(self, missing, document_type, client_factory):
        if not missing:
            return
        ids = missing.mapped("magento_invoice_id")
        kind = "creditmemos" if document_type == "out_refund" else "invoices"
        try:
            documents = client_factory().documents_between(kind, min(ids), max(ids))
        except MagentoError:
            return
        numbers = {int(d["entity_id"]): d.get("increment_id") for d in documents}
        for move in missing:
            if numbers.get(move.magento_invoice_id):
                move._magento_write({"magento_invoice_ref": numbers[move.magento_invoice_id]})
        self._commit_outcome()

    def _learn_numbers(self, exported, client_factory):
        """Magento's documents holding the numbers of ``exported``'s new ones
        (one look-up, client.documents_between), [] if Magento cannot tell now."""
        unknown = [result.invoice_id for _job, result in exported if not result.increment_id]
        if not unknown:
            return []
        kind = "creditmemos" if exported[0][0].is_creditmemo else "invoices"
        try:
            return client_factory().documents_between(kind, min(unknown), max(unknown))
        except MagentoError as error:
            _logger.info("Magento: numbers of new %s not learned now (%s)", kind, error)
            return []

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
                    totals_warning = self._totals_warning(move, result) if job.is_creditmemo else False
                    if result.increment_id or totals_warning:
                        move._magento_write(
                            {
                                "magento_invoice_ref": result.increment_id or False,
                                "magento_totals_warning": totals_warning,
                            }
                        )
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

    def _totals_warning(self, move, result):
        """Magento's credit memo total against the credit note's, in the
        document's currency (the order's): a sentence with both, or False.
        Magento's own rules (shipping tax, adjustments, rounding) may make them
        differ; Magento's figure is what the customer's account shows."""
        document = result.document or {}
        if document.get("grand_total") is None:
            return False
        currency = move.currency_id
        theirs = float(document["grand_total"])
        if currency.compare_amounts(theirs, move.amount_total) == 0:
            return False
        return self.env._(
            "Magento's credit memo %(ref)s totals %(magento)s where this credit note totals %(odoo)s: check "
            "shipping, adjustments and taxes in Magento.",
            ref=result.increment_id or result.invoice_id,
            magento=currency.format(theirs),
            odoo=currency.format(move.amount_total),
        )

    def _record_failure(self, move, job, error, sink, instance):
        if getattr(error, "deferred", False):
            return self._record_deferral(move, job, error, sink)
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
        if getattr(error, "magento_holds", None):
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
                "magento_failure_kind": "action" if kind in NEEDS_ACTION else "retry",
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

    def _advice(self, kind, job=None):
        """What a person can do about a failure of this kind (magento_export.advice);
        the credentials' advice is the instance's (``_credentials_advice``)."""
        if job is not None and job.is_creditmemo and kind in ("quantity", "document"):
            return self._creditmemo_advice(kind, job)
        return {
            "no_route": self.env._("Check the shop base URL and the REST store code of the instance."),
            "order_missing": self.env._(
                "Check the Magento Order ID on the sales order: it is the order's entity id, not its number."
            ),
            "quantity": self.env._(
                "Magento has less of this item left to invoice than this invoice asks (invoiced in Magento's "
                "admin?). Compare with the order in Magento: correct with a credit note and a new invoice, or have "
                "a Magento manager link this invoice by hand to Magento's."
            ),
            "document": self.env._(
                "Magento refused the invoice as a whole: the order's status forbids it (on hold, canceled, "
                "complete...) or nothing is left to invoice. Check the order in Magento, release a hold, then "
                "export again."
            ),
            "array_limit": self.env._(
                "In Magento, Stores > Configuration > Services > Magento Web API > Web Api Input Limits: raise "
                "Input List Limit, then export again."
            ),
            "transient": self.env._(
                "Nothing: Magento or the network failed for a moment. The invoice is tried again, and looked up "
                "first when Magento may hold it."
            ),
            "network": self.env._("Check the shop base URL and that the shop is up; the invoice is tried again."),
            "tls": self.env._(
                "Check the shop's TLS certificate; only for a test shop, turn off TLS verification on the instance."
            ),
            "not_magento": self.env._("The address does not answer like Magento: check the shop base URL."),
        }.get(kind, self.env._("Export again; if it persists, report it with the server log."))

    def _holds_advice(self, move, holds):
        """Advice after Magento refused an invoice and none of the invoices it
        holds for the order matched: what they are, and the ways out."""
        order = move.magento_sale_order_id.magento_order_ref or move.magento_sale_order_id.name
        return self.env._(
            "Magento holds for order %(order)s: %(held)s. None of them has exactly this invoice's items and "
            "quantities (invoiced in Magento's admin since the import?). Make this invoice match one of them, "
            "correct it with a credit note, or have a Magento manager link it by hand (Magento Info tab).",
            order=order,
            held="; ".join(
                self.env._("invoice %(ref)s (%(goods)s)", ref=ref, goods=goods or "-") for ref, goods in holds
            ),
        )

    def _creditmemo_advice(self, kind, job):
        if kind == "quantity":
            return self.env._(
                "Magento has less of this item left to refund than this credit note gives back (refunded in "
                "Magento's admin?). Compare with the order in Magento and correct the credit note."
            )
        if job.refund_invoice_id:
            return self.env._(
                "Magento refused the credit memo as a whole. Refunded online, the payment gateway may have refused "
                "(Magento's exception log says why), or the invoice was not captured online: to refund offline, "
                "turn off Refund Online in Magento on the payment method and export again. Also check the order's "
                "status (on hold, canceled, closed) and what is left to refund."
            )
        return self.env._(
            "Magento refused the credit memo as a whole: the order's status forbids it (on hold, canceled, "
            "closed), or the refund exceeds what was paid and not yet refunded. Check the order in Magento, then "
            "export again."
        )

    def _record_deferral(self, move, job, error, sink):
        grace = self._lost_answer_grace()
        after = move.magento_export_sent_at + datetime.timedelta(seconds=grace)
        values = {
            "sent": fields.Datetime.to_string(move.magento_export_sent_at),
            "after": fields.Datetime.to_string(after),
        }
        if job.is_creditmemo:
            message = self.env._(
                "Magento does not show this credit memo yet, but the request sent at %(sent)s may still be running "
                "there. Not sent again: from %(after)s, an export creates it if Magento still does not have it.",
                **values,
            )
        else:
            message = self.env._(
                "Magento does not show this invoice yet, but the request sent at %(sent)s may still be running "
                "there. Not sent again: from %(after)s, an export creates it if Magento still does not have it.",
                **values,
            )
        sink.line(move, "warning", message, retryable=True, request=f"GET {job.lookup_path()}")
        return failure_outcome(error)

    def _lost_answer_grace(self):
        """Seconds after a lost request during which Magento may still be running it."""
        return int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("magento_invoice_export.lost_answer_grace_seconds", DEFAULT_LOST_ANSWER_GRACE)
        )

    @staticmethod
    def _request_text(job):
        return f"POST {job.request_path()}\n{json.dumps(job.request_body(), indent=2)}"

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
        if ids and self.env.cr._cnx.get_transaction_status() == TRANSACTION_STATUS_INERROR:
            # An error aborted the transaction: every statement is refused until
            # it is rolled back, and session locks outlive it in a pooled connection.
            self._rollback()
        if ids:
            self.env.cr.execute("SELECT pg_advisory_unlock(%s, id) FROM unnest(%s::int[]) AS id", [LOCK_NAMESPACE, ids])

    def _commit_outcome(self):
        """Commit; False when a concurrent change to the same records (a payment
        registered at that moment) made PostgreSQL refuse it: all since the
        last commit is rolled back, and the invoice's outcome-unknown mark,
        committed before its request left, makes the next run look it up."""
        try:
            self._commit()
        except PG_CONCURRENCY_ERRORS:
            self._rollback()
            return False
        return True

    def _rollback(self):
        """Back to the last commit (outside tests), the cache with it."""
        if not (odoo_module.current_test or self.env.context.get("magento_export_no_commit")):
            self.env.cr.rollback()
        self.env.invalidate_all()

    def _commit(self):
        """Commit outside tests: each outcome must survive what comes after it."""
        if odoo_module.current_test or self.env.context.get("magento_export_no_commit"):
            return
        self.env.cr.commit()  # pylint: disable=invalid-commit


class _Sink:
    """Chatter notes and log lines of a batch's outcomes, written in one go."""

    def __init__(self, exporter, log):
        self.exporter, self.log = exporter, log
        self.notes, self.lines = {}, []

    def note(self, move, text):
        self.notes.setdefault(move.id, []).append(text)

    def line(self, move, level, message, **values):
        """A log line about a document (shown on its Magento Info tab too)."""
        self.lines.append(
            {
                "level": level,
                "message": message,
                "res_model": "account.move",
                "res_id": move.id,
                "record_name": move.name,
                "move_id": move.id,
                **values,
            }
        )

    def clear(self):
        self.notes, self.lines = {}, []

    def flush(self):
        if self.notes:
            moves = self.exporter.env["account.move"].sudo().browse(list(self.notes))
            moves._message_log_batch(
                bodies={
                    move_id: Markup("<br/>").join(Markup("%s") % text for text in texts)
                    for move_id, texts in self.notes.items()
                }
            )
        if self.lines:
            self.log._add_lines(self.lines)
        self.clear()


def _batches(ids):
    """``ids`` cut into batches: BATCH_SIZE, but EDGE_BATCH_SIZE at both ends."""
    head, rest = ids[:EDGE_BATCH_SIZE], ids[EDGE_BATCH_SIZE:]
    tail_start = max(len(rest) - BATCH_SIZE, 0)
    middle, tail = rest[:tail_start], rest[tail_start:]
    batches = [head] if head else []
    batches += split_every(BATCH_SIZE, middle, list)
    batches += split_every(EDGE_BATCH_SIZE, tail, list)
    return batches


class _Batch:
    """A batch of one run: its locks, its jobs, and what became of them."""

    def __init__(self, locked, moves, jobs):
        self.locked = locked  # advisory locks held until the batch is closed
        self.moves = moves
        self.by_id = {move.id: move for move in moves}  # records sharing the batch's prefetch
        self.jobs = jobs
        self.left = len(jobs)  # jobs whose answer is not in
        self.marked = set()  # ids marked "outcome unknown" before sending
        self.unsent = []  # marked, then never sent (the run stopped)
        self.exported = []  # (job, result), committed


class _Outcomes:
    """A batch's outcomes, recorded in the cache and committed together (see
    the module's doc, point 4); the log shows the counts as they grow."""

    def __init__(self, exporter, instance, sink, counts):
        self.exporter, self.instance, self.sink, self.counts = exporter, instance, sink, counts
        self.pending = []  # (move, job, result, error) recorded, not committed yet
        self.exported = []  # (job, result) committed
        self.stop = None
        self.since = time.monotonic()

    def add(self, move, job, result, error):
        """Record one outcome; True when it stops the run (the instance's own fault)."""
        self.pending.append((move, job, result, error))
        try:
            self._apply(move, job, result, error)
        except PG_CONCURRENCY_ERRORS:
            self._one_by_one()
        else:
            if len(self.pending) >= COMMIT_EVERY or time.monotonic() - self.since >= COMMIT_SECONDS:
                self.commit()
        return error is not None and failure_outcome(error).stops_run

    def _apply(self, move, job, result, error):
        if error is None:
            self.exporter._record_success(move, job, result)
        else:
            self.exporter._record_failure(move, job, error, self.sink, self.instance)

    def take(self, ids):
        """The committed exported ``(job, result)`` of documents in ``ids``,
        handed over (for their batch's announcement)."""
        taken = [entry for entry in self.exported if entry[0].move_id in ids]
        self.exported = [entry for entry in self.exported if entry[0].move_id not in ids]
        return taken

    def commit(self):
        if not self.pending:
            return
        if self._commit(self.pending):
            self.pending = []
        else:
            self._one_by_one()
        self.since = time.monotonic()

    def _commit(self, entries):
        counts = dict(self.counts)
        for _move, _job, _result, error in entries:
            counts["exported" if error is None else "failed"] += 1
        try:
            self.sink.flush()
            self.sink.log._progress(counts)
            committed = self.exporter._commit_outcome()
        except PG_CONCURRENCY_ERRORS:
            self.exporter._rollback()
            committed = False
        if committed:
            self.counts.update(counts)
            self.exported += [(job, result) for _move, job, result, error in entries if error is None]
        return committed

    def _one_by_one(self):
        """PostgreSQL refused the group (a concurrent change to one of them):
        each outcome again, alone; one refused alone waits for the next run."""
        entries, self.pending = self.pending, []
        self.exporter._rollback()
        self.sink.clear()
        for entry in entries:
            if len(entries) > 1:
                try:
                    self._apply(*entry)
                except PG_CONCURRENCY_ERRORS:
                    self.exporter._rollback()
                    self.sink.clear()
                else:
                    if self._commit([entry]):
                        continue
            move = entry[0]
            self.sink.line(
                move,
                "warning",
                self.exporter.env._(
                    "%(name)s was changed by someone else while its export was recorded (for example a payment "
                    "registered at that moment): the next run asks Magento for it and records it then.",
                    name=move.name,
                ),
                retryable=True,
            )
            self.counts["retry"] = self.counts.get("retry", 0) + 1
            self.sink.flush()
            self.exporter._commit()
