import re

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..magento_client.calls import UNRESERVED


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
        [
            ("export_invoice", "Export Invoice"),
            ("export_creditmemo", "Export Credit Memos"),
            ("import_orders", "Import Orders"),
        ],
        required=True,
        default="export_invoice",
    )
    import_by = fields.Selection(
        [("increment_id", "Order Numbers"), ("since", "Every Order Since")],
        default="increment_id",
        required=True,
    )
    order_refs = fields.Char(
        string="Order Numbers", help="Magento order numbers (increment ids), separated by commas or spaces."
    )
    since = fields.Datetime(default=lambda self: fields.Datetime.subtract(fields.Datetime.now(), days=7))
    export_invoice_count = fields.Integer(string="Invoices to Export", compute="_compute_counts")
    skipped_invoice_count = fields.Integer(string="Invoices Skipped", compute="_compute_counts")
    export_creditmemo_count = fields.Integer(string="Credit Notes to Export", compute="_compute_counts")
    skipped_creditmemo_count = fields.Integer(string="Credit Notes Skipped", compute="_compute_counts")

    @api.depends("instance_ids")
    def _compute_counts(self):
        # Counts only: a Magento user without accounting rights sees them too.
        Move = self.env["account.move"].sudo()
        for wizard in self:
            for move_type, kind in (("out_invoice", "invoice"), ("out_refund", "creditmemo")):
                domain = [("magento_instance_id", "in", wizard.instance_ids.ids), ("move_type", "=", move_type)]
                wizard[f"export_{kind}_count"] = Move.search_count(
                    domain + [("magento_export_state", "in", ("to_export", "failed"))]
                )
                wizard[f"skipped_{kind}_count"] = Move.search_count(domain + [("magento_export_state", "=", "skipped")])

    def action_execute(self):
        self.ensure_one()
        # Runs act on the instances as a whole: only who may configure them (and
        # their company) may run them, from the form or over RPC.
        self.instance_ids.check_access("write")
        if self.operation in ("export_invoice", "export_creditmemo"):
            document = "invoice" if self.operation == "export_invoice" else "creditmemo"
            logs = self.env["magento.invoice.exporter"]._export_from_screen(self.instance_ids, documents=(document,))
            return logs._action_open()
        refs = [ref for ref in re.split(r"[\s,;]+", self.order_refs or "") if ref]
        if self.import_by == "increment_id" and not refs:
            raise UserError(self.env._("Enter the Magento order numbers to import, e.g. 000000012."))
        odd = [ref for ref in refs if not UNRESERVED.match(ref)] if self.import_by == "increment_id" else []
        if odd:
            raise UserError(
                self.env._(
                    "%(refs)s: a Magento order number is made of letters, digits and - . _ ~ only.",
                    refs=", ".join(odd),
                )
            )
        if self.import_by == "since" and not self.since:
            raise UserError(self.env._("Choose the date from which to import orders."))
        logs = self.env["magento.process.log"]
        for instance in self.instance_ids:
            logs |= self.env["magento.order.importer"]._import_orders(
                instance,
                increment_ids=refs if self.import_by == "increment_id" else None,
                since=self.since if self.import_by == "since" else None,
            )
        return logs._action_open()
