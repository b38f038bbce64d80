"""A stateful Magento 2 REST double served over real HTTP.

Start it in a thread (tests, benchmark) or from the command line (demo)::

    with MagentoDouble() as magento:
        order = magento.store.add_order([{"sku": "MH01", "name": "Hoodie", "qty": 2, "price": 52}])
        ...  # point a client at magento.url with magento.credentials

It routes ``/rest/<store code>/V1/...`` as Magento's PathProcessor does, checks
OAuth 1.0a signatures or bearer tokens and the route's ACL resource, answers
with Magento's exact error bodies, records every request it receives, and can
inject faults: latency, error bodies, proxy HTML pages, 429, a hang, a dropped
connection before or after the work is done, malformed or unexpected bodies.
"""

import json
import os
import random
import re
import secrets
import socket
import ssl
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from . import oauth
from .money import PhpFatal
from .store import Store, UnknownProperty, WebapiError

ACL_INVOICE = "Magento_Sales::invoice"
ACL_SALES_INVOICE = "Magento_Sales::sales_invoice"
ACL_CREDITMEMO = "Magento_Sales::creditmemo"
ACL_SALES_CREDITMEMO = "Magento_Sales::sales_creditmemo"
ACL_ORDERS = "Magento_Sales::actions_view"
ACL_STORES = "Magento_Backend::store"
ALL_RESOURCES = frozenset(
    {ACL_INVOICE, ACL_SALES_INVOICE, ACL_CREDITMEMO, ACL_SALES_CREDITMEMO, ACL_ORDERS, ACL_STORES}
)
# A fresh Magento's one store view; more can be given to MagentoDouble.
DEFAULT_STORE_VIEWS = ({"id": 1, "code": "default", "name": "Default Store View"},)

MSG_NO_ROUTE = "Request does not match any route."
MSG_UNAUTHORIZED = "The consumer isn't authorized to access %resources."
MSG_NO_PROCESSOR = "Specified request cannot be processed."
# ErrorProcessor::maskException sprintf's the report id in: no placeholder, no parameters.
MSG_INTERNAL = "Internal Error. Details are available in Magento log file. Report ID: {}"
MSG_APP_ERROR = "An error has happened during application run. See exception log for details.\n"
MSG_BAD_LOGIN = (
    "The account sign-in was incorrect or your account is disabled temporarily. Please wait and try again later."
)

PROXY_PAGE = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)

# (method, path regex, handler name, ACL resource or None for anonymous):
# vendor/magento/module-sales/etc/webapi.xml (docs/magento-behaviour.md §1).
ROUTES = [
    ("POST", re.compile(r"^/V1/order/([^/]+)/invoice$"), "invoice_order", ACL_INVOICE),
    ("GET", re.compile(r"^/V1/invoices/?$"), "list_invoices", ACL_SALES_INVOICE),
    ("GET", re.compile(r"^/V1/invoices/([^/]+)$"), "get_invoice", ACL_SALES_INVOICE),
    # webapi.xml:190-195, 136-141, 148-153, 154-159 (docs §1, §8).
    ("POST", re.compile(r"^/V1/order/([^/]+)/refund$"), "refund_order", ACL_CREDITMEMO),
    ("POST", re.compile(r"^/V1/invoice/([^/]+)/refund$"), "refund_invoice", ACL_SALES_INVOICE),
    ("GET", re.compile(r"^/V1/creditmemos/?$"), "list_creditmemos", ACL_SALES_CREDITMEMO),
    ("GET", re.compile(r"^/V1/creditmemo/([^/]+)$"), "get_creditmemo", ACL_SALES_CREDITMEMO),
    ("GET", re.compile(r"^/V1/orders/?$"), "list_orders", ACL_ORDERS),
    ("GET", re.compile(r"^/V1/orders/([^/]+)$"), "get_order", ACL_ORDERS),
    ("GET", re.compile(r"^/V1/store/storeViews$"), "store_views", ACL_STORES),
    ("POST", re.compile(r"^/V1/integration/admin/token$"), "admin_token", None),
]

FAULT_KINDS = (
    "error",  # answer status/body instead of doing the work
    "html",  # a proxy's HTML error page (502/503) instead of the work
    "rate_limit",  # 429 Too Many Requests with Retry-After
    "hang",  # hold the connection without answering (until released)
    "drop",  # close the connection without doing the work
    "drop_after",  # do the work, then close the connection without answering
    "error_after",  # do the work, then answer status/body (a 5xx after commit)
    "malformed",  # do the work, then answer a broken JSON body
    "body",  # do the work, then answer the given body (e.g. a wrong id type)
    "latency",  # wait `seconds`, then behave normally
    "tls_break_after",  # do the work, then break the TLS stream (a bad record) instead of answering
    "trickle",  # do the work, then send the answer's head and one body byte every `seconds`, without end
    "trickle_head",  # do the work, then send a header line one byte every `seconds`, without end
    "huge",  # do the work, then answer `size` bytes of JSON (no Content-Length unless `declared`)
)
# A site that is not Magento's REST API, answering 200 to everything (a
# storefront, a parking or login page): the "html" fault with status 200.
SITE_PAGE = (
    "<!doctype html>\n<html><head><title>Welcome to our shop</title></head>\n"
    "<body><h1>Welcome</h1><p>Our new collection is here.</p></body></html>\n"
)


class Fault:
    """One injected fault, matched on method and path, used ``times`` times."""

    def __init__(
        self,
        kind,
        *,
        times=1,
        method=None,
        path=None,
        status=None,
        body=None,
        retry_after=None,
        seconds=None,
        size=None,
        declared=False,
    ):
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {', '.join(FAULT_KINDS)}")
        self.kind = kind
        self.times = times
        self.method = method
        self.path = re.compile(path) if path else None
        self.status = status
        self.body = body
        self.retry_after = retry_after
        self.seconds = seconds
        self.size = size
        self.declared = declared
        self.used = 0

    def matches(self, method, path):
        return (
            (self.times is None or self.used < self.times)
            and (self.method is None or self.method == method)
            and (self.path is None or self.path.search(path))
        )


class MagentoDouble:
    """A Magento 2.4 store, as far as invoicing and refunding orders over REST goes."""

    def __init__(
        self,
        host="127.0.0.1",
        port=0,
        *,
        store_views=DEFAULT_STORE_VIEWS,
        integration_as_bearer=False,
        invoice_id_as="string",
        input_limits=False,
        developer_mode=False,
        latency=0.0,
        resources=ALL_RESOURCES,
        magento_version="2.4.6",
        tls=None,
        shipping_display_incl_tax=False,
    ):
        self.host = host
        # (certificate file, key file): serve HTTPS, so that TLS faults can be made.
        self.tls = tls
        # 2.4.7+ encodes signed query values once more (docs/magento-behaviour.md §2).
        self.magento_version = magento_version
        self.port = port
        # tax/sales_display/shipping = 2: credit memos read shipping_amount including
        # tax (vendor/magento/module-tax/Model/Config.php:697-704, docs §10).
        self.store = Store(shipping_display_incl_tax=shipping_display_incl_tax)
        # Store views by code. The code in a URL only sets locale and scope:
        # no list call filters on it (docs/magento-behaviour.md §1, §7).
        self.store_views = {view["code"]: dict(view) for view in store_views}
        self.integration_as_bearer = integration_as_bearer
        self.invoice_id_as = invoice_id_as
        self.input_limits = input_limits
        self.developer_mode = developer_mode
        self.latency = latency
        self.integrations = {}
        self.admin_users = {"admin": "admin123"}
        self.admin_tokens = set()
        self.seen_nonces = set()
        self.journal = []  # every request received, oldest first
        self.faults = []
        self.chaos_rate = 0.0
        self.chaos_kinds = ()
        self.chaos_random = random.Random(0)
        self.in_flight = 0
        self.max_in_flight = 0
        self.fault_counts = {}
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._release = threading.Event()
        self._server = None
        self._thread = None
        self.integration = self.add_integration(resources=resources)

    # ------------------------------------------------------------ setup
    def add_integration(self, resources=ALL_RESOURCES, name="Odoo"):
        """Register a Magento integration; return its four OAuth credentials."""
        integration = {
            "id": len(self.integrations) + 1,
            "name": name,
            "consumer_key": secrets.token_hex(16),
            "consumer_secret": secrets.token_hex(16),
            "access_token": secrets.token_hex(16),
            "access_token_secret": secrets.token_hex(16),
            "resources": frozenset(resources),
        }
        self.integrations[integration["consumer_key"]] = integration
        return integration

    @property
    def credentials(self):
        """The first integration's credentials, as a Magento admin copies them."""
        return {
            key: self.integration[key]
            for key in ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
        }

    @property
    def url(self):
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

    def inject(self, kind, **kwargs):
        """Add a fault; return it (its ``used`` counter tells whether it fired)."""
        fault = Fault(kind, **kwargs)
        with self._lock:
            self.faults.append(fault)
        return fault

    def chaos(self, rate, kinds=("error_after", "drop_after", "drop", "html", "error"), seed=0):
        """Fail a random ``rate`` of the invoice and refund POSTs with one of ``kinds``."""
        with self._lock:
            self.chaos_rate = rate
            self.chaos_kinds = tuple(kinds)
            self.chaos_random = random.Random(seed)

    def clear_faults(self):
        """Forget injected faults and chaos, and free held requests."""
        with self._lock:
            self.faults = []
            self.chaos_rate = 0.0
            self.latency = 0.0
        self.release_hangs()

    def release_hangs(self):
        """Free every request held by a "hang" or "latency" fault (later ones wait again)."""
        with self._lock:
            event, self._release = self._release, threading.Event()
        event.set()

    def requests(self, method=None, path=None):
        """Journal entries, filtered on method and a path regex."""
        with self._lock:
            entries = list(self.journal)
        return [
            e
            for e in entries
            if (method is None or e["method"] == method) and (path is None or re.search(path, e["path"]))
        ]

    def wait_for_requests(self, count, timeout=10.0, method=None, path=None):
        """Block until ``count`` matching requests arrived (an event, not a poll)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self._matching(method, path)) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return True

    def wait_idle(self, timeout=10.0):
        """Block until no request is being handled (e.g. a slow one the client gave up on)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return True

    def _matching(self, method, path):
        return [
            e
            for e in self.journal
            if (method is None or e["method"] == method) and (path is None or re.search(path, e["path"]))
        ]

    # ------------------------------------------------------ start / stop
    def start(self):
        double = self

        class Handler(_Handler):
            magento = double

        server_class = _Server6 if ":" in self.host else _Server
        self._server = server_class((self.host, self.port), Handler)
        self._server.daemon_threads = True
        if self.tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            # Handshakes happen in each request's thread, not in the accept loop.
            self._server.socket = context.wrap_socket(
                self._server.socket, server_side=True, do_handshake_on_connect=False
            )
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="magento-double", daemon=True
        )
        self._thread.start()
        return self

    def stop(self):
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def serve_forever(self):
        """Serve in the calling thread (the command-line entry point)."""
        self.start()
        try:
            self._thread.join()
        finally:
            self.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---------------------------------------------------------- helpers
    def pick_fault(self, method, path):
        with self._lock:
            for fault in self.faults:
                if fault.matches(method, path):
                    fault.used += 1
                    self.fault_counts[fault.kind] = self.fault_counts.get(fault.kind, 0) + 1
                    return fault
            if self.chaos_rate and method == "POST" and path.endswith(("/invoice", "/refund")):
                if self.chaos_random.random() < self.chaos_rate:
                    kind = self.chaos_random.choice(self.chaos_kinds)
                    self.fault_counts[kind] = self.fault_counts.get(kind, 0) + 1
                    return Fault(kind, status=500 if kind.startswith("error") else 503)
        return None

    def record(self, entry):
        with self._changed:
            self.journal.append(entry)
            self._changed.notify_all()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that vanished (killed, timed out) is part of the game.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class _Server6(_Server):
    """The double on an IPv6 address (``[::1]``)."""

    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    """Turns HTTP requests into calls on the double's :class:`Store`."""

    magento: MagentoDouble = None
    protocol_version = "HTTP/1.1"
    # Headers and body leave as written (as nginx's do): with Nagle's algorithm
    # the body would wait for the client's delayed ACK of the headers, 40 ms a
    # request on Linux, which no real shop adds.
    disable_nagle_algorithm = True
    server_version = "nginx"
    sys_version = ""
    _answer_at = None  # when the answer is due (monotonic), under the latency setting

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_PUT(self):
        self._handle("PUT")

    def do_DELETE(self):
        self._handle("DELETE")

    # ------------------------------------------------------------------
    def _handle(self, method):
        magento = self.magento
        if self.path.startswith("/__double__/"):
            # Control calls are not Magento traffic: not counted, not journaled.
            try:
                self._dispatch(method)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True
            return
        with magento._lock:
            magento.in_flight += 1
            magento.max_in_flight = max(magento.max_in_flight, magento.in_flight)
        try:
            self._dispatch(method)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (its timeout, or a fault we injected).
            self.close_connection = True
        finally:
            with magento._changed:
                magento.in_flight -= 1
                magento._changed.notify_all()

    def _dispatch(self, method):
        magento = self.magento
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        if len(raw_body) < length:
            # The client went away mid-request (killed between its headers and
            # its body). nginx reads the whole body before it hands a request
            # to PHP (fastcgi_request_buffering, on by default and in Magento's
            # nginx.conf.sample): Magento never sees it (docs §9). Handed on,
            # an empty body would be no parameters at all, an invoice of the
            # whole order without its comment (Webapi/Rest/Request::getBodyParams).
            self.close_connection = True
            return
        entry = {
            "method": method,
            "path": split.path,
            "query": dict(parse_qsl(split.query, keep_blank_values=True)),
            "auth": (self.headers.get("Authorization") or "").split(" ", 1)[0],
            "body": raw_body.decode("utf-8", "replace"),
            "json": None,
            "time": time.time(),
            "status": None,
        }
        try:
            entry["json"] = json.loads(raw_body) if raw_body else None
        except ValueError:
            entry["json"] = None  # kept as raw text in entry["body"]
        if split.path.startswith("/__double__/"):
            self._control(method, split.path, entry["json"])
            return
        magento.record(entry)

        # Magento's answer time counts from the request's arrival, its work
        # included: the answer leaves `latency` seconds after it (see _answer).
        self._answer_at = time.monotonic() + magento.latency if magento.latency else None
        fault = magento.pick_fault(method, split.path)
        if fault is not None:
            if fault.kind == "latency":
                magento._release.wait(fault.seconds or 0)
                fault = None
            elif fault.kind == "hang":
                magento._release.wait(fault.seconds or 3600)
                self._drop(entry)
                return
            elif fault.kind == "drop":
                self._drop(entry)
                return
            elif fault.kind == "html":
                status = fault.status or 502
                if status == 200:
                    self._send(200, SITE_PAGE, "text/html; charset=UTF-8", entry)
                    return
                reason = {502: "Bad Gateway", 503: "Service Temporarily Unavailable"}.get(status, "Error")
                self._send(status, PROXY_PAGE.format(status=status, reason=reason), "text/html", entry)
                return
            elif fault.kind == "rate_limit":
                self._send(
                    429,
                    json.dumps({"message": "Too Many Requests"}),
                    entry=entry,
                    headers={"Retry-After": str(fault.retry_after if fault.retry_after is not None else 1)},
                )
                return
            elif fault.kind == "error":
                self._send_error_fault(fault, entry)
                return

        status, body = self._route(method, split.path, split.query, raw_body, entry)
        if fault is not None and 200 <= status < 300:
            if fault.kind == "drop_after":
                self._drop(entry)
                return
            if fault.kind == "malformed":
                self._send(200, '{"entity_id": ', entry=entry)
                return
            if fault.kind == "body":
                self._send(200, json.dumps(fault.body), entry=entry)
                return
            if fault.kind == "error_after":
                self._send_error_fault(fault, entry)
                return
            if fault.kind == "tls_break_after":
                self._break_tls(entry)
                return
            if fault.kind in ("trickle", "trickle_head"):
                self._trickle(fault, entry)
                return
            if fault.kind == "huge":
                self._send_huge(fault, entry)
                return
        if isinstance(body, PlainText):
            self._send(status, body.text, "text/plain", entry=entry)
            return
        self._send(status, json.dumps(body), entry=entry)

    def _send_error_fault(self, fault, entry):
        status = fault.status or 500
        body = fault.body
        if body is None:
            body = _masked_500()
        self._send(status, json.dumps(body), entry=entry)

    def _route(self, method, path, query, raw_body, entry):
        magento = self.magento
        match = re.match(r"^/rest(/.*)$", path)
        if not match:
            return 404, {"message": MSG_NO_ROUTE}
        rest_path = match.group(1)
        store_code = "default"
        # PathProcessor: a known store code (or "all") is stripped; anything
        # else stays in the path, which then matches no route.
        first = rest_path.split("/")[1] if rest_path.count("/") >= 1 else ""
        if first in magento.store_views or first == "all":
            store_code = first
            rest_path = rest_path[len(first) + 1 :]
        entry["store_code"] = store_code
        if not re.match(r"^/V\d+", rest_path):
            # RequestProcessorPool::getProcessor (module-webapi Controller/Rest/RequestProcessorPool.php:37-47):
            # the synchronous processor takes only paths starting /V<n> (SynchronousRequestProcessor.php:22,114-120),
            # so an unknown store code left in the path is this 400, whatever follows.
            return 400, self._error_body({"message": MSG_NO_PROCESSOR})
        route = _find_route(method, rest_path)
        if route is None:
            return 404, self._error_body({"message": MSG_NO_ROUTE})
        handler_name, resource, found = route
        try:
            if resource is not None:
                self._authorize(method, path, query, resource)
            body = None
            if raw_body:
                try:
                    body = json.loads(raw_body)
                except ValueError:
                    raise WebapiError(400, "Decoding error.") from None
            handler = getattr(self, "_api_" + handler_name)
            return 200, handler(*found.groups(), query=dict(parse_qsl(query, keep_blank_values=True)), body=body)
        except WebapiError as err:
            return err.status, self._error_body(err.body())
        except PhpFatal as err:
            # A PHP Error escapes the REST controller's catch (\Exception): the bootstrap
            # answers 500 in plain text (vendor/magento/framework/App/Bootstrap.php:430-454).
            text = str(err) if magento.developer_mode else MSG_APP_ERROR
            return 500, PlainText(text)
        except UnknownProperty as err:
            if magento.developer_mode:
                # NameFinder::getGetterMethodName names the property as a getter would.
                name = "".join(part[:1].upper() + part[1:] for part in err.args[0].split("_"))
                message = f'Property "{name}" does not have accessor method "get{name}" in class "{err.args[1]}".'
                return 500, self._error_body({"message": message})
            return 500, _masked_500()

    def _error_body(self, body):
        """Developer mode adds a ``trace`` to every error body (framework/Webapi/Rest/Response.php:106-110)."""
        if self.magento.developer_mode:
            body["trace"] = "#0 {main}"
        return body

    def _authorize(self, method, path, query, resource):
        magento = self.magento
        header = self.headers.get("Authorization") or ""
        granted = frozenset()
        if header[:6].lower() == "oauth ":
            # Helper\Request::getRequestUrl: scheme, the Host header as sent, the path.
            url = f"{'https' if magento.tls else 'http'}://{self.headers.get('Host')}{path}"
            try:
                integration = oauth.verify(
                    method,
                    url,
                    query,
                    header,
                    magento.integrations,
                    magento.seen_nonces,
                    int(time.time()),
                    magento.magento_version,
                )
            except oauth.OAuthError as err:
                raise WebapiError(err.status, err.message, err.parameters, err.errors) from None
            granted = integration["resources"]
        elif header[:7].lower() == "bearer ":
            token = header[7:].strip()
            if token in magento.admin_tokens:
                granted = ALL_RESOURCES
            elif magento.integration_as_bearer:
                for integration in magento.integrations.values():
                    if integration["access_token"] == token:
                        granted = integration["resources"]
            # Otherwise the token is ignored and the request runs as a guest.
        if resource not in granted:
            raise WebapiError(401, MSG_UNAUTHORIZED, {"resources": resource})

    # -------------------------------------------------------- API calls
    def _created(self, entity_id):
        # Magento returns lastInsertId() uncast: a JSON string in practice (§5, §8).
        return str(entity_id) if self.magento.invoice_id_as == "string" else entity_id

    def _api_invoice_order(self, order_id, query, body):
        return self._created(self.magento.store.invoice_order(order_id, body or {}, self.magento.input_limits))

    def _api_refund_order(self, order_id, query, body):
        return self._created(self.magento.store.refund_order(order_id, body or {}, self.magento.input_limits))

    def _api_refund_invoice(self, invoice_id, query, body):
        return self._created(self.magento.store.refund_invoice(invoice_id, body or {}, self.magento.input_limits))

    def _api_list_invoices(self, query, body):
        return _public(self.magento.store.search("invoices", _criteria(query), self.magento.input_limits))

    def _api_get_invoice(self, invoice_id, query, body):
        return _public(self.magento.store.get_invoice(invoice_id))

    def _api_list_creditmemos(self, query, body):
        return _public(self.magento.store.search("creditmemos", _criteria(query), self.magento.input_limits))

    def _api_get_creditmemo(self, creditmemo_id, query, body):
        return _public(self.magento.store.get_creditmemo(creditmemo_id))

    def _api_list_orders(self, query, body):
        return _as_api(_public(self.magento.store.search("orders", _criteria(query), self.magento.input_limits)))

    def _api_get_order(self, order_id, query, body):
        return _as_api(_public(self.magento.store.get_order(order_id)))

    def _api_store_views(self, query, body):
        # module-store StoreRepository::getList, the admin store (id 0) included.
        views = [{"id": 0, "code": "admin", "name": "Admin"}, *self.magento.store_views.values()]
        return [
            {
                "id": view["id"],
                "code": view["code"],
                "name": view["name"],
                "website_id": 0 if view["id"] == 0 else view.get("website_id", 1),
                "store_group_id": 0 if view["id"] == 0 else view.get("store_group_id", 1),
                "is_active": 1,
            }
            for view in views
        ]

    def _api_admin_token(self, query, body):
        body = body or {}
        if self.magento.admin_users.get(body.get("username")) != body.get("password") or not body.get("password"):
            raise WebapiError(401, MSG_BAD_LOGIN)
        token = secrets.token_hex(16)
        self.magento.admin_tokens.add(token)
        return token

    # ------------------------------------------------------- responses
    def _answer(self):
        """Wait until the answer is due (the "latency" setting)."""
        if self._answer_at is not None:
            self.magento._release.wait(max(self._answer_at - time.monotonic(), 0))
            self._answer_at = None

    def _send(self, status, text, content_type="application/json; charset=utf-8", entry=None, headers=None):
        self._answer()
        data = text.encode("utf-8")
        if entry is not None:
            entry["status"] = status
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)
        if entry is not None:
            entry["done"] = time.time()

    def _break_tls(self, entry):
        """Write a TLS record no key can decrypt under the session: the client's
        read fails with an SSL error after its request was handled."""
        self._answer()
        entry["done"] = time.time()
        self.close_connection = True
        raw = socket.socket(fileno=os.dup(self.connection.fileno()))
        try:
            raw.sendall(b"\x17\x03\x03\x00\x20" + bytes(32))
        finally:
            raw.close()

    def _trickle(self, fault, entry):
        """A server that never stops sending, one byte every ``seconds``: in
        the body of an answer whose head came at once (``trickle``), or in a
        header line (``trickle_head``). Ends when the client goes away."""
        self._answer()
        entry["status"] = 200
        self.close_connection = True
        if fault.kind == "trickle":
            head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            byte = b"1\r\n \r\n"  # a chunk of one space
        else:
            head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Slow: "
            byte = b"a"
        self.wfile.write(head)
        self.wfile.flush()
        while not self.magento._release.wait(fault.seconds or 1.0):
            self.wfile.write(byte)  # BrokenPipeError once the client gave up
            self.wfile.flush()
        entry["done"] = time.time()

    def _send_huge(self, fault, entry):
        """``size`` bytes of valid-looking JSON, streamed, never held whole."""
        self._answer()
        entry["status"] = 200
        self.close_connection = True
        size = fault.size or 300 * 1024 * 1024
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        if fault.declared:
            self.send_header("Content-Length", str(size))
        self.send_header("Connection", "close")
        self.end_headers()
        item = b'{"sku": "' + b"X" * 1000 + b'"},'
        sent = 0
        self.wfile.write(b'{"items": [')
        while sent < size:
            self.wfile.write(item)
            sent += len(item)
        self.wfile.write(b'{}], "total_count": 1}')
        entry["sent"] = sent
        entry["done"] = time.time()

    def _drop(self, entry=None):
        """Close the connection with no answer at all."""
        self._answer()
        self.close_connection = True
        if entry is not None:
            entry["done"] = time.time()
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            return  # already closed by the client

    # -------------------------------------------------------- control
    def _control(self, method, path, body):
        """Out-of-process control, for the command line and the soak script."""
        magento = self.magento
        store = magento.store
        query = dict(parse_qsl(urlsplit(self.path).query))
        if path == "/__double__/orders" and method == "POST":
            specs = (body or {}).get("orders") or [body or {}]
            orders = []
            for spec in specs:
                spec = dict(spec)
                orders.append(_public(store.add_order(spec.pop("items"), **spec)))
            self._send(200, json.dumps({"orders": orders} if "orders" in (body or {}) else orders[0]))
        elif path == "/__double__/wait" and method == "GET":
            # Block until that many invoice POSTs arrived: an event, not a poll.
            reached = magento.wait_for_requests(
                int(query.get("posts", 1)), float(query.get("timeout", 60)), method="POST", path=r"/invoice$"
            )
            self._send(200, json.dumps(reached))
        elif path == "/__double__/idle" and method == "GET":
            self._send(200, json.dumps(magento.wait_idle(float(query.get("timeout", 60)))))
        elif path == "/__double__/faults" and method == "POST":
            fault = magento.inject(**(body or {}))
            self._send(200, json.dumps({"kind": fault.kind}))
        elif path == "/__double__/chaos" and method == "POST":
            magento.chaos(**(body or {}))
            self._send(200, "true")
        elif path == "/__double__/latency" and method == "POST":
            magento.latency = float((body or {}).get("seconds", 0))
            self._send(200, "true")
        elif path == "/__double__/clear" and method == "POST":
            magento.clear_faults()
            self._send(200, "true")
        elif path == "/__double__/requests" and method == "GET":
            # The journal's entries whose path or query names this text (a soak's diagnostics).
            text = query.get("about", "")
            entries = [
                {key: entry.get(key) for key in ("time", "done", "method", "path", "query", "status")}
                | {"comment": ((entry.get("json") or {}).get("comment") or {}).get("comment")}
                for entry in magento.requests()
                if text in entry["path"] or text in json.dumps(entry["query"])
            ]
            self._send(200, json.dumps(entries))
        elif path == "/__double__/state" and method == "GET":
            with store._lock:
                state = {
                    "orders": len(store.orders),
                    "invoices": _summaries(store.invoices, ()),
                    "creditmemos": _summaries(store.creditmemos, ("invoice_id", "grand_total", "base_grand_total")),
                    "requests": len(magento.journal),
                    "invoice_posts": len(magento._matching("POST", r"/invoice$")),
                    "refund_posts": len(magento._matching("POST", r"/refund$")),
                    "max_in_flight": magento.max_in_flight,
                    "faults": dict(magento.fault_counts),
                }
            self._send(200, json.dumps(state))
        else:
            self._send(404, json.dumps({"message": MSG_NO_ROUTE}))


class PlainText:
    """A body sent as it is, not as JSON."""

    def __init__(self, text):
        self.text = text


def _masked_500():
    """Production's body for an unexpected exception: the report id filled in, nothing else
    (vendor/magento/framework/Webapi/ErrorProcessor.php:37,147-165)."""
    return {"message": MSG_INTERNAL.format(f"webapi-{uuid.uuid4().hex[:13]}")}


def _find_route(method, rest_path):
    """(handler name, ACL resource, regex match) of the route, or None."""
    for route_method, pattern, handler_name, resource in ROUTES:
        found = pattern.match(rest_path)
        if found and route_method == method:
            return handler_name, resource, found
    return None


def _criteria(query):
    """Parse ``searchCriteria[...]`` query parameters as Magento's REST layer does."""
    keys = [k for k in query if k == "searchCriteria" or k.startswith("searchCriteria[")]
    if not keys:
        return None
    groups = {}
    sorts = {}
    criteria = {"filter_groups": [], "sort_orders": []}
    for key in keys:
        value = query[key]
        parts = re.findall(r"\[([^\]]*)\]", key)
        if parts[:1] == ["filterGroups"] and len(parts) == 5 and parts[2] == "filters":
            group = groups.setdefault(int(parts[1]), {})
            flt = group.setdefault(int(parts[3]), {})
            name = {"conditionType": "condition_type", "condition_type": "condition_type"}.get(parts[4], parts[4])
            flt[name] = value
        elif parts[:1] == ["sortOrders"] and len(parts) == 3:
            sorts.setdefault(int(parts[1]), {})[parts[2]] = value
        elif parts in (["pageSize"], ["currentPage"]):
            if not value.strip().lstrip("-").isdigit():
                raise WebapiError(
                    400,
                    'The "%value" value\'s type is invalid. The "%type" type was expected. Verify and try again.',
                    {"value": value, "type": "int"},
                )
            criteria["page_size" if parts[0] == "pageSize" else "current_page"] = int(value)
    for index in sorted(groups):
        filters = []
        for findex in sorted(groups[index]):
            flt = groups[index][findex]
            if "field" not in flt:
                raise WebapiError(400, '"%fieldName" is required. Enter and try again.', {"fieldName": "field"})
            flt.setdefault("condition_type", "eq")
            filters.append(
                {"field": flt["field"], "value": flt.get("value", ""), "condition_type": flt["condition_type"]}
            )
        criteria["filter_groups"].append(filters)
    for index in sorted(sorts):
        criteria["sort_orders"].append(
            {"field": sorts[index].get("field"), "direction": (sorts[index].get("direction") or "ASC").upper()}
        )
    return criteria


def _summaries(documents, fields):
    """Invoices or credit memos as ``GET /__double__/state`` lists them, comments included."""
    return [
        {
            "entity_id": document["entity_id"],
            "increment_id": document["increment_id"],
            "order_id": document["order_id"],
            **{field: document.get(field) for field in fields},
            "comments": [comment["comment"] for comment in document["comments"]],
        }
        for document in documents.values()
    ]


# Row totals an order's items show through the REST API net of their discount.
NET_ROWS = (
    ("row_total", "discount_amount"),
    ("row_total_incl_tax", "discount_amount"),
    ("base_row_total", "base_discount_amount"),
    ("base_row_total_incl_tax", "base_discount_amount"),
)


def _as_api(answer):
    """An order (or a list of them) as GET /V1/orders answers it: a discounted
    item's row totals net of its discount, where the database and the totals
    collectors hold them before discount. Observed on the real 2.4.6-p1
    (Adobe Commerce): 2 x 29.95 less 5.99 reads row_total 53.91 through the
    API and 59.90 in sales_order_item; row_invoiced reads as stored
    (docs/magento-behaviour.md §10). Which plugin does it was not found."""
    orders = answer.get("items", []) if "entity_id" not in answer else [answer]
    for order in orders:
        for item in order.get("items") or []:
            for row, discount in NET_ROWS:
                if item.get(row) is not None and item.get(discount):
                    item[row] = round(float(item[row]) - float(item[discount]), 4)
    return answer


def _public(value):
    """Drop the double's private keys and null optional fields, as Magento does."""
    required_nulls = {"account_status", "cc_last4"}
    if isinstance(value, dict):
        return {
            k: _public(v) for k, v in value.items() if not k.startswith("_") and (v is not None or k in required_nulls)
        }
    if isinstance(value, list):
        return [_public(v) for v in value]
    return value
