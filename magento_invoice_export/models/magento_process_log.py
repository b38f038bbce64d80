import logging
from datetime import timedelta

from psycopg2.extensions import TRANSACTION_STATUS_INERROR

from odoo import api, fields, models
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

_logger = logging.getLogger(__name__)

DEFAULT_RETENTION_DAYS = 90
# First key of the advisory lock a running log holds ("MLOG"); the second is its id.
LOG_LOCK_NAMESPACE = 0x4D4C4F47


class MagentoProcessLog(models.Model):
    """One run of a Magento operation (an export, a connection test...)."""

    _name = "magento.process.log"
    _description = "Magento Process Log"
    _order = "start_date desc, id desc"

    name = fields.Char(compute="_compute_name", store=True)
    operation = fields.Selection(
        [
            ("export_invoice", "Export Invoice"),
            ("export_creditmemo", "Export Credit Memos"),
            ("import_orders", "Import Orders"),
        ],
        required=True,
        readonly=True,
    )
    instance_id = fields.Many2one("magento.instance", readonly=True, index=True, ondelete="restrict")
    company_id = fields.Many2one("res.company", readonly=True, index=True, default=lambda self: self.env.company)
    user_id = fields.Many2one("res.users", string="Run By", readonly=True, default=lambda self: self.env.user)
    start_date = fields.Datetime(string="Started", readonly=True, default=fields.Datetime.now)
    end_date = fields.Datetime(string="Finished", readonly=True)
    state = fields.Selection(
        [
            ("queued", "Queued"),
            ("running", "Running"),
            ("done", "Done"),
            ("warning", "Done with Errors"),
            ("failed", "Failed"),
            ("interrupted", "Interrupted"),
        ],
        default="running",
        readonly=True,
        required=True,
    )
    summary = fields.Char(readonly=True)
    last_seen = fields.Datetime(string="Last Seen Running", readonly=True, help="When the run last reported progress.")
    exported_count = fields.Integer(string="Exported", readonly=True)
    imported_count = fields.Integer(string="Imported", readonly=True)
    waiting_count = fields.Integer(
        string="Waiting",
        readonly=True,
        help="Looked up, not sent again: an earlier request whose answer was lost may still be running in Magento. "
        "No failure: an export after the grace period creates them if Magento still has none.",
    )
    failed_count = fields.Integer(string="Failed", readonly=True)
    not_exportable_count = fields.Integer(
        string="Not Exportable",
        readonly=True,
        help="Not sent, and no attempt counted: Magento invoiced their goods already. A person decides (their lines "
        "say how).",
    )
    skipped_count = fields.Integer(string="Skipped", readonly=True)
    queued_move_ids = fields.Json(readonly=True, help="The documents a queued run exports (ids).")
    respect_attempts = fields.Boolean(default=True, readonly=True)
    remaining_count = fields.Integer(
        string="Remaining", readonly=True, help="What the run still has to do, while it runs."
    )
    line_ids = fields.One2many("magento.process.log.line", "log_id", string="Lines", readonly=True)
    problem_line_ids = fields.One2many(
        "magento.process.log.line", "log_id", string="Problems", readonly=True, domain=[("problem", "=", True)]
    )
    problem_count = fields.Integer(string="Number of Problems", compute="_compute_problem_count")

    @api.depends("operation", "instance_id.name")
    def _compute_name(self):
        labels = dict(self._fields["operation"]._description_selection(self.env))
        for log in self:
            label = labels.get(log.operation, log.operation or "")
            log.name = f"{label} - {log.instance_id.name}" if log.instance_id else label

    def _compute_problem_count(self):
        counts = dict(
            self.env["magento.process.log.line"]
            .sudo()
            ._read_group([("log_id", "in", self.ids), ("problem", "=", True)], ["log_id"], ["__count"])
        )
        for log in self:
            log.problem_count = counts.get(log._origin, 0)

    def action_refresh(self):
        """The form's Refresh while the run goes on: the web client reads the record again."""
        return True

    def _add_lines(self, vals_list):
        """Add lines to this log in one INSERT (callers batch them)."""
        self.ensure_one()
        # A run passes these in its context: read once, not after every commit.
        defaults = self.env.context.get("magento_log_line_defaults") or self._line_defaults()
        for vals in vals_list:
            vals.update(defaults)
            # The import's lines name their sales order: shown as a link.
            if vals.get("res_model") == "sale.order" and vals.get("res_id"):
                vals.setdefault("sale_order_id", vals["res_id"])
        return self.env["magento.process.log.line"].sudo().create(vals_list)

    def _line_defaults(self):
        return {"log_id": self.id, "instance_id": self.instance_id.id, "company_id": self.company_id.id}

    def _try_claim(self):
        """Take the run's lock if no one holds it (a queued run, for one worker only)."""
        self.env.cr.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOG_LOCK_NAMESPACE, self.id])
        return self.env.cr.fetchone()[0]

    def _for_run(self, claimed=False):
        """This log, carrying what each of its lines needs.

        The run holds a session advisory lock for the log as long as it lives:
        a run whose process died loses it, which tells it from a slow one.
        ``claimed``: :meth:`_try_claim` took it already.
        """
        if not claimed:
            self.env.cr.execute("SELECT pg_advisory_lock(%s, %s)", [LOG_LOCK_NAMESPACE, self.id])
        self.sudo().last_seen = fields.Datetime.now()
        return self.with_context(magento_log_line_defaults=self._line_defaults())

    def _progress(self, counts):
        """The counts so far, written with the outcomes they count."""
        exported = counts.get("exported", 0)
        failed = counts.get("failed", 0)
        waiting = counts.get("waiting", 0)
        not_exportable = counts.get("not_exportable", 0)
        self.sudo().write(
            {
                "exported_count": exported,
                "failed_count": failed,
                "waiting_count": waiting,
                "not_exportable_count": not_exportable,
                "remaining_count": max(counts.get("todo", 0) - exported - failed - waiting - not_exportable, 0),
                "last_seen": fields.Datetime.now(),
            }
        )

    def _heartbeat(self):
        self.sudo().last_seen = fields.Datetime.now()

    @api.model
    def _close_interrupted_runs(self):
        """Mark "Interrupted" the running logs whose process is gone (no lock held)."""
        running = self.sudo().search([("state", "=", "running")])
        if not running:
            return
        self.env.cr.execute(
            "SELECT objid::int FROM pg_locks WHERE locktype = 'advisory' AND classid = %s AND objsubid = 2 "
            "AND objid = ANY(%s::oid[]) "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            [LOG_LOCK_NAMESPACE, running.ids],
        )
        alive = {row[0] for row in self.env.cr.fetchall()}
        exporter = self.env["magento.invoice.exporter"]
        for log in running.filtered(lambda rec: rec.id not in alive):
            seen = log.last_seen or log.start_date
            try:
                # Two runs starting at once meet the same dead log: one closes it
                # (and takes up its job: the log's write comes first).
                with self.env.cr.savepoint():
                    log.write({"state": "interrupted", "end_date": seen})
                    then = exporter._take_up_interrupted(log) or self.env._("the next run takes up what is left.")
                    log.summary = self.env._(
                        "Interrupted: the run was last seen at %(time)s (UTC), then its Odoo process ended. "
                        "What it had recorded is kept; %(then)s",
                        time=fields.Datetime.to_string(seen),
                        then=then,
                    )
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                log.invalidate_recordset()

    def _finish(
        self, exported=0, failed=0, skipped=0, summary=None, stopped=False, imported=0, waiting=0, not_exportable=0
    ):
        self.ensure_one()
        if stopped:
            state = "failed"
        elif failed or not_exportable or (skipped and self.operation in ("export_invoice", "export_creditmemo")):
            # Skipped invoices wait for a person: never a plain green "Done".
            # Waiting ones do not: they go by themselves once Magento settles.
            state = "warning"
        else:
            state = "done"
        self.sudo().write(
            {
                "end_date": fields.Datetime.now(),
                "exported_count": exported,
                "imported_count": imported,
                "failed_count": failed,
                "waiting_count": waiting,
                "not_exportable_count": not_exportable,
                "skipped_count": skipped,
                "remaining_count": 0,
                "summary": summary,
                "state": state,
                "last_seen": fields.Datetime.now(),
            }
        )
        self._release()

    def _release(self):
        """Give up the run's lock, also after an error aborted the transaction:
        a pooled connection would otherwise keep the run looking alive."""
        if self.env.cr._cnx.get_transaction_status() == TRANSACTION_STATUS_INERROR:
            # Nothing of this transaction can be kept anyway (the run commits as it goes).
            self.env["magento.invoice.exporter"]._rollback()
        self.env.cr.execute("SELECT pg_advisory_unlock(%s, %s)", [LOG_LOCK_NAMESPACE, self.id])

    def _action_open(self):
        """Open these logs: the form for one, the list for several."""
        action = self.env["ir.actions.act_window"]._for_xml_id("magento_invoice_export.action_magento_process_log")
        if len(self) == 1:
            action.update({"res_id": self.id, "view_mode": "form", "views": [(False, "form")]})
        else:
            action["domain"] = [("id", "in", self.ids)]
        return action

    @api.autovacuum
    def _gc_process_logs(self):
        days = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("magento_invoice_export.log_retention_days", DEFAULT_RETENTION_DAYS)
        )
        self._close_interrupted_runs()
        limit_date = fields.Datetime.now() - timedelta(days=days)
        self.sudo().search([("start_date", "<", limit_date), ("state", "!=", "running")]).unlink()
