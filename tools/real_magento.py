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

import subprocess

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

    def __init__(self, url, admin_user, admin_password, store="default", timeout=120, reindex=None):
        self.url = url.rstrip("/")
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


def reindexer(magento_root):
    """A ``reindex`` for a Magento installed at ``magento_root`` on this machine."""
    indexers = ["cataloginventory_stock", "inventory", "catalog_product_price", "catalog_product_attribute"]

    def reindex():
        command = ["php", "bin/magento", "indexer:reindex", *indexers]
        subprocess.run(command, cwd=magento_root, check=True, capture_output=True, timeout=600)

    return reindex
