"""Base class of the Odoo suite: an accounting company and a live Magento double."""

from odoo import Command
from odoo.tests import Form
from odoo.tests.common import new_test_user

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

try:
    from magento_double import MagentoDouble
except ImportError as error:  # the double is a development tool, not part of the addon
    raise ImportError(
        "The Odoo tests need the Magento double of this addon's repository (magento_double/ at its top): "
        "run them with tools/test.sh, or put the repository on PYTHONPATH."
    ) from error


class MagentoTestCommon(AccountTestInvoicingCommon):
    """Every test talks to a real HTTP Magento double on 127.0.0.1."""

    @classmethod
    def get_default_groups(cls):
        # The main test user is an administrator who also manages Magento;
        # narrower users are made by the tests that need them.
        return (
            super().get_default_groups()
            | cls.env.ref("base.group_system")
            | cls.env.ref("magento_invoice_export.group_magento_manager")
        )

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.magento = MagentoDouble().start()
        cls.addClassCleanup(cls.magento.stop)
        cls.instance = cls.env["magento.instance"].create(
            {
                "name": "Luma Shop",
                "url": cls.magento.url,
                "auth_method": "oauth",
                "timeout": 5,
                **cls.magento.credentials,
            }
        )
        cls.pm_checkmo = cls._payment_method("checkmo", "Check / Money order", "validate")
        cls.pm_banktransfer = cls._payment_method("banktransfer", "Bank Transfer Payment", "in_payment_paid")
        cls.pm_cashondelivery = cls._payment_method("cashondelivery", "Cash On Delivery", False)
        Product = cls.env["product.product"]
        cls.product_bag = Product.create({"name": "Joust Duffle Bag", "default_code": "24-MB01", "lst_price": 34})
        cls.product_hoodie = Product.create(
            {"name": "Chaz Kangeroo Hoodie", "default_code": "MH01-XS-Black", "lst_price": 52}
        )
        # The import's shipping product: credit notes refund it as Magento's shipping.
        cls.product_shipping = cls.env.ref("magento_invoice_export.product_magento_shipping")

    def setUp(self):
        super().setUp()
        # Every test starts with a well-behaved Magento.
        self.magento.clear_faults()
        self.addCleanup(self.magento.clear_faults)

    @classmethod
    def _payment_method(cls, code, name, create_invoice_on):
        return cls.env["magento.payment.method"].create(
            {"instance_id": cls.instance.id, "code": code, "name": name, "create_invoice_on": create_invoice_on}
        )

    @classmethod
    def _user(cls, login, groups, company=None):
        company = company or cls.env.company
        return new_test_user(
            cls.env, login=login, groups=groups, company_id=company.id, company_ids=[(6, 0, company.ids)]
        )

    # ------------------------------------------------------------------
    # Magento orders and their invoices
    # ------------------------------------------------------------------
    @classmethod
    def _products(cls):
        return cls.product_bag, cls.product_hoodie

    def _magento_order(self, lines=None, payment_method=None, shipping=5.0, rate=1.0, shipping_tax=None):
        """A Magento order in the double and its confirmed Odoo sale order.

        ``lines``: ``[(product, qty, price, kind)]``, kind ``simple`` or
        ``configurable``. Each sale line is linked to its Magento item (the
        parent for a configurable); shipping is a sale line without one.
        """
        bag, hoodie = self._products()
        lines = lines or [(bag, 2, 34.0, "simple"), (hoodie, 3, 52.0, "configurable")]
        payment_method = payment_method or self.pm_checkmo
        specs = []
        for product, qty, price, kind in lines:
            spec = {"sku": product.default_code, "name": product.name, "qty": qty, "price": price, "type": kind}
            if kind == "configurable":
                spec.update(sku=product.default_code.split("-")[0], child_sku=product.default_code)
            specs.append(spec)
        order = self.magento.store.add_order(
            specs,
            payment_method=payment_method.code,
            shipping_amount=shipping,
            base_to_order_rate=rate,
            shipping_tax_percent=shipping_tax.amount if shipping_tax else 0,
        )
        item_ids = [item["item_id"] for item in order["items"] if not item.get("parent_item_id")]
        order_lines = [
            Command.create(
                {
                    "product_id": product.id,
                    "product_uom_qty": qty,
                    "price_unit": price,
                    "magento_item_id": item_id,
                    # Magento's prices, without Odoo taxes: as the import makes them.
                    "tax_id": [Command.clear()],
                }
            )
            for (product, qty, price, _kind), item_id in zip(lines, item_ids, strict=True)
        ]
        if shipping:
            order_lines.append(
                Command.create(
                    {
                        "product_id": self.product_shipping.id,
                        "product_uom_qty": 1,
                        "price_unit": shipping,
                        "tax_id": [Command.set(shipping_tax.ids if shipping_tax else [])],
                    }
                )
            )
        # As the import creates it: superuser code alone sets an order's Magento link.
        sale_order = (
            self.env["sale.order"]
            .sudo()
            .create(
                {
                    "partner_id": self.partner_a.id,
                    "magento_instance_id": self.instance.id,
                    "magento_order_id": order["entity_id"],
                    "magento_order_ref": order["increment_id"],
                    "magento_payment_method_id": payment_method.id,
                    "magento_base_to_order_rate": rate,
                    "order_line": order_lines,
                }
            )
            .sudo(False)
        )
        sale_order.action_confirm()
        return sale_order, order

    def _invoice(self, sale_order, quantities=None, post=True):
        """Invoice the order; ``quantities`` maps products to the quantity to invoice."""
        move = sale_order._create_invoices()
        if quantities:
            with Form(move) as form:
                for index in range(len(form.invoice_line_ids)):
                    with form.invoice_line_ids.edit(index) as line:
                        if line.product_id in quantities:
                            line.quantity = quantities[line.product_id]
        if post:
            move.action_post()
        return move

    def _register_payment(self, move):
        self.env["account.payment.register"].with_context(active_model="account.move", active_ids=move.ids).create(
            {}
        )._create_payments()
        return move

    def _set_payment(self, move, payment):
        """Put a posted invoice in ``not_paid``, ``in_payment`` or ``paid``."""
        if payment == "paid":
            self._register_payment(move)
            self.assertEqual(move.payment_state, "paid")
        elif payment == "in_payment":
            move.payment_state = "in_payment"  # a payment not yet matched with the bank
        return move

    def _invoice_posts(self, magento_order):
        return self.magento.requests("POST", rf"/V1/order/{magento_order['entity_id']}/invoice$")

    def _bulk_export(self, instances=None, operation="export_invoice"):
        wizard = Form(self.env["magento.operation.wizard"])
        wizard.operation = operation
        if instances is not None:
            wizard.instance_ids.clear()
            for instance in instances:
                wizard.instance_ids.add(instance)
        action = wizard.save().action_execute()
        return self.env["magento.process.log"].browse(action.get("res_id") or action["domain"][0][2])
