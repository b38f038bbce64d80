from datetime import timedelta

from odoo import api, fields, models

DEFAULT_RETENTION_DAYS = 90


class MagentoProcessLog(models.Model):
    """One run of a Magento operation (an export, a connection test...)."""

    _name = "magento.process.log"
    _description = "Magento Process Log"
    _order = "start_date desc, id desc"

    name = fields.Char(compute="_compute_name", store=True)
    operation = fields.Selection(
        [("export_invoice", "Export Invoice"), ("import_orders", "Import Orders")], required=True, readonly=True
    )
    instance_id = fields.Many2one("magento.instance", readonly=True, index=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", readonly=True, index=True, default=lambda self: self.env.company)
    user_id = fields.Many2one("res.users", string="Run By", readonly=True, default=lambda self: self.env.user)
    start_date = fields.Datetime(string="Started", readonly=True, default=fields.Datetime.now)
    end_date = fields.Datetime(string="Finished", readonly=True)
    state = fields.Selection(
        [
            ("running", "Running"),
            ("done", "Done"),
            ("warning", "Done with Errors"),
            ("failed", "Failed"),
        ],
        default="running",
        readonly=True,
        required=True,
    )
    summary = fields.Char(readonly=True)
    exported_count = fields.Integer(string="Exported", readonly=True)
    imported_count = fields.Integer(string="Imported", readonly=True)
    failed_count = fields.Integer(string="Failed", readonly=True)
    skipped_count = fields.Integer(string="Skipped", readonly=True)
    line_ids = fields.One2many("magento.process.log.line", "log_id", string="Lines", readonly=True)

    @api.depends("operation", "instance_id.name")
    def _compute_name(self):
        labels = dict(self._fields["operation"]._description_selection(self.env))
        for log in self:
            label = labels.get(log.operation, log.operation or "")
            log.name = f"{label} - {log.instance_id.name}" if log.instance_id else label

    def _add_lines(self, vals_list):
        """Add lines to this log in one INSERT (callers batch them)."""
        self.ensure_one()
        # A run passes these in its context: read once, not after every commit.
        defaults = self.env.context.get("magento_log_line_defaults") or self._line_defaults()
        for vals in vals_list:
            vals.update(defaults)
        return self.env["magento.process.log.line"].sudo().create(vals_list)

    def _line_defaults(self):
        return {"log_id": self.id, "instance_id": self.instance_id.id, "company_id": self.company_id.id}

    def _for_run(self):
        """This log, carrying what each of its lines needs."""
        return self.with_context(magento_log_line_defaults=self._line_defaults())

    def _finish(self, exported=0, failed=0, skipped=0, summary=None, stopped=False, imported=0):
        self.ensure_one()
        if stopped:
            state = "failed"
        elif failed:
            state = "warning"
        else:
            state = "done"
        self.sudo().write(
            {
                "end_date": fields.Datetime.now(),
                "exported_count": exported,
                "imported_count": imported,
                "failed_count": failed,
                "skipped_count": skipped,
                "summary": summary,
                "state": state,
            }
        )

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
        limit_date = fields.Datetime.now() - timedelta(days=days)
        self.sudo().search([("start_date", "<", limit_date), ("state", "!=", "running")]).unlink()
