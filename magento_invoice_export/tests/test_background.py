"""Long runs never inside a web request (issue 13): from a screen, more than a
handful of documents are queued for the background, and the log the user
lands on shows the run's progress."""

from unittest.mock import patch

from odoo.tests import Form, tagged

try:
    from odoo.addons.queue_job.job import Job, identity_exact
    from odoo.addons.queue_job.tests.common import trap_jobs
except ImportError:  # queue_job is optional: its tests skip below
    Job = identity_exact = trap_jobs = None

from ..export import const
from ..models.magento_process_log import LOG_LOCK_NAMESPACE
from .common import MagentoTestCommon


class BackgroundCommon(MagentoTestCommon):
    def setUp(self):
        super().setUp()
        self.env["ir.config_parameter"].set_param("magento_invoice_export.background_threshold", 2)
        self.pairs = [self._magento_order() for _ in range(3)]
        self.moves = self.env["account.move"].union(*(self._invoice(so) for so, _order in self.pairs))
        self.runner = self.env.ref("magento_invoice_export.ir_cron_magento_run_queued")

    def _posts(self):
        return sum(len(self._invoice_posts(order)) for _so, order in self.pairs)

    def _triggered(self):
        return self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.runner.id)])


@tagged("post_install", "-at_install")
class TestBackground(BackgroundCommon):
    """Without queue_job: the scheduled runner, triggered at once."""

    def setUp(self):
        super().setUp()
        exporter = type(self.env["magento.invoice.exporter"])
        self.startPatcher(patch.object(exporter, "_queue_job_ready", return_value=False))

    def test_operations_queue_a_large_export_and_the_log_shows_its_progress(self):
        triggers = self._triggered()
        log = self._bulk_export()
        self.assertEqual((log.state, log.remaining_count, log.exported_count), ("queued", 3, 0))
        self.assertEqual(self._posts(), 0, "nothing sent inside the web request")
        self.assertEqual(self._triggered(), triggers + 1, "the runner is triggered at once")
        form = Form(log)
        self.assertEqual(form.state, "queued")
        self.env["magento.invoice.exporter"]._cron_run_queued()
        self.assertEqual((log.state, log.exported_count, log.remaining_count), ("done", 3, 0))
        self.assertEqual(self._posts(), 3)
        self.assertTrue(all(self.moves.mapped("magento_invoice_id")))
        self.env["magento.invoice.exporter"]._cron_run_queued()
        self.assertEqual(self._posts(), 3, "a finished log is never run again")

    def test_the_list_action_queues_too_and_the_button_stays_immediate(self):
        action = self.moves.action_magento_export_selected()
        log = self.env["magento.process.log"].browse(action["res_id"])
        self.assertEqual((log.state, sorted(log.queued_move_ids)), ("queued", sorted(self.moves.ids)))
        self.assertEqual(self._posts(), 0)
        self.moves[:1].action_magento_export_invoice()
        self.assertTrue(self.moves[:1].magento_invoice_id, "the invoice button exports at once")
        self.env["magento.invoice.exporter"]._cron_run_queued()
        self.assertEqual(log.exported_count, 2, "the one exported meanwhile is not sent again")
        self.assertEqual(self._posts(), 3)

    def test_a_magento_user_queues_a_large_export(self):
        """Issue 23: Execute is the Magento User's too, queued runs included."""
        magento_user = self._user("magento_user_bg", "magento_invoice_export.group_magento_user")
        wizard = self.env["magento.operation.wizard"].with_user(magento_user).create({"operation": "export_invoice"})
        self.assertEqual(wizard.export_text, "3 invoices will be exported to Magento.")
        log = self.env["magento.process.log"].browse(wizard.action_execute()["res_id"])
        self.assertEqual((log.state, log.remaining_count, log.user_id), ("queued", 3, magento_user))
        self.env["magento.invoice.exporter"]._cron_run_queued()
        self.assertEqual((log.state, log.exported_count), ("done", 3))

    def test_a_queued_run_still_counts_the_skipped_ones(self):
        skipped = self._invoice(self._magento_order()[0])
        skipped._magento_write({"magento_export_attempts": 3})
        log = self._bulk_export()
        self.assertEqual((log.state, log.skipped_count), ("queued", 1))
        self.env["magento.invoice.exporter"]._cron_run_queued()
        self.assertEqual((log.state, log.exported_count, log.skipped_count), ("warning", 3, 1))
        self.assertIn("3 exported, 0 failed, 1 skipped.", log.summary)

    def test_a_handful_runs_at_once(self):
        self.env["ir.config_parameter"].set_param("magento_invoice_export.background_threshold", 20)
        log = self._bulk_export()
        self.assertEqual((log.state, log.exported_count), ("done", 3))

    def test_a_run_taken_up_again_does_not_spend_attempts_twice(self):
        """Its worker died after recording one failure (queue_job retries the
        job): the run goes on with the others, never that one again."""
        log = self._bulk_export()
        first = self.moves[:1]
        first._magento_write({"magento_export_attempts": 1})
        log._add_lines([{"level": "error", "message": "Nope", "move_id": first.id, "res_id": first.id}])
        log.sudo().write({"state": "interrupted", "failed_count": 1})  # as a run leaves it (runs alone write logs)
        self.assertTrue(self.env["magento.invoice.exporter"]._run_queued_log(log.id))
        self.assertFalse(self._invoice_posts(self.pairs[0][1]), "not tried again by the same run")
        self.assertEqual(first.magento_export_attempts, 1)
        self.assertEqual((log.state, log.exported_count, log.failed_count), ("warning", 2, 1))
        self.assertFalse(self.env["magento.invoice.exporter"]._run_queued_log(log.id), "finished: never again")


@tagged("post_install", "-at_install")
class TestBackgroundQueueJob(BackgroundCommon):
    """With OCA's queue_job installed: one job per instance and batch on root.magento."""

    def setUp(self):
        # An integrator may run this suite where queue_job is on the addons
        # path but not installed: then there is nothing of it to test.
        if "queue.job" not in self.env:
            self.skipTest("OCA queue_job is not installed in this database (tools/test.sh installs it)")
        super().setUp()

    def test_one_job_per_instance_and_batch_on_the_magento_channel(self):
        exporter = self.env["magento.invoice.exporter"]
        triggers = self._triggered()
        with patch.object(const, "BATCH_SIZE", 2), trap_jobs() as trap:
            action = self.moves.action_magento_export_selected()
            logs = self.env["magento.process.log"].search(action["domain"], order="id")
            self.assertEqual([len(log.queued_move_ids) for log in logs], [2, 1], "one log and job per batch")
            trap.assert_jobs_count(2)
            for log in logs:
                trap.assert_enqueued_job(
                    exporter._run_queued_log,
                    args=(log.id,),
                    properties={"channel": "root.magento", "identity_key": identity_exact},
                )
            self.assertEqual(self._triggered(), triggers, "jobs, not the scheduled runner")
            self.assertEqual(self._posts(), 0)
            trap.perform_enqueued_jobs()
        self.assertEqual(logs.mapped("state"), ["done", "done"])
        self.assertEqual(sum(logs.mapped("exported_count")), 3)
        self.assertEqual(self._posts(), 3)
        channel = self.env["queue.job.channel"].sudo().search([("complete_name", "=", "root.magento")])
        self.assertEqual(len(channel), 1, "created on first use")

    def test_the_skipped_ones_are_counted_once_among_the_batches(self):
        self._invoice(self._magento_order()[0])._magento_write({"magento_export_attempts": 3})
        with patch.object(const, "BATCH_SIZE", 2), trap_jobs() as trap:
            logs = self._bulk_export().sorted("id")
            self.assertEqual(logs.mapped("skipped_count"), [1, 0], "said once, by the first batch's log")
            trap.perform_enqueued_jobs()
        self.assertEqual((logs.mapped("skipped_count"), sum(logs.mapped("exported_count"))), ([1, 0], 3))

    def test_a_batch_is_never_queued_twice(self):
        log = self._bulk_export()
        self.assertEqual(log.state, "queued")
        exporter = self.env["magento.invoice.exporter"]
        exporter._enqueue(log)  # asked again, e.g. a second click while the first waits
        jobs = self.env["queue.job"].sudo().search([("channel", "=", "root.magento"), ("state", "=", "pending")])
        self.assertEqual(len(jobs), 1, "the identity key keeps one job per batch")
        self.assertEqual(jobs.args, [log.id])

    def _job_of(self, log):
        jobs = self.env["queue.job"].sudo().search([("channel", "=", "root.magento")])
        return jobs.filtered(lambda job: list(job.args) == [log.id])

    def _worker_dies(self, log):
        """queue_job's worker took the job and began the run, then was killed:
        the job stays Started, the log Running, and no one holds the run's lock."""
        record = self._job_of(log)
        job = Job.load(self.env, record.uuid)
        job.set_started()
        job.store()
        log.sudo().write({"state": "running"})  # as the run left it (runs alone write logs)
        return record

    def test_a_job_whose_worker_died_is_run_again_with_the_same_identity(self):
        log = self._bulk_export()
        record = self._worker_dies(log)
        identity = record.identity_key
        self.env["magento.invoice.exporter"]._cron_run_queued()  # the hourly runner checks for interrupted runs
        self.assertEqual(log.state, "interrupted")
        self.assertIn(f"its job {record.uuid} is queued again (try 2 of 5) and takes up what is left", log.summary)
        self.assertEqual(record.state, "pending", "the same job, queued again")
        self.assertEqual(record.retry, 1, "the dead run counts as a try")
        jobs = self.env["queue.job"].sudo().search([("identity_key", "=", identity)])
        self.assertEqual(jobs, record, "no second job")
        self.assertEqual(self._posts(), 0)
        Job.load(self.env, record.uuid).perform()
        self.assertEqual((log.state, log.exported_count), ("done", 3))
        self.assertEqual(self._posts(), 3)
        self.env["magento.invoice.exporter"]._cron_run_queued()
        self.assertEqual(record.state, "pending", "a finished run is never queued again")
        self.assertEqual(self._posts(), 3)

    def test_a_job_whose_worker_lives_is_left_alone(self):
        log = self._bulk_export()
        record = self._worker_dies(log)
        with self.env.registry.cursor() as other:  # the worker is alive after all: it holds the run's lock
            other.execute("SELECT pg_advisory_lock(%s, %s)", [LOG_LOCK_NAMESPACE, log.id])
            self.env["magento.invoice.exporter"]._cron_run_queued()
            other.execute("SELECT pg_advisory_unlock(%s, %s)", [LOG_LOCK_NAMESPACE, log.id])
        self.assertEqual((log.state, record.state), ("running", "started"), "never twice at once")

    def test_a_job_whose_worker_keeps_dying_fails_after_its_tries(self):
        log = self._bulk_export()
        record = self._worker_dies(log)
        record.with_context(_job_edit_sentinel=record.EDIT_SENTINEL).write({"retry": record.max_retries - 1})
        self.env["magento.invoice.exporter"]._cron_run_queued()
        self.assertEqual((log.state, record.state), ("interrupted", "failed"))
        self.assertIn("its worker died", record.exc_message)
        self.assertIn("not queued again", log.summary)
