"""The Magento 2 REST client: sessions, authentication, requests, errors."""

import json
import re
import ssl
from urllib.parse import quote, urlsplit

import requests
from requests_oauthlib import OAuth1

from .errors import (
    MagentoAuthError,
    MagentoConnectionError,
    MagentoError,
    MagentoNotFoundError,
    MagentoProtocolError,
    MagentoRateLimitError,
    MagentoServerError,
    MagentoStoreCodeError,
    MagentoTimeoutError,
    MagentoTLSError,
    MagentoValidationError,
    magento_words,
)

DEFAULT_TIMEOUT = 30.0
# The only method Magento 2.4 accepts (Framework/Oauth/Oauth.php).
SIGNATURE_METHOD = "HMAC-SHA256"
# A TCP connect that takes longer than this will not succeed later either.
MAX_CONNECT_TIMEOUT = 10.0
# What is kept of a response body in an error (process logs show it): a
# Magento answer up to this; anything else (a proxy's page, a server that is
# not Magento) only as a short excerpt without markup.
BODY_EXCERPT = 2000
FOREIGN_EXCERPT = 300


def foreign_excerpt(text):
    """A bounded, readable excerpt of an answer Magento did not write."""
    text = re.sub(r"<[^>]*>", " ", text or "")
    text = "".join(char if char.isprintable() else " " for char in text)
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= FOREIGN_EXCERPT else text[: FOREIGN_EXCERPT - 3] + "..."


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


# Framework/Oauth/Helper/Oauth.php: every key Magento issues is 32 characters;
# a token of another length is refused before anything else (§2).
OAUTH_KEY_LENGTH = 32


def oauth_key_problem(value):
    """Why ``value`` cannot be one of a Magento integration's four keys, or None."""
    if any(ord(char) < 33 or ord(char) > 126 for char in value):
        return "holds a space, a line break or another character Magento never puts in a key: copy it again."
    if len(value) != OAUTH_KEY_LENGTH:
        return (
            f"has {len(value)} characters where Magento's keys have {OAUTH_KEY_LENGTH}: "
            "copy it again, whole, from the integration in Magento."
        )
    return None


def is_array_limit(error):
    """Magento's input limit on a list (``Maximum items of type "%type" is %max``),
    told by its parameters, whatever the language (docs/magento-behaviour.md §4)."""
    parameters = getattr(error, "parameters", None)
    return getattr(error, "status", None) == 400 and isinstance(parameters, dict) and {"type", "max"} <= set(parameters)


def query_string(params):
    """Encode query parameters the way Magento decodes them (``%20``, never ``+``)."""
    return "&".join(f"{quote(str(k), safe='-._~')}={quote(str(v), safe='-._~')}" for k, v in params.items())


class MagentoClient:
    """One Magento store view, reached over REST.

    Authentication is either OAuth 1.0a with HMAC-SHA256 (a Magento
    integration: what 2.4.4+ requires by default) or a bearer token.
    """

    def __init__(
        self,
        base_url,
        *,
        store_code="default",
        auth="oauth",
        consumer_key=None,
        consumer_secret=None,
        access_token=None,
        access_token_secret=None,
        bearer_token=None,
        timeout=DEFAULT_TIMEOUT,
        verify_tls=True,
        session=None,
    ):
        if not base_url:
            raise ValueError("A Magento base URL is required.")
        parts = urlsplit(base_url.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{base_url!r} is not an http(s) URL.")
        self.base_url = base_url.strip().rstrip("/")
        self.store_code = (store_code or "default").strip()
        self.timeout = float(timeout or DEFAULT_TIMEOUT)
        self.verify_tls = verify_tls
        self.session = session or requests.Session()
        if auth == "oauth":
            missing = [
                name
                for name, value in (
                    ("consumer key", consumer_key),
                    ("consumer secret", consumer_secret),
                    ("access token", access_token),
                    ("access token secret", access_token_secret),
                )
                if not value
            ]
            if missing:
                raise ValueError("OAuth needs the " + ", ".join(missing) + ".")
            for name, value in (
                ("consumer key", consumer_key),
                ("consumer secret", consumer_secret),
                ("access token", access_token),
                ("access token secret", access_token_secret),
            ):
                problem = oauth_key_problem(value)
                if problem:
                    raise ValueError(f"The {name} {problem}")
            self._auth = OAuth1(
                consumer_key,
                client_secret=consumer_secret,
                resource_owner_key=access_token,
                resource_owner_secret=access_token_secret,
                signature_method=SIGNATURE_METHOD,
                signature_type="AUTH_HEADER",
            )
            self._headers = {}
        elif auth == "bearer":
            if not bearer_token:
                raise ValueError("Bearer authentication needs a token.")
            self._auth = None
            self._headers = {"Authorization": f"Bearer {bearer_token}"}
        else:
            raise ValueError(f"Unknown authentication {auth!r}.")

    # ------------------------------------------------------------------ URLs
    def url(self, path, store_code=None):
        """``/V1/orders/3`` -> ``https://shop/rest/<store>/V1/orders/3``."""
        return f"{self.base_url}/rest/{quote(store_code or self.store_code, safe='')}/{path.lstrip('/')}"

    # ------------------------------------------------------------- requests
    def request(self, method, path, *, params=None, json_body=None, route_always_exists=False, store_code=None):
        """Send one request and return the decoded JSON body.

        Every failure is raised as a :class:`MagentoError` subclass.
        ``route_always_exists``: a 404 then means the URL reaches no REST route.
        ``store_code``: another store code than the client's, for this request.
        """
        url = self.url(path, store_code)
        if params:
            # Built here, not by requests (which writes a space as "+").
            url = f"{url}?{query_string(params)}"
        connect_timeout = min(self.timeout, MAX_CONNECT_TIMEOUT)
        headers = {"Accept": "application/json", **self._headers}
        try:
            response = self.session.request(
                method,
                url,
                json=json_body,
                headers=headers,
                auth=self._auth,
                timeout=(connect_timeout, self.timeout),
                verify=self.verify_tls,
                allow_redirects=False,
            )
        except requests.exceptions.SSLError as exc:
            if tls_failed_before_sending(exc):
                error = MagentoTLSError(
                    f"The TLS connection to {self._host()} failed: {self._reason(exc)}. "
                    "Check the shop's certificate; only for a test shop, turn off TLS verification.",
                    method=method,
                    url=url,
                )
                error.instance_fault = True  # every request to this shop fails alike
                raise error from None
            # The request had left: Magento may have done the work.
            raise MagentoTLSError(
                f"The TLS connection to {self._host()} broke while Magento's answer was read: {self._reason(exc)}.",
                method=method,
                url=url,
                maybe_applied=method != "GET",
                retryable=True,
            ) from None
        except requests.exceptions.ConnectTimeout:
            raise MagentoTimeoutError(
                f"Could not connect to {self._host()} within {connect_timeout:g} seconds.",
                method=method,
                url=url,
                maybe_applied=False,
            ) from None
        except requests.exceptions.ReadTimeout:
            raise MagentoTimeoutError(
                f"Magento did not answer within {self.timeout:g} seconds.",
                method=method,
                url=url,
                maybe_applied=method != "GET",
            ) from None
        except requests.exceptions.ConnectionError as exc:
            raise self._connection_error(exc, method, url) from None
        except requests.exceptions.RequestException as exc:
            raise MagentoConnectionError(
                f"The request to {self._host()} failed: {self._reason(exc)}.",
                method=method,
                url=url,
                maybe_applied=method != "GET",
            ) from None
        return self._decode(response, method, url, route_always_exists)

    def _host(self):
        return urlsplit(self.base_url).netloc

    @staticmethod
    def _reason(exc):
        # requests nests the real cause a few levels deep; the innermost text
        # is the one a person can act on.
        cause = exc
        seen = set()
        while cause is not None and id(cause) not in seen:
            seen.add(id(cause))
            if isinstance(cause, ssl.SSLError) and getattr(cause, "reason", None):
                return str(getattr(cause, "verify_message", None) or cause.reason)
            nxt = getattr(cause, "reason", None) or cause.__cause__ or cause.__context__
            if nxt is None or isinstance(nxt, str):
                break
            cause = nxt
        return str(cause)

    def _connection_error(self, exc, method, url):
        text = repr(exc)
        host = urlsplit(self.base_url).hostname
        if "NameResolutionError" in text or "Name or service not known" in text or "getaddrinfo" in text:
            return MagentoConnectionError(
                f"The host {host!r} could not be found. Check the shop base URL.",
                method=method,
                url=url,
                maybe_applied=False,
            )
        if "Connection refused" in text or "NewConnectionError" in text:
            return MagentoConnectionError(
                f"Nothing accepted the connection at {self._host()} (connection refused). "
                "Check the shop base URL and port, and that the shop is up.",
                method=method,
                url=url,
                maybe_applied=False,
            )
        # The request went out and the connection broke before the answer:
        # Magento may have done the work.
        return MagentoConnectionError(
            f"The connection to {self._host()} broke before Magento answered.",
            method=method,
            url=url,
            maybe_applied=method != "GET",
        )

    def _decode(self, response, method, url, route_always_exists=False):
        status = response.status_code
        text = response.text or ""
        try:
            body = response.json() if text else None
            is_json = True
        except ValueError:
            body = None
            is_json = False
        if 200 <= status < 300:
            if not is_json:
                raise MagentoProtocolError(
                    f"The server at {self._host()} answered HTTP {status} with something that is "
                    "not JSON: this does not look like the Magento REST API. Check the shop base URL.",
                    status=status,
                    response_body=foreign_excerpt(text),
                    method=method,
                    url=url,
                    maybe_applied=method != "GET",
                )
            return body
        if isinstance(body, dict) and "trace" in body:
            # Developer mode's stack trace holds server paths: never kept.
            body = {key: value for key, value in body.items() if key != "trace"}
            text = json.dumps(body)
        error = self._http_error(response, body, is_json, text[:BODY_EXCERPT], method, url, route_always_exists)
        if isinstance(error, MagentoNotFoundError) and route_always_exists:
            error.instance_fault = True
        raise error

    def _http_error(self, response, body, is_json, excerpt, method, url, route_always_exists=False):
        """The typed error for a non-2xx answer, decided by status and structure
        (Magento translates its messages: their words decide nothing)."""
        status = response.status_code
        raw, parameters, magento_message = magento_words(body)
        if magento_message is None:
            excerpt = foreign_excerpt(excerpt)
        common = {
            "status": status,
            "magento_message": magento_message,
            "raw_message": raw,
            "parameters": parameters,
            "response_body": excerpt,
            "method": method,
            "url": url,
        }
        if status == 429:
            return MagentoRateLimitError(
                "Magento (or a proxy in front of it) asks to slow down: "
                + (magento_message or f"HTTP {status} {response.reason or ''}".strip()),
                retry_after=_retry_after(response.headers.get("Retry-After")),
                **common,
            )
        if 300 <= status < 400:
            return MagentoProtocolError(
                f"The server redirected to {response.headers.get('Location', '?')}: "
                "check the shop base URL (http or https, www or not).",
                **common,
            )
        if status >= 500:
            said = magento_message or (
                f"HTTP {status} without a message"
                if is_json
                else f"HTTP {status} {response.reason or ''}".strip() + " (not a Magento answer, probably a proxy)"
            )
            return MagentoServerError(
                f"Magento failed with a server error: {said}", maybe_applied=method != "GET", **common
            )
        if magento_message is None:
            # Not Magento at this address (a wrong base URL, a proxy's login page):
            # the instance's fault, whatever the document.
            error = MagentoProtocolError(
                f"The server at {self._host()} answered HTTP {status} with something Magento's REST API never "
                "sends: this does not look like Magento. Check the shop base URL.",
                **common,
            )
            error.instance_fault = True
            return error
        if status == 401:
            return MagentoAuthError(f"Magento refused the credentials: {magento_message}", **common)
        credential = self._oauth_input_problem(status, parameters, body, method, route_always_exists)
        if credential:
            return MagentoAuthError(
                f"Magento refused the credentials: {magento_message}", credential=credential, **common
            )
        if status == 404:
            return MagentoNotFoundError(magento_message, **common)
        return MagentoValidationError(magento_message, **common)

    def _oauth_input_problem(self, status, parameters, body, method, list_call=False):
        """The OAuth field Magento's 400 is about, or None (docs/magento-behaviour.md §2).

        Oauth::_validateProtocolParams answers 400 for a missing ``oauth_*``
        field (named in ``fieldName``), a method it does not support (ours
        comes back as the parameter) and a token of the wrong length (no
        parameters: only a list call, whose criteria this client built, can get
        a parameterless 400 for no other reason).
        """
        if status != 400 or self._auth is None:
            return None
        named = []
        if isinstance(parameters, dict):
            named.append(parameters.get("fieldName"))
        for error in (body or {}).get("errors") or [] if isinstance(body, dict) else []:
            if isinstance(error, dict) and isinstance(error.get("parameters"), dict):
                named.append(error["parameters"].get("fieldName"))
        for name in named:
            if isinstance(name, str) and name.startswith("oauth_"):
                return name
        if isinstance(parameters, list) and SIGNATURE_METHOD in parameters:
            return "oauth_signature_method"
        if parameters is None and list_call and not (isinstance(body, dict) and body.get("errors")):
            return "oauth_token"
        return None

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
        """``GET /V1/store/storeViews``: every store view with its id and code."""
        return self.request("GET", "V1/store/storeViews", route_always_exists=True)

    def _search(self, path, filters, page_size, current_page, sort_orders):
        """A Magento list route with its ``searchCriteria``."""
        params = search_criteria(filters, page_size, current_page, sort_orders)
        try:
            return self.request("GET", path, params=params, route_always_exists=True)
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
            raise MagentoProtocolError(
                f"The server at {self._host()} answered, but not with a Magento invoice list. Check the shop base URL.",
                response_body=foreign_excerpt(json.dumps(result)),
            )
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
        raise MagentoProtocolError(
            f"Magento answered {foreign_excerpt(json.dumps(value))[:80]} where an invoice id was expected.",
            response_body=foreign_excerpt(json.dumps(value)),
            method=method,
            url=url,
            # It said 2xx: the invoice most likely exists; look it up before retrying.
            maybe_applied=True,
        )
    return entity_id


_HANDSHAKE_FRAMES = {"do_handshake", "_validate_conn", "_ssl_wrap_socket_and_match_hostname", "ssl_wrap_socket"}
_READ_FRAMES = {"getresponse", "_read_status", "begin", "readinto", "recv_into", "read"}


def tls_failed_before_sending(exc):
    """Whether a TLS error happened before the request left (handshake, certificate).

    urllib3 raises the same ``SSLError`` for a failed handshake and for an
    alert or a bad record while the answer is read, after Magento got the
    request (docs/magento-behaviour.md §9): the frames the ``ssl`` error was
    raised through tell them apart. When unsure, it may have been sent.
    """
    seen = set()
    pending = [exc]
    while pending:
        cause = pending.pop()
        if cause is None or id(cause) in seen or not isinstance(cause, BaseException):
            continue
        seen.add(id(cause))
        if isinstance(cause, ssl.SSLCertVerificationError):
            return True
        if isinstance(cause, ssl.SSLError):
            names = []
            tb = cause.__traceback__
            while tb is not None:
                names.append(tb.tb_frame.f_code.co_name)
                tb = tb.tb_next
            if _HANDSHAKE_FRAMES & set(names):
                return True
            if _READ_FRAMES & set(names):
                return False
        pending += [cause.__cause__, cause.__context__, getattr(cause, "reason", None)]
        pending += [arg for arg in cause.args if isinstance(arg, BaseException)]
    return False


def _retry_after(value):
    """Seconds from a Retry-After header (delta-seconds form only)."""
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return None
