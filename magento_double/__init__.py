"""A faithful, stateful Magento 2 REST double for tests and the demo.

It follows Magento's own code as ``docs/magento-behaviour.md`` records it
(each behaviour cites the Magento file and its section there): the invoice and
credit memo pipelines and their error bodies live in :mod:`.store`, HTTP,
authentication and fault injection in :mod:`.server`, OAuth verification in
:mod:`.oauth`.
"""

from .server import (
    ACL_CREDITMEMO,
    ACL_INVOICE,
    ACL_ORDERS,
    ACL_SALES_CREDITMEMO,
    ACL_SALES_INVOICE,
    Fault,
    MagentoDouble,
)
from .store import Store, WebapiError

__all__ = [
    "ACL_CREDITMEMO",
    "ACL_INVOICE",
    "ACL_ORDERS",
    "ACL_SALES_CREDITMEMO",
    "ACL_SALES_INVOICE",
    "Fault",
    "MagentoDouble",
    "Store",
    "WebapiError",
]
