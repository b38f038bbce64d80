"""The state of a simulated Magento 2 store and its sales rules.

This module is the double's "business logic": orders, their items, the
invoice pipeline of ``Magento\\Sales\\Model\\InvoiceOrder`` and
``Service\\InvoiceService`` and the credit memo pipeline of ``RefundOrder``,
``RefundInvoice`` and ``Order\\CreditmemoFactory``, after
``docs/magento-behaviour.md`` (§5-§8). Every refusal is a
:class:`WebapiError` carrying Magento's raw message, its ``parameters`` and the
HTTP status Magento's ``ErrorProcessor`` would use.
"""

import copy
import datetime
import itertools
import math
import re
import threading

from .money import (
    CreditmemoTotals,
    MoneyError,
    collect_invoice,
    icu_money,
    php_round,
    register_invoice,
    tax_order,
)

MSG_NOT_FOUND = "The entity that was requested doesn't exist. Verify the entity and try again."
MSG_ID_NEEDED = "An ID is needed. Set the ID and try again."
MSG_TYPE_INVALID = 'The "%value" value\'s type is invalid. The "%type" type was expected. Verify and try again.'
MSG_ARRAY_LIMIT = 'Maximum items of type "%type" is %max'
INVOICE_ITEM_TYPE = "\\Magento\\Sales\\Api\\Data\\InvoiceItemCreationInterface"
MSG_REQUIRED = '"%fieldName" is required. Enter and try again.'
MSG_INVALID_QTY = 'We found an invalid quantity to invoice item "%1".'
MSG_VALIDATION = "Invoice Document Validation Error(s):\n"
MSG_NO_PRODUCTS = "The invoice can't be created without products. Add products and try again."
MSG_CANNOT_INVOICE = "The order does not allow an invoice to be created."
MSG_BAD_STATE = "An invoice cannot be created when an order has a status of "
MSG_PAGE_SIZE = "Maximum SearchCriteria pageSize is %max"
# Credit memos (docs/magento-behaviour.md §8).
CREDITMEMO_ITEM_TYPE = "\\Magento\\Sales\\Api\\Data\\CreditmemoItemCreationInterface"
MSG_REFUND_INVALID_QTY = 'We found an invalid quantity to refund item "%1".'
MSG_NO_SHIPPING = "You can not refund shipping if there is no shipping amount."
MSG_MAX_SHIPPING = "Maximum shipping amount allowed to refund is: %1"
MSG_REFUND_VALIDATION = "Creditmemo Document Validation Error(s):\n"
MSG_REFUND_BAD_STATE = "A creditmemo can not be created when an order has a status of %1"
MSG_CANNOT_REFUND = "The order does not allow a creditmemo to be created."
MSG_OVER_UNREFUNDED_SKU = (
    'The quantity to creditmemo must not be greater than the unrefunded quantity for product SKU "%1".'
)
MSG_NOT_POSITIVE = "The credit memo's total must be positive."
MSG_REFUND_NO_PRODUCTS = "You can't create a creditmemo without products."
MSG_MOST_MONEY = "The most money available to refund is %1."
MSG_INVOICE_CANNOT_REFUND = "We can't create creditmemo for the invoice."
MSG_ITEM_NOT_IN_ORDER = "The creditmemo contains product item that is not part of the original order."
MSG_ITEM_DUMMY = "The creditmemo contains incorrect product items."
MSG_OVER_UNREFUNDED = "The quantity to refund must not be greater than the unrefunded quantity."
MSG_STOCK_NOT_IN_ORDER = "The return to stock argument contains product item that is not part of the original order."
MSG_STOCK_NOT_IN_MEMO = 'The "%1" product is not part of the current creditmemo.'
MSG_COULD_NOT_REFUND = "Could not save a Creditmemo, see error log for details"

# Order states in which CanInvoice refuses outright.
BLOCKING_STATES = {"payment_review", "holded", "canceled", "complete", "closed"}
# ... and in which Order\Validation\CanRefund does (docs §8).
REFUND_BLOCKING_STATES = {"payment_review", "holded", "canceled", "closed"}
VIRTUAL_TYPES = {"virtual", "downloadable"}
# Payment methods without a gateway: nothing to capture, and their canRefund()
# is false (module-offline-payments, module-payment Method/Free.php, docs §5, §8).
OFFLINE_METHODS = {"checkmo", "banktransfer", "cashondelivery", "purchaseorder", "free"}
# Their titles in a fresh Magento (module-offline-payments/etc/config.xml,
# module-payment/etc/config.xml payment/free/title).
METHOD_TITLES = {
    "checkmo": "Check / Money order",
    "purchaseorder": "Purchase Order",
    "banktransfer": "Bank Transfer Payment",
    "cashondelivery": "Cash On Delivery",
    "free": "No Payment Information Required",
}
# Each state's statuses, its default first (module-sales
# Setup/Patch/Data/InstallOrderStatusesAndInitialSalesConfig.php:61-124, docs §7).
STATE_STATUSES = {
    "new": ("pending",),
    "pending_payment": ("pending_payment",),
    "processing": ("processing", "fraud"),
    "holded": ("holded",),
    "payment_review": ("payment_review", "fraud"),
    "canceled": ("canceled",),
    "closed": ("closed",),
    "complete": ("complete",),
}
# Directory\Model\Currency::format($amount, null, false) in the en_US locale.
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "\u20ac", "GBP": "\u00a3"}
# Input limits, when a merchant turns them on (off by default): the
# configured values, else these (module-webapi, docs/magento-behaviour.md §4).
INPUT_LIMITS = {"array": 999999, "default_page_size": 999999, "max_page_size": 300}


def type_error(value, type_name, field=None):
    """ServiceInputProcessor's type error: filled in, no parameters (§4)."""
    message = MSG_TYPE_INVALID.replace("%value", str(value)).replace("%type", type_name)
    if field:
        message = f'Error occurred during "{field}" processing. {message}'
    return WebapiError(400, message)


def limits(input_limits):
    """The input limits in force, or None when they are off."""
    if not input_limits:
        return None
    return {**INPUT_LIMITS, **(input_limits if isinstance(input_limits, dict) else {})}


def php_str(value):
    """A PHP scalar as a string: JSON true is "1", false and null "", a float with 14 digits."""
    if value is True:
        return "1"
    if value is False or value is None:
        return ""
    if isinstance(value, float):
        return format(value, ".14G")
    return str(value)


def php_int(value):
    """PHP's (int) cast / settype($v, "int"): truncation, a string's leading number."""
    if isinstance(value, bool | int):
        return int(value)
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str):
        found = re.match(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", value)
        return int(float(found.group(0))) if found else 0
    return 1 if value else 0


def php_type(value):
    """PHP's gettype() for a JSON value."""
    for kind, name in ((bool, "boolean"), (int, "integer"), (float, "double"), (str, "string"), (dict, "array")):
        if isinstance(value, kind):
            return name
    return "NULL" if value is None else "array"


def render(message, *args):
    """A Phrase cast to string: ``%1``, ``%2``... filled in (messages concatenated into one, §3)."""
    for index, arg in enumerate(args, start=1):
        message = message.replace(f"%{index}", php_str(arg))
    return message


def format_price(amount, currency_code):
    """``Directory\\Model\\Currency::format($amount, null, false)``: "$5.00", "\u20ac5.00"."""
    symbol = CURRENCY_SYMBOLS.get(currency_code, currency_code + " ")
    return ("-" if amount < 0 else "") + f"{symbol}{abs(icu_money(amount)):,.2f}"


def check_array_limit(body, item_type, input_limits):
    """The input processor refuses a longer array of objects before the service runs (§4)."""
    limit = limits(input_limits)
    items = body.get("items") if isinstance(body, dict) else None
    if limit and isinstance(items, list) and len(items) > limit["array"]:
        raise WebapiError(400, MSG_ARRAY_LIMIT, {"type": item_type, "max": limit["array"]})


def parameter(body, camel, snake):
    """A service parameter by its camelCase or snake_case key; camelCase wins, null is absent (§4)."""
    value = body.get(camel)
    return body.get(snake) if value is None else value


def properties(data, names, interface="Magento\\Framework\\Api\\ExtensionAttributesInterface"):
    """An object's properties as ServiceInputProcessor::_createFromArray reads them (§4).

    It looks a getter up by ``snakeCaseToUpperCamelCase`` of the key, and PHP
    method names ignore case: ``order_item_id``, ``orderItemId`` and
    ``OrderItemID`` all reach ``getOrderItemId``; a key with no getter is a
    LogicException (a masked 500). Returns ``{name: (key as sent, value)}``,
    a later key overwriting an earlier one. A JSON list is a PHP array keyed
    0, 1...; a scalar counts as an empty object.
    """
    known = {name.replace("_", "").lower(): name for name in names}
    if isinstance(data, list):
        data = {str(index): value for index, value in enumerate(data)}
    found = {}
    for key, value in data.items() if isinstance(data, dict) else ():
        name = known.get(str(key).replace("_", "").lower())
        if name is None:
            raise UnknownProperty(str(key), interface)
        found[name] = (key, value)
    return found


def numeric_property(found, name, type_name, required=False):
    """A numeric property (``settype`` after ``is_numeric``, §4); None when absent or null."""
    if name not in found:
        if required:
            raise WebapiError(400, MSG_REQUIRED, {"fieldName": name})
        return None
    key, value = found[name]
    if value is None and not required:
        return None
    if not is_numeric(value):
        raise type_error(php_type(value) if isinstance(value, list | dict) else php_str(value), type_name, key)
    return int(float(value)) if type_name == "int" else float(value)


class WebapiError(Exception):
    """A Magento REST error: status plus the JSON body Magento would send."""

    def __init__(self, status, message, parameters=None, errors=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.parameters = parameters
        self.errors = errors

    def body(self):
        # framework/Webapi/Rest/Response.php: message, parameters, then the
        # aggregate's errors (docs/magento-behaviour.md §3).
        body = {"message": self.message}
        if self.parameters is not None:
            body["parameters"] = self.parameters
        if self.errors:
            body["errors"] = self.errors
        return body


def now():
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")


def number(value):
    """Render money/qty as PHP's json_encode does: 165.0 -> 165."""
    value = round(float(value), 4)
    return int(value) if value == int(value) else value


def is_numeric(value):
    """PHP's is_numeric for JSON values (bools are not numeric)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    if isinstance(value, str):
        try:
            float(value.strip())
        except ValueError:
            return False
        return bool(value.strip())
    return False


def to_bool(value):
    """filter_var(FILTER_VALIDATE_BOOLEAN) as Magento's TypeProcessor uses it."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value == 1
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "on", "yes")
    return False


class Store:
    """Orders, invoices and credit memos of one Magento instance (all store views)."""

    def __init__(self, shipping_display_incl_tax=False):
        self._lock = threading.RLock()
        self._order_locks = {}
        self._ids = {
            "order": itertools.count(1),
            "item": itertools.count(1),
            "invoice": itertools.count(1),
            "invoice_item": itertools.count(1),
            "creditmemo": itertools.count(1),
            "creditmemo_item": itertools.count(1),
            "comment": itertools.count(1),
            "product": itertools.count(1),
        }
        self.orders = {}
        self.invoices = {}
        self.creditmemos = {}  # entity id -> credit memo, shaped like GET /V1/creditmemo/{id}
        self.emails = []  # customer emails Magento "sent": (invoice increment id, email)
        self.creditmemo_emails = []  # the same for credit memos: (credit memo increment id, email)
        self.products = {}  # sku -> product id
        # tax/sales_display/shipping = 2 (including tax): a credit memo's shipping_amount
        # includes tax (vendor/magento/module-tax/Model/Config.php:697-704, docs §10).
        self.shipping_display_incl_tax = shipping_display_incl_tax
        # sales/zerograndtotal_creditmemo/allow_zero_grandtotal, on by default
        # (vendor/magento/module-sales/etc/config.xml:25, docs §8).
        self.allow_zero_grandtotal = True

    # ------------------------------------------------------------- seeding
    def _product_id(self, sku):
        if sku not in self.products:
            self.products[sku] = next(self._ids["product"])
        return self.products[sku]

    def add_order(
        self,
        items,
        *,
        increment_id=None,
        payment_method="checkmo",
        payment_title=None,
        state="new",
        status="pending",
        currency="USD",
        base_currency_code=None,
        order_currency_code=None,
        base_to_order_rate=1.0,
        store_id=1,
        customer_email="roni_cost@example.com",
        customer_firstname="Veronica",
        customer_lastname="Costello",
        shipping_amount=0.0,
        shipping_tax_percent=0.0,
        shipping_discount_amount=0.0,
        created_at=None,
        invoiced=False,
    ):
        """Create an order; return it (a dict shaped like ``GET /V1/orders/{id}``).

        Each item spec is a dict: ``sku``, ``name``, ``qty``, ``price``, and
        optionally ``type`` (``simple`` by default, ``virtual``,
        ``configurable`` with ``child_sku``, or ``bundle`` with ``children``: a
        list of ``{sku, name, qty, price}`` for a dynamic-price bundle whose
        ``qty`` is the quantity per bundle, and ``sku_type`` ``dynamic`` (the
        default) or ``fixed``) and ``is_qty_decimal``; for money (docs §10)
        ``tax_percent`` (0 by default; a bundle's children inherit it unless
        they name their own), ``discount_amount`` (the row's discount in the
        order's currency, 0 by default; a dynamic bundle's on its children) and
        ``discount_percent`` (shown only). ``shipping_tax_percent`` taxes the
        shipping, ``shipping_discount_amount`` discounts it. Magento's default
        tax settings apply: TOTAL_BASE, tax after discount, prices and shipping
        excluding tax (money.py). ``invoiced=True``
        invoices the whole order in Magento at once, with no comment, as a
        payment gateway in Authorize and Capture mode does at checkout.

        ``payment_title``: the method's title at checkout (a core offline
        method's by default, none for another code), which Magento keeps as
        the payment's ``method_title`` (module-quote/Model/Quote/Payment/
        ToOrderPayment.php:68-73) and shows in ``additional_information`` and,
        keyed, in ``extension_attributes.payment_additional_info``
        (module-sales/Model/OrderRepository.php:183-210).

        Prices and ``shipping_amount`` are in the order's currency
        (``order_currency_code``, else ``currency``); the ``base_*`` amounts
        are those divided by ``base_to_order_rate`` and rounded to cents, in
        ``base_currency_code`` (else ``currency``), as Magento stores both
        (docs/magento-behaviour.md §8, §10): Magento's tax calculator rounds
        every unit price it is given, base ones included
        (vendor/magento/module-tax/Model/Calculation/AbstractAggregateCalculator.php:102).
        """
        rate = float(base_to_order_rate)
        base_currency = base_currency_code or currency
        title = payment_title or METHOD_TITLES.get(payment_method)
        with self._lock:
            entity_id = next(self._ids["order"])
            order = {
                "entity_id": entity_id,
                "increment_id": increment_id or f"{entity_id:09d}",
                "state": state,
                "status": status,
                "store_id": store_id,
                "order_currency_code": order_currency_code or currency,
                "base_currency_code": base_currency,
                "global_currency_code": base_currency,
                "base_to_order_rate": number(rate),
                "base_to_global_rate": 1,
                "customer_email": customer_email,
                "customer_firstname": customer_firstname,
                "customer_lastname": customer_lastname,
                "customer_is_guest": 0,
                "created_at": created_at or now(),
                "updated_at": created_at or now(),
                "shipping_amount": number(shipping_amount),
                "base_shipping_amount": number(php_round(shipping_amount / rate)),
                # The invoiced, paid and *_refunded totals stay null (omitted) until
                # an invoice or a credit memo: DataObjectProcessor leaves out null
                # values (vendor/magento/framework/Reflection/DataObjectProcessor.php:90-152).
                "items": [],
                "payment": {
                    "method": payment_method,
                    "account_status": None,
                    "additional_information": [title] if title else [],
                    "cc_last4": None,
                },
                "billing_address": {
                    "firstname": customer_firstname,
                    "lastname": customer_lastname,
                    "email": customer_email,
                    "street": ["6146 Honey Bluff Parkway"],
                    "city": "Calder",
                    "postcode": "49628-7978",
                    "country_id": "US",
                    "telephone": "(555) 229-3326",
                },
                "extension_attributes": (
                    {"payment_additional_info": [{"key": "method_title", "value": title}]} if title else {}
                ),
            }
            for spec in items:
                self._add_items(order, spec)
            self._tax_order(order, shipping_tax_percent, shipping_discount_amount)
            order["total_due"] = order["grand_total"]
            order["base_total_due"] = order["base_grand_total"]
            order["total_qty_ordered"] = number(
                sum(i["qty_ordered"] for i in order["items"] if not i.get("parent_item_id"))
            )
            self.orders[entity_id] = order
            self._order_locks[entity_id] = threading.Lock()
        if invoiced:
            self.invoice_order(entity_id, {"capture": True})
        return order

    def _new_item(self, order, sku, name, qty, price, product_type, parent=None, is_qty_decimal=False, money=None):
        """An order line; ``money``: its spec's ``tax_percent``, ``discount_amount``, ``discount_percent``."""
        rate = order["base_to_order_rate"]
        money = money or {}
        discount = float(money.get("discount_amount") or 0)
        base_price = php_round(price / rate)
        item = {
            "item_id": next(self._ids["item"]),
            "order_id": order["entity_id"],
            "store_id": order["store_id"],
            "product_id": self._product_id(sku),
            "product_type": product_type,
            "sku": sku,
            "name": name,
            "qty_ordered": number(qty),
            "qty_invoiced": 0,
            "qty_canceled": 0,
            "qty_shipped": 0,
            "qty_refunded": 0,
            "is_qty_decimal": 1 if is_qty_decimal else 0,
            "is_virtual": 1 if product_type in VIRTUAL_TYPES else 0,
            "price": number(price),
            "base_price": number(base_price),
            "original_price": number(price),
            "base_original_price": number(base_price),
            "row_total": number(price * qty),
            "base_row_total": number(base_price * qty),
            # sales_order_item's money columns default to 0; the *_incl_tax ones
            # are null until the tax collector fills them (_tax_order, docs §10).
            "tax_percent": number(money.get("tax_percent") or 0),
            "tax_amount": 0,
            "base_tax_amount": 0,
            "discount_percent": number(money.get("discount_percent") or 0),
            "discount_amount": number(discount),
            "base_discount_amount": number(php_round(discount / rate)),
            "discount_tax_compensation_amount": 0,
            "base_discount_tax_compensation_amount": 0,
            "price_incl_tax": None,
            "base_price_incl_tax": None,
            "row_total_incl_tax": None,
            "base_row_total_incl_tax": None,
            "row_invoiced": 0,
            "base_row_invoiced": 0,
            "tax_invoiced": 0,
            "base_tax_invoiced": 0,
            "discount_invoiced": 0,
            "base_discount_invoiced": 0,
            "amount_refunded": 0,
            "base_amount_refunded": 0,
            "created_at": order["created_at"],
        }
        if parent is not None:
            item["parent_item_id"] = parent["item_id"]
        order["items"].append(item)
        return item

    def _add_items(self, order, spec):
        kind = spec.get("type", "simple")
        qty = spec.get("qty", 1)
        decimal = spec.get("is_qty_decimal", False)
        money = {key: spec.get(key) for key in ("tax_percent", "discount_amount", "discount_percent")}
        if kind == "configurable":
            # The parent carries the child's SKU, the qty and the price; the
            # child simple is a price-0 dummy.
            child_sku = spec.get("child_sku") or spec["sku"] + "-child"
            parent = self._new_item(
                order, child_sku, spec["name"], qty, spec["price"], "configurable", is_qty_decimal=decimal, money=money
            )
            parent["product_id"] = self._product_id(spec["sku"])
            self._new_item(order, child_sku, spec.get("child_name", spec["name"]), qty, 0, "simple", parent)
        elif kind == "bundle":
            if spec.get("discount_amount"):
                raise ValueError("a dynamic bundle's discount goes on its children (their discount_amount)")
            children = spec["children"]
            price = sum(c["price"] * c.get("qty", 1) for c in children)
            # A dynamic SKU (Magento's default) joins the bundle's SKU and its
            # selections' (Bundle\\Model\\Product\\Type::getSku, docs/magento-behaviour.md §7);
            # the item's product_id stays the bundle's.
            sku = spec["sku"]
            if spec.get("sku_type", "dynamic") == "dynamic":
                sku = "-".join([spec["sku"], *(c["sku"] for c in children)])
            parent = self._new_item(order, sku, spec["name"], qty, price, "bundle", money=money)
            parent["product_id"] = self._product_id(spec["sku"])
            parent["product_options"] = {"dynamic_price": True}
            for child in children:
                item = self._new_item(
                    order,
                    child["sku"],
                    child.get("name", child["sku"]),
                    child.get("qty", 1) * qty,
                    child["price"],
                    "simple",
                    parent,
                    money={"tax_percent": spec.get("tax_percent"), **{k: v for k, v in child.items() if k in money}},
                )
                item["bundle_selection_qty"] = number(child.get("qty", 1))
        else:
            self._new_item(
                order, spec["sku"], spec["name"], qty, spec["price"], kind, is_qty_decimal=decimal, money=money
            )
        # A child item carries a nested copy of its parent, as Magento's API does.
        for item in order["items"]:
            if item.get("parent_item_id"):
                parent = self._item(order, item["parent_item_id"])
                item["parent_item"] = {k: v for k, v in parent.items() if k != "parent_item"}

    def _tax_order(self, order, shipping_tax_percent, shipping_discount_amount):
        """The quote's totals as the order keeps them (money.tax_order, docs §10).

        Taxed lines: every top-level line, a dynamic bundle's with its
        children (they carry the prices, the parent their sums); a
        configurable's child is not taxed (the parent is: it is not
        ``isChildrenCalculated``). Then subtotal, tax, discount (negative) and
        grand total of the order, in both currencies.
        """
        rate = order["base_to_order_rate"]
        lines = []
        for item in order["items"]:
            if item.get("parent_item_id"):
                continue
            children = self._children(order, item) if self.is_dummy(order, item) else ()
            lines.append((item, children))
        discount = float(shipping_discount_amount or 0)
        shipping = {
            "amount": order["shipping_amount"],
            "base_amount": order["base_shipping_amount"],
            "percent": float(shipping_tax_percent or 0),
            "discount": discount,
            "base_discount": php_round(discount / rate),
        }
        totals = tax_order(order, lines, shipping)
        for item, children in lines:
            for line in (item, *children):
                for key in MONEY_ITEM_FIELDS:
                    line[key] = number(line[key])
        for prefix, values in totals.items():
            for key, value in values.items():
                order[prefix + key] = number(value)
        for item in order["items"]:
            if item.get("parent_item_id"):
                parent = self._item(order, item["parent_item_id"])
                item["parent_item"] = {k: v for k, v in parent.items() if k != "parent_item"}

    # ------------------------------------------------------------ queries
    @staticmethod
    def _item(order, item_id):
        for item in order["items"]:
            if item["item_id"] == item_id:
                return item
        return None

    def is_dummy(self, order, item):
        """``Order\\Item::isDummy`` for the two kinds of composite products."""
        parent_id = item.get("parent_item_id")
        if parent_id:
            parent = self._item(order, parent_id)
            # A configurable's child follows its parent; a dynamic bundle's
            # children are the real lines.
            return parent["product_type"] == "configurable"
        if item["product_type"] == "bundle":
            return bool((item.get("product_options") or {}).get("dynamic_price"))
        return False

    def qty_to_invoice(self, order, item):
        if self.is_dummy(order, item):
            return 0
        return max(item["qty_ordered"] - item["qty_invoiced"] - item["qty_canceled"], 0)

    def qty_to_refund(self, order, item):
        """``Order\\Item::getQtyToRefund``: invoiced and not refunded, 0 for a dummy (docs §7)."""
        if self.is_dummy(order, item):
            return 0
        return max(item["qty_invoiced"] - item["qty_refunded"], 0)

    def _find_item(self, item_id):
        """``Order\\ItemRepository::get``: an order item of any order, or None."""
        for order in self.orders.values():
            item = self._item(order, item_id)
            if item is not None:
                return order, item
        return None, None

    def get_order(self, raw_id):
        order_id = self.parse_id(raw_id)
        with self._lock:
            order = self.orders.get(order_id)
            if order is None:
                raise WebapiError(404, MSG_NOT_FOUND)
            return order

    @staticmethod
    def parse_id(raw_id):
        if not is_numeric(raw_id) or float(raw_id) != int(float(raw_id)):
            raise type_error(raw_id, "int")
        value = int(float(raw_id))
        if value == 0:
            raise WebapiError(400, MSG_ID_NEEDED)
        return value

    def get_invoice(self, raw_id):
        return self._get("invoices", raw_id)

    def get_creditmemo(self, raw_id):
        """``GET /V1/creditmemo/{id}``: 0 is 400, unknown 404, as for invoices
        (vendor/magento/module-sales/Model/Order/CreditmemoRepository.php:70-84, docs §8)."""
        return self._get("creditmemos", raw_id)

    def _get(self, collection, raw_id):
        entity_id = self.parse_id(raw_id)
        with self._lock:
            entity = getattr(self, collection).get(entity_id)
            if entity is None:
                raise WebapiError(404, MSG_NOT_FOUND)
            return entity

    def order_invoices(self, order_id):
        with self._lock:
            return [inv for inv in self.invoices.values() if inv["order_id"] == order_id]

    def order_creditmemos(self, order_id):
        """The credit memos of one order (entity id), oldest first."""
        with self._lock:
            return [memo for memo in self.creditmemos.values() if memo["order_id"] == order_id]

    # ------------------------------------------------- invoice creation
    def invoice_order(self, raw_order_id, body, input_limits=False):
        """``POST /V1/order/{orderId}/invoice``: return the new invoice's entity id."""
        order_id = self.parse_id(raw_order_id)
        check_array_limit(body, INVOICE_ITEM_TYPE, input_limits)
        requested, notify, capture, append_comment, comment = self._parse_invoice_body(body)
        # OrderMutex: one invoice creation (or order refund) per order at a time;
        # the store's lock keeps a concurrent invoice refund's save out of it.
        with self._order_lock(order_id), self._lock:
            order = self.orders[order_id]
            lines, total_qty = self._prepare_invoice(order, requested)
            self._validate(order, total_qty)
            return self._save_invoice(order, lines, total_qty, notify, capture, append_comment, comment)

    def _order_lock(self, order_id):
        """The order's mutex (OrderMutex, docs §5 step 1); 404 for an unknown order."""
        with self._lock:
            if order_id not in self.orders:
                raise WebapiError(404, MSG_NOT_FOUND)
            return self._order_locks[order_id]

    def _parse_invoice_body(self, body):
        if not isinstance(body, dict):
            raise WebapiError(400, "Decoding error.")
        requested = {}
        for item_id, qty in self._parse_items(body, required=True, kind="Invoice"):
            # InvoiceDocumentFactory keys the items by order item: a repeated id
            # overwrites the earlier one, it is not added (docs/magento-behaviour.md §5).
            requested[item_id] = qty
        append = parameter(body, "appendComment", "append_comment")
        return (
            requested,
            to_bool(body.get("notify")),
            to_bool(body.get("capture")),
            to_bool(append),
            self._parse_comment(body, "Invoice"),
        )

    @staticmethod
    def _parse_items(body, required, kind):
        """The ``items`` parameter: ``[(order_item_id, qty)]`` in the order sent.

        Invoice items need both fields; a credit memo item's missing field stays
        null, for the service to trip over (docs §8). An unknown property is a
        LogicException in Magento's object builder, shown as a masked 500 (§4).
        """
        items = body.get("items") or []
        if not isinstance(items, list):
            raise type_error(items, "array")
        parsed = []
        for entry in items:
            if not isinstance(entry, dict):
                raise type_error(entry, "object", "items")
            interface = f"Magento\\Sales\\Api\\Data\\{kind}ItemCreationInterface"
            found = properties(entry, ("order_item_id", "qty", "extension_attributes"), interface)
            item_id = numeric_property(found, "order_item_id", "int", required)
            parsed.append((item_id, numeric_property(found, "qty", "float", required)))
        return parsed

    @staticmethod
    def _parse_comment(body, kind):
        """The ``comment`` object: ``{"comment", "is_visible_on_front"}`` or None."""
        comment = body.get("comment")
        if comment is None:
            return None
        if not isinstance(comment, dict):
            raise type_error(comment, "object", "comment")
        interface = f"Magento\\Sales\\Api\\Data\\{kind}CommentCreationInterface"
        found = properties(comment, ("comment", "is_visible_on_front", "extension_attributes"), interface)
        visible = numeric_property(found, "is_visible_on_front", "int")
        return {"comment": (found.get("comment") or (None, None))[1], "is_visible_on_front": visible or 0}

    def _comment(self, comment, parent_id, notify, append_comment):
        """The creation comment as ``comments[]`` lists it: the customer is
        notified only with notify and appendComment (docs §6, §8)."""
        return {
            "entity_id": next(self._ids["comment"]),
            "parent_id": parent_id,
            "comment": comment.get("comment") or "",
            "is_visible_on_front": comment["is_visible_on_front"],
            "is_customer_notified": 1 if (notify and append_comment) else 0,
            "created_at": now(),
        }

    def _children(self, order, item):
        return [i for i in order["items"] if i.get("parent_item_id") == item["item_id"]]

    def _prepare_items_qty(self, order, requested):
        """``InvoiceService::prepareItemsQty``: children follow a listed parent."""
        qtys = dict(requested)
        for item in order["items"]:
            if item["item_id"] in qtys:
                for child in self._children(order, item):
                    # setChildItemsQtyToInvoice: only bundle selections carry a per-bundle qty.
                    if child["item_id"] not in qtys and child.get("bundle_selection_qty"):
                        qtys[child["item_id"]] = child["bundle_selection_qty"] * qtys[item["item_id"]]
            elif item.get("parent_item_id") in qtys:
                qtys[item["item_id"]] = qtys[item["parent_item_id"]]
        return qtys

    def _can_invoice_item(self, order, item, qtys):
        """``InvoiceService::canInvoiceItem``: an item with nothing left is left out, silently."""
        if item.get("locked_do_invoice"):
            return False
        if not self.is_dummy(order, item):
            return self.qty_to_invoice(order, item) > 0
        if not item.get("parent_item_id"):
            children = self._children(order, item)
            if not qtys:
                return any(self.qty_to_invoice(order, child) > 0 for child in children)
            return any(qtys.get(child["item_id"], 0) > 0 for child in children)
        parent = self._item(order, item["parent_item_id"])
        if not qtys:
            return self.qty_to_invoice(order, parent) > 0
        return qtys.get(parent["item_id"], 0) > 0

    def _prepare_invoice(self, order, requested):
        """``InvoiceService::prepareInvoice`` (2.4.6-p1, docs/magento-behaviour.md §5).

        Returns ``({item_id: qty}, total_qty)`` with every line the invoice
        holds, quantity 0 included, as InvoiceQuantityValidator then sees them.
        """
        qtys = self._prepare_items_qty(order, requested)
        lines = {}
        for item in order["items"]:
            if not self._can_invoice_item(order, item, qtys):
                continue
            if item["item_id"] in qtys:
                qty = qtys[item["item_id"]]
            elif self.is_dummy(order, item):
                qty = item["qty_ordered"] or 1
            elif not requested:
                qty = self.qty_to_invoice(order, item)
            else:
                qty = 0
            # setInvoiceItemQuantity: (int) unless is_qty_decimal, negatives to 0,
            # then the over-quantity check on real items.
            qty = float(qty) if item["is_qty_decimal"] else float(int(qty))
            qty = max(qty, 0.0)
            if qty > self.qty_to_invoice(order, item) + 1e-9 and not self.is_dummy(order, item):
                raise WebapiError(400, MSG_INVALID_QTY, [item["name"]])
            lines[item["item_id"]] = qty
        return lines, sum(lines.values())

    def _validate(self, order, total_qty):
        """InvoiceQuantityValidator, then CanInvoice, merged in that order."""
        messages = []
        if total_qty <= 0:
            messages.append(MSG_NO_PRODUCTS)
        if order["state"] in BLOCKING_STATES:
            messages.append(MSG_BAD_STATE + str(order["status"]))
        elif not any(self.qty_to_invoice(order, item) > 0 for item in order["items"]):
            messages.append(MSG_CANNOT_INVOICE)
        if messages:
            # Concatenated before the Phrase is built: no parameters key.
            raise WebapiError(400, MSG_VALIDATION + "\n".join(messages))

    def _save_invoice(self, order, lines, total_qty, notify, capture, append_comment, comment):
        """Collect the invoice's totals, register it and save it (docs §5, §10).

        ``Invoice::collectTotals`` then ``Invoice::register``
        (vendor/magento/module-sales/Model/Order/Invoice.php:604-677, money.py);
        lines of qty 0 take part in the totals (they make the invoice not the
        last) but are not saved (``PayOperation``).
        """
        with self._lock:
            invoice_id = next(self._ids["invoice"])
            previous = [inv for inv in self.invoices.values() if inv["order_id"] == order["entity_id"]]
            rows = [
                {"item": item, "qty": lines[item["item_id"]]} for item in order["items"] if item["item_id"] in lines
            ]
            totals = collect_invoice(order, rows, previous, lambda item: self.is_dummy(order, item))
            items = [self._invoice_item(invoice_id, row) for row in rows if row["qty"] > 0]
            register_invoice(order, rows, totals, number)
            grand_total, base_grand_total = number(totals["grand_total"]), number(totals["base_grand_total"])
            invoice = {
                "entity_id": invoice_id,
                "increment_id": f"{invoice_id:09d}",
                "order_id": order["entity_id"],
                "store_id": order["store_id"],
                "state": 2,  # PayOperation marks every new invoice paid
                "order_currency_code": order["order_currency_code"],
                "base_currency_code": order["base_currency_code"],
                "global_currency_code": order["global_currency_code"],
                "base_to_order_rate": order["base_to_order_rate"],
                # A later invoice's shipping is null, left out (docs §6).
                **{key: money(totals.get(key)) for key in INVOICE_TOTALS},
                "total_qty": number(total_qty),
                "can_void_flag": 0,
                # Set once the e-mail went out (Email/Sender/InvoiceSender.php:161-163), else
                # null; send_email and a null is_used_for_refund are never shown (not in
                # Api/Data/InvoiceInterface.php, or null: docs §6).
                "email_sent": 1 if notify else None,
                "created_at": now(),
                "updated_at": now(),
                "items": items,
                "comments": [],
                "extension_attributes": {},
            }
            if capture:
                invoice["requested_capture_case"] = "online"
                if order["payment"]["method"] not in OFFLINE_METHODS:
                    # The gateway's capture transaction, which an online refund needs
                    # (vendor/magento/module-sales/Model/Order/Payment.php refund(), docs §8).
                    invoice["transaction_id"] = f"capture-{invoice_id}"
            if comment is not None:
                invoice["comments"].append(self._comment(comment, invoice_id, notify, append_comment))
            self.invoices[invoice_id] = invoice
            # Invoice::pay(): the order's and the payment's paid totals (Order/Invoice.php:358-381).
            order["total_paid"] = number((order.get("total_paid") or 0) + grand_total)
            order["base_total_paid"] = number((order.get("base_total_paid") or 0) + base_grand_total)
            order["total_due"] = number(order["grand_total"] - order["total_paid"])
            order["base_total_due"] = number(order["base_grand_total"] - order["base_total_paid"])
            order["payment"].update(
                _raised(order["payment"], amount_paid=grand_total, base_amount_paid=base_grand_total)
            )
            # StateResolver with IN_PROGRESS: new goes to processing, pending_payment
            # back to new, complete when nothing is left to invoice or ship (§5 step 8).
            order["state"] = self._state_for_order(order, in_progress=True)
            order["status"] = STATE_STATUSES[order["state"]][0]
            order["updated_at"] = now()
            if notify:
                self.emails.append((invoice["increment_id"], order["customer_email"]))
            return invoice_id

    def _invoice_item(self, invoice_id, row):
        """An invoice line as ``GET /V1/invoices`` shows it: prices copied from the order
        line, its amounts from the collectors; what a collector did not set (a
        dummy's row, an untaxed line's tax) stays null, left out (docs §6, §10)."""
        order_item = row["item"]
        line = {
            "entity_id": next(self._ids["invoice_item"]),
            "parent_id": invoice_id,
            "order_item_id": order_item["item_id"],
            "product_id": order_item["product_id"],
            "sku": order_item["sku"],
            "name": order_item["name"],
            "qty": number(row["qty"]),
        }
        for key in ("price", "base_price", "price_incl_tax", "base_price_incl_tax"):
            line[key] = order_item.get(key)
        for key in DOCUMENT_LINE_AMOUNTS:
            line[key] = money(row.get(key))
        return line

    def _can_invoice(self, order):
        return any(self.qty_to_invoice(order, item) > 0 for item in order["items"])

    def _can_creditmemo(self, order):
        """``Order::canCreditmemo`` (vendor/magento/module-sales/Model/Order.php:695-735)."""
        if order["state"] in REFUND_BLOCKING_STATES:
            return False
        left = php_round(order.get("total_paid") or 0) - (order.get("total_refunded") or 0)
        if abs(order["grand_total"]) < 0.0001:
            return False  # canCreditmemoForZeroTotal: such an order is complete anyway
        # A first memo's adjustment fee (adjustment_negative) left over counts as nothing left.
        return abs(left) >= 0.0001 and abs(left - (order.get("adjustment_negative") or 0)) >= 0.0001

    def _state_for_order(self, order, in_progress=False):
        """``StateResolver::getStateForOrder`` (vendor/magento/module-sales/Model/Order/StateResolver.php:22-95).

        Processing stays processing, any other state starts as new; with
        nothing left to invoice or ship the order is complete while a credit
        memo is possible (or its total is 0), else closed once refunded
        (docs §8 "After"). An invoice (``in_progress``) moves new on to
        processing first, so that a fully invoiced order still ends complete,
        as the store has always done for invoices (docs §5 step 8).
        """
        processing = order["state"] == "processing" or (order["state"] == "new" and in_progress)
        state = "processing" if processing else "new"
        if order["state"] not in ("canceled", "holded") and not self._can_invoice(order) and not self._can_ship(order):
            if order["base_grand_total"] == 0 or self._can_creditmemo(order):
                state = "complete"
            elif order.get("total_refunded"):
                state = "closed"
        return state

    def _can_ship(self, order):
        return any(
            not item["is_virtual"]
            and not self.is_dummy(order, item)
            and item["qty_ordered"] - item["qty_shipped"] - item["qty_refunded"] - item["qty_canceled"] > 0
            for item in order["items"]
        )

    # ------------------------------------------------------ credit memos
    def refund_order(self, raw_order_id, body, input_limits=False):
        """``POST /V1/order/{orderId}/refund``: an offline credit memo; return its entity id.

        vendor/magento/module-sales/Model/RefundOrder.php:128-225 (docs §8): the
        whole of it, e-mail included, runs in the order's mutex, like invoicing.
        """
        order_id = self.parse_id(raw_order_id)
        request = self._parse_refund_body(body, input_limits, online_parameter=False)
        with self._order_lock(order_id), self._lock:
            draft = self._draft_refund(self.orders[order_id], None, request)
            memo = self._commit_refund(draft, keep_status=True)
            self._notify_refund(memo, request)
        return memo["entity_id"]

    def refund_invoice(self, raw_invoice_id, body, input_limits=False):
        """``POST /V1/invoice/{invoiceId}/refund``: a credit memo for one invoice.

        vendor/magento/module-sales/Model/RefundInvoice.php:127-197 (docs §8):
        no order mutex in 2.4.6-p1. The invoice and its order are read and the
        memo validated outside any transaction, then saved in one of its own
        that writes the fields it changed, from the copy it read: what another
        request saved in between is overwritten, as in Magento (the store's
        lock only keeps each step consistent). The e-mail goes after the commit.
        """
        invoice_id = self.parse_id(raw_invoice_id)
        request = self._parse_refund_body(body, input_limits, online_parameter=True)
        with self._lock:
            invoice = self._get("invoices", invoice_id)
            draft = self._draft_refund(self.orders[invoice["order_id"]], invoice, request)
        with self._lock:
            memo = self._commit_refund(draft, keep_status=False)
        self._notify_refund(memo, request)
        return memo["entity_id"]

    def _parse_refund_body(self, body, input_limits, online_parameter):
        """Both routes' parameters (vendor/magento/module-sales/Api/RefundInvoiceInterface.php:17-37,
        Api/Data/CreditmemoCreationArgumentsInterface.php, module-sales-inventory
        etc/extension_attributes.xml:9-11; docs §4, §8)."""
        check_array_limit(body, CREDITMEMO_ITEM_TYPE, input_limits)
        if not isinstance(body, dict):
            raise WebapiError(400, "Decoding error.")
        items = self._parse_items(body, required=False, kind="Creditmemo")
        comment = self._parse_comment(body, "Creditmemo")
        arguments = properties(
            body.get("arguments"),
            ("shipping_amount", "adjustment_positive", "adjustment_negative", "extension_attributes"),
            "Magento\\Sales\\Api\\Data\\CreditmemoCreationArgumentsInterface",
        )
        request = {
            name: numeric_property(arguments, name, "float")
            for name in ("shipping_amount", "adjustment_positive", "adjustment_negative")
        }
        extension = properties((arguments.get("extension_attributes") or (None, None))[1], ("return_to_stock_items",))
        key, stock = extension.get("return_to_stock_items", (None, None))
        if stock is not None and not isinstance(stock, list):
            # TypeProcessor::processSimpleAndAnyType: a scalar where int[] is expected.
            raise type_error(php_type(stock), "int[]", key)
        # CreditmemoDocumentFactory::getCreditmemoCreationData keys the items by
        # order item: a repeat overwrites (CreditmemoDocumentFactory.php:63-78).
        request["qtys"] = dict(items)
        request.update(
            items=items,
            comment=comment,
            return_to_stock_items=None if stock is None else [php_int(value) for value in stock],
            notify=to_bool(body.get("notify")),
            append_comment=to_bool(parameter(body, "appendComment", "append_comment")),
            online=online_parameter and to_bool(parameter(body, "isOnline", "is_online")),
        )
        return request

    def _draft_refund(self, order, invoice, request):
        """Build, check and apply a credit memo on a copy of the order (and invoice).

        Returns what ``_commit_refund`` saves. Raises the 400 of the totals
        collectors, of the validators, or of the refund itself; nothing is
        changed then (the transaction is rolled back).
        """
        work_order, work_invoice = copy.deepcopy(order), copy.deepcopy(invoice)
        # Each of this request's records -> the store's record it saves into.
        live = {id(work_order): order, id(work_order["payment"]): order["payment"]}
        live.update((id(work), item) for work, item in zip(work_order["items"], order["items"], strict=True))
        if invoice is not None:
            live[id(work_invoice)] = invoice
        draft = {"order": work_order, "invoice": work_invoice, "live": live, "writes": [], "request": request}
        draft["memo"] = self._creditmemo_document(work_order, work_invoice, request)
        self._validate_refund(work_order, work_invoice, draft["memo"], request)
        self._refund_operation(draft, request["online"])
        return draft

    # CreditmemoFactory (vendor/magento/module-sales/Model/Order/CreditmemoFactory.php)
    def _creditmemo_document(self, order, invoice, request):
        """``createByOrder`` / ``createByInvoice`` then ``collectTotals`` (docs §8).

        The order route takes every order item, the invoice route the invoice's
        lines, each capped at what that invoice has left (:78-143).
        """
        qtys = request["qtys"]
        limits = self._invoice_refund_limits(invoice) if invoice else {}
        if invoice:
            sources = [(self._item(order, line["order_item_id"]), line["qty"]) for line in invoice["items"]]
        else:
            sources = [(item, None) for item in order["items"]]
        lines = []
        for item, invoiced in sources:
            if not self._can_refund_item(order, item, qtys, limits):
                continue
            qty = self._memo_qty(order, item, qtys, limits)
            lines.append({"item": item, "qty": qty if invoiced is None else min(qty, invoiced)})
        memo = {"lines": lines, "invoice_id": invoice["entity_id"] if invoice else None}
        shipping = request["shipping_amount"]
        if shipping is None and invoice is not None:
            shipping = self._invoice_shipping_left(order, invoice)
        self._collect_refund_totals(order, invoice, memo, shipping, request)
        return memo

    def _invoice_shipping_left(self, order, invoice):
        """``CreditmemoFactory::getShippingAmount`` (:139-143,345-359): the invoice route's
        default. Shown excluding tax, the base shipping left capped at this
        invoice's; including tax, the base shipping with its tax left, not capped."""
        if self.shipping_display_incl_tax:
            refunded = (order.get("base_shipping_refunded") or 0) + (order.get("base_shipping_tax_refunded") or 0)
            return (order.get("base_shipping_incl_tax") or 0) - refunded
        left = order["base_shipping_amount"] - (order.get("base_shipping_refunded") or 0)
        return min(left, invoice.get("base_shipping_amount") or 0)

    def _invoice_refund_limits(self, invoice):
        """``getInvoiceRefundLimitsQtyList`` (:285-300): each invoice line's qty less
        what the invoice's non-canceled credit memos already took."""
        taken = {}
        for memo in self.creditmemos.values():
            if memo["invoice_id"] == invoice["entity_id"] and memo["state"] != 3:
                for line in memo["items"]:
                    taken[line["order_item_id"]] = taken.get(line["order_item_id"], 0) + line["qty"]
        return {line["order_item_id"]: line["qty"] - taken.get(line["order_item_id"], 0) for line in invoice["items"]}

    def _can_refund_real_item(self, order, item, limits):
        """``canRefundNoDummyItem`` (:158-204): the invoice's limit, when there is one."""
        if self.qty_to_refund(order, item) < 0:
            return False
        if item["item_id"] in limits:
            return limits[item["item_id"]] > 0
        return True

    def _can_refund_item(self, order, item, qtys, limits):
        """``canRefundItem`` (:158-204): a dummy goes with its children or its parent."""
        if not self.is_dummy(order, item):
            return self._can_refund_real_item(order, item, limits)
        children = self._children(order, item)
        if children:
            values = list(qtys.values())
            nothing_asked = not qtys or (len(set(values)) == 1 and php_int(values[-1]) == 0)
            for child in children:
                if nothing_asked:
                    if self._can_refund_real_item(order, child, limits):
                        return True
                elif (qtys.get(child["item_id"]) or 0) > 0:
                    return True
            return False
        if item.get("parent_item_id"):
            parent = self._item(order, item["parent_item_id"])
            if not qtys:
                return self._can_refund_real_item(order, parent, limits)
            return (qtys.get(parent["item_id"]) or 0) > 0
        return False

    def _memo_qty(self, order, item, qtys, limits):
        """``getQtyToRefund`` (:310-337): listed qty, everything left when nothing
        is listed, else 0; a dummy follows its parent, a bundle selection
        times its qty per bundle (``calculateProductOptions``)."""
        if self.is_dummy(order, item):
            parent_id = item.get("parent_item_id")
            if qtys.get(parent_id) is not None:
                parent_qty = qtys[parent_id]
            elif item["product_type"] == "bundle":
                parent_qty = item["qty_invoiced"]
            else:
                parent = self._item(order, parent_id)
                parent_qty = self.qty_to_refund(order, parent) if parent else 1
            return float(item.get("bundle_selection_qty", 1) * parent_qty)
        if qtys.get(item["item_id"]) is not None:
            qty = qtys[item["item_id"]]
        elif not qtys:
            qty = self.qty_to_refund(order, item)
        else:
            return 0.0
        if item["item_id"] in limits:
            qty = min(qty, limits[item["item_id"]])
        return float(qty)

    def _processed_qty(self, order, item, qty):
        """``Creditmemo\\Item::processQty`` (vendor/magento/module-sales/Model/Order/Creditmemo/Item.php:199-216):
        (int) unless is_qty_decimal, negatives to 0; more than is left to refund
        throws, with the item's name, while the totals are collected."""
        qty = float(qty) if item["is_qty_decimal"] else float(php_int(qty))
        qty = max(qty, 0.0)
        if qty > self.qty_to_refund(order, item) + 1e-9 and not self.is_dummy(order, item):
            raise WebapiError(400, MSG_REFUND_INVALID_QTY, [item["name"]])
        return qty

    def _collect_refund_totals(self, order, invoice, memo, shipping, request):
        """``Creditmemo::collectTotals`` (money.CreditmemoTotals, docs §8, §10).

        A collector's LocalizedException is a 400 with its ``%1`` value; the
        maximum shipping is formatted in the base currency
        (``Currency::format``). A PHP Error escapes as the bootstrap's 500.
        """
        rows = [
            {
                "item": line["item"],
                "qty": line["qty"],
                "processed": self._processed_qty(order, line["item"], line["qty"]),
            }
            for line in memo["lines"]
        ]
        collector = CreditmemoTotals(
            order,
            invoice,
            rows,
            shipping=shipping,
            given=request["shipping_amount"],
            adjustments=request,
            memos=self.order_creditmemos(order["entity_id"]),
            incl_tax=self.shipping_display_incl_tax,
            is_dummy=lambda item: self.is_dummy(order, item),
            left=lambda item: self.qty_to_refund(order, item),
        )
        try:
            totals = collector.collect()
        except MoneyError as err:
            if err.value is None:
                raise WebapiError(400, err.message) from None
            raise WebapiError(400, err.message, [format_price(err.value, order["base_currency_code"])]) from None
        for line, row in zip(memo["lines"], rows, strict=True):
            line.update({key: row[key] for key in DOCUMENT_LINE_AMOUNTS if key in row})
        memo.update(totals)

    # RefundOrder / RefundInvoice validators (docs §8 "Validation")
    def _validate_refund(self, order, invoice, memo, request):
        """Every validator's messages, merged in Magento's order into one 400
        (vendor/magento/module-sales/Model/Order/Validation/RefundOrder.php:66-103,
        Validation/RefundInvoice.php:75-122, ValidatorResultMerger.php)."""
        messages = self._order_refund_messages(order)
        messages += self._memo_quantity_messages(order, memo)
        messages += self._memo_totals_messages(order, memo)
        item_messages = [self._refund_item_message(order, item_id, qty) for item_id, qty in request["items"]]
        if invoice is not None:
            messages += self._invoice_refund_messages(order, invoice)
        messages += [message for message in item_messages if message]
        # module-sales-inventory's after-plugin adds its message last.
        stock_message = self._return_to_stock_message(memo, request["return_to_stock_items"])
        if stock_message:
            messages.append(stock_message)
        if messages:
            # RefundOrder.php:183-196: concatenated before the Phrase: no parameters.
            raise WebapiError(400, MSG_REFUND_VALIDATION + "\n".join(messages))

    def _order_refund_messages(self, order):
        """vendor/magento/module-sales/Model/Order/Validation/CanRefund.php:44-81.

        Its ``!abs(round(paid) - refunded) < .0001`` reads, by PHP's precedence,
        "not exactly equal"; with 4-decimal amounts that is a difference of 0.0001.
        """
        if order["state"] in REFUND_BLOCKING_STATES:
            return [render(MSG_REFUND_BAD_STATE, order["status"])]
        paid = order.get("total_paid") or 0
        left = php_round(paid) - (order.get("total_refunded") or 0)
        if abs(left) < 0.0001 and not (paid == 0 and self.allow_zero_grandtotal):
            return [MSG_CANNOT_REFUND]
        return []

    def _memo_quantity_messages(self, order, memo):
        """vendor/magento/module-sales/Model/Order/Creditmemo/Validation/QuantityValidator.php:62-152.

        Every line of the memo, 0 included: a fractional qty of a whole-unit
        item (with its SKU here), more than is left; then the grand total.
        """
        messages = []
        limits = self._invoice_refund_limits(self.invoices[memo["invoice_id"]]) if memo["invoice_id"] else {}
        total_qty = 0.0
        for line in memo["lines"]:
            item, qty = line["item"], line["qty"]
            if not item["is_qty_decimal"] and math.floor(qty) != qty:
                messages.append(render(MSG_REFUND_INVALID_QTY, item["sku"]))
            elif not self._memo_line_refundable(order, item, qty, limits) or not (
                qty <= self.qty_to_refund(order, item) + 1e-9 or self.is_dummy(order, item)
            ):
                messages.append(render(MSG_OVER_UNREFUNDED_SKU, item["sku"]))
            else:
                total_qty += qty
        if memo["grand_total"] <= 0 and not self.allow_zero_grandtotal:
            messages.append(MSG_NOT_POSITIVE)
        # canRefundShipping's "!abs(...) < .0001" means, by PHP's precedence, "not exactly equal".
        elif total_qty < 0 and abs(php_round(order["shipping_amount"]) - (order.get("shipping_refunded") or 0)) == 0:
            messages.append(MSG_REFUND_NO_PRODUCTS)
        return messages

    def _memo_line_refundable(self, order, item, qty, limits):
        """QuantityValidator::canRefundItem: a dummy line needs a qty above 0."""
        if not self.is_dummy(order, item):
            return self._can_refund_real_item(order, item, limits)
        return bool(self._children(order, item) or item.get("parent_item_id")) and qty > 0

    @staticmethod
    def _memo_totals_messages(order, memo):
        """vendor/magento/module-sales/Model/Order/Creditmemo/Validation/TotalsValidator.php:34-51:
        the base amounts; the amount left is shown as PHP prints a float."""
        refunded = order.get("base_total_refunded") or 0
        paid = order.get("base_total_paid") or 0
        if php_round(refunded + memo["base_grand_total"]) > php_round(paid):
            return [render(MSG_MOST_MONEY, float(paid - refunded))]
        return []

    def _refund_item_message(self, order, item_id, qty):
        """vendor/magento/module-sales/Model/Order/Creditmemo/Item/Validation/CreationQuantityValidator.php:46-89.

        A missing (or 0) ``order_item_id`` makes ``ItemRepository::get`` throw
        its InputException, which escapes as a 400 of its own
        (vendor/magento/module-sales/Model/Order/ItemRepository.php:96-99).
        """
        if not item_id:
            raise WebapiError(400, MSG_ID_NEEDED)
        owner, item = self._find_item(item_id)
        if item is None or owner["entity_id"] != order["entity_id"]:
            return MSG_ITEM_NOT_IN_ORDER
        item = self._item(order, item_id)  # this request's copy of the order
        if self.is_dummy(order, item):
            return MSG_ITEM_DUMMY
        if qty is not None and qty > self.qty_to_refund(order, item) + 1e-9:
            return MSG_OVER_UNREFUNDED
        return None

    def _invoice_refund_messages(self, order, invoice):
        """vendor/magento/module-sales/Model/Order/Invoice/Validation/CanRefund.php:55-128.

        A paid invoice with something left, whose method is ``free`` or can
        refund: offline methods cannot (module-payment
        Model/Method/AbstractMethod.php:100), whatever ``isOnline`` says. A
        gateway refunds partially while the payment has more paid than
        refunded, or in full while the invoice was never refunded offline.
        """
        payment = order["payment"]
        left = abs(invoice["base_grand_total"] - (invoice.get("base_total_refunded") or 0)) >= 0.0001
        if payment["method"] == "free":
            allowed = True
        elif payment["method"] in OFFLINE_METHODS:
            allowed = False
        else:
            partial = (payment.get("amount_paid") or 0) > (payment.get("amount_refunded") or 0)
            allowed = partial or not invoice.get("is_used_for_refund")
        if invoice["state"] == 2 and (left or self.allow_zero_grandtotal) and allowed:
            return []
        return [MSG_INVOICE_CANNOT_REFUND]

    def _return_to_stock_message(self, memo, stock_items):
        """vendor/magento/module-sales-inventory/Model/Order/ReturnValidator.php:38-54, the first
        problem only; an id of 0 makes ItemRepository::get throw, which escapes
        (Model/Plugin/Order/Validation/OrderRefundCreationArguments.php:49-71)."""
        for item_id in stock_items or ():
            if not item_id:
                raise WebapiError(400, MSG_ID_NEEDED)
            _owner, item = self._find_item(item_id)
            if item is None:
                return MSG_STOCK_NOT_IN_ORDER
            if not any(line["item"]["item_id"] == item_id for line in memo["lines"]):
                return render(MSG_STOCK_NOT_IN_MEMO, item["sku"])
        return None

    # Saving (RefundAdapter -> Creditmemo\RefundOperation, Payment::refund)
    def _refund_operation(self, draft, online):
        """Apply the memo to this request's copy of the order (and invoice).

        vendor/magento/module-sales/Model/Order/Creditmemo/RefundOperation.php:42-120:
        lines above 0 raise their order line's ``qty_refunded`` (the others
        are not saved), the memo raises the order's ``*_refunded`` totals.
        Payment::refund: online, a gateway refunds the invoice's capture
        transaction; without one it fails, and RefundInvoice answers
        ``Could not save a Creditmemo…`` (RefundInvoice.php:163-188).
        """
        order, invoice, memo, writes = draft["order"], draft["invoice"], draft["memo"], draft["writes"]
        method = order["payment"]["method"]
        refunds_online = online and invoice is not None and method not in OFFLINE_METHODS
        if refunds_online:
            if not invoice.get("transaction_id"):
                raise WebapiError(400, MSG_COULD_NOT_REFUND)
            memo["transaction_id"] = f"{invoice['transaction_id']}-refund"
        for line in memo["lines"]:
            if line["qty"] > 0:
                item = line["item"]
                # Creditmemo/Item::register (Creditmemo/Item.php:171-192).
                amounts = {"qty_refunded": self._processed_qty(order, item, line["qty"])}
                for prefix in ("", "base_"):
                    amounts[prefix + "tax_refunded"] = line.get(prefix + "tax_amount") or 0
                    amounts[prefix + "discount_tax_compensation_refunded"] = (
                        line.get(prefix + "discount_tax_compensation_amount") or 0
                    )
                    amounts[prefix + "amount_refunded"] = line.get(prefix + "row_total") or 0
                    amounts[prefix + "discount_refunded"] = line.get(prefix + "discount_amount") or 0
                _write(writes, item, **_raised(item, **amounts))
        _write(
            writes,
            order,
            total_refunded=number(php_round((order.get("total_refunded") or 0) + memo["grand_total"])),
            base_total_refunded=number(php_round((order.get("base_total_refunded") or 0) + memo["base_grand_total"])),
        )
        channel = "online" if online else "offline"
        for prefix in ("", "base_"):
            raised = _raised(
                order,
                **{
                    prefix + "subtotal_refunded": memo[prefix + "subtotal"],
                    prefix + "tax_refunded": memo[prefix + "tax_amount"],
                    prefix + "discount_tax_compensation_refunded": memo[prefix + "discount_tax_compensation_amount"],
                    prefix + "shipping_refunded": memo[prefix + "shipping_amount"],
                    prefix + "shipping_tax_refunded": memo[prefix + "shipping_tax_amount"],
                    # The memo's discount is negative, and so the order's discount_refunded.
                    prefix + "discount_refunded": memo[prefix + "discount_amount"],
                    prefix + "adjustment_positive": memo[prefix + "adjustment_positive"] or 0,
                    prefix + "adjustment_negative": memo[prefix + "adjustment_negative"] or 0,
                    f"{prefix}total_{channel}_refunded": memo[prefix + "grand_total"],
                },
            )
            _write(writes, order, **raised)
        paid_back = {
            "amount_refunded": memo["grand_total"],
            "base_amount_refunded": memo["base_grand_total"],
            "shipping_refunded": memo["shipping_amount"],
            "base_shipping_refunded": memo["base_shipping_amount"],
        }
        if refunds_online:
            paid_back["base_amount_refunded_online"] = memo["base_grand_total"]
        _write(writes, order["payment"], **_raised(order["payment"], **paid_back))
        if invoice is not None and not online:
            # RefundInvoice.php:170-175: an offline refund marks the invoice.
            raised = _raised(invoice, base_total_refunded=memo["base_grand_total"])
            _write(writes, invoice, is_used_for_refund=1, **raised)

    def _commit_refund(self, draft, keep_status):
        """Save the memo, and into the store's order and invoice the fields this request set.

        State: the order route keeps a status of the new state, the invoice
        route sets the state's default (RefundOrder.php:198-210,
        RefundInvoice.php:165-169); state and status are written only when
        they change (AbstractDb::prepareDataForUpdate leaves out a value
        identical to the one loaded).
        """
        order, writes = draft["order"], draft["writes"]
        state = self._state_for_order(order)
        status = order["status"]
        if not (keep_status and status in STATE_STATUSES[state]):
            status = STATE_STATUSES[state][0]
        changed = {key: value for key, value in (("state", state), ("status", status)) if order[key] != value}
        _write(writes, order, updated_at=now(), **changed)
        for record, key, value in writes:
            draft["live"][id(record)][key] = value
        record = self._creditmemo_record(order, draft["memo"], draft["request"])
        self.creditmemos[record["entity_id"]] = record
        return record

    def _creditmemo_record(self, order, memo, request):
        """The saved memo, shaped like ``GET /V1/creditmemo/{id}``: state 2
        (refunded), its lines above 0, the creation comment (docs §8)."""
        memo_id = next(self._ids["creditmemo"])
        items = []
        for line in memo["lines"]:
            if line["qty"] <= 0:
                continue
            order_item = line["item"]
            record = {
                "entity_id": next(self._ids["creditmemo_item"]),
                "parent_id": memo_id,
                "order_item_id": order_item["item_id"],
                "product_id": order_item["product_id"],
                "sku": order_item["sku"],
                "name": order_item["name"],
                "qty": number(line["qty"]),
            }
            for key in ("price", "base_price", "price_incl_tax", "base_price_incl_tax"):
                record[key] = order_item.get(key)
            # What no collector set (a dummy's row, Creditmemo/Total/Subtotal.php:22-28;
            # an undiscounted line's discount) is null, left out.
            for key in DOCUMENT_LINE_AMOUNTS:
                record[key] = money(line.get(key))
            items.append(record)
        comment = request["comment"]
        record = {
            "entity_id": memo_id,
            "increment_id": f"{memo_id:09d}",
            "order_id": order["entity_id"],
            "invoice_id": memo["invoice_id"],
            "store_id": order["store_id"],
            "state": 2,  # RefundOrder.php:198 / RefundInvoice.php:165: STATE_REFUNDED
            **{key: order[key] for key in CURRENCY_FIELDS},
            **{key: money(memo[key]) for key in CREDITMEMO_TOTALS},
            # Only getters of Api/Data/CreditmemoInterface.php are shown: no send_email
            # or customer_note*; email_sent once the e-mail went out, else null.
            "email_sent": 1 if request["notify"] else None,
            "transaction_id": memo.get("transaction_id"),
            "created_at": now(),
            "updated_at": now(),
            "items": items,
            "comments": []
            if comment is None
            else [self._comment(comment, memo_id, request["notify"], request["append_comment"])],
            "extension_attributes": {},
        }
        return record

    def _notify_refund(self, memo, request):
        """The customer's e-mail (``notify``), recorded in ``creditmemo_emails`` (docs §8)."""
        if request["notify"]:
            order = self.orders[memo["order_id"]]
            self.creditmemo_emails.append((memo["increment_id"], order["customer_email"]))

    # ------------------------------------------------- search criteria
    def search(self, collection, criteria, input_limits=False):
        """``getList`` over ``orders``, ``invoices`` or ``creditmemos`` with Magento's criteria (§6)."""
        if criteria is None:
            raise WebapiError(400, MSG_REQUIRED, {"fieldName": "searchCriteria"})
        page_size = criteria.get("page_size")
        limit = limits(input_limits)
        if limit:
            page_size = page_size or limit["default_page_size"]
            if page_size > limit["max_page_size"]:
                raise WebapiError(400, MSG_PAGE_SIZE, {"max": limit["max_page_size"]})
        with self._lock:
            records = list(getattr(self, collection).values())
        for group in criteria["filter_groups"]:
            records = [r for r in records if any(_matches(r, f) for f in group)]
        for sort in reversed(criteria.get("sort_orders") or []):
            records.sort(key=lambda r, s=sort: _sort_key(r.get(s["field"])), reverse=sort["direction"] == "DESC")
        total = len(records)
        current_page = criteria.get("current_page") or 1
        if page_size:
            records = records[(current_page - 1) * page_size : current_page * page_size]
        shown = {"filter_groups": [{"filters": group} for group in criteria["filter_groups"]]}
        if criteria.get("sort_orders"):
            shown["sort_orders"] = criteria["sort_orders"]
        if criteria.get("page_size"):
            shown["page_size"] = criteria["page_size"]
        if criteria.get("current_page"):
            shown["current_page"] = criteria["current_page"]
        return {"items": records, "search_criteria": shown, "total_count": total}


class UnknownProperty(Exception):
    """A nested property Magento has no accessor for (a 500 in production)."""


# The order line's money the tax calculation sets (money.tax_order).
MONEY_ITEM_FIELDS = tuple(
    prefix + name
    for name in ("price", "row_total", "tax_amount", "price_incl_tax", "row_total_incl_tax")
    for prefix in ("", "base_")
)
# An invoice's totals (Api/Data/InvoiceInterface.php), null when no collector set them.
INVOICE_TOTALS = tuple(
    prefix + name
    for name in (
        "subtotal",
        "subtotal_incl_tax",
        "discount_amount",
        "shipping_amount",
        "shipping_incl_tax",
        "shipping_tax_amount",
        "tax_amount",
        "discount_tax_compensation_amount",
        "grand_total",
    )
    for prefix in ("", "base_")
)
# A document line's amounts (Api/Data/InvoiceItemInterface.php, CreditmemoItemInterface.php).
DOCUMENT_LINE_AMOUNTS = tuple(
    prefix + name
    for name in (
        "row_total",
        "row_total_incl_tax",
        "tax_amount",
        "discount_amount",
        "discount_tax_compensation_amount",
    )
    for prefix in ("", "base_")
)
# A credit memo's copy of its order's currencies, and its totals (Api/Data/CreditmemoInterface.php).
CURRENCY_FIELDS = (
    "order_currency_code",
    "base_currency_code",
    "global_currency_code",
    "base_to_order_rate",
    "base_to_global_rate",
)
CREDITMEMO_TOTALS = tuple(
    prefix + name
    for name in (
        "subtotal",
        "subtotal_incl_tax",
        "discount_amount",
        "shipping_amount",
        "shipping_incl_tax",
        "shipping_tax_amount",
        "tax_amount",
        "discount_tax_compensation_amount",
        "adjustment_positive",
        "adjustment_negative",
        "adjustment",
        "grand_total",
    )
    for prefix in ("", "base_")
)


def money(value):
    """An amount as stored, or None for a null column (omitted on output)."""
    return None if value is None else number(value)


def _raised(record, **amounts):
    """Totals raised by amounts; a still-null (nullable) column counts as 0."""
    return {field: number((record.get(field) or 0) + amount) for field, amount in amounts.items()}


def _write(writes, record, **values):
    """Set fields on a request's copy of a record and note them for its save.

    The save writes each of them from that copy, even when another request
    changed the record since it was read: ``AbstractDb::prepareDataForUpdate``
    (vendor/magento/framework/Model/ResourceModel/Db/AbstractDb.php) leaves
    out only values identical (``===``) to the loaded strings, so every
    total a refund recomputes is written.
    """
    for key, value in values.items():
        record[key] = value
        writes.append((record, key, value))


def _sort_key(value):
    if isinstance(value, int | float):
        return (0, value, "")
    return (1, 0, str(value or ""))


def _matches(record, flt):
    value = record.get(flt["field"])
    wanted = flt["value"]
    condition = flt.get("condition_type", "eq")
    if condition == "in":
        return str(value) in [v.strip() for v in str(wanted).split(",")]
    if condition == "nin":
        return str(value) not in [v.strip() for v in str(wanted).split(",")]
    if condition == "like":
        pattern = str(wanted).replace("%", "")
        return pattern.lower() in str(value or "").lower()
    if condition in ("null", "notnull"):
        return (value is None) == (condition == "null")
    left, right = _comparable(value, wanted)
    if condition == "eq":
        return left == right
    if condition == "neq":
        return left != right
    if condition == "gt":
        return left is not None and left > right
    if condition == "gteq":
        return left is not None and left >= right
    if condition == "lt":
        return left is not None and left < right
    if condition == "lteq":
        return left is not None and left <= right
    raise WebapiError(400, 'Invalid condition type "%1"', [condition])


def _comparable(value, wanted):
    # MySQL compares a number column with a string value numerically.
    if isinstance(value, int | float) and not isinstance(value, bool) and is_numeric(wanted):
        return float(value), float(wanted)
    return (None if value is None else str(value)), str(wanted)
