"""What a run has to write, written in one go: ``Sink`` gathers a batch's
chatter notes and log lines, ``Outcomes`` records each outcome in the cache and
commits them together (runs.py's docstring, point 4). Plain classes over the
exporter's methods (export/outcomes.py); no model is defined here, so that the
stream can import them before the exporter's model exists."""

import time

from markupsafe import Markup

from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY as PG_CONCURRENCY_ERRORS

from ..magento_export.policy import failure_outcome
from .const import COMMIT_EVERY, COMMIT_SECONDS


def counted_as(error):
    """The log's count an outcome goes to. A document looked up and not sent
    again, because its earlier request may still be running in Magento, is
    waiting, not failed: it goes by itself once Magento settles."""
    if error is None:
        return "exported"
    return "waiting" if getattr(error, "deferred", False) else "failed"


class Sink:
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
                "sale_order_id": move.magento_sale_order_id.id,
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


class Outcomes:
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
            count = counted_as(error)
            counts[count] = counts.get(count, 0) + 1
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
