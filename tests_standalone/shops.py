"""The shop a contract test talks to: the Magento double, or a real Magento.

Both offer the same operations, so that one test states one behaviour of
Magento on both: orders made of the catalogue of ``tools/real_magento.py``
(the same SKUs, names and prices), Magento's own invoice, hold and cancel,
the integration's keys, and raw requests with an admin token. Tests read
amounts from the order the shop returns, never from prices of their own.
"""

import copy
import io
import json
import os
import subprocess
import sys

import pytest
import requests

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools"))

from real_magento import (
    BUNDLE_OPTIONS,
    BUNDLES,
    CONFIGURABLE,
    DECIMAL,
    DISCOUNT_PERCENT,
    DISCOUNT_SKUS,
    DISCOUNTED,
    SIMPLES,
    TAXED,
    VIRTUAL,
    RealMagento,
    reindexer,
)

from magento_client import MagentoClient
from magento_double.server import _public

KEYS = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
# Flat rate as a fresh Magento configures it: 5.00 per item (carriers/flatrate in
# vendor/magento/module-offline-shipping/etc/config.xml), virtual items ship nothing.
FLAT_RATE = 5
NO_SUCH_ID = 999999999


class Shop:
    """What a contract test may do with the shop it runs against."""

    is_real = False
    url = None
    credentials = None
    store_code = "default"
    admin_login = None

    def client(self, timeout=None, **options):
        """A client signed with the integration's keys, as the addon makes it."""
        options = {"store_code": self.store_code, **options}
        return MagentoClient(self.url, timeout=timeout or self.timeout, **{**self.credentials, **options})

    def integration_client(self, resources, name):
        """A client of another integration of this shop, allowed only ``resources``."""
        keys = self._add_integration(sorted(resources), name)
        return MagentoClient(self.url, timeout=self.timeout, store_code=self.store_code, **keys)

    def admin_token(self):
        response = requests.post(f"{self.url}/rest/V1/integration/admin/token", json=self.admin_login, timeout=30)
        return response.json()

    def request(self, method, path, body=None, auth=True, data=None, params=None):
        """A raw request with an admin token: ``path`` under ``/rest``, e.g. ``/V1/orders/3``."""
        headers = {"Authorization": f"Bearer {self.admin_token()}"} if auth else {}
        url = f"{self.url}/rest{path}"
        kwargs = {"data": data} if data is not None else {"json": body}
        return requests.request(method, url, headers=headers, params=params, timeout=self.timeout, **kwargs)

    def error(self, response):
        """An error body without the developer-mode ``trace`` (Webapi/Rest/Response.php:106-110)."""
        body = response.json()
        if self.developer_mode:
            assert "trace" in body, body
            body.pop("trace")
        return body


class DoubleShop(Shop):
    """The double, started for one test."""

    timeout = 5

    def __init__(self, double):
        self.double = double
        self.url = double.url
        self.credentials = double.credentials
        self.admin_login = {"username": "admin", "password": "admin123"}

    @property
    def developer_mode(self):
        return self.double.developer_mode

    def _add_integration(self, resources, name):
        integration = self.double.add_integration(resources=resources, name=name)
        return {key: integration[key] for key in KEYS}

    def add_order(self, lines, payment_method="checkmo"):
        specs = [double_spec(*line) for line in lines]
        shipping = FLAT_RATE * sum(spec["qty"] for spec in specs if spec.get("type") != "virtual")
        order = self.double.store.add_order(
            specs, payment_method=payment_method, shipping_amount=shipping, customer_email="jane.doe@example.com"
        )
        return json.loads(json.dumps(_public(copy.deepcopy(order))))

    def get_order(self, order_id):
        return json.loads(json.dumps(_public(copy.deepcopy(self.double.store.get_order(order_id)))))

    def invoice(self, order_id, items=None):
        body = {} if not items else {"items": [{"order_item_id": i, "qty": q} for i, q in items]}
        return self.double.store.invoice_order(order_id, body)

    def hold(self, order_id):
        self._set_state(order_id, "holded")

    def cancel(self, order_id):
        self._set_state(order_id, "canceled")

    def _set_state(self, order_id, state):
        order = self.double.store.orders[order_id]
        order["state"] = order["status"] = state


def double_spec(sku, qty, colour="Red"):
    """The double's item spec of a catalogue line (tools/real_magento.py)."""
    if sku in SIMPLES:
        return {"sku": sku, "name": SIMPLES[sku][0], "qty": qty, "price": SIMPLES[sku][1]}
    if sku in TAXED or sku in DISCOUNTED:
        # The money catalogue: a tax class per rate, a cart rule on DISCOUNT_SKUS.
        name, price, *percent = {**TAXED, **DISCOUNTED}[sku]
        spec = {"sku": sku, "name": name, "qty": qty, "price": price, "tax_percent": percent[0] if percent else 0}
        if sku in DISCOUNT_SKUS:
            spec["discount_amount"] = round(price * qty * DISCOUNT_PERCENT / 100 + 1e-9, 2)
        return spec
    if sku in VIRTUAL:
        return {"sku": sku, "name": VIRTUAL[sku][0], "qty": qty, "price": VIRTUAL[sku][1], "type": "virtual"}
    if sku in DECIMAL:
        return {"sku": sku, "name": DECIMAL[sku][0], "qty": qty, "price": DECIMAL[sku][1], "is_qty_decimal": True}
    if sku == CONFIGURABLE["sku"]:
        name = CONFIGURABLE["name"]
        return {
            "sku": sku,
            "child_sku": f"{sku}-{colour.upper()}",
            "name": name,
            "child_name": f"{name} {colour}",
            "type": "configurable",
            "qty": qty,
            "price": CONFIGURABLE["price"],
        }
    if BUNDLES.get(sku, {}).get("price_type") == 0:  # the double models dynamic prices only
        children = [{"sku": s, "name": SIMPLES[s][0], "qty": q, "price": SIMPLES[s][1]} for _t, s, q in BUNDLE_OPTIONS]
        return {"type": "bundle", "sku": sku, "name": BUNDLES[sku]["name"], "qty": qty, "children": children}
    raise ValueError(f"{sku} is not in the catalogue the double models")


class RealShop(Shop):
    """A real Magento named by REAL_MAGENTO_* (one per session: its catalogue is made once)."""

    is_real = True
    timeout = 120

    def __init__(self, environ):
        self.url = environ["REAL_MAGENTO_URL"].rstrip("/")
        with open(environ["REAL_MAGENTO_KEYS"]) as keys:
            self.credentials = _keys(keys)
        user, _, password = environ["REAL_MAGENTO_ADMIN"].partition(":")
        self.admin_login = {"username": user, "password": password}
        self.store_code = environ.get("REAL_MAGENTO_STORE", "default")
        root = self.root = environ.get("REAL_MAGENTO_ROOT")
        self.magento = RealMagento(self.url, user, password, self.store_code, reindex=root and reindexer(root))
        self._token = None
        self._developer_mode = None
        self._money_catalogue = False

    def admin_token(self):
        if self._token is None:
            self._token = self.magento.admin_token()
        return self._token

    @property
    def developer_mode(self):
        """Developer mode adds a ``trace`` to every error body: ask an unknown route."""
        if self._developer_mode is None:
            response = requests.get(f"{self.url}/rest/V1/no-such-route", timeout=self.timeout)
            self._developer_mode = "trace" in response.json()
        return self._developer_mode

    def add_order(self, lines, payment_method="checkmo"):
        if any(line[0] in TAXED or line[0] in DISCOUNTED for line in lines) and not self._money_catalogue:
            self.magento.money_catalogue()  # idempotent; once a session
            self._money_catalogue = True
        return self.magento.add_order(lines, payment_method=payment_method)

    def _add_integration(self, resources, name):
        """Through Magento's own PHP (tools/magento_integration.php): REST cannot
        make integrations. Needs the Magento directory (REAL_MAGENTO_ROOT)."""
        if not self.root:
            pytest.skip("needs REAL_MAGENTO_ROOT to make a second integration in the real Magento")
        script = os.path.join(
            os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools", "magento_integration.php"
        )
        out = subprocess.run(
            ["php", script, f"odoo-test-{name}", *resources], cwd=self.root, capture_output=True, text=True, check=True
        )
        return _keys(io.StringIO(out.stdout.strip().splitlines()[-1]))

    def get_order(self, order_id):
        return self.magento.get_order(order_id)

    def invoice(self, order_id, items=None):
        return self.magento.invoice(order_id, items)

    def hold(self, order_id):
        self.magento.hold(order_id)

    def cancel(self, order_id):
        self.magento.cancel(order_id)


def _keys(file):
    data = json.load(file)
    return {key: data[key] for key in KEYS}
