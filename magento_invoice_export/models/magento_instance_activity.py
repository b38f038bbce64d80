"""The instance's responsible user: who gets an activity when a document needs action (issue 23)."""

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..export.activities import NEEDS_PERSON_DOMAIN

INVOICE_GROUP = "account.group_account_invoice"


class MagentoInstance(models.Model):
    _inherit = "magento.instance"

    responsible_user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        check_company=True,
        tracking=True,
        # Users of the instance's company who see invoices: the activity opens one.
        domain=lambda self: [("share", "=", False), ("groups_id", "in", self.env.ref(INVOICE_GROUP).ids)],
        help="Gets an activity on each invoice or credit note that needs a person: refused by Magento as it "
        "stands, skipped after its failed attempts, or exported with another total than Magento's. The activity "
        "says what is wrong and what to do, and is marked done once the document is exported or marked Not to "
        "Export. Blank: no activities.",
    )

    @api.constrains("responsible_user_id")
    def _check_responsible_sees_invoices(self):
        for instance in self.filtered("responsible_user_id"):
            user = instance.responsible_user_id
            if user.share or not user.has_group(INVOICE_GROUP):
                raise ValidationError(
                    self.env._(
                        "%(user)s cannot open invoices: the responsible of %(instance)s needs at least the "
                        "Invoicing access to Accounting (Settings > Users & Companies > Users).",
                        user=user.name,
                        instance=instance.name,
                    )
                )

    def write(self, vals):
        result = super().write(vals)
        if "responsible_user_id" in vals:
            # The documents waiting for a person get their activity now, or go to the new responsible.
            self._sync_magento_activities()
        return result

    def _sync_magento_activities(self):
        Move = self.env["account.move"].sudo()
        exporter = self.env["magento.invoice.exporter"]
        moves = Move.search([("magento_instance_id", "in", self.ids), *NEEDS_PERSON_DOMAIN])
        exporter._sync_activities_safely(moves)
