"""The Magento 2 REST client: sessions, authentication, requests, errors."""

import ipaddress
import json
import socket
import ssl
from urllib.parse import quote, urlsplit, urlunsplit

import requests
from requests.utils import get_environ_proxies, select_proxy
from requests_oauthlib import OAuth1

from .calls import MagentoCalls
from .errors import (
    BODY_EXCERPT,
    MagentoAnswerTooLargeError,
    MagentoAuthError,
    MagentoConnectionError,
    MagentoError,
    MagentoNotFoundError,
    MagentoProtocolError,
    MagentoRateLimitError,
    MagentoServerError,
    MagentoTimeoutError,
    MagentoTLSError,
    MagentoValidationError,
    foreign_excerpt,
    magento_words,
)
from .transport import MAX_ANSWER_BYTES, AnswerTooLarge, DeadlineAdapter, Exchange, read_answer

DEFAULT_TIMEOUT = 30.0
# The only method Magento 2.4 accepts (Framework/Oauth/Oauth.php).
SIGNATURE_METHOD = "HMAC-SHA256"
# Magento's answer to a URL that matches no REST route, 404, in English
# (module-webapi/Controller/Rest/Router.php:57-61; translated like every message).
NO_ROUTE_MESSAGE = "Request does not match any route."
# A path no Magento routes: the no-route answer in the store view's language.
NO_ROUTE_PROBE = "V1/magento-invoice-export/no-such-route"
# A TCP connect that takes longer than this will not succeed later either.
MAX_CONNECT_TIMEOUT = 10.0


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


# Why a shop base URL is refused: (code, sentence). The sentences never repeat
# the URL, which may hold a password; the Odoo side words each code itself.
URL_PROBLEMS = {
    "scheme": "must start with http:// or https://, for example https://shop.example.com.",
    "malformed": "is not a well-formed address (an unclosed [ of an IPv6 address?).",
    "credentials": "must not hold a user name or password: Magento's keys go in the instance's credentials.",
    "host": "has no valid host name (a space or a character no host name has?).",
    "port": "has a port that is not a number from 1 to 65535.",
    "rest": "must stop before /rest: the client adds /rest/<store code>/V1/... itself.",
    "query": "must not hold a query (?...) or a fragment (#...): Magento's REST paths are added after it.",
}
_HOST_CHARACTERS = frozenset("-._")


def url_problem(url):
    """``(code, sentence)`` saying why ``url`` cannot be a shop base URL, or None.

    The sentence is the client's (English); a caller with translations words
    the code itself. Neither ever repeats the URL: it may carry a password."""
    url = (url or "").strip()
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme not in ("http", "https") or not url[len(scheme) :].startswith("://"):
        return "scheme", URL_PROBLEMS["scheme"]
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        code = "port" if "port" in str(exc).lower() else "malformed"
        return code, URL_PROBLEMS[code]
    netloc = parts.netloc
    if "@" in netloc:
        return "credentials", URL_PROBLEMS["credentials"]
    if "?" in url or "#" in url:
        return "query", URL_PROBLEMS["query"]
    host = parts.hostname or ""
    if netloc.startswith("["):
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return "host", URL_PROBLEMS["host"]
    elif not host or not all(char.isalnum() or char in _HOST_CHARACTERS for char in host):
        return "host", URL_PROBLEMS["host"]
    if port == 0 or (netloc.endswith(":") and port is None):
        return "port", URL_PROBLEMS["port"]
    if "rest" in (segment.lower() for segment in parts.path.split("/")):
        return "rest", URL_PROBLEMS["rest"]
    return None


def normal_base_url(url):
    """The base URL as the client sends it: trimmed, without a final slash, an
    IPv6 host written in its one canonical form (lower case, shortest), so that
    the ``Host`` header and the OAuth base string agree (docs §2)."""
    parts = urlsplit(url.strip())
    netloc = parts.netloc
    if netloc.startswith("["):
        address = str(ipaddress.IPv6Address(parts.hostname))
        netloc = f"[{address}]" + (f":{parts.port}" if parts.port is not None else "")
    return urlunsplit((parts.scheme.lower(), netloc, parts.path, "", "")).rstrip("/")


def sentence(text):
    """Magento's words closed as a sentence, so that advice can follow them
    ("Specified token does not exist" has no full stop of its own)."""
    text = (text or "").rstrip()
    return text if not text or text[-1] in ".!?:;)" else text + "."


def is_array_limit(error):
    """Magento's input limit on a list (``Maximum items of type "%type" is %max``),
    told by its parameters, whatever the language (docs/magento-behaviour.md §4)."""
    parameters = getattr(error, "parameters", None)
    return getattr(error, "status", None) == 400 and isinstance(parameters, dict) and {"type", "max"} <= set(parameters)


def query_string(params):
    """Encode query parameters the way Magento decodes them (``%20``, never ``+``)."""
    return "&".join(f"{quote(str(k), safe='-._~')}={quote(str(v), safe='-._~')}" for k, v in params.items())


class MagentoClient(MagentoCalls):
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
        problem = url_problem(base_url)
        if problem:
            raise ValueError(f"The shop base URL {problem[1]}")
        self.base_url = normal_base_url(base_url)
        self.store_code = (store_code or "default").strip()
        # The deadline of a whole exchange: connect, send, Magento's answer.
        self.timeout = float(timeout or DEFAULT_TIMEOUT)
        self.max_answer_bytes = MAX_ANSWER_BYTES
        self.verify_tls = verify_tls
        self.session = session or requests.Session()
        adapter = DeadlineAdapter()
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
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

        Every failure is raised as a :class:`MagentoError` subclass. The whole
        exchange (connect, send, Magento's answer) ends within ``timeout``
        seconds, and an answer larger than ``max_answer_bytes`` is cut off.
        ``route_always_exists``: a 404 then means the URL reaches no REST route.
        ``store_code``: another store code than the client's, for this request.
        """
        url = self.url(path, store_code)
        if params:
            # Built here, not by requests (which writes a space as "+").
            url = f"{url}?{query_string(params)}"
        headers = {"Accept": "application/json", **self._headers}
        exchange = Exchange(self.timeout)
        connect_timeout = min(self.timeout, MAX_CONNECT_TIMEOUT)
        try:
            with exchange:
                response = self.session.request(
                    method,
                    url,
                    json=json_body,
                    headers=headers,
                    auth=self._auth,
                    # Each socket operation is bounded by the deadline too (transport.py).
                    timeout=(connect_timeout, self.timeout),
                    verify=self.verify_tls,
                    allow_redirects=False,
                    stream=True,
                )
                try:
                    body = read_answer(response, self.max_answer_bytes)
                finally:
                    response.close()
        except AnswerTooLarge as exc:
            raise self._too_large(exc, method, url) from None
        except requests.exceptions.SSLError as exc:
            if exchange.expired():
                raise self._timed_out(exchange, method, url) from None
            if tls_failed_before_sending(exc):
                raise self._handshake_failed(exc, method, url) from None
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
                f"Could not connect to {self._host()} within {min(connect_timeout, exchange.seconds):g} seconds.",
                method=method,
                url=url,
                maybe_applied=False,
            ) from None
        except requests.exceptions.RequestException as exc:
            if exchange.expired() or isinstance(exc, requests.exceptions.ReadTimeout):
                raise self._timed_out(exchange, method, url) from None
            if isinstance(exc, requests.exceptions.ConnectionError):
                raise self._connection_error(exc, method, url) from None
            raise MagentoConnectionError(
                f"The request to {self._host()} failed: {self._reason(exc)}.",
                method=method,
                url=url,
                maybe_applied=method != "GET",
            ) from None
        return self._decode(response, body, method, url, route_always_exists)

    def _handshake_failed(self, exc, method, url):
        """A TLS handshake that failed before the request left: a certificate
        Odoo does not trust, or no TLS at all at that address."""
        plain = not _is_certificate_error(exc) and self._answers_plain_http()
        if plain:
            text = (
                f"The TLS connection to {self._host()} failed: the shop answers on http://, not https://. "
                "Correct the shop base URL to http://, or serve the shop over TLS."
            )
        else:
            text = (
                f"The TLS connection to {self._host()} failed: {self._reason(exc)}. "
                "Check the shop's certificate; only for a test shop, turn off TLS verification."
            )
        error = MagentoTLSError(text, method=method, url=url)
        error.plain_http = plain
        error.instance_fault = True  # every request to this shop fails alike
        return error

    def _answers_plain_http(self):
        """Whether the https:// address answers plain HTTP (a shop on http://,
        typed with https://): one GET of its root, asked only after a failed
        handshake, never with the credentials."""
        if not self.base_url.startswith("https://"):
            return False
        seconds = min(self.timeout, MAX_CONNECT_TIMEOUT)
        # The port the handshake failed on (443 unless given), never through a
        # proxy: a proxy answers plain HTTP for any shop, and port 80 answers
        # for most shops whose TLS is broken.
        parts = urlsplit(self.base_url)
        host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname
        probe = urlunsplit(("http", f"{host}:{parts.port or 443}", parts.path.rstrip("/") + "/", "", ""))
        try:
            with Exchange(seconds):
                response = self.session.get(
                    probe,
                    timeout=(seconds, seconds),
                    allow_redirects=False,
                    stream=True,
                    proxies={"http": None, "https": None},
                )
                response.close()
        except requests.exceptions.RequestException:
            return False
        return True

    def _timed_out(self, exchange, method, url):
        """The deadline passed: before any byte of Magento's answer, or while
        it was still arriving (a server that trickles its answer)."""
        if exchange.received:
            text = (
                f"Magento did not finish answering within {exchange.seconds:g} seconds: its answer was still arriving."
            )
        else:
            text = f"Magento did not answer within {exchange.seconds:g} seconds."
        # The request may have reached Magento, which may go on and commit it.
        return MagentoTimeoutError(text, method=method, url=url, maybe_applied=method != "GET")

    def _too_large(self, exc, method, url):
        """An answer past the size limit, cut off while being read."""
        megabytes = exc.limit / (1024 * 1024)
        said = (
            f"announced {exc.announced / (1024 * 1024):.0f} MB"
            if exc.announced
            else "was still arriving when the limit was reached"
        )
        error = MagentoAnswerTooLargeError(
            f"Magento's answer exceeded {megabytes:g} MB ({said}), far more than any answer the addon asks for: "
            "it was cut off. Check the shop base URL.",
            method=method,
            url=url,
            # It answered: a POST reached something, which may be Magento having
            # done the work; the document is looked up before any new attempt.
            maybe_applied=method != "GET",
        )
        error.instance_fault = True  # every such request meets it again: the run stops
        return error

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
        if isinstance(exc, requests.exceptions.ProxyError):
            # The proxy, not the shop: its own DNS decides whether the host exists.
            proxy = urlsplit(select_proxy(url, get_environ_proxies(url)) or "").netloc or "?"
            failed = (
                "that proxy refused the connection"
                if _caused_by(exc, ConnectionRefusedError)
                else f"the connection through it failed ({self._reason(exc)})"
            )
            return MagentoConnectionError(
                f"Odoo reaches {self._host()} through the proxy {proxy} (the HTTPS_PROXY or HTTP_PROXY setting "
                f"of the Odoo server), and {failed}: check the proxy, or name the shop's host in NO_PROXY.",
                method=method,
                url=url,
                maybe_applied=False,
            )
        if _caused_by(exc, socket.gaierror) or "NameResolutionError" in text:
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

    def _decode(self, response, data, method, url, route_always_exists=False):
        status = response.status_code
        text = bytes(data[: BODY_EXCERPT * 4]).decode(response.encoding or "utf-8", "replace")
        try:
            body = json.loads(data) if data.strip() else None
            is_json = True
        except ValueError:
            body = None
            is_json = False
        if 200 <= status < 300:
            if not is_json:
                raise self._not_json(response, text, method, url)
            return body
        if isinstance(body, dict) and "trace" in body:
            # Developer mode's stack trace holds server paths: never kept.
            body = {key: value for key, value in body.items() if key != "trace"}
            text = json.dumps(body)
        error = self._http_error(response, body, is_json, text[:BODY_EXCERPT], method, url, route_always_exists)
        if isinstance(error, MagentoNotFoundError) and (route_always_exists or self._no_route(error)):
            error.instance_fault = True
        raise error

    def _not_json(self, response, text, method, url):
        """A 2xx whose body is not JSON: the server at this address is not
        Magento's REST API, and every request meets it again (docs §9)."""
        html = "html" in (response.headers.get("Content-Type") or "").lower() or text.lstrip().startswith("<")
        error = MagentoProtocolError(
            f"The server at {self._host()} answered HTTP {response.status_code} with "
            + ("an HTML page" if html else "something that is not JSON")
            + ": this does not look like the Magento REST API. Check the shop base URL.",
            status=response.status_code,
            response_body=foreign_excerpt(text),
            method=method,
            url=url,
            # An HTML page is never Magento's answer to a REST request: its REST
            # controller renders every answer, errors included, with the JSON
            # renderer our Accept header picks (Webapi/Rest/Response.php), and
            # every PHP notice or warning is thrown and rendered as a JSON 500
            # (app/bootstrap.php: error_reporting(E_ALL); framework/App/
            # ErrorHandler.php). An HTML 2xx comes from something else at this
            # address (another site, a login or parking page, the storefront),
            # which did not hand the request to Magento's REST API: nothing was
            # created, and no document is left waiting for a look-up that the
            # same page would answer. Other bytes that are not JSON (a broken
            # or cut JSON) may be Magento's answer damaged on its way: a POST
            # may then have been carried out, and is looked up before it is
            # sent again.
            maybe_applied=method != "GET" and not html,
        )
        # A page of another site meets every request again: the run stops. A
        # damaged JSON is a passing fault (a proxy, PHP output mixed in).
        error.instance_fault = html
        return error

    def _no_route(self, error):
        """Whether a 404 on a POST is Magento's "Request does not match any
        route." rather than a missing order (docs §3, §9).

        Both are parameterless 404s in the store view's language, so the text
        is compared with Magento's own answer, in the same language, for a
        route that exists in no Magento: a GET on the same store code. Only
        asked after a POST's 404 (the routes of GETs are told by the caller)."""
        if error.method != "POST" or error.parameters:
            return False
        if error.raw_message == NO_ROUTE_MESSAGE:
            return True
        try:
            self.request("GET", NO_ROUTE_PROBE)
        except MagentoNotFoundError as probe:
            return probe.raw_message == error.raw_message and not probe.parameters
        except MagentoError:
            return False
        return False

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
            return MagentoAuthError(f"Magento refused the credentials: {sentence(magento_message)}", **common)
        credential = self._oauth_input_problem(status, parameters, body, method, route_always_exists)
        if credential:
            return MagentoAuthError(
                f"Magento refused the credentials: {sentence(magento_message)}", credential=credential, **common
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


def _caused_by(exc, kind):
    """Whether ``kind`` is among the causes requests and urllib3 nest in ``exc``."""
    seen, pending = set(), [exc]
    while pending:
        cause = pending.pop()
        if cause is None or id(cause) in seen or not isinstance(cause, BaseException):
            continue
        if isinstance(cause, kind):
            return True
        seen.add(id(cause))
        pending += [cause.__cause__, cause.__context__, getattr(cause, "reason", None)]
        pending += [arg for arg in cause.args if isinstance(arg, BaseException)]
    return False


def _is_certificate_error(exc):
    return _caused_by(exc, ssl.SSLCertVerificationError)


def _retry_after(value):
    """Seconds from a Retry-After header (delta-seconds form only)."""
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return None
