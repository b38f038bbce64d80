"""The REST client against the double: URLs, calls, and every kind of error."""

import socket

import pytest
import requests
from conftest import double_only, item_ids
from shops import NO_SUCH_ID

from magento_client import (
    MagentoAuthError,
    MagentoClient,
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
    fill_placeholders,
)
from magento_double import MagentoDouble
from magento_export.advice import failure_kind


# The addon engineer's error for an unknown store code, once the client has it.
def test_url_contains_store_code(shop):
    client = MagentoClient(shop.url + "/", store_code="fr", **shop.credentials)
    assert client.url("V1/orders/3") == f"{shop.url}/rest/fr/V1/orders/3"


def test_constructor_refuses_incomplete_settings():
    with pytest.raises(ValueError, match="consumer secret, access token"):
        MagentoClient("https://shop.example.com", consumer_key="k")
    with pytest.raises(ValueError, match="must start with http:// or https://"):
        MagentoClient("shop.example.com", auth="bearer", bearer_token="t")
    with pytest.raises(ValueError, match="needs a token"):
        MagentoClient("https://shop.example.com", auth="bearer")


@double_only("reads the requests the double received")
def test_create_invoice_sends_magento_body_and_returns_int(magento, client, order):
    invoice_id = client.create_invoice(order["entity_id"], [(1, 1), (2, 2)], notify=True, comment="INV/2026/0001")
    assert invoice_id == 1 and isinstance(invoice_id, int)
    sent = magento.requests("POST")[-1]
    assert sent["path"] == f"/rest/default/V1/order/{order['entity_id']}/invoice"
    assert sent["json"] == {
        "capture": False,
        "notify": True,
        "appendComment": False,
        "items": [{"order_item_id": 1, "qty": 1.0}, {"order_item_id": 2, "qty": 2.0}],
        "comment": {"comment": "INV/2026/0001", "is_visible_on_front": 0},
    }
    assert sent["auth"] == "OAuth"


@double_only("needs an id sent as a JSON number, which Magento never sends")
def test_create_invoice_accepts_integer_id(magento, client, order):
    magento.invoice_id_as = "int"
    assert client.create_invoice(order["entity_id"], [(1, 1)]) == 1


@double_only("needs fault injection")
@pytest.mark.parametrize("body", [True, None, "abc", {"id": 4}, 0, -3, "4.5"])
def test_create_invoice_refuses_unexpected_id_types(magento, client, order, body):
    magento.inject("body", body=body, method="POST")
    with pytest.raises(MagentoProtocolError, match="where an invoice id was expected") as info:
        client.create_invoice(order["entity_id"], [(1, 1)])
    assert info.value.maybe_applied  # Magento said 2xx: the invoice may exist
    assert len(magento.store.invoices) == 1


@double_only("reads the requests the double received")
def test_order_invoices_filters_by_order(magento, client, order):
    other = magento.store.add_order([{"sku": "X", "name": "X", "qty": 1, "price": 1}])
    client.create_invoice(order["entity_id"], [(1, 1)], comment="A")
    client.create_invoice(other["entity_id"], [], comment="B")
    found = client.get_order_invoices(order["entity_id"])
    assert [inv["comments"][0]["comment"] for inv in found] == ["A"]
    query = magento.requests("GET", "/V1/invoices")[-1]["query"]
    assert query["searchCriteria[filterGroups][0][filters][0][field]"] == "order_id"
    assert query["searchCriteria[filterGroups][0][filters][0][conditionType]"] == "eq"


def test_get_order_and_search_orders(client, order):
    assert client.get_order(order["entity_id"])["increment_id"] == order["increment_id"]
    found = client.search_orders([[("increment_id", order["increment_id"], "eq")]], page_size=10)
    assert found["total_count"] == 1 and found["items"][0]["entity_id"] == order["entity_id"]


def test_validation_error_has_placeholders_filled(client, order):
    with pytest.raises(MagentoValidationError) as info:
        client.create_invoice(order["entity_id"], [(item_ids(order)[0], 5)])
    error = info.value
    assert error.status == 400
    assert error.raw_message == 'We found an invalid quantity to invoice item "%1".'
    assert error.magento_message == f'We found an invalid quantity to invoice item "{order["items"][0]["name"]}".'
    assert not error.retryable and not error.maybe_applied


def test_not_found(client):
    with pytest.raises(MagentoNotFoundError, match="The entity that was requested doesn't exist"):
        client.create_invoice(NO_SUCH_ID, [(1, 1)])


def test_wrong_secret_is_auth_error(shop):
    client = shop.client(access_token_secret="0" * 32)
    with pytest.raises(MagentoAuthError, match="The signature is invalid. Verify and try again.") as info:
        client.test_connection()
    assert info.value.status == 401 and not info.value.retryable


def test_magento_words_end_their_sentence_before_ours(shop):
    """Issue 23, item 11: "Specified token does not exist Check..." ran Magento's words into the advice."""
    client = shop.client(access_token="0" * 32)
    with pytest.raises(MagentoAuthError) as info:
        client.test_connection()
    assert info.value.magento_message == "Specified token does not exist", "Magento's own words, as it sent them"
    assert str(info.value) == "Magento refused the credentials: Specified token does not exist."


def test_missing_acl_names_the_resource(shop):
    client = shop.integration_client({"Magento_Sales::actions_view"}, name="orders-only")
    with pytest.raises(MagentoAuthError) as info:
        client.test_connection()
    assert info.value.magento_message == "The consumer isn't authorized to access Magento_Sales::sales_invoice."


@double_only("needs fault injection")
def test_server_error_is_retryable_and_maybe_applied(magento, client, order):
    magento.inject("error", status=500, method="POST")
    with pytest.raises(MagentoServerError, match="Report ID: webapi-") as info:
        client.create_invoice(order["entity_id"], [(1, 1)])
    assert info.value.retryable and info.value.maybe_applied
    # Production's masked 500: the report id already filled in, no parameters (docs §3).
    assert info.value.raw_message == info.value.magento_message and info.value.parameters is None


@double_only("needs fault injection")
@pytest.mark.parametrize("status", [502, 503])
def test_proxy_html_page_is_server_error(magento, client, status):
    magento.inject("html", status=status)
    with pytest.raises(MagentoServerError, match="not a Magento answer, probably a proxy") as info:
        client.test_connection()
    assert info.value.status == status and info.value.retryable
    assert f"{status} " in info.value.response_body and "<" not in info.value.response_body


@double_only("needs fault injection")
def test_rate_limit_carries_retry_after(magento, client):
    magento.inject("rate_limit", retry_after=7)
    with pytest.raises(MagentoRateLimitError, match="Too Many Requests") as info:
        client.test_connection()
    assert info.value.retry_after == 7.0 and info.value.retryable


@double_only("needs fault injection")
def test_hang_times_out(magento, order):
    client = MagentoClient(magento.url, timeout=0.3, **magento.credentials)
    magento.inject("hang", method="POST")
    with pytest.raises(MagentoTimeoutError, match="did not answer within 0.3 seconds") as info:
        client.create_invoice(order["entity_id"], [(1, 1)])
    assert info.value.retryable and info.value.maybe_applied
    magento.release_hangs()


@double_only("needs fault injection")
def test_dropped_after_create_is_maybe_applied(magento, client, order):
    magento.inject("drop_after", method="POST")
    with pytest.raises(MagentoConnectionError, match="broke before Magento answered") as info:
        client.create_invoice(order["entity_id"], [(1, 1)], comment="INV/1")
    assert info.value.maybe_applied
    # Magento did create it: the lookup finds it.
    assert [i["comments"][0]["comment"] for i in client.get_order_invoices(order["entity_id"])] == ["INV/1"]


@double_only("needs fault injection")
def test_malformed_json_after_create(magento, client, order):
    magento.inject("malformed", method="POST")
    with pytest.raises(MagentoProtocolError, match="not JSON") as info:
        client.create_invoice(order["entity_id"], [(1, 1)])
    assert info.value.maybe_applied
    assert len(magento.store.invoices) == 1


def test_connection_refused_on_dead_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = MagentoClient(f"http://127.0.0.1:{port}", auth="bearer", bearer_token="t", timeout=2)
    with pytest.raises(MagentoConnectionError, match="connection refused") as info:
        client.test_connection()
    assert not info.value.maybe_applied


def test_unknown_host(monkeypatch):
    # Simulate the resolver's answer rather than sending a DNS query.
    def refuse(host, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    client = MagentoClient("https://shop.invalid", auth="bearer", bearer_token="t", timeout=2)
    with pytest.raises(MagentoConnectionError, match="'shop.invalid' could not be found"):
        client.test_connection()


def test_https_against_a_shop_on_http_says_the_scheme(shop):
    """Issue 23, item 11: it advised turning TLS verification off, which cannot help."""
    if not shop.url.startswith("http://"):
        pytest.skip("the shop is served over https")
    client = MagentoClient(shop.url.replace("http://", "https://", 1), timeout=5, **shop.credentials)
    with pytest.raises(MagentoTLSError) as info:
        client.test_connection()
    host = shop.url.split("://", 1)[1]
    assert str(info.value) == (
        f"The TLS connection to {host} failed: the shop answers on http://, not https://. Correct the shop base "
        "URL to http://, or serve the shop over TLS."
    )
    assert info.value.plain_http and info.value.instance_fault and not info.value.retryable
    # An export's log gives the same advice, not "turn off TLS verification".
    assert failure_kind(info.value) == "plain_http"


def test_the_plain_http_probe_asks_the_same_port_without_a_proxy(monkeypatch):
    """A shop whose TLS is broken on 443 mostly answers on 80 (a redirect), and a
    proxy answers any plain GET: neither may read as "the shop answers on http://"."""
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    asked = []

    class Session(requests.Session):
        def get(self, url, **kwargs):
            asked.append((url, kwargs["proxies"], kwargs["timeout"]))
            raise requests.exceptions.ConnectionError("refused")

    client = MagentoClient("https://shop.example/magento", bearer_token="t" * 32, auth="bearer", session=Session())
    assert client._answers_plain_http() is False
    assert asked == [("http://shop.example:443/magento/", {"http": None, "https": None}, (10, 10))]


def test_a_proxy_that_refuses_is_named_not_the_shop(monkeypatch):
    """Issue 23, item 11: behind a dead proxy (the demo's), an unknown host read "connection refused"."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    client = MagentoClient("https://shop.invalid", auth="bearer", bearer_token="t", timeout=2)
    with pytest.raises(MagentoConnectionError) as info:
        client.test_connection()
    assert str(info.value) == (
        f"Odoo reaches shop.invalid through the proxy 127.0.0.1:{port} (the HTTPS_PROXY or HTTP_PROXY setting "
        "of the Odoo server), and that proxy refused the connection: check the proxy, or name the shop's host "
        "in NO_PROXY."
    )
    assert not info.value.maybe_applied


@double_only("needs fault injection")
def test_not_magento_html_200(magento):
    magento.inject("body", body="<html>shop</html>")
    # a JSON string is valid JSON, but not an invoice list
    client = MagentoClient(magento.url, **magento.credentials)
    with pytest.raises(MagentoProtocolError, match="not with a Magento list") as info:
        client.test_connection()
    assert info.value.instance_fault


def test_unknown_store_code_is_refused_before_anything(shop):
    """docs §1: a parameterless 400, before any route or credential is read."""
    client = shop.client(store_code="nope")
    with pytest.raises(MagentoError) as info:
        client.test_connection()
    assert (info.value.status, info.value.magento_message) == (400, "Specified request cannot be processed.")
    assert info.value.instance_fault and info.value.parameters is None


def test_unknown_store_code_is_named_as_such(shop):
    """Magento answers it with a parameterless 400, as a token of the wrong length (docs §1)."""
    with pytest.raises(MagentoStoreCodeError, match="no store view with the REST store code 'nope'"):
        shop.client(store_code="nope").test_connection()


def test_bearer_integration_token_refused_by_default(shop):
    """docs §2: off unless oauth/consumer/enable_integration_as_bearer is on: the caller is a guest."""
    client = shop.client(auth="bearer", bearer_token=shop.credentials["access_token"])
    with pytest.raises(MagentoAuthError, match="isn't authorized to access Magento_Sales::sales_invoice"):
        client.test_connection()


@double_only("needs oauth/consumer/enable_integration_as_bearer turned on")
def test_bearer_integration_token_with_magento_setting(magento):
    client = MagentoClient(magento.url, auth="bearer", bearer_token=magento.credentials["access_token"])
    magento.integration_as_bearer = True
    assert client.test_connection() == 0
    assert magento.requests()[-1]["auth"] == "Bearer"


def test_credentials_never_in_error_text(shop):
    creds = dict(shop.credentials, consumer_secret="S3CRET" * 5 + "xx")
    client = shop.client(**creds)
    with pytest.raises(MagentoAuthError) as info:
        client.test_connection()
    text = " ".join(str(v) for v in vars(info.value).values()) + str(info.value)
    for secret in creds.values():
        assert secret not in text


@pytest.mark.parametrize(
    ("message", "parameters", "expected"),
    [
        ('item "%1".', ["Bag"], 'item "Bag".'),
        ("access %resources.", {"resources": "Magento_Sales::invoice"}, "access Magento_Sales::invoice."),
        ("%1 and %2", ["a"], "a and %2"),
        ("no params", None, "no params"),
        ("%fieldName is required", {"fieldName": "searchCriteria"}, "searchCriteria is required"),
        ("providers %active_providers", {"active_providers": ["google", "duo"]}, "providers google, duo"),
    ],
)
def test_fill_placeholders(message, parameters, expected):
    assert fill_placeholders(message, parameters) == expected


# ------------------------------------------------- Magento's error shapes (§3)
@double_only("needs fault injection")
def test_php_fatal_shape_gives_magento_words(magento, client):
    body = {"messages": {"error": [{"code": 500, "message": "Server internal error. See details in report api/1234"}]}}
    magento.inject("error", status=500, body=body)
    with pytest.raises(MagentoServerError) as info:
        client.test_connection()
    assert info.value.magento_message == "Server internal error. See details in report api/1234"
    assert "Server internal error" in str(info.value)


@double_only("needs fault injection")
def test_aggregate_errors_are_all_shown(magento, client):
    body = {
        "message": "One or more input exceptions have occurred.",
        "errors": [
            {"message": '"%fieldName" is required. Enter and try again.', "parameters": {"fieldName": "qty"}},
            {"message": '"%fieldName" is required. Enter and try again.', "parameters": {"fieldName": "items"}},
        ],
    }
    magento.inject("error", status=400, method="POST", body=body)
    with pytest.raises(MagentoValidationError) as info:
        client.create_invoice(1, [(1, 1)])
    assert info.value.magento_message == (
        'One or more input exceptions have occurred. "qty" is required. Enter and try again. '
        '"items" is required. Enter and try again.'
    )


@double_only("needs fault injection")
def test_filled_500_and_developer_trace_never_kept(magento, client):
    body = {
        "message": "Internal Error. Details are available in Magento log file. Report ID: webapi-6523",
        "trace": "#0 /var/www/html/vendor/magento/x.php(12)",
    }
    magento.inject("error", status=500, body=body)
    with pytest.raises(MagentoServerError) as info:
        client.test_connection()
    assert info.value.magento_message == body["message"]
    assert "/var/www" not in info.value.response_body and "trace" not in info.value.response_body


@double_only("needs fault injection")
@pytest.mark.parametrize(
    ("body", "content"),
    [({"error": "Not Found"}, "json"), ("<html><h1>404 Not Found</h1></html>", "html")],
)
def test_something_that_is_not_magento_says_so(magento, client, body, content):
    if content == "html":
        magento.inject("html", status=404)
    else:
        magento.inject("error", status=404, body=body)
    with pytest.raises(MagentoProtocolError, match="does not look like Magento"):
        client.test_connection()


# ------------------------------- credential refusals Magento answers with 400 (§2)
@double_only("needs fault injection")
@pytest.mark.parametrize(
    "message",
    ['"%fieldName" is required. Enter and try again.', '"%fieldName" est obligatoire. Saisissez-le et réessayez.'],
)
def test_missing_oauth_field_is_a_credential_error_in_any_language(magento, client, message):
    magento.inject(
        "error", status=400, method="POST", body={"message": message, "parameters": {"fieldName": "oauth_token"}}
    )
    with pytest.raises(MagentoAuthError) as info:
        client.create_invoice(1, [(1, 1)])
    assert (info.value.status, info.value.credential, info.value.instance_fault) == (400, "oauth_token", True)


@double_only("needs fault injection")
def test_unsupported_signature_method_is_a_credential_error(magento, client, monkeypatch):
    from magento_double import oauth

    monkeypatch.setattr(oauth, "SUPPORTED_METHODS", ("HMAC-SHA1",))
    with pytest.raises(MagentoAuthError) as info:
        client.test_connection()
    assert (info.value.status, info.value.credential) == (400, "oauth_signature_method")
    assert info.value.magento_message == "Signature method HMAC-SHA256 is not supported"


@double_only("needs fault injection")
def test_parameterless_400_on_a_list_call_is_the_token(magento, client):
    # Whatever the words (a translated "The token length is invalid..."), only the token can cause it.
    # Twice: a client may ask again at the store code "all" to tell the token from the store code.
    magento.inject("error", status=400, method="GET", body={"message": "Die Tokenlänge ist ungültig."}, times=2)
    with pytest.raises(MagentoAuthError) as info:
        client.test_connection()
    assert info.value.credential == "oauth_token"


def test_invoice_refusal_is_not_a_credential_error(client, order):
    client.create_invoice(order["entity_id"], [])
    with pytest.raises(MagentoValidationError) as info:
        client.create_invoice(order["entity_id"], [])
    assert not info.value.instance_fault


def test_not_found_order_is_not_the_instance_fault(client):
    with pytest.raises(MagentoNotFoundError) as info:
        client.create_invoice(NO_SUCH_ID, [(1, 1)])
    assert not info.value.instance_fault


# ------------------------------------------- TLS: before or after the request (§9)
@pytest.fixture
def tls_magento(tmp_path):
    from magento_double.tls import self_signed

    with MagentoDouble(tls=self_signed(str(tmp_path))) as double:
        yield double


@double_only("needs fault injection")
@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_tls_broken_after_the_request_may_have_created_the_invoice(tls_magento):
    order = tls_magento.store.add_order([{"sku": "A", "name": "A", "qty": 1, "price": 1}])
    client = MagentoClient(tls_magento.url, verify_tls=False, timeout=5, **tls_magento.credentials)
    tls_magento.inject("tls_break_after", method="POST")
    with pytest.raises(MagentoTLSError, match="broke while Magento's answer was read") as info:
        client.create_invoice(order["entity_id"], [(order["items"][0]["item_id"], 1)])
    assert info.value.maybe_applied and info.value.retryable
    assert len(tls_magento.store.invoices) == 1, "Magento did create it"


@double_only("needs the double served over TLS")
def test_tls_certificate_refused_before_anything_was_sent(tls_magento):
    order = tls_magento.store.add_order([{"sku": "A", "name": "A", "qty": 1, "price": 1}])
    client = MagentoClient(tls_magento.url, timeout=5, **tls_magento.credentials)
    with pytest.raises(MagentoTLSError, match="certificate") as info:
        client.create_invoice(order["entity_id"], [(order["items"][0]["item_id"], 1)])
    assert not info.value.maybe_applied and not info.value.retryable
    assert not tls_magento.requests() and not tls_magento.store.invoices


@double_only("needs fault injection")
def test_an_answer_magento_did_not_write_is_kept_short_and_plain(magento, client):
    page = "<html><body><h1>Bad Gateway</h1>" + "<p>" + "x" * 5000 + "</p><script>alert(1)</script></body></html>"
    magento.inject("html", status=502)
    with pytest.raises(MagentoServerError) as info:
        client.test_connection()
    assert info.value.response_body == "502 Bad Gateway 502 Bad Gateway nginx"
    magento.inject("body", body=page)
    with pytest.raises(MagentoProtocolError) as info:
        client.test_connection()
    assert "<" not in info.value.response_body and len(info.value.response_body) <= 300
