"""The stream: one run's documents as one stream of requests.

The documents go in batches of ``const.BATCH_SIZE``, each locked, checked and
prepared while the requests of the one before are still travelling, and
closed (numbers learned, notes written, locks released) in Odoo's idle time
between answers: Magento's pace, not Odoo's bookkeeping, sets the speed of the
run. Requests travel in worker threads (magento_export.pipeline.InFlight);
everything that touches the ORM happens here, in Odoo's thread.
"""

import logging
import sys
import threading
from collections import deque

from odoo import fields
from odoo.tools import split_every

from ..magento_client import MagentoError
from ..magento_export.order_reader import GroupRead, OrderReader
from ..magento_export.pipeline import InFlight, NotSent
from ..magento_export.policy import EXPORTABLE
from ..magento_export.sender import NumbersLookup, export_document
from . import const
from .const import FIELDS_READ_AFTER_LOCK, GIL_SWITCH_INTERVAL
from .sink import Outcomes, Sink

_logger = logging.getLogger(__name__)


class DocumentStream:
    """One run's stream of requests for one instance and one kind of document."""

    def __init__(self, exporter, instance, move_ids, log, counts, client_factory):
        self.exporter, self.instance, self.log = exporter, instance, log
        self.move_ids, self.counts, self.client_factory = move_ids, counts, client_factory
        self.moves = exporter.env["account.move"].sudo()
        self.to_open = deque(split_batches(move_ids))
        self.sink = Sink(exporter, log)
        self.outcomes = Outcomes(exporter, instance, self.sink, counts)
        self.batches = []  # opened and not closed yet
        self.batch_of = {}  # move id -> its open batch
        self.travelling = {}  # move id -> (move, job): sent or to be sent, no answer yet
        self.claimed = {}  # order id -> Magento ids linked already (shared by the order's jobs)
        self.orders = OrderReader()  # the orders the money checks read, ten to a request
        self.chores = deque()  # closings of batches, done a little at a time between answers
        self.opened = 0  # documents whose batch was opened
        self.streaming = True
        self.local = threading.local()  # each worker's own client
        self.runner = InFlight(self.send, instance.export_concurrency)

    # ------------------------------------------------------------------ run
    def run(self):
        """Export every document; return a reason to stop the run, or None."""
        # Odoo's thread works in Python between answers: a worker waiting
        # for the GIL to read its answer must not wait its default 5 ms.
        switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(min(switch_interval, GIL_SWITCH_INTERVAL))
        try:
            stream = self.runner.run(
                [],
                key=lambda job: job.magento_order_id,
                before_send=self.before_send,
                more=self.more,
                idle=self.idle,
                report_unsent=True,
            )
            for job, result, error in stream:
                self.received(job, result, error)
            self.streaming = False
            sys.setswitchinterval(switch_interval)
            self.forget_unsent()
            while self.chores:
                self.idle()
        finally:
            sys.setswitchinterval(switch_interval)
            for batch in self.batches:
                self.exporter._unlock(batch.locked)
        return self.outcomes.stop

    # ------------------------------------------- in a worker thread (no ORM)
    def send(self, job):
        if not hasattr(self.local, "client"):
            self.local.client = self.client_factory()
        if isinstance(job, (NumbersLookup, GroupRead)):
            return job.send(self.local.client)
        try:
            return export_document(self.local.client, job)
        except MagentoError as error:
            if error.instance_fault:
                # The instance's own fault (credentials, address): no
                # other request of this run leaves after this one.
                self.runner.cancel()
            raise

    # ---------------------------------------------------- in Odoo's thread
    def more(self):
        """The jobs of the next batch to open, or None when none is left."""
        while self.to_open and not self.outcomes.stop:
            ids = self.to_open.popleft()
            # Outcomes not committed yet must not be rolled back by what
            # opening a batch commits or rolls back.
            self.outcomes.commit()
            batch = self.open_batch(self.moves.browse(ids))
            self.opened += len(ids)
            self.exporter.env["ir.cron"]._notify_progress(done=self.opened, remaining=len(self.move_ids) - self.opened)
            if isinstance(batch, str):
                self.outcomes.stop = batch
                self.runner.cancel()
                return None
            if batch is None:
                continue
            self.batches.append(batch)
            for job in batch.jobs:
                self.batch_of[job.move_id] = batch
                self.travelling[job.move_id] = (batch.by_id[job.move_id], job)
            # The orders' reads first: they travel while earlier requests do.
            return batch.reads + batch.jobs
        return None

    def before_send(self, job):
        """Mark ``job``'s document "outcome unknown", durably, before it leaves;
        False when that mark could not be committed (it must not leave now)."""
        if not job.may_post:
            return None
        batch = self.batch_of[job.move_id]
        if job.move_id in batch.marked:
            return None
        # The outcomes recorded so far go first: the marks' commit must
        # not carry them unaccounted for.
        self.outcomes.commit()
        # Mark this document and the rest of its batch in one write (each
        # commit costs the ORM's cache): durable before any of their
        # requests leaves, so that if Odoo dies, the next run looks them
        # up instead of posting blindly.
        window = [job.move_id] + [
            j.move_id for j in batch.jobs if j.may_post and j.move_id not in batch.marked and j is not job
        ]
        batch.moves.browse(window)._magento_write({"magento_export_sent_at": fields.Datetime.now()})
        if not self.exporter._commit_outcome():
            self.counts["retry"] = self.counts.get("retry", 0) + 1
            return False
        batch.marked.update(window)
        return True

    def idle(self):
        """One step of a batch's closing, between answers; False when none is due."""
        if not self.chores:
            return False
        try:
            next(self.chores[0])
        except StopIteration:
            self.chores.popleft()
        return True

    def received(self, job, result, error):
        """An answer (or a job the stopped run never sent)."""
        if isinstance(job, GroupRead):
            return  # its failure is its documents' (order_reader.OrderReader.read_ahead)
        if isinstance(job, NumbersLookup):
            if error is not None and not isinstance(error, NotSent):
                _logger.info("Magento: numbers of new %s not learned now (%s)", job.kind, error)
            # Not sent (the run stopped): asked once the stream is over.
            documents = result if error is None else None if isinstance(error, NotSent) else []
            self.chores.append(self.close_batch(job.batch, documents))
            return
        batch = self.batch_of[job.move_id]
        if isinstance(error, NotSent):
            if job.move_id in batch.marked and not job.uncertain:
                batch.unsent.append(job.move_id)
        else:
            stops = self.outcomes.add(batch.by_id[job.move_id], job, result, error)
            if stops and not self.outcomes.stop:
                self.outcomes.stop = self.instance._explain_error(error)
                self.runner.cancel()
        self.answered(batch, job)

    def answered(self, batch, job):
        self.travelling.pop(job.move_id, None)
        batch.left -= 1
        if batch.left:
            return
        # Every answer of the batch is in: learn its numbers, among the
        # other batches' requests.
        self.outcomes.commit()
        batch.exported = self.outcomes.take(batch.by_id)
        unknown = [result.invoice_id for _job, result in batch.exported if not result.increment_id]
        if unknown and self.streaming and not self.runner.cancelled:
            kind = "creditmemos" if batch.jobs[0].is_creditmemo else "invoices"
            self.runner.add([NumbersLookup(kind, min(unknown), max(unknown), batch=batch)])
        else:
            self.chores.append(self.close_batch(batch, None))

    def forget_unsent(self):
        """Jobs the stopped run never handed to a worker."""
        for job in self.runner.unsent:
            if isinstance(job, (NumbersLookup, GroupRead)):
                continue
            batch = self.batch_of.get(job.move_id)
            if batch is not None and job.move_id in self.travelling:
                if job.move_id in batch.marked and not job.uncertain:
                    batch.unsent.append(job.move_id)
                self.answered(batch, job)

    # ------------------------------------------------------------- batches
    def open_batch(self, moves):
        """Lock, check and prepare one batch: a :class:`Batch` with jobs to
        send, None when none is left to send, or a reason to stop the run."""
        exporter = self.exporter
        locked = exporter._lock(moves)
        self.counts["busy"] = self.counts.get("busy", 0) + len(moves) - len(locked)
        moves = moves.browse(locked)
        batch = None
        try:
            # Odoo's transactions are REPEATABLE READ: this one's snapshot may
            # predate the moment another run let these documents go, and would
            # show them as they were (unmarked, while that run's request made
            # them in Magento). A transaction begun after the locks reads them
            # as that run left them.
            exporter._commit_outcome()
            # Another run may have exported them between our search and the lock.
            moves.invalidate_recordset([*FIELDS_READ_AFTER_LOCK, "magento_export_state"])
            moves = moves.filtered(lambda m: m.magento_export_state in EXPORTABLE)
            if not moves:
                return None
            jobs = exporter._prepare_jobs(self.instance, moves, self.claimed)
            try:
                refused = exporter._checks_before_sending(
                    jobs, moves, self.client_factory, list(self.travelling.values())
                )
            except MagentoError as error:
                # Asking Magento about the order met the instance's own fault.
                return self.instance._explain_error(error)
            jobs = self.refuse(moves, jobs, refused)
            if jobs:
                for job in jobs:
                    job.orders = self.orders
                batch = Batch(locked, moves, jobs)
                batch.reads = self.orders.plan(job.magento_order_id for job in jobs if job.money is not None)
            return batch
        finally:
            if batch is None:
                exporter._unlock(locked)

    def refuse(self, moves, jobs, refused):
        """Record the refusals of the checks; the jobs left to send."""
        for job, problem, in_magento in refused:
            self.exporter._record_refusal(moves.browse(job.move_id), job, problem, self.sink, in_magento)
            # Goods Magento holds already: no failed attempt, Not Exportable until a person decides.
            count = "not_exportable" if in_magento else "failed"
            self.counts[count] = self.counts.get(count, 0) + 1
        if not refused:
            return jobs
        refused_ids = {job.move_id for job, _problem, _in_magento in refused}
        self.sink.flush()
        # Refused again by the next run if a concurrent change rolls this back.
        self.exporter._commit_outcome()
        return [job for job in jobs if job.move_id not in refused_ids]

    def close_batch(self, batch, documents):
        """Close a batch whose answers are all in, a step at a time (a
        generator): numbers, notes and log lines; marks of what was never sent
        cleared; credit notes waiting for its invoices woken; locks released.
        ``documents`` is what the look-up of its new numbers found, None when
        it has still to be asked."""
        exporter = self.exporter
        if documents is None:
            documents = exporter._learn_numbers(batch.exported, self.client_factory)
        yield from exporter._announce(batch, documents, self.sink, self.outcomes)
        self.outcomes.commit()
        # Marked ahead but never sent (the run stopped): nothing is unknown about them.
        unsent = batch.moves.browse(batch.unsent)
        if unsent:
            unsent._magento_write({"magento_export_sent_at": False})
            # Rolled back, they are only looked up once more: never posted twice.
            exporter._commit_outcome()
        if not batch.jobs[0].is_creditmemo:
            exporter._wake_waiting_credit_notes(batch.moves.browse([job.move_id for job, _result in batch.exported]))
        exporter._unlock(batch.locked)
        self.batches.remove(batch)
        for job in batch.jobs:
            self.batch_of.pop(job.move_id, None)
        self.log._heartbeat()
        # Memory stays flat however many batches a run takes.
        exporter.env.invalidate_all()


def split_batches(ids):
    """``ids`` cut into batches: BATCH_SIZE, but EDGE_BATCH_SIZE at both ends."""
    head, rest = ids[: const.EDGE_BATCH_SIZE], ids[const.EDGE_BATCH_SIZE :]
    tail_start = max(len(rest) - const.BATCH_SIZE, 0)
    middle, tail = rest[:tail_start], rest[tail_start:]
    batches = [head] if head else []
    batches += split_every(const.BATCH_SIZE, middle, list)
    batches += split_every(const.EDGE_BATCH_SIZE, tail, list)
    return batches


class Batch:
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
        self.reads = []  # its orders' reads (order_reader.GroupRead), sent ahead of its jobs
