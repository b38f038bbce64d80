from odoo import api, fields, models


class MagentoOperationWizard(models.TransientModel):
    """Magento > Operations: run an operation on chosen instances, then open its log."""

    _name = "magento.operation.wizard"
    _description = "Magento Operation"

    instance_ids = fields.Many2many(
        "magento.instance",
        string="Instances",
        required=True,
        default=lambda self: self.env["magento.instance"].search([]),
    )
    operation = fields.Selection(
        [("export_invoice", "Export Invoice")],
        required=True,
        default="export_invoice",
    )
    export_invoice_count = fields.Integer(string="Invoices to Export", compute="_compute_counts")
    skipped_invoice_count = fields.Integer(string="Invoices Skipped", compute="_compute_counts")

    @api.depends("instance_ids")
    def _compute_counts(self):
        Move = self.env["account.move"]
        for wizard in self:
            domain = [("magento_instance_id", "in", wizard.instance_ids.ids)]
            wizard.export_invoice_count = Move.search_count(
                domain + [("magento_export_state", "in", ("to_export", "failed"))]
            )
            wizard.skipped_invoice_count = Move.search_count(domain + [("magento_export_state", "=", "skipped")])

    def action_execute(self):
        self.ensure_one()
        if self.operation == "export_invoice":
            logs = self.env["magento.invoice.exporter"]._export_invoices(self.instance_ids)
            return logs._action_open()
        return {"type": "ir.actions.act_window_close"}
