"""Fixtures for the framework-free suite: a live Magento double and clients."""

import os
import sys
import threading

import pytest

# The addon's __init__ imports Odoo: its framework-free parts (the client and
# the export rules) are imported as top-level packages instead, beside the
# double at the repository's top.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(sys.path[0], "magento_invoice_export"))

from magento_client import MagentoClient, MagentoValidationError
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


def all_at_once(magento, call, count=4):
    """``call(client)`` from ``count`` clients released together; each result,
    or Magento's message when it refused (a lock's effect is what is tested)."""
    clients = [MagentoClient(magento.url, timeout=5, **magento.credentials) for _ in range(count)]
    results = []
    barrier = threading.Barrier(count)

    def run(client):
        barrier.wait()
        try:
            results.append(call(client))
        except MagentoValidationError as err:
            results.append(err.magento_message)

    threads = [threading.Thread(target=run, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
