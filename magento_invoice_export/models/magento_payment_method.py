from odoo import api, fields, models
from odoo.exceptions import ValidationError

# Magento's offline methods (module-offline-payments, plus "free"): nothing to
# capture. Any other code is a gateway, whose payment may be only authorized
# (docs/magento-behaviour.md §5).
OFFLINE_METHODS = frozenset({"checkmo", "banktransfer", "cashondelivery", "purchaseorder", "free"})
# Their titles in a fresh Magento (module-offline-payments/etc/config.xml,
# module-payment/etc/config.xml): a name for a method whose order does not
# carry its title ("cashondelivery" cannot be read as "Cash On Delivery").
CORE_TITLES = {
    "checkmo": "Check / Money order",
    "purchaseorder": "Purchase Order",
    "banktransfer": "Bank Transfer Payment",
    "cashondelivery": "Cash On Delivery",
    "free": "No Payment Information Required",
}
# A blank trigger is "never" (the export's policy reads it so); the screens
# say it with this value, which is never stored.
NEVER = "never"
INVOICE_TRIGGERS = [("validate", "Validate"), ("in_payment_paid", "In-Payment/Paid")]
CREDITMEMO_TRIGGERS = [("validate", "Validate"), ("refunded", "Refunded")]


def method_title(code, order=None):
    """The name of a Magento payment method: its title at checkout, as the
    order keeps it (``method_title``), else a core method's default title,
    else its code in words (``braintree_cc`` reads "Braintree Cc")."""
    extension = (order or {}).get("extension_attributes")
    for info in (extension.get("payment_additional_info") or []) if isinstance(extension, dict) else []:
        title = str(info.get("value") or "").strip() if isinstance(info, dict) else ""
        if title and info.get("key") == "method_title":
            return title
    code = (code or "").strip()
    return CORE_TITLES.get(code) or code.replace("_", " ").title() or code


class MagentoPaymentMethod(models.Model):
    _name = "magento.payment.method"
    _inherit = ["mail.thread"]
    _description = "Magento Payment Method"
    _order = "instance_id, name, id"
    _check_company_auto = True

    instance_id = fields.Many2one("magento.instance", required=True, ondelete="cascade", index=True, check_company=True)
    company_id = fields.Many2one(related="instance_id.company_id", store=True, index=True)
    code = fields.Char(
        string="Magento Code", required=True, help="The payment method code in Magento, such as checkmo.", tracking=True
    )
    name = fields.Char(required=True)
    active = fields.Boolean(default=True, tracking=True)
    create_invoice_on = fields.Selection(
        INVOICE_TRIGGERS,
        string="Create Invoice on Magento (blank: Never)",
        help="When an Odoo invoice of an order paid this way is exported to Magento:\n"
        "- Never (blank): never;\n"
        "- Validate: once the invoice is posted;\n"
        "- In-Payment/Paid: once the invoice is in payment or paid.",
        tracking=True,
    )
    create_creditmemo_on = fields.Selection(
        CREDITMEMO_TRIGGERS,
        string="Create Credit Memo on Magento (blank: Never)",
        help="When an Odoo credit note of an order paid this way is exported to Magento as a credit memo, once "
        "the invoice it refunds is there:\n"
        "- Never (blank): never;\n"
        "- Validate: once the credit note is posted;\n"
        "- Refunded: once the credit note is paid back (in payment, paid or reversed).",
        tracking=True,
    )
    # What the screens show and edit: the triggers with "Never" said. Stored
    # as above (blank), so existing methods keep their meaning without a migration.
    invoice_trigger = fields.Selection(
        [(NEVER, "Never"), *INVOICE_TRIGGERS],
        string="Create Invoice on Magento",
        compute="_compute_triggers",
        inverse="_inverse_invoice_trigger",
        search="_search_invoice_trigger",
        help="When an Odoo invoice of an order paid this way is exported to Magento:\n"
        "- Never: its invoices stay in Odoo;\n"
        "- Validate: once the invoice is posted;\n"
        "- In-Payment/Paid: once the invoice is in payment or paid.",
    )
    creditmemo_trigger = fields.Selection(
        [(NEVER, "Never"), *CREDITMEMO_TRIGGERS],
        string="Create Credit Memo on Magento",
        compute="_compute_triggers",
        inverse="_inverse_creditmemo_trigger",
        search="_search_creditmemo_trigger",
        help="When an Odoo credit note of an order paid this way is exported to Magento as a credit memo, once "
        "the invoice it refunds is there:\n"
        "- Never: its credit notes stay in Odoo;\n"
        "- Validate: once the credit note is posted;\n"
        "- Refunded: once the credit note is paid back (in payment, paid or reversed).",
    )
    refund_online = fields.Boolean(
        string="Refund Online in Magento",
        help="Refund through the payment gateway (Magento refunds the invoice online, with the transaction it "
        "captured). Off: Magento records an offline refund of the order and the money goes back by other means. "
        "Magento's offline methods cannot refund online.",
        tracking=True,
    )
    capture_on_export = fields.Boolean(
        string="Capture Payment in Magento",
        help="Ask Magento to capture the payment online when it creates the invoice. "
        "Leave off for offline methods and payments captured elsewhere.",
        tracking=True,
    )
    is_offline = fields.Boolean(
        string="Offline Method",
        compute="_compute_is_offline",
        help="One of Magento's offline methods (check, bank transfer, cash on delivery, purchase order, free): "
        "there is no money to capture.",
    )
    uncaptured_risk = fields.Boolean(
        compute="_compute_is_offline",
        help="A gateway's invoice exported without capture: Magento marks it paid without taking the money.",
    )

    @api.depends("create_invoice_on", "create_creditmemo_on")
    def _compute_triggers(self):
        for method in self:
            method.invoice_trigger = method.create_invoice_on or NEVER
            method.creditmemo_trigger = method.create_creditmemo_on or NEVER

    def _inverse_invoice_trigger(self):
        for method in self:
            method.create_invoice_on = method.invoice_trigger if method.invoice_trigger != NEVER else False

    def _inverse_creditmemo_trigger(self):
        for method in self:
            method.create_creditmemo_on = method.creditmemo_trigger if method.creditmemo_trigger != NEVER else False

    def _search_invoice_trigger(self, operator, value):
        return self._trigger_domain("create_invoice_on", operator, value)

    def _search_creditmemo_trigger(self, operator, value):
        return self._trigger_domain("create_creditmemo_on", operator, value)

    @api.model
    def _trigger_domain(self, field, operator, value):
        if operator not in ("=", "!=", "in", "not in"):
            return NotImplemented
        values = [value] if operator in ("=", "!=") else list(value)
        stored = [False if item in (NEVER, False) else item for item in values]
        return [(field, "in" if operator in ("=", "in") else "not in", stored)]

    @api.depends("code", "capture_on_export")
    def _compute_is_offline(self):
        for method in self:
            method.is_offline = (method.code or "").strip() in OFFLINE_METHODS
            method.uncaptured_risk = bool(method.code) and not method.is_offline and not method.capture_on_export

    @api.constrains("refund_online", "code")
    def _check_refund_online(self):
        for method in self:
            if method.refund_online and (method.code or "").strip() in OFFLINE_METHODS - {"free"}:
                raise ValidationError(
                    self.env._(
                        "%(method)s is one of Magento's offline payment methods: Magento refunds it only offline "
                        '(it refuses an online refund with "We can\'t create creditmemo for the invoice"). '
                        "Leave Refund Online in Magento off for it.",
                        method=method.name,
                    )
                )

    @api.model
    def _default_capture(self, code):
        """What the import sets on a method it creates: capture a gateway's payment."""
        return (code or "").strip() not in OFFLINE_METHODS

    _sql_constraints = [
        (
            "code_instance_uniq",
            "UNIQUE(instance_id, code)",
            "A Magento payment method code can only be configured once per instance.",
        ),
    ]
