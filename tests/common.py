"""Base class of the Odoo suite: an accounting company and a live Magento double."""

from odoo.tests.common import new_test_user

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from ..magento_double import MagentoDouble


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
