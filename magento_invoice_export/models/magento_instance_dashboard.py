"""The Magento dashboard: per instance, what its invoices and credit notes
wait for, counted as the worklist's filters count them."""

import ast
import datetime

from odoo import api, fields, models

# What each count holds: the worklist's search filters (views/account_move_views.xml,
# view_magento_invoice_search) that open it, and their domain, ORed as the
# filters of one group are.
DASHBOARD_COUNTS = {
    "to_export": (("to_export", "failed_retry"), [("magento_status", "in", ("to_export", "will_retry"))]),
    "waiting": (
        ("waiting", "outcome_unknown"),
        [("magento_status", "in", ("waiting", "waiting_payment", "waiting_magento"))],
    ),
    # What the badge shows red or amber: a person acts before it goes (or is checked).
    "action": (
        ("needs_attention",),
        [("magento_status", "in", ("needs_action", "skipped", "not_exportable", "exported_check"))],
    ),
    "exported_today": (("exported",), None),
}
DOCUMENT_KINDS = {"invoice": "out_invoice", "refund": "out_refund"}
WORKLISTS = {
    "out_invoice": "magento_invoice_export.action_magento_invoices",
    "out_refund": "magento_invoice_export.action_magento_credit_notes",
}
OPERATIONS = ("export_invoice", "export_creditmemo", "import_orders")


class MagentoInstance(models.Model):
    _inherit = "magento.instance"

    dashboard_invoice_to_export = fields.Integer(string="Invoices to Export", compute="_compute_dashboard")
    dashboard_invoice_waiting = fields.Integer(string="Invoices Waiting", compute="_compute_dashboard")
    dashboard_invoice_action = fields.Integer(string="Invoices Needing Action", compute="_compute_dashboard")
    dashboard_invoice_exported_today = fields.Integer(string="Invoices Exported Today", compute="_compute_dashboard")
    dashboard_refund_to_export = fields.Integer(string="Credit Notes to Export", compute="_compute_dashboard")
    dashboard_refund_waiting = fields.Integer(string="Credit Notes Waiting", compute="_compute_dashboard")
    dashboard_refund_action = fields.Integer(string="Credit Notes Needing Action", compute="_compute_dashboard")
    dashboard_refund_exported_today = fields.Integer(string="Credit Notes Exported Today", compute="_compute_dashboard")

    def _dashboard_today_start(self):
        """Midnight of the user's today, in UTC as the database keeps times."""
        now = fields.Datetime.now()
        local_now = fields.Datetime.context_timestamp(self, now)
        local_midnight = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
        return local_midnight.astimezone(datetime.UTC).replace(tzinfo=None)

    def _dashboard_domain(self, count):
        """The documents a count holds, on top of the worklist's own domain."""
        domain = DASHBOARD_COUNTS[count][1]
        if domain is not None:
            return domain
        # Exported by a run since the user's midnight: its success line says when.
        return [
            ("magento_export_state", "=", "exported"),
            (
                "magento_log_line_ids",
                "any",
                [
                    ("level", "=", "info"),
                    ("http_status", "=", 200),
                    ("create_date", ">=", fields.Datetime.to_string(self._dashboard_today_start())),
                ],
            ),
        ]

    def _dashboard_moves(self):
        """account.move as the user may count it: under their own rules when
        they may read invoices, else (a Magento user without accounting
        rights) counts only, within their companies."""
        Move = self.env["account.move"]
        if Move.has_access("read"):
            return Move, []
        return Move.sudo(), [("company_id", "in", self.env.companies.ids)]

    @api.depends_context("uid", "allowed_company_ids", "tz")
    def _compute_dashboard(self):
        Move, restriction = self._dashboard_moves()
        base = [
            ("magento_instance_id", "in", self.ids),
            ("move_type", "in", tuple(DOCUMENT_KINDS.values())),
            *restriction,
        ]
        counts = {}
        for count in DASHBOARD_COUNTS:
            groups = Move._read_group(
                base + self._dashboard_domain(count), ["magento_instance_id", "move_type"], ["__count"]
            )
            for instance, move_type, number in groups:
                counts[count, instance.id, move_type] = number
        for instance in self:
            for kind, move_type in DOCUMENT_KINDS.items():
                for count in DASHBOARD_COUNTS:
                    instance[f"dashboard_{kind}_{count}"] = counts.get((count, instance.id, move_type), 0)

    def action_dashboard_open(self):
        """A count's button: the worklist, with the filters that make the count."""
        self.ensure_one()
        count = self.env.context.get("magento_dashboard_count")
        move_type = self.env.context.get("magento_dashboard_move_type")
        if count not in DASHBOARD_COUNTS or move_type not in WORKLISTS:
            return False
        action = self.env["ir.actions.act_window"]._for_xml_id(WORKLISTS[move_type])
        domain = [("magento_instance_id", "=", self.id)]
        if count == "exported_today":
            # No filter says "today": the domain does, the Exported filter names it.
            domain += self._dashboard_domain(count)
            action["name"] = self.env._("%(list)s Exported Today", list=action["name"])
        worklist = action.get("domain") or []
        if isinstance(worklist, str):
            worklist = ast.literal_eval(worklist)
        action["domain"] = [*worklist, *domain]
        action["context"] = {
            "create": False,
            "default_move_type": move_type,
            **{f"search_default_{name}": 1 for name in DASHBOARD_COUNTS[count][0]},
        }
        return action

    def action_dashboard_operation(self):
        """An operation's button: the Operations wizard, set to this instance and operation."""
        self.ensure_one()
        operation = self.env.context.get("magento_dashboard_operation")
        action = self.env["ir.actions.act_window"]._for_xml_id("magento_invoice_export.action_magento_operation_wizard")
        action["context"] = {
            "default_instance_ids": [self.id],
            "default_operation": operation if operation in OPERATIONS else "export_invoice",
        }
        return action
