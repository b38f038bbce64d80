"""The state of a simulated Magento 2 store and its sales rules.

This module is the double's "business logic": orders, their items and the
invoice pipeline of ``Magento\\Sales\\Model\\InvoiceOrder`` and
``Service\\InvoiceService``, after ``docs/magento-behaviour.md`` (§5-§7). Every refusal is a
:class:`WebapiError` carrying Magento's raw message, its ``parameters`` and the
HTTP status Magento's ``ErrorProcessor`` would use.
"""

import datetime
import itertools
import threading

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

# Order states in which CanInvoice refuses outright.
BLOCKING_STATES = {"payment_review", "holded", "canceled", "complete", "closed"}
VIRTUAL_TYPES = {"virtual", "downloadable"}
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
    """Orders and invoices of one Magento instance (all store views)."""

    def __init__(self):
        self._lock = threading.RLock()
        self._order_locks = {}
        self._ids = {
            "order": itertools.count(1),
            "item": itertools.count(1),
            "invoice": itertools.count(1),
            "invoice_item": itertools.count(1),
            "comment": itertools.count(1),
            "product": itertools.count(1),
        }
        self.orders = {}
        self.invoices = {}
        self.emails = []  # customer emails Magento "sent": (invoice increment id, email)
        self.products = {}  # sku -> product id

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
        state="new",
        status="pending",
        currency="USD",
        store_id=1,
        customer_email="roni_cost@example.com",
        customer_firstname="Veronica",
        customer_lastname="Costello",
        shipping_amount=0.0,
        created_at=None,
        invoiced=False,
    ):
        """Create an order; return it (a dict shaped like ``GET /V1/orders/{id}``).

        Each item spec is a dict: ``sku``, ``name``, ``qty``, ``price``, and
        optionally ``type`` (``simple`` by default, ``virtual``,
        ``configurable`` with ``child_sku``, or ``bundle`` with ``children``: a
        list of ``{sku, name, qty, price}`` for a dynamic-price bundle whose
        ``qty`` is the quantity per bundle, and ``sku_type`` ``dynamic`` (the
        default) or ``fixed``) and ``is_qty_decimal``. ``invoiced=True``
        invoices the whole order in Magento at once, with no comment, as a
        payment gateway in Authorize and Capture mode does at checkout.
        """
        with self._lock:
            entity_id = next(self._ids["order"])
            order = {
                "entity_id": entity_id,
                "increment_id": increment_id or f"{entity_id:09d}",
                "state": state,
                "status": status,
                "store_id": store_id,
                "order_currency_code": currency,
                "base_currency_code": currency,
                "global_currency_code": currency,
                "customer_email": customer_email,
                "customer_firstname": customer_firstname,
                "customer_lastname": customer_lastname,
                "customer_is_guest": 0,
                "created_at": created_at or now(),
                "updated_at": created_at or now(),
                "shipping_amount": number(shipping_amount),
                "base_shipping_amount": number(shipping_amount),
                "total_invoiced": 0,
                "total_paid": 0,
                "items": [],
                "payment": {
                    "method": payment_method,
                    "account_status": None,
                    "additional_information": [],
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
                "extension_attributes": {},
            }
            for spec in items:
                self._add_items(order, spec)
            subtotal = sum(item["row_total"] for item in order["items"] if not self.is_dummy(order, item))
            order["subtotal"] = number(subtotal)
            order["base_subtotal"] = number(subtotal)
            order["grand_total"] = number(subtotal + shipping_amount)
            order["base_grand_total"] = order["grand_total"]
            order["total_due"] = order["grand_total"]
            order["total_qty_ordered"] = number(
                sum(i["qty_ordered"] for i in order["items"] if not i.get("parent_item_id"))
            )
            self.orders[entity_id] = order
            self._order_locks[entity_id] = threading.Lock()
        if invoiced:
            self.invoice_order(entity_id, {"capture": True})
        return order

    def _new_item(self, order, sku, name, qty, price, product_type, parent=None, is_qty_decimal=False):
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
            "base_price": number(price),
            "original_price": number(price),
            "row_total": number(price * qty),
            "base_row_total": number(price * qty),
            "row_invoiced": 0,
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
        if kind == "configurable":
            # The parent carries the child's SKU, the qty and the price; the
            # child simple is a price-0 dummy.
            child_sku = spec.get("child_sku") or spec["sku"] + "-child"
            parent = self._new_item(
                order, child_sku, spec["name"], qty, spec["price"], "configurable", is_qty_decimal=decimal
            )
            parent["product_id"] = self._product_id(spec["sku"])
            self._new_item(order, child_sku, spec.get("child_name", spec["name"]), qty, 0, "simple", parent)
        elif kind == "bundle":
            children = spec["children"]
            price = sum(c["price"] * c.get("qty", 1) for c in children)
            # A dynamic SKU (Magento's default) joins the bundle's SKU and its
            # selections' (Bundle\\Model\\Product\\Type::getSku, docs/magento-behaviour.md §7);
            # the item's product_id stays the bundle's.
            sku = spec["sku"]
            if spec.get("sku_type", "dynamic") == "dynamic":
                sku = "-".join([spec["sku"], *(c["sku"] for c in children)])
            parent = self._new_item(order, sku, spec["name"], qty, price, "bundle")
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
                )
                item["bundle_selection_qty"] = number(child.get("qty", 1))
        else:
            self._new_item(order, spec["sku"], spec["name"], qty, spec["price"], kind, is_qty_decimal=decimal)
        # A child item carries a nested copy of its parent, as Magento's API does.
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
        invoice_id = self.parse_id(raw_id)
        with self._lock:
            invoice = self.invoices.get(invoice_id)
            if invoice is None:
                raise WebapiError(404, MSG_NOT_FOUND)
            return invoice

    def order_invoices(self, order_id):
        with self._lock:
            return [inv for inv in self.invoices.values() if inv["order_id"] == order_id]

    # ------------------------------------------------- invoice creation
    def invoice_order(self, raw_order_id, body, input_limits=False):
        """``POST /V1/order/{orderId}/invoice``: return the new invoice's entity id."""
        order_id = self.parse_id(raw_order_id)
        limit = limits(input_limits)
        items = (body or {}).get("items") if isinstance(body, dict) else None
        if limit and isinstance(items, list) and len(items) > limit["array"]:
            # The input processor refuses a longer array before the service runs (§4).
            raise WebapiError(400, MSG_ARRAY_LIMIT, {"type": INVOICE_ITEM_TYPE, "max": limit["array"]})
        requested, notify, capture, append_comment, comment = self._parse_invoice_body(body)
        with self._lock:
            if order_id not in self.orders:
                raise WebapiError(404, MSG_NOT_FOUND)
            order_lock = self._order_locks[order_id]
        # OrderMutex: one invoice creation per order at a time.
        with order_lock:
            order = self.orders[order_id]
            lines, total_qty = self._prepare_invoice(order, requested)
            self._validate(order, total_qty)
            return self._save_invoice(order, lines, total_qty, notify, capture, append_comment, comment)

    def _parse_invoice_body(self, body):
        if not isinstance(body, dict):
            raise WebapiError(400, "Decoding error.")
        items = body.get("items") or []
        if not isinstance(items, list):
            raise type_error(items, "array")
        requested = {}
        for entry in items:
            if not isinstance(entry, dict):
                raise type_error(entry, "object", "items")
            unknown = set(entry) - {"order_item_id", "qty", "extension_attributes"}
            if unknown:
                # Magento's object builder has no setter for it: a LogicException,
                # shown as a 500 in production mode.
                raise UnknownProperty(sorted(unknown)[0])
            for field in ("order_item_id", "qty"):
                if field not in entry:
                    raise WebapiError(400, MSG_REQUIRED, {"fieldName": field})
                if not is_numeric(entry[field]):
                    raise type_error(entry[field], "int" if field == "order_item_id" else "float", field)
            item_id = int(float(entry["order_item_id"]))
            # InvoiceDocumentFactory keys the items by order item: a repeated id
            # overwrites the earlier one, it is not added (docs/magento-behaviour.md §5).
            requested[item_id] = float(entry["qty"])
        comment = body.get("comment")
        if comment is not None:
            if not isinstance(comment, dict):
                raise type_error(comment, "object", "comment")
            unknown = set(comment) - {"comment", "is_visible_on_front", "extension_attributes"}
            if unknown:
                raise UnknownProperty(sorted(unknown)[0])
            visible = comment.get("is_visible_on_front", 0)
            if not is_numeric(visible):
                value = "1" if visible is True else ("" if visible is False else str(visible))
                raise type_error(value, "int", "is_visible_on_front")
        append = body.get("appendComment", body.get("append_comment", False))
        return requested, to_bool(body.get("notify")), to_bool(body.get("capture")), to_bool(append), comment

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
        with self._lock:
            invoice_id = next(self._ids["invoice"])
            first = not any(inv["order_id"] == order["entity_id"] for inv in self.invoices.values())
            items = []
            subtotal = 0.0
            for order_item in order["items"]:
                qty = lines.get(order_item["item_id"], 0.0)
                if qty <= 0:
                    continue  # PayOperation drops qty<=0 lines before save
                # Dummy lines (a dynamic bundle's parent, a configurable's child)
                # carry no row total: their real lines do.
                row_total = 0.0 if self.is_dummy(order, order_item) else order_item["price"] * qty
                subtotal += row_total
                items.append(
                    {
                        "entity_id": next(self._ids["invoice_item"]),
                        "parent_id": invoice_id,
                        "order_item_id": order_item["item_id"],
                        "product_id": order_item["product_id"],
                        "sku": order_item["sku"],
                        "name": order_item["name"],
                        "qty": number(qty),
                        "price": order_item["price"],
                        "base_price": order_item["price"],
                        "row_total": number(row_total),
                        "base_row_total": number(row_total),
                    }
                )
                order_item["qty_invoiced"] = number(order_item["qty_invoiced"] + qty)
                order_item["row_invoiced"] = number(order_item["row_invoiced"] + row_total)
            shipping = order["shipping_amount"] if first else 0
            grand_total = subtotal + shipping
            invoice = {
                "entity_id": invoice_id,
                "increment_id": f"{invoice_id:09d}",
                "order_id": order["entity_id"],
                "store_id": order["store_id"],
                "state": 2,  # PayOperation marks every new invoice paid
                "order_currency_code": order["order_currency_code"],
                "base_currency_code": order["base_currency_code"],
                "global_currency_code": order["global_currency_code"],
                "subtotal": number(subtotal),
                "base_subtotal": number(subtotal),
                "shipping_amount": number(shipping),
                "base_shipping_amount": number(shipping),
                "tax_amount": 0,
                "base_tax_amount": 0,
                "discount_amount": 0,
                "grand_total": number(grand_total),
                "base_grand_total": number(grand_total),
                "total_qty": number(total_qty),
                "can_void_flag": 0,
                "email_sent": 1 if notify else 0,
                "send_email": 1 if notify else 0,
                "is_used_for_refund": 0,
                "created_at": now(),
                "updated_at": now(),
                "items": items,
                "comments": [],
                "extension_attributes": {},
            }
            if capture:
                invoice["requested_capture_case"] = "online"
            if comment is not None:
                invoice["comments"].append(
                    {
                        "entity_id": next(self._ids["comment"]),
                        "parent_id": invoice_id,
                        "comment": comment.get("comment") or "",
                        "is_visible_on_front": int(float(comment.get("is_visible_on_front") or 0)),
                        "is_customer_notified": 1 if (notify and append_comment) else 0,
                        "created_at": now(),
                    }
                )
            self.invoices[invoice_id] = invoice
            order["total_invoiced"] = number(order["total_invoiced"] + grand_total)
            order["base_total_invoiced"] = order["total_invoiced"]
            order["total_paid"] = number(order["total_paid"] + grand_total)
            order["total_due"] = number(order["grand_total"] - order["total_paid"])
            # StateResolver: new goes to processing, pending_payment back to new (§5).
            if order["state"] == "new":
                order["state"] = "processing"
                order["status"] = "processing"
            elif order["state"] == "pending_payment":
                order["state"] = "new"
                order["status"] = "pending"
            if not self._can_invoice(order) and not self._can_ship(order):
                order["state"] = "complete"
                order["status"] = "complete"
            order["updated_at"] = now()
            if notify:
                self.emails.append((invoice["increment_id"], order["customer_email"]))
            return invoice_id

    def _can_invoice(self, order):
        return any(self.qty_to_invoice(order, item) > 0 for item in order["items"])

    def _can_ship(self, order):
        return any(
            not item["is_virtual"]
            and not self.is_dummy(order, item)
            and item["qty_ordered"] - item["qty_shipped"] - item["qty_refunded"] - item["qty_canceled"] > 0
            for item in order["items"]
        )

    # ------------------------------------------------- search criteria
    def search(self, collection, criteria, input_limits=False):
        """``getList`` over ``orders`` or ``invoices`` with Magento's criteria."""
        if criteria is None:
            raise WebapiError(400, MSG_REQUIRED, {"fieldName": "searchCriteria"})
        page_size = criteria.get("page_size")
        limit = limits(input_limits)
        if limit:
            page_size = page_size or limit["default_page_size"]
            if page_size > limit["max_page_size"]:
                raise WebapiError(400, MSG_PAGE_SIZE, {"max": limit["max_page_size"]})
        with self._lock:
            records = list(self.orders.values() if collection == "orders" else self.invoices.values())
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
