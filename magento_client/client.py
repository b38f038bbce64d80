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
    MagentoNotFoundError,
    MagentoProtocolError,
    MagentoRateLimitError,
    MagentoServerError,
    MagentoTimeoutError,
    MagentoTLSError,
    MagentoValidationError,
    fill_placeholders,
)

DEFAULT_TIMEOUT = 30.0
# A TCP connect that takes longer than this will not succeed later either.
MAX_CONNECT_TIMEOUT = 10.0
# What is kept of a response body in an error (process logs show it).
BODY_EXCERPT = 2000


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
            self._auth = OAuth1(
                consumer_key,
                client_secret=consumer_secret,
                resource_owner_key=access_token,
                resource_owner_secret=access_token_secret,
                signature_method="HMAC-SHA256",
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
    def url(self, path):
        """``/V1/orders/3`` -> ``https://shop/rest/<store>/V1/orders/3``."""
        return f"{self.base_url}/rest/{quote(self.store_code, safe='')}/{path.lstrip('/')}"

    # ------------------------------------------------------------- requests
    def request(self, method, path, *, params=None, json_body=None):
        """Send one request and return the decoded JSON body.

        Every failure is raised as a :class:`MagentoError` subclass.
        """
        url = self.url(path)
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
            raise MagentoTLSError(
                f"The TLS connection to {self._host()} failed: {self._reason(exc)}. "
                "Check the shop's certificate; only for a test shop, turn off TLS verification.",
                method=method,
                url=url,
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
        return self._decode(response, method, url)

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

    def _decode(self, response, method, url):
        status = response.status_code
        text = response.text or ""
        excerpt = text[:BODY_EXCERPT]
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
                    response_body=excerpt,
                    method=method,
                    url=url,
                    maybe_applied=method != "GET",
                )
            return body
        raise self._http_error(response, body, is_json, excerpt, method, url)

    def _http_error(self, response, body, is_json, excerpt, method, url):
        """The typed error for a non-2xx answer."""
        status = response.status_code
        raw = body.get("message") if isinstance(body, dict) else None
        parameters = body.get("parameters") if isinstance(body, dict) else None
        magento_message = fill_placeholders(raw, parameters) if raw else None
        common = {
            "status": status,
            "magento_message": magento_message,
            "raw_message": raw,
            "parameters": parameters,
            "response_body": excerpt,
            "method": method,
            "url": url,
        }
        if magento_message:
            said = magento_message
        elif is_json:
            said = f"HTTP {status} without a message"
        else:
            said = f"HTTP {status} {response.reason or ''}".strip() + " (not a Magento answer, probably a proxy)"
        if status == 401:
            return MagentoAuthError(f"Magento refused the credentials: {said}", **common)
        if status == 429:
            return MagentoRateLimitError(
                f"Magento (or a proxy in front of it) asks to slow down: {said}",
                retry_after=_retry_after(response.headers.get("Retry-After")),
                **common,
            )
        if status == 404:
            return MagentoNotFoundError(said, **common)
        if status >= 500:
            return MagentoServerError(
                f"Magento failed with a server error: {said}",
                maybe_applied=method != "GET",
                **common,
            )
        if 300 <= status < 400:
            return MagentoProtocolError(
                f"The server redirected to {response.headers.get('Location', '?')}: "
                "check the shop base URL (http or https, www or not).",
                **common,
            )
        if not is_json:
            return MagentoProtocolError(
                f"The server at {self._host()} answered HTTP {status} with something that is not "
                "JSON: this does not look like the Magento REST API. Check the shop base URL.",
                **common,
            )
        return MagentoValidationError(said, **common)

    # -------------------------------------------------------------- calls
    def get_order(self, order_id):
        return self.request("GET", f"V1/orders/{int(order_id)}")

    def search_orders(self, filters=(), page_size=None, current_page=None, sort_orders=()):
        return self.request("GET", "V1/orders", params=search_criteria(filters, page_size, current_page, sort_orders))

    def iter_orders(self, numbers=None, created_since=None, store_id=None, page_size=100):
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
        elif created_since:
            searches = [[[("created_at", str(created_since)[:10], "gteq")]] + scope]
        else:
            raise ValueError("Give order numbers or a date.")
        for filters in searches:
            page = 1
            while True:
                result = self.search_orders(filters, page_size, page, sort_orders=[("entity_id", "ASC")])
                orders = result.get("items") or []
                if created_since:
                    orders = [o for o in orders if str(o.get("created_at") or "") >= str(created_since)]
                yield orders
                if len(result.get("items") or []) < page_size or page * page_size >= result.get("total_count", 0):
                    break
                page += 1

    def get_store_views(self):
        """``GET /V1/store/storeViews``: every store view with its id and code."""
        return self.request("GET", "V1/store/storeViews")

    def search_invoices(self, filters=(), page_size=None, current_page=None):
        return self.request("GET", "V1/invoices", params=search_criteria(filters, page_size, current_page))

    def get_order_invoices(self, order_id):
        """Every invoice Magento holds for one order (entity id)."""
        return self.search_invoices([[("order_id", int(order_id), "eq")]]).get("items") or []

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

    def test_connection(self):
        """Make a cheap authenticated call that the invoice export needs anyway.

        ``GET /V1/invoices`` with a page size of 1 proves the URL, the store
        code, the credentials and the ``Magento_Sales::sales_invoice`` right.
        Returns the number of invoices Magento reports.
        """
        result = self.search_invoices(page_size=1)
        if not isinstance(result, dict) or "total_count" not in result:
            raise MagentoProtocolError(
                f"The server at {self._host()} answered, but not with a Magento invoice list. Check the shop base URL.",
                response_body=json.dumps(result)[:BODY_EXCERPT],
            )
        return result["total_count"]


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
            f"Magento answered {json.dumps(value)[:200]} where an invoice id was expected.",
            response_body=json.dumps(value)[:BODY_EXCERPT],
            method=method,
            url=url,
            # It said 2xx: the invoice most likely exists; look it up before retrying.
            maybe_applied=True,
        )
    return entity_id


def _retry_after(value):
    """Seconds from a Retry-After header (delta-seconds form only)."""
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return None
