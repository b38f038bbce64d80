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
    export_text = fields.Text(string="What the Export Will Do", compute="_compute_counts")

    @api.depends("instance_ids", "operation")
    def _compute_counts(self):
        # What the run itself will select (export/runs.py): counts only, so a
        # Magento user without accounting rights sees them too.
        exporter = self.env["magento.invoice.exporter"]
        for wizard in self:
            instances = wizard.instance_ids._origin
            forecasts = {kind: exporter._forecast(instances, kind) for kind in ("invoice", "creditmemo")}
            for kind, forecast in forecasts.items():
                wizard[f"export_{kind}_count"] = forecast["export"]
                wizard[f"skipped_{kind}_count"] = forecast["skipped"]
            kind = "creditmemo" if wizard.operation == "export_creditmemo" else "invoice"
            wizard.export_text = (
                wizard._export_text(kind, forecasts[kind]) if wizard.operation != "import_orders" else False
            )

    def _export_text(self, kind, forecast):
        """The forecast in plain words, each number with its noun."""
        sentences = [self._first_sentence(kind, forecast["export"])]
        if forecast["waiting"]:
            sentences.append(
                self.env._(
                    "%(documents)s will be looked up, not sent again: an earlier request whose answer was lost may "
                    "still be running in Magento.",
                    documents=self._documents(kind, forecast["waiting"]),
                )
            )
        if forecast["skipped"]:
            sentences.append(
                self.env._(
                    "%(documents)s failed three times and will be skipped (a Magento manager resets the attempts; "
                    "Export from the document itself still works).",
                    documents=self._documents(kind, forecast["skipped"]),
                )
            )
        if forecast["payment_check"]:
            sentences.append(
                self.env._(
                    "%(documents)s will be left for a person: the payment must be checked in Magento first "
                    "(then Export from the document itself).",
                    documents=self._documents(kind, forecast["payment_check"]),
                )
            )
        return " ".join(sentences)

    def _first_sentence(self, kind, count):
        if kind == "creditmemo":
            if not count:
                return self.env._("No credit note to export.")
            if count == 1:
                return self.env._("1 credit note will be exported to Magento as a credit memo.")
            return self.env._("%(count)s credit notes will be exported to Magento as credit memos.", count=count)
        if not count:
            return self.env._("No invoice to export.")
        return self.env._("%(documents)s will be exported to Magento.", documents=self._documents(kind, count))

    def _documents(self, kind, count):
        """``count`` and its noun: "1 invoice", "60 invoices", "2 credit notes"."""
        if kind == "creditmemo":
            if count == 1:
                return self.env._("1 credit note")
            return self.env._("%(count)s credit notes", count=count)
        if count == 1:
            return self.env._("1 invoice")
        return self.env._("%(count)s invoices", count=count)

    def action_execute(self):
        self.ensure_one()
        # Running is what the Magento User group is for (configuring is the
        # manager's): on instances it may read, of its companies (read from
        # the wizard as stored: reading it as the user would hide the others).
        # The export elevates itself where it writes (logs, documents, marks).
        instances = self.sudo().instance_ids.with_env(self.env)
        instances.check_access("read")
        if self.operation in ("export_invoice", "export_creditmemo"):
            document = "invoice" if self.operation == "export_invoice" else "creditmemo"
            logs = self.env["magento.invoice.exporter"]._export_from_screen(instances, documents=(document,))
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
        # The import makes sales orders, customers and payment methods as the
        # scheduled import does, as superuser: a Magento User need not be a
        # salesperson. Its log still names the user who ran it.
        importer = self.env["magento.order.importer"].sudo()
        for instance in instances:
            logs |= importer._import_orders(
                instance,
                increment_ids=refs if self.import_by == "increment_id" else None,
                since=self.since if self.import_by == "since" else None,
            )
        return logs._action_open()
