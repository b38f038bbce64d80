from odoo import api, fields, models


class MagentoProcessLogLine(models.Model):
    """One event of a run: an invoice exported, or why it was not."""

    _name = "magento.process.log.line"
    _description = "Magento Process Log Line"
    _order = "id desc"

    log_id = fields.Many2one("magento.process.log", required=True, ondelete="cascade", index=True)
    # Copied from the log at creation (not related fields: no extra UPDATE per line).
    instance_id = fields.Many2one("magento.instance", readonly=True, index=True, ondelete="restrict")
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    operation = fields.Selection(related="log_id.operation")
    level = fields.Selection(
        [("info", "Info"), ("warning", "Warning"), ("error", "Error")],
        required=True,
        default="info",
    )
    message = fields.Text(required=True)
    res_model = fields.Char(string="Related Model", index=True)
    res_id = fields.Many2oneReference(string="Related Record", model_field="res_model", index=True)
    record_name = fields.Char(string="Record")
    move_id = fields.Many2one("account.move", string="Invoice", index="btree_not_null", ondelete="set null")
    http_status = fields.Integer(string="HTTP Status")
    retryable = fields.Boolean(help="Whether trying again later can succeed.")
    request = fields.Text(help="The request sent to Magento (without credentials).")
    response = fields.Text(help="Magento's answer, as received.")
    advice = fields.Text(string="What to Do", help="What a person can do about this line, if anything.")

    @api.depends("record_name", "message")
    def _compute_display_name(self):
        for line in self:
            line.display_name = line.record_name or (line.message or "")[:60]

    def action_open_record(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }
