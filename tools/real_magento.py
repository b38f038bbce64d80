"""A real Magento 2.4 as a test fixture: its own catalogue, fresh guest orders, invoices.

Plain Python (requests only), through Magento's REST API with an admin token::

    shop = RealMagento("http://127.0.0.1:8280", "admin", "secret")
    order = shop.add_order([("RM-BAG", 2), ("RM-HOODIE", 3)], payment_method="checkmo")
    shop.invoice(order["entity_id"])  # Magento's own invoice of the whole order, no comment

``add_order`` returns the order as ``GET /V1/orders/:id`` gives it. The catalogue
(``CATALOGUE``) is made on first use and left in place (idempotent): simple
products, a virtual one, one sold in fractions, a configurable (colour), and a
dynamic- and a fixed-price bundle. Orders are guest orders with flat-rate shipping
and an offline payment method (``checkmo``, ``banktransfer``, ``cashondelivery``).
"""

import contextlib
import json
import subprocess
from pathlib import Path

import requests

STOCK = 1000000
# sku -> (name, price, type, options). Names and prices are what the tests read back.
SIMPLES = {
    "RM-BAG": ("Joust Duffle Bag", 34.0),
    "RM-TEE": ("Odoo T-Shirt", 20.0),
    "RM-MUG": ("Coffee Mug", 7.5),
    "RM-PEN": ("Fountain Pen", 12.25),
    "RM-BALL": ("Yoga Ball", 23.0),
    "RM-STRAP": ("Yoga Strap", 14.0),
}
VIRTUAL = {"RM-WARRANTY": ("Extended Warranty", 10.0)}
DECIMAL = {"RM-WIRE": ("Copper Wire (m)", 4.0)}
CONFIGURABLE = {"sku": "RM-HOODIE", "name": "Chaz Kangeroo Hoodie", "price": 52.0, "colours": ("Red", "Blue")}
# A bundle: (option title, selection sku, qty per bundle) per option; price_type 0 dynamic, 1 fixed.
BUNDLES = {
    "RM-KIT": {"name": "Sprite Yoga Companion Kit", "price_type": 0, "price": None},
    "RM-KIT-FIXED": {"name": "Fixed Price Yoga Kit", "price_type": 1, "price": 60.0},
}
BUNDLE_OPTIONS = (("Ball", "RM-BALL", 1), ("Strap", "RM-STRAP", 2))
# Money (issue 21's matrix, tools/money_matrix.py): products of a tax class
# taxed 10% or 21% for US addresses, a 10% cart price rule on DISCOUNTED's SKUs
# (no coupon), a free product; sku -> (name, price[, tax percent]).
TAXED = {
    "RM-TAX10-A": ("Tea Set (10% tax)", 18.99, 10),
    "RM-TAX10-B": ("Notebook (10% tax)", 3.35, 10),
    "RM-TAX21-A": ("Desk Lamp (21% tax)", 41.65, 21),
    "RM-TAX21-B": ("Wine Glass (21% tax)", 19.99, 21),
    "RM-DISC-T21": ("Rain Jacket (21% tax, 10% off)", 59.95, 21),
}
DISCOUNTED = {"RM-DISC": ("Yoga Mat (10% off)", 29.95)}
FREE = {"RM-FREE": ("Free Sticker", 0.0)}
DISCOUNT_PERCENT = 10
DISCOUNT_SKUS = ("RM-DISC", "RM-DISC-T21")
TAX_CLASSES = {10: "RM Tax 10%", 21: "RM Tax 21%"}
CART_RULE = "RM 10% off RM-DISC"
# An order's currency for each base-to-order rate (the base currency is USD).
RATE_CURRENCIES = {0.85: "GBP", 0.92: "EUR", 1.10: "CAD"}
ADDRESS = {
    "firstname": "Jane",
    "lastname": "Doe",
    "street": ["1 Main Street"],
    "city": "Austin",
    "region": "Texas",
    "region_id": 57,
    "region_code": "TX",
    "postcode": "78701",
    "country_id": "US",
    "telephone": "5551234567",
}


class MagentoCallError(RuntimeError):
    """A setup call Magento refused (not part of what a test states)."""


class RealMagento:
    """A real Magento reached over REST with an admin login."""

    def __init__(self, url, admin_user, admin_password, store="default", timeout=120, reindex=None, settings=None):
        self.url = url.rstrip("/")
        # LocalSettings of a Magento on this machine: the money windows need it.
        self.settings = settings
        self._tax_classes = None
        # Called once new products were made: a shop whose indexers run "on
        # schedule" without cron sells them only after a reindex.
        self.reindex = reindex
        self.store = store
        self.timeout = timeout
        self._login = {"username": admin_user, "password": admin_password}
        self._token = None
        self._catalogue = None
        self.session = requests.Session()

    # ------------------------------------------------------------ calls
    def admin_token(self, fresh=False):
        """An admin bearer token (POST /V1/integration/admin/token), cached."""
        if self._token is None or fresh:
            self._token = self.call("POST", "integration/admin/token", self._login, admin=False)
        return self._token

    def call(self, method, path, body=None, admin=True, ok=(200,)):
        """A REST call under /rest/<store>/V1/; its decoded answer, or MagentoCallError."""
        headers = {"Authorization": f"Bearer {self.admin_token()}"} if admin else {}
        response = self.session.request(
            method, f"{self.url}/rest/{self.store}/V1/{path}", json=body, headers=headers, timeout=self.timeout
        )
        if response.status_code not in ok:
            raise MagentoCallError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        return response.json() if response.text else None

    def found(self, path):
        """Whether GET path answers 200 (a 404 is an answer, not an error)."""
        response = self.session.get(
            f"{self.url}/rest/{self.store}/V1/{path}",
            headers={"Authorization": f"Bearer {self.admin_token()}"},
            timeout=self.timeout,
        )
        return response.status_code == 200

    # -------------------------------------------------------- catalogue
    def catalogue(self):
        """Make the catalogue once (idempotent); return {sku: product as GET /V1/products gives it}."""
        if self._catalogue is None:
            made = self._ensure_simples()
            made = self._ensure_configurable() or made
            for sku, spec in BUNDLES.items():
                made = self._ensure_bundle(sku, spec) or made
            if made and self.reindex:
                self.reindex()
            skus = [*SIMPLES, *VIRTUAL, *DECIMAL, CONFIGURABLE["sku"], *BUNDLES]
            self._catalogue = {sku: self.call("GET", f"products/{sku}") for sku in skus}
        return self._catalogue

    def _ensure_product(self, product, stock=True):
        """Create the product unless its SKU exists; keep its stock high."""
        sku = product["sku"]
        if self.found(f"products/{sku}"):
            return False
        extension = {"website_ids": [1], "stock_item": {"is_in_stock": True}}
        if stock:
            extension["stock_item"].update(qty=STOCK, **product.pop("_stock", {}))
        body = {"attribute_set_id": 4, "status": 1, "visibility": 4, "type_id": "simple", "weight": 1}
        body.update(product, extension_attributes={**extension, **product.get("extension_attributes", {})})
        # Its own URL key: another product may already have the same name.
        url_key = {"attribute_code": "url_key", "value": sku.lower()}
        body["custom_attributes"] = [*product.get("custom_attributes", []), url_key]
        self.call("POST", "products", {"product": body})
        return True

    def _ensure_simples(self):
        made = [self._ensure_product({"sku": sku, "name": n, "price": p}) for sku, (n, p) in SIMPLES.items()]
        for sku, (name, price) in VIRTUAL.items():
            made.append(self._ensure_product({"sku": sku, "name": name, "price": price, "type_id": "virtual"}))
        for sku, (name, price) in DECIMAL.items():
            decimal = {"sku": sku, "name": name, "price": price, "_stock": {"is_qty_decimal": True}}
            made.append(self._ensure_product(decimal))
        return any(made)

    def _colour_values(self):
        """The colour attribute in the default set, with its Red and Blue options: {label: value}."""
        groups = self.call(
            "GET",
            "products/attribute-sets/groups/list?searchCriteria[filter_groups][0][filters][0][field]="
            "attribute_set_id&searchCriteria[filter_groups][0][filters][0][value]=4",
        )
        group = next(g for g in groups["items"] if g["attribute_group_name"] in ("Product Details", "General"))
        assign = {"attributeSetId": 4, "attributeGroupId": group["attribute_group_id"], "attributeCode": "color"}
        self.call("POST", "products/attribute-sets/attributes", {**assign, "sortOrder": 90}, ok=(200, 400))
        values = self._options("color")
        for label in CONFIGURABLE["colours"]:
            if label not in values:
                self.call("POST", "products/attributes/color/options", {"option": {"label": label}})
        return self._options("color")

    def _options(self, attribute):
        return {o["label"]: o["value"] for o in self.call("GET", f"products/attributes/{attribute}/options")}

    def _ensure_configurable(self):
        sku = CONFIGURABLE["sku"]
        if self.found(f"products/{sku}"):
            return False
        values = self._colour_values()
        children = {}
        for label in CONFIGURABLE["colours"]:
            child = f"{sku}-{label.upper()}"
            colour = [{"attribute_code": "color", "value": values[label]}]
            self._ensure_product(
                {"sku": child, "name": f"{CONFIGURABLE['name']} {label}", "price": CONFIGURABLE["price"]}
                | {"visibility": 1, "custom_attributes": colour}
            )
            children[label] = child
        product = {"sku": sku, "name": CONFIGURABLE["name"], "price": CONFIGURABLE["price"], "type_id": "configurable"}
        self._ensure_product(product, stock=False)
        attribute = self.call("GET", "products/attributes/color")
        option = {
            "attribute_id": str(attribute["attribute_id"]),
            "label": "Color",
            "position": 0,
            "values": [{"value_index": int(values[label])} for label in children],
        }
        self.call("POST", f"configurable-products/{sku}/options", {"option": option})
        for child in children.values():
            self.call("POST", f"configurable-products/{sku}/child", {"childSku": child})
        return True

    def _ensure_bundle(self, sku, spec):
        fixed = spec["price_type"] == 1
        options = [
            {
                "title": title,
                "required": True,
                "type": "select",
                "position": position,
                "sku": sku,
                "product_links": [
                    {"sku": child, "qty": qty, "is_default": True, "can_change_quantity": 0}
                    | ({"price": 0, "price_type": 0} if fixed else {})
                ],
            }
            for position, (title, child, qty) in enumerate(BUNDLE_OPTIONS)
        ]
        attributes = {"price_type": spec["price_type"], "sku_type": 0, "price_view": 0, "shipment_type": 0}
        product = {
            "sku": sku,
            "name": spec["name"],
            "type_id": "bundle",
            "custom_attributes": [{"attribute_code": k, "value": str(v)} for k, v in attributes.items()],
            "extension_attributes": {"bundle_product_options": options},
        }
        if fixed:
            product["price"] = spec["price"]
        return self._ensure_product(product, stock=False)

    # ----------------------------------------------------------- orders
    def add_order(self, lines, payment_method="checkmo", email="jane.doe@example.com"):
        """A guest order of ``lines``, [(sku, qty)] or [(configurable sku, qty, colour)];
        flat-rate shipping; the order as GET /V1/orders/:id gives it."""
        self.catalogue()
        cart = self.call("POST", "guest-carts", admin=False)
        for line in lines:
            self._add_to_cart(cart, *line)
        address = dict(ADDRESS, email=email)
        if any(line[0] not in VIRTUAL for line in lines):  # a virtual cart ships nothing
            shipping = {"shipping_address": address, "billing_address": address}
            shipping.update(shipping_carrier_code="flatrate", shipping_method_code="flatrate")
            self.call("POST", f"guest-carts/{cart}/shipping-information", {"addressInformation": shipping}, admin=False)
        payment = {"email": email, "paymentMethod": {"method": payment_method}, "billingAddress": address}
        order_id = self.call("POST", f"guest-carts/{cart}/payment-information", payment, admin=False)
        return self.get_order(int(order_id))

    def _add_to_cart(self, cart, sku, qty, colour=None):
        item = {"sku": sku, "qty": qty, "quote_id": cart}
        if sku == CONFIGURABLE["sku"]:
            item["product_option"] = {"extension_attributes": self._configurable_option(colour or "Red")}
        elif sku in BUNDLES:
            item["product_option"] = {"extension_attributes": {"bundle_options": self._bundle_selections(sku)}}
        self.call("POST", f"guest-carts/{cart}/items", {"cartItem": item}, admin=False)

    def _configurable_option(self, colour):
        options = self.call("GET", f"configurable-products/{CONFIGURABLE['sku']}/options/all")
        value = next(v["value_index"] for v in options[0]["values"] if str(v["value_index"]) == self._colour(colour))
        return {"configurable_item_options": [{"option_id": str(options[0]["attribute_id"]), "option_value": value}]}

    def _colour(self, label):
        return str(self._options("color")[label])

    def _bundle_selections(self, sku):
        """Each option's default selection, at its own quantity."""
        return [
            {"option_id": option["option_id"], "option_qty": link["qty"], "option_selections": [int(link["id"])]}
            for option in self.call("GET", f"bundle-products/{sku}/options/all")
            for link in option["product_links"][:1]
        ]

    def get_order(self, order_id):
        return self.call("GET", f"orders/{order_id}")

    def order_documents(self, order_id):
        """The order's invoices and credit memos: [{kind, entity_id, increment_id, grand_total, base_grand_total}]."""
        found = []
        for kind, listing in (("invoice", "invoices"), ("creditmemo", "creditmemos")):
            for document in self.call("GET", f"{listing}?{_search('order_id', order_id)}")["items"]:
                keys = ("entity_id", "increment_id", "grand_total", "base_grand_total")
                found.append({"kind": kind, **{key: document.get(key) for key in keys}})
        return found

    # ------------------------------------------------------------ money
    def money_catalogue(self):
        """What the money matrix's orders need, made once (idempotent): a product
        tax class per rate of TAX_CLASSES with a US-wide tax rate and a rule for
        guests, TAXED's products in them, DISCOUNTED's and FREE's products, and
        the cart price rule of DISCOUNT_PERCENT on DISCOUNT_SKUS (no coupon)."""
        self.catalogue()
        classes = self.tax_classes()
        made = []
        for sku, (name, price, percent) in TAXED.items():
            tax_class = [{"attribute_code": "tax_class_id", "value": str(classes[percent])}]
            made.append(
                self._ensure_product({"sku": sku, "name": name, "price": price, "custom_attributes": tax_class})
            )
        for sku, (name, price) in {**DISCOUNTED, **FREE}.items():
            made.append(self._ensure_product({"sku": sku, "name": name, "price": price}))
        self._ensure_cart_rule()
        if any(made) and self.reindex:
            self.reindex()

    def tax_classes(self):
        """{percent: product tax class id}, each class taxed at its percent for
        every US address (customer class of the guests' group), made once."""
        if self._tax_classes is None:
            guests = self.call("GET", "customerGroups/0")["tax_class_id"]
            self._tax_classes = {}
            for percent, name in TAX_CLASSES.items():
                found = self.call("GET", f"taxClasses/search?{_search('class_name', name)}")["items"]
                if found:
                    class_id = int(found[0]["class_id"])
                else:
                    body = {"taxClass": {"class_name": name, "class_type": "PRODUCT"}}
                    class_id = int(self.call("POST", "taxClasses", body))
                code = f"RM-US-{percent}%"
                rates = self.call("GET", f"taxRates/search?{_search('code', code)}")["items"]
                rate = (
                    rates[0]
                    if rates
                    else self.call(
                        "POST",
                        "taxRates",
                        {
                            "taxRate": {"tax_country_id": "US", "tax_region_id": 0, "tax_postcode": "*", "code": code}
                            | {"rate": percent}
                        },
                    )
                )
                rule = f"RM US {percent}%"
                if not self.call("GET", f"taxRules/search?{_search('code', rule)}")["items"]:
                    body = {"code": rule, "priority": 0, "position": 0, "calculate_subtotal": False}
                    body |= {"customer_tax_class_ids": [guests], "product_tax_class_ids": [class_id]}
                    self.call("POST", "taxRules", {"rule": body | {"tax_rate_ids": [rate["id"]]}})
                self._tax_classes[percent] = class_id
        return self._tax_classes

    def _ensure_cart_rule(self):
        if self.settings:
            # A rule's product conditions read only attributes used for promo rules;
            # also for a rule made earlier without access to the settings (the
            # contract suite's), which then never discounted anything.
            self.settings.use_sku_in_promo_rules()
        if self.call("GET", f"salesRules/search?{_search('name', CART_RULE)}")["items"]:
            if self.settings:
                self.settings.reindex("salesrule_rule")  # a second, quick, and the rule applies
            return
        sku = {
            "condition_type": "Magento\\SalesRule\\Model\\Rule\\Condition\\Product",
            "attribute_name": "sku",
            "operator": "()",
            "value": ", ".join(DISCOUNT_SKUS),
        }
        rule = {
            "name": CART_RULE,
            "website_ids": [1],
            "customer_group_ids": [0, 1, 2, 3],
            "is_active": True,
            "coupon_type": "NO_COUPON",
            "simple_action": "by_percent",
            "discount_amount": DISCOUNT_PERCENT,
            "apply_to_shipping": False,
            "stop_rules_processing": False,
            "condition": {
                "condition_type": "Magento\\SalesRule\\Model\\Rule\\Condition\\Combine",
                "aggregator_type": "all",
                "value": "1",
                "conditions": [],
            },
            "action_condition": {
                "condition_type": "Magento\\SalesRule\\Model\\Rule\\Condition\\Product\\Combine",
                "aggregator_type": "all",
                "value": "1",
                "conditions": [sku],
            },
        }
        self.call("POST", "salesRules", {"rule": rule})
        if self.settings:
            # Adobe Commerce applies a new rule once its index has it.
            self.settings.reindex("salesrule_rule")

    def money_window(self, prices_include_tax=False, rate=None, shipping_tax=False, shipping_display_incl_tax=False):
        """A context in which the shop's global settings make the orders asked
        for, set back when it ends (even on an error): catalogue prices including
        tax, orders in the currency of ``rate`` (RATE_CURRENCIES) at that rate,
        shipping taxed at 10%, shipping shown including tax (how a credit memo's
        shipping amount is read). Needs ``settings`` (a Magento on this machine)."""
        config, rates = {}, {}
        if prices_include_tax:
            config["tax/calculation/price_includes_tax"] = "1"
        if shipping_tax:
            config["tax/classes/shipping_tax_class"] = str(self.tax_classes()[10])
        if shipping_display_incl_tax:
            config["tax/sales_display/shipping"] = "2"
        if rate:
            if self.settings is None:
                raise MagentoCallError("orders in another currency need a Magento on this machine (its root)")
            currency = RATE_CURRENCIES[rate]
            base = self.settings.get("currency/options/base") or "USD"
            allowed = (self.settings.get("currency/options/allow") or base).split(",")
            config["currency/options/allow"] = ",".join(dict.fromkeys([*allowed, currency]))
            config["currency/options/default"] = currency
            rates[(base, currency)] = rate
        if not config:
            return contextlib.nullcontext()
        if self.settings is None:
            raise MagentoCallError(f"{', '.join(config)}: changing them needs a Magento on this machine (its root)")
        return self.settings.window(config, rates)

    # ------------------------------------------------- order operations
    def invoice(self, order_id, items=None):
        """Magento's own invoice (POST /V1/order/:id/invoice, no comment); its entity id.
        ``items``: [(order item id, qty)], or None for everything left."""
        body = {"capture": False}
        if items:
            body["items"] = [{"order_item_id": item_id, "qty": qty} for item_id, qty in items]
        return int(self.call("POST", f"order/{order_id}/invoice", body))

    def hold(self, order_id):
        return self.call("POST", f"orders/{order_id}/hold")

    def cancel(self, order_id):
        return self.call("POST", f"orders/{order_id}/cancel")


def _search(field, value):
    """searchCriteria for ``field`` equal to ``value``."""
    return (
        f"searchCriteria[filter_groups][0][filters][0][field]={field}"
        f"&searchCriteria[filter_groups][0][filters][0][value]={requests.utils.quote(str(value))}"
    )


class LocalSettings:
    """Global settings of a Magento on this machine (``core_config_data`` at the
    default scope and ``directory_currency_rate``, through mysql as root on the
    local socket), changed for a window and set back exactly when it ends (a
    value that was absent is deleted again). Others test against the same shop:
    a window must stay short. What a window changed is written to
    ``var/odoo/money-matrix-restore.json`` first: a run killed inside a window
    leaves it, and the next LocalSettings of that Magento sets it back."""

    def __init__(self, magento_root):
        self.root = Path(magento_root)
        read = "$e = include 'app/etc/env.php'; echo $e['db']['connection']['default']['dbname'];"
        self.db = subprocess.run(
            ["php", "-r", read], cwd=self.root, check=True, capture_output=True, text=True, timeout=60
        ).stdout.strip()
        self.pending = self.root / "var" / "odoo" / "money-matrix-restore.json"
        self.recover()

    def sql(self, statement):
        done = subprocess.run(
            ["mysql", "-uroot", "-N", "-B", self.db, "-e", statement], capture_output=True, text=True, timeout=120
        )
        if done.returncode:
            raise MagentoCallError(f"mysql: {done.stderr.strip()[:500]}")
        return [line.split("\t") for line in done.stdout.splitlines()]

    def get(self, path):
        rows = self.sql(f"SELECT value FROM core_config_data WHERE scope='default' AND scope_id=0 AND path={_q(path)}")
        return rows[0][0] if rows and rows[0][0] != "NULL" else None

    def _rate(self, base, currency):
        rows = self.sql(
            f"SELECT rate FROM directory_currency_rate WHERE currency_from={_q(base)} AND currency_to={_q(currency)}"
        )
        return rows[0][0] if rows else None

    def use_sku_in_promo_rules(self):
        """Let cart price rules test a product's SKU (off in a fresh Magento; kept on)."""
        self.sql(
            "UPDATE catalog_eav_attribute SET is_used_for_promo_rules=1 WHERE attribute_id="
            "(SELECT attribute_id FROM eav_attribute WHERE attribute_code='sku' AND entity_type_id=4)"
        )
        self.clean_cache("eav")

    def reindex(self, *indexers):
        command = ["php", "bin/magento", "indexer:reindex", *indexers]
        subprocess.run(command, cwd=self.root, check=True, capture_output=True, timeout=600)

    def clean_cache(self, *types):
        command = ["php", "bin/magento", "cache:clean", *(types or ("config",))]
        subprocess.run(command, cwd=self.root, check=True, capture_output=True, timeout=300)

    @contextlib.contextmanager
    def window(self, config, rates=None):
        """``config`` {path: value} and ``rates`` {(base, currency): rate} while inside."""
        self.recover()
        rates = rates or {}
        saved = {
            "config": {path: self.get(path) for path in config},
            "rates": [[base, currency, self._rate(base, currency)] for base, currency in rates],
        }
        self.pending.parent.mkdir(parents=True, exist_ok=True)
        self.pending.write_text(json.dumps(saved))
        try:
            self._set(config, [[base, currency, rate] for (base, currency), rate in rates.items()])
            yield saved
        finally:
            self._set(saved["config"], saved["rates"])
            self.pending.unlink(missing_ok=True)

    def recover(self):
        """Set back what a killed run's window left changed; whether there was any."""
        if not self.pending.exists():
            return False
        saved = json.loads(self.pending.read_text())
        self._set(saved["config"], saved["rates"])
        self.pending.unlink()
        return True

    def _set(self, config, rates):
        """Values None are deleted (they were absent); then Magento's config cache cleaned."""
        statements = []
        for path, value in config.items():
            where = f"scope='default' AND scope_id=0 AND path={_q(path)}"
            if value is None:
                statements.append(f"DELETE FROM core_config_data WHERE {where}")
            else:
                statements.append(
                    "INSERT INTO core_config_data (scope, scope_id, path, value) "
                    f"VALUES ('default', 0, {_q(path)}, {_q(value)}) ON DUPLICATE KEY UPDATE value=VALUES(value)"
                )
        for base, currency, rate in rates:
            if rate is None:
                statements.append(
                    f"DELETE FROM directory_currency_rate WHERE currency_from={_q(base)} AND currency_to={_q(currency)}"
                )
            else:
                statements.append(
                    "INSERT INTO directory_currency_rate (currency_from, currency_to, rate) "
                    f"VALUES ({_q(base)}, {_q(currency)}, {_q(rate)}) ON DUPLICATE KEY UPDATE rate=VALUES(rate)"
                )
        if statements:
            self.sql(";\n".join(statements))
            self.clean_cache("config")


def _q(value):
    """A SQL string literal (our own constants and values read back)."""
    return "'" + str(value).replace("\\", "\\\\").replace("'", "''") + "'"


def reindexer(magento_root):
    """A ``reindex`` for a Magento installed at ``magento_root`` on this machine."""
    indexers = ["cataloginventory_stock", "inventory", "catalog_product_price", "catalog_product_attribute"]

    def reindex():
        command = ["php", "bin/magento", "indexer:reindex", *indexers]
        subprocess.run(command, cwd=magento_root, check=True, capture_output=True, timeout=600)

    return reindex
