"""Long runs never inside a web request: a run asked for from a screen is
queued for the scheduled runner, or for OCA queue_job's jobs when it is
installed, with a process log that shows its progress."""

from odoo import api, models
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY as PG_CONCURRENCY_ERRORS
from odoo.tools import split_every

from . import const
from .const import DEFAULT_BACKGROUND_THRESHOLD, MOVE_TYPES, OPERATIONS


class MagentoExportBackground(models.AbstractModel):
    _inherit = "magento.invoice.exporter"

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
        batches = split_every(const.BATCH_SIZE, move_ids, list) if self._queue_job_ready() else [move_ids]
        for index, batch_ids in enumerate(batches):
            log = logs.sudo().create(
                {
                    "operation": OPERATIONS[document],
                    "instance_id": instance.id,
                    "company_id": instance.company_id.id,
                    "state": "queued",
                    "queued_move_ids": batch_ids,
                    "respect_attempts": respect_attempts,
                    # Said once, by the first batch's log: the batches' logs add up.
                    "skipped_count": 0 if index else skipped,
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

    def _take_up_interrupted(self, log):
        """A background run whose process died (``log``, just marked
        Interrupted): with queue_job, its own job, left Started by the dead
        worker (queue_job 18.0 requeues no such job), is set pending again, the
        same record with the same identity key, and runs the log again from
        where it stopped; after ``max_retries`` tries it is failed instead.
        Never twice at once: this is called only for a log whose lock no one
        holds, and the job's run takes that lock first. Returns the end of the
        log's summary, or None (nothing taken up here)."""
        if not log.queued_move_ids or not self._queue_job_ready():
            return None
        from odoo.addons.queue_job.job import Job

        records = (
            self.env["queue.job"]
            .sudo()
            .search(
                [
                    ("model_name", "=", self._name),
                    ("method_name", "=", "_run_queued_log"),
                    ("state", "in", ("pending", "enqueued", "started")),
                ]
            )
            .filtered(lambda rec: list(rec.args or ()) == [log.id])
        )
        if not records or records.filtered(lambda rec: rec.state != "started"):
            return None  # none left by a dead worker, or one already waiting to run the log
        job = Job.load(self.env, records[0].uuid)
        tries = job.retry + 1  # the dead worker's perform() never stored its try
        if job.max_retries and tries >= job.max_retries:
            job.set_failed(
                exc_name="MagentoWorkerDied",
                exc_message=f"Magento export: its worker died {tries} times; requeue the job by hand "
                "once the cause is found.",
            )
            job.store()
            return self.env._(
                "its job %(job)s is not queued again: its worker died on each of its %(tries)s tries. Once the cause "
                "is found (the server log of that moment), open the job (Job Queue > Queue > Jobs) and Requeue Job.",
                job=job.uuid,
                tries=tries,
            )
        job.retry = tries
        job.set_pending(
            result=f"Its worker died: queued again (try {tries + 1} of {job.max_retries})", reset_retry=False
        )
        job.store()
        return self.env._(
            "its job %(job)s is queued again (try %(attempt)s of %(max)s) and takes up what is left.",
            job=job.uuid,
            attempt=tries + 1,
            max=job.max_retries,
        )

    @api.model
    def _cron_run_queued(self):
        """The scheduled runner: every queued log, oldest first, once the runs
        whose process died are closed (and, with queue_job, their jobs queued again)."""
        self.env["magento.process.log"]._close_interrupted_runs()
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
        # Skipped ones were counted when the run was queued: none is among its documents.
        move_ids, _skipped = self._select(log.instance_id, log.queued_move_ids, log.respect_attempts, document)
        # What this log already recorded is not tried again: no attempt spent twice.
        done = set(log.line_ids.move_id.ids)
        move_ids = [move_id for move_id in move_ids if move_id not in done]
        log = log._for_run(claimed=True)
        log.write({"state": "running", "end_date": False})
        try:
            self._commit()
            self._run_instance(log.instance_id, log, move_ids, log.skipped_count)
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
