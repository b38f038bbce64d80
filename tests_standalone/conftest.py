"""Fixtures for the framework-free suite: the shop (the Magento double, or a
real Magento named by REAL_MAGENTO_URL), its orders and signed clients.

With REAL_MAGENTO_URL set (and REAL_MAGENTO_KEYS, a JSON file with the
integration's four keys; REAL_MAGENTO_ADMIN, "user:password"; optionally
REAL_MAGENTO_STORE, default "default", and REAL_MAGENTO_ROOT, the Magento
directory, to reindex after making the catalogue) the contract tests run
against that Magento with the same assertions; a test marked ``double_only``
is skipped there with its reason.
"""

import os
import sys
import threading

import pytest

# The addon's __init__ imports Odoo: its framework-free parts (the client and
# the export rules) are imported as top-level packages instead, beside the
# double at the repository's top.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(sys.path[0], "magento_invoice_export"))

from shops import DoubleShop, RealShop

from magento_client import MagentoValidationError
from magento_double import MagentoDouble

REAL = bool(os.environ.get("REAL_MAGENTO_URL"))
# The conftest order: a simple item and a configurable (parent and child).
BAG, HOODIE = ("RM-BAG", 2), ("RM-HOODIE", 3)
# Item specs for the double's own store (tests that use its internals).
SIMPLE = {"sku": "24-MB01", "name": "Joust Duffle Bag", "qty": 2, "price": 34}
CONFIGURABLE = {
    "sku": "MH01",
    "child_sku": "MH01-XS-Black",
    "name": "Chaz Kangeroo Hoodie",
    "type": "configurable",
    "qty": 3,
    "price": 52,
}


def pytest_configure(config):
    config.addinivalue_line("markers", "double_only(why): runs on the double only; skipped on a real Magento")


def pytest_collection_modifyitems(config, items):
    for item in items:
        mark = item.get_closest_marker("double_only")
        if REAL and mark is not None:
            item.add_marker(pytest.mark.skip(reason=f"{mark.args[0]}: double only"))


def double_only(why):
    """Mark a test that needs what only the double offers (``why``: fault injection, its internals...)."""
    return pytest.mark.double_only(why)


@pytest.fixture(scope="session")
def real_shop():
    return RealShop(os.environ) if REAL else None


@pytest.fixture
def magento():
    """The double itself (its internals, faults): for double-only tests."""
    if REAL:
        pytest.skip("uses the double's internals: double only")
    with MagentoDouble() as double:
        yield double


@pytest.fixture
def shop(request, real_shop):
    if real_shop is not None:
        return real_shop
    return DoubleShop(request.getfixturevalue("magento"))


@pytest.fixture
def client(shop):
    return shop.client()


@pytest.fixture
def order(shop):
    """A fresh order: 2 bags (a simple item) and 3 hoodies (a configurable: parent, then child)."""
    return shop.add_order([BAG, HOODIE])


def item_ids(order):
    """The order's item ids in Magento's order (a configurable's parent before its child)."""
    return [item["item_id"] for item in order["items"]]


def all_at_once(shop, call, count=4):
    """``call(client)`` from ``count`` clients released together; each result,
    or Magento's message when it refused (a lock's effect is what is tested)."""
    clients = [shop.client() for _ in range(count)]
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
