"""The REST calls the addon makes, as methods of :class:`MagentoCalls`, the
client's mixin: orders, invoices, credit memos, store views, and Test
Connection's probes. Transport, signing and errors are in :mod:`.client`."""

import json
import re

from .errors import (
    MagentoAuthError,
    MagentoError,
    MagentoNotFoundError,
    MagentoProtocolError,
    MagentoStoreCodeError,
    MagentoValidationError,
    foreign_excerpt,
)

# What a signed query may hold so that every Magento 2.4.4+ verifies it
# (docs/magento-behaviour.md §2): 2.4.4-2.4.6 read a "+" literally and 2.4.7+
# encode each value once more, so values keep to RFC 3986's unreserved set;
# Magento sorts the signed keys in natural order where RFC 5849 clients sort
# bytes, which agree while every index is a single digit.
UNRESERVED = re.compile(r"^[A-Za-z0-9._~-]*$")

MAX_FILTERS = 10

# Orders asked for by number in one request (one filter each, OR-ed).
NUMBERS_PER_REQUEST = MAX_FILTERS


def search_criteria(filters=(), page_size=None, current_page=None, sort_orders=()):
    """Build Magento ``searchCriteria`` query parameters.

    ``filters`` is a list of filter groups (AND-ed); each group is a list of
    ``(field, value, condition_type)`` tuples (OR-ed). ``sort_orders`` is a
    list of ``(field, "ASC"|"DESC")``. Raises ValueError for what a Magento
    shop could not verify once signed (see :data:`UNRESERVED`).
    """
    params = {}
    if len(filters) > MAX_FILTERS or any(len(group) > MAX_FILTERS for group in filters):
        raise ValueError(f"At most {MAX_FILTERS} filter groups of {MAX_FILTERS} filters each can be signed.")
    for group_index, group in enumerate(filters):
        for filter_index, (field, value, condition) in enumerate(group):
            prefix = f"searchCriteria[filterGroups][{group_index}][filters][{filter_index}]"
            params[f"{prefix}[field]"] = field
            params[f"{prefix}[value]"] = value
            params[f"{prefix}[conditionType]"] = condition or "eq"
    for index, (field, direction) in enumerate(sort_orders):
        params[f"searchCriteria[sortOrders][{index}][field]"] = field
        params[f"searchCriteria[sortOrders][{index}][direction]"] = direction
    if page_size is not None:
        params["searchCriteria[pageSize]"] = page_size
    if current_page is not None:
        params["searchCriteria[currentPage]"] = current_page
    if not params:
        # Magento refuses a list call without any searchCriteria at all.
        params["searchCriteria"] = ""
    for key, value in params.items():
        if not UNRESERVED.match(str(value)):
            raise ValueError(
                f"{value!r} cannot be sent to Magento in a search: only letters, digits and - . _ ~ "
                f"are accepted by every Magento version ({key})."
            )
    return params


class MagentoCalls:
    """The calls, over :meth:`MagentoClient.request`."""

    # -------------------------------------------------------------- calls
    def get_order(self, order_id):
        return self.request("GET", f"V1/orders/{int(order_id)}")

    def search_orders(self, filters=(), page_size=None, current_page=None, sort_orders=()):
        return self._search("V1/orders", filters, page_size, current_page, sort_orders)

    def iter_orders(self, numbers=None, created_since=None, store_id=None, page_size=100, updated_since=None):
        """Yield pages (lists) of orders by number, or created at or after ``created_since``.

        ``created_since`` is a ``"YYYY-MM-DD HH:MM:SS"`` UTC string: Magento is
        asked from that day on (a time would not survive signing on every
        version) and the earlier orders of that day are dropped here. Numbers
        go :data:`NUMBERS_PER_REQUEST` at a time. ``store_id`` keeps one store
        view's orders (Magento ignores the store code for this). Pages follow
        ``entity_id`` so that none is skipped or seen twice.
        """
        scope = [[("store_id", int(store_id), "eq")]] if store_id is not None else []
        if numbers is not None:
            numbers = list(numbers)
            searches = [
                [[("increment_id", number, "eq") for number in numbers[i : i + NUMBERS_PER_REQUEST]]] + scope
                for i in range(0, len(numbers), NUMBERS_PER_REQUEST)
            ]
        elif created_since or updated_since:
            field, since = ("created_at", created_since) if created_since else ("updated_at", updated_since)
            searches = [[[(field, str(since)[:10], "gteq")]] + scope]
        else:
            raise ValueError("Give order numbers or a date.")
        for filters in searches:
            page = 1
            while True:
                result = self.search_orders(filters, page_size, page, sort_orders=[("entity_id", "ASC")])
                orders = result.get("items") or []
                if numbers is None:
                    orders = [o for o in orders if str(o.get(field) or "") >= str(since)]
                yield orders
                if len(result.get("items") or []) < page_size or page * page_size >= result.get("total_count", 0):
                    break
                page += 1

    def get_store_views(self):
        """``GET /V1/store/storeViews``: every store view with its id and code.
        Asked once per client (Test Connection's probe, then the store view's id)."""
        if getattr(self, "_store_views", None) is None:
            self._store_views = self.request("GET", "V1/store/storeViews", route_always_exists=True)
        return self._store_views

    def _search(self, path, filters, page_size, current_page, sort_orders):
        """A Magento list route with its ``searchCriteria``."""
        params = search_criteria(filters, page_size, current_page, sort_orders)
        try:
            result = self.request("GET", path, params=params, route_always_exists=True)
        except MagentoAuthError as error:
            if error.credential == "oauth_token" and self._store_code_unknown(path, params):
                raise MagentoStoreCodeError(
                    f"Magento has no store view with the REST store code {self.store_code!r}.",
                    status=error.status,
                    magento_message=error.magento_message,
                    raw_message=error.raw_message,
                    response_body=error.response_body,
                    method="GET",
                    url=error.url,
                ) from None
            raise
        if not isinstance(result, dict) or not isinstance(result.get("items"), list):
            # Magento's SearchResults always is an object with its items: JSON of
            # another shape is another server's (docs §9).
            error = MagentoProtocolError(
                f"The server at {self._host()} answered, but not with a Magento list. Check the shop base URL.",
                response_body=foreign_excerpt(json.dumps(result)),
                method="GET",
                url=self.url(path),
            )
            error.instance_fault = True
            raise error
        return result

    def _store_code_unknown(self, path, params):
        """Whether a parameterless 400 on a list call is the store code's.

        Magento answers one for a token of the wrong length and, before reading
        any credential, for an unknown store code (``RequestProcessorPool``:
        docs/magento-behaviour.md §1); their words are translated. The store
        code ``all`` always exists: asked there, the token's 400 comes again,
        the store code's does not.
        """
        if self.store_code == "all":
            return False
        try:
            self.request("GET", path, params=params, route_always_exists=True, store_code="all")
        except MagentoAuthError as again:
            return again.credential != "oauth_token"
        except MagentoError:
            return True
        return True

    def search_invoices(self, filters=(), page_size=None, current_page=None, sort_orders=()):
        return self._search("V1/invoices", filters, page_size, current_page, sort_orders)

    def get_order_invoices(self, order_id, page_size=100):
        """Every invoice Magento holds for one order (entity id), page after page."""
        return self._every_page(self.search_invoices, [[("order_id", int(order_id), "eq")]], page_size)

    def _every_page(self, search, filter_groups, page_size):
        # With input limits on, a list without a page size stops at the default.
        documents, page = [], 1
        while True:
            result = search(filter_groups, page_size, page, sort_orders=[("entity_id", "ASC")])
            items = result.get("items") or []
            documents += items
            if len(items) < page_size or page * page_size >= result.get("total_count", 0):
                return documents
            page += 1

    def documents_between(self, kind, low, high, page_size=200):
        """Magento's invoices (``kind`` ``invoices``) or credit memos
        (``creditmemos``) with an entity id from ``low`` to ``high``, page after
        page: one request tells the numbers of a whole batch just created.
        Two filter groups (AND) of digits only: a query every Magento version
        signs alike (docs/magento-behaviour.md §2)."""
        search = self.search_invoices if kind == "invoices" else self.search_creditmemos
        groups = [[("entity_id", int(low), "gteq")], [("entity_id", int(high), "lteq")]]
        return self._every_page(search, groups, page_size)

    def get_invoice(self, invoice_id):
        return self.request("GET", f"V1/invoices/{int(invoice_id)}")

    def create_invoice(
        self,
        order_id,
        items,
        *,
        notify=False,
        capture=False,
        comment=None,
        comment_visible_on_front=False,
        append_comment=False,
    ):
        """Create an invoice for ``order_id`` and return its entity id (int).

        ``items`` is a list of ``(order_item_id, qty)``. Magento answers with the
        id as a JSON string (``"42"``) in practice and an integer per its schema;
        both are accepted, anything else is a :class:`MagentoProtocolError`.
        """
        body = {
            "capture": bool(capture),
            "notify": bool(notify),
            "appendComment": bool(append_comment),
            "items": [{"order_item_id": int(item_id), "qty": float(qty)} for item_id, qty in items],
        }
        if comment:
            # Magento's TypeProcessor wants a number here: JSON true is refused.
            body["comment"] = {
                "comment": comment,
                "is_visible_on_front": 1 if comment_visible_on_front else 0,
            }
        path = f"V1/order/{int(order_id)}/invoice"
        result = self.request("POST", path, json_body=body)
        return parse_entity_id(result, method="POST", url=self.url(path))

    def search_creditmemos(self, filters=(), page_size=None, current_page=None, sort_orders=()):
        return self._search("V1/creditmemos", filters, page_size, current_page, sort_orders)

    def get_order_creditmemos(self, order_id, page_size=100):
        """Every credit memo Magento holds for one order (entity id), page after page."""
        return self._every_page(self.search_creditmemos, [[("order_id", int(order_id), "eq")]], page_size)

    def get_creditmemo(self, creditmemo_id):
        return self.request("GET", f"V1/creditmemo/{int(creditmemo_id)}")

    def create_creditmemo(
        self,
        items,
        *,
        order_id=None,
        invoice_id=None,
        online=False,
        notify=False,
        comment=None,
        shipping_amount=0.0,
        adjustment_positive=0.0,
        adjustment_negative=0.0,
        return_to_stock_items=(),
    ):
        """Refund ``items`` (``[(order_item_id, qty)]``); return the credit memo's entity id.

        Through the invoice (``invoice_id``, online when ``online``) or, offline,
        through the order (``order_id``). Amounts are in the order's base
        currency. The shipping amount is always sent: left out, Magento would
        refund all the shipping left (docs/magento-behaviour.md §8).
        """
        arguments = {
            "shipping_amount": float(shipping_amount),
            "adjustment_positive": float(adjustment_positive),
            "adjustment_negative": float(adjustment_negative),
        }
        if return_to_stock_items:
            arguments["extension_attributes"] = {"return_to_stock_items": [int(i) for i in return_to_stock_items]}
        body = {
            "items": [{"order_item_id": int(item_id), "qty": float(qty)} for item_id, qty in items],
            "notify": bool(notify),
            "appendComment": False,
            "arguments": arguments,
        }
        if comment:
            body["comment"] = {"comment": comment, "is_visible_on_front": 0}
        if invoice_id:
            body["isOnline"] = bool(online)
            path = f"V1/invoice/{int(invoice_id)}/refund"
        else:
            path = f"V1/order/{int(order_id)}/refund"
        result = self.request("POST", path, json_body=body)
        return parse_entity_id(result, method="POST", url=self.url(path))

    def check_resources(self):
        """``(invoice count, missing)``: each ACL resource the export and the
        import use, asked by a call that changes nothing; ``missing`` lists
        those Magento refused (``RESOURCE_PROBES`` order). Any other failure
        (address, credentials) is raised as the first call meets it."""
        count, refused = None, []
        for resource, method, path in RESOURCE_PROBES:
            try:
                if method == "POST":
                    self._probe_post(path)
                elif path == "V1/store/storeViews":
                    self.get_store_views()
                else:
                    result = self._search(path, (), 1, None, ())
                    if path == "V1/invoices":
                        count = self._invoice_count(result)
            except MagentoAuthError as error:
                if not refused_resource(error):
                    raise
                refused.append((resource, error))
        if len(refused) == len(RESOURCE_PROBES):
            # Refused everything: the token itself is not accepted (a bearer
            # token Magento does not know reads as a guest's, §2).
            raise refused[0][1]
        return count, [resource for resource, _error in refused]

    def _probe_post(self, path):
        """A POST for order or invoice 0, which no shop has: past the ACL check
        Magento refuses it (400 "An ID is needed"), creating nothing."""
        try:
            self.request("POST", path, json_body={})
        except (MagentoValidationError, MagentoNotFoundError):
            return

    def _invoice_count(self, result):
        if not isinstance(result, dict) or "total_count" not in result:
            error = MagentoProtocolError(
                f"The server at {self._host()} answered, but not with a Magento invoice list. Check the shop base URL.",
                response_body=foreign_excerpt(json.dumps(result)),
            )
            error.instance_fault = True
            raise error
        return result["total_count"]

    def test_connection(self):
        """Make a cheap authenticated call that the invoice export needs anyway.

        ``GET /V1/invoices`` with a page size of 1 proves the URL, the store
        code, the credentials and the ``Magento_Sales::sales_invoice`` right.
        Returns the number of invoices Magento reports.
        """
        return self._invoice_count(self.search_invoices(page_size=1))


# (ACL resource, method, path): what the runs use, each asked harmlessly.
# Invoices first: that call proves the address and the credentials.
RESOURCE_PROBES = (
    ("Magento_Sales::sales_invoice", "GET", "V1/invoices"),
    ("Magento_Sales::actions_view", "GET", "V1/orders"),
    ("Magento_Sales::invoice", "POST", "V1/order/0/invoice"),
    ("Magento_Sales::creditmemo", "POST", "V1/order/0/refund"),
    ("Magento_Sales::sales_creditmemo", "GET", "V1/creditmemos"),
    ("Magento_Backend::store", "GET", "V1/store/storeViews"),
)


def refused_resource(error):
    """A 401 "The consumer isn't authorized to access %resources.": the
    credentials are good, the integration lacks that resource (§1)."""
    return error.status == 401 and isinstance(error.parameters, dict) and "resources" in error.parameters


def parse_entity_id(value, method=None, url=None):
    """Accept Magento's invoice id as ``42`` or ``"42"``; refuse anything else."""
    if isinstance(value, bool):
        value = None
    if isinstance(value, int):
        entity_id = value
    elif isinstance(value, str) and value.strip().isdigit():
        entity_id = int(value.strip())
    else:
        entity_id = None
    if not entity_id or entity_id <= 0:
        error = MagentoProtocolError(
            f"Magento answered {foreign_excerpt(json.dumps(value))[:80]} where an invoice id was expected.",
            response_body=foreign_excerpt(json.dumps(value)),
            method=method,
            url=url,
            # It said 2xx: the invoice most likely exists; look it up before retrying.
            maybe_applied=True,
        )
        # JSON of another shape where Magento's is known: the address's problem,
        # which every document would meet; the run stops there.
        error.instance_fault = True
        raise error
    return entity_id
