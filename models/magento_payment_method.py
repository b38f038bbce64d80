from odoo import fields, models


class MagentoPaymentMethod(models.Model):
    _name = "magento.payment.method"
    _description = "Magento Payment Method"
    _order = "instance_id, name, id"
    _check_company_auto = True

    instance_id = fields.Many2one("magento.instance", required=True, ondelete="cascade", index=True, check_company=True)
    company_id = fields.Many2one(related="instance_id.company_id", store=True, index=True)
    code = fields.Char(
        string="Magento Code", required=True, help="The payment method code in Magento, such as checkmo."
    )
    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    create_invoice_on = fields.Selection(
        [("validate", "Validate"), ("in_payment_paid", "In-Payment/Paid")],
        string="Create Invoice on Magento",
        help="When an Odoo invoice of an order paid this way is exported to Magento:\n"
        "- blank: never;\n"
        "- Validate: once the invoice is posted;\n"
        "- In-Payment/Paid: once the invoice is in payment or paid.",
    )
    capture_on_export = fields.Boolean(
        string="Capture Payment in Magento",
        help="Ask Magento to capture the payment online when it creates the invoice. "
        "Leave off for offline methods and payments captured elsewhere.",
    )

    _sql_constraints = [
        (
            "code_instance_uniq",
            "UNIQUE(instance_id, code)",
            "A Magento payment method code can only be configured once per instance.",
        ),
    ]
