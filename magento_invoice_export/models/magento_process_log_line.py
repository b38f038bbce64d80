from odoo import api, fields, models
from odoo.exceptions import UserError


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
    sale_order_id = fields.Many2one(
        "sale.order", string="Sales Order", readonly=True, index="btree_not_null", ondelete="set null"
    )
    http_status = fields.Integer(string="HTTP Status")
    retryable = fields.Boolean(help="Whether trying again later can succeed.")
    request = fields.Text(help="The request sent to Magento (without credentials).")
    response = fields.Text(help="Magento's answer, as received.")
    advice = fields.Text(string="What to Do", help="What a person can do about this line, if anything.")
    resolved = fields.Boolean(
        compute="_compute_problem",
        search="_search_resolved",
        help="A warning or error whose document is exported since, with nothing left to check.",
    )
    problem = fields.Boolean(
        compute="_compute_problem",
        search="_search_problem",
        help="A warning or error not resolved since.",
    )
    # The lists' badge: a resolved problem reads Resolved, not Error.
    level_shown = fields.Selection(
        [("info", "Info"), ("warning", "Warning"), ("error", "Error"), ("resolved", "Resolved")],
        string="Level or Resolved",
        compute="_compute_problem",
    )

    def _resolved_domain(self):
        # A total that differs is a warning about an exported document: it
        # stays a problem until a manager marks the difference checked.
        return [
            ("level", "!=", "info"),
            ("move_id.magento_invoice_id", ">", 0),
            ("move_id.magento_failure_kind", "!=", "action"),
        ]

    @api.depends("level", "move_id.magento_invoice_id", "move_id.magento_failure_kind")
    def _compute_problem(self):
        for line in self:
            # Read as superuser: a Magento user without accounting rights sees it too.
            move = line.sudo().move_id
            exported = move.magento_invoice_id > 0 and move.magento_failure_kind != "action"
            line.resolved = line.level != "info" and exported
            line.problem = line.level != "info" and not line.resolved
            line.level_shown = "resolved" if line.resolved else line.level

    def _search_resolved(self, operator, value):
        if operator not in ("=", "!="):
            raise UserError(self.env._("Operation not supported"))
        resolved = self.sudo()._search(self._resolved_domain())
        return [("id", "in" if (operator == "=") == bool(value) else "not in", resolved)]

    def _search_problem(self, operator, value):
        if operator not in ("=", "!="):
            raise UserError(self.env._("Operation not supported"))
        problems = self.sudo()._search([("level", "!=", "info"), ("resolved", "=", False)])
        return [("id", "in" if (operator == "=") == bool(value) else "not in", problems)]

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
