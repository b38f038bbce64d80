"""Fixtures for the framework-free suite: a live Magento double and clients."""

import os
import sys

import pytest

# The repository root is an Odoo addon whose __init__ imports Odoo; the client
# and the double are imported as top-level packages instead.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from magento_client import MagentoClient
from magento_double import MagentoDouble

SIMPLE = {"sku": "24-MB01", "name": "Joust Duffle Bag", "qty": 2, "price": 34}
CONFIGURABLE = {
    "sku": "MH01",
    "child_sku": "MH01-XS-Black",
    "name": "Chaz Kangeroo Hoodie",
    "type": "configurable",
    "qty": 3,
    "price": 52,
}


@pytest.fixture
def magento():
    with MagentoDouble() as double:
        yield double


@pytest.fixture
def client(magento):
    return MagentoClient(magento.url, timeout=5, **magento.credentials)


@pytest.fixture
def order(magento):
    """An order with a simple item (id 1) and a configurable parent (2) with its child (3)."""
    return magento.store.add_order([SIMPLE, CONFIGURABLE], shipping_amount=5)
