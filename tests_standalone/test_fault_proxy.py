"""tools/fault_proxy.py in front of the Magento double: every fault kind does
what it says, and everything else passes through byte for byte, OAuth
signatures included (the client signs for the proxy's address)."""

import os
import socket
import sys
import time

import pytest
import requests
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256
from requests_oauthlib import OAuth1

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools"))

from fault_proxy import FaultProxy

from magento_client import MagentoClient
from magento_double import MagentoDouble

BAG = {"sku": "24-MB01", "name": "Joust Duffle Bag", "qty": 2, "price": 34}


@pytest.fixture
def magento():
    with MagentoDouble() as double:
        yield double


@pytest.fixture
def proxy(magento):
    with FaultProxy(magento.url) as running:
        yield running


@pytest.fixture
def order(magento):
    return magento.store.add_order([BAG])


def _auth(magento):
    keys = magento.credentials
    return OAuth1(
        keys["consumer_key"],
        keys["consumer_secret"],
        keys["access_token"],
        keys["access_token_secret"],
        signature_method=SIGNATURE_HMAC_SHA256,
    )


def _invoice(magento, proxy, order, timeout=5):
    """POST an invoice of the whole order through the proxy, signed for the proxy's address."""
    url = f"{proxy.url}/rest/default/V1/order/{order['entity_id']}/invoice"
    return requests.post(url, json={"capture": False}, auth=_auth(magento), timeout=timeout)


def _control(proxy, path, body=None):
    method = "POST" if body is not None else "GET"
    return requests.request(method, f"{proxy.url}/__proxy__/{path}", json=body, timeout=5).json()


def test_a_signed_client_passes_through_unchanged(magento, proxy, order):
    client = MagentoClient(proxy.url, timeout=5, **magento.credentials)
    invoice_id = client.create_invoice(order["entity_id"], [(order["items"][0]["item_id"], 2)], comment="INV/1")
    assert invoice_id == 1
    assert client.get_order_invoices(order["entity_id"])[0]["entity_id"] == invoice_id
    # Magento checked the signature against the Host header the client sent: the proxy's.
    assert len(magento.store.invoices) == 1
    assert _control(proxy, "state")["counts"] == {"requests": 2, "forwarded": 2, "answered": 2}


def test_request_and_answer_are_relayed_byte_for_byte(magento, proxy, order):
    path = f"/rest/default/V1/orders/{order['entity_id']}"
    raw = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:1\r\nX-Odd:  spaced \r\nAuthorization: Bearer nope\r\n\r\n"
    direct = _raw_exchange(magento.url, raw)
    relayed = _raw_exchange(proxy.url, raw)
    # Date aside (a second apart at most), the same bytes.
    assert _without_date(relayed) == _without_date(direct)
    assert b"401" in direct.split(b"\r\n")[0]
    assert magento.requests()[-1]["path"] == path


def _raw_exchange(url, text):
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(text.encode())
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        length = int(
            next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")).split(b":")[1]
        )
        while len(body) < length:
            body += sock.recv(65536)
        return head + b"\r\n\r\n" + body


def _without_date(data):
    return b"\r\n".join(line for line in data.split(b"\r\n") if not line.lower().startswith(b"date:"))


def test_drop_after_lets_magento_do_it_then_closes_without_answer(magento, proxy, order):
    _control(proxy, "faults", {"kind": "drop_after", "method": "POST", "path": "/invoice$"})
    with pytest.raises(requests.ConnectionError):
        _invoice(magento, proxy, order)
    assert len(magento.store.invoices) == 1  # the lost answer: Magento has it
    assert _control(proxy, "state")["faults"] == {"drop_after": 1}


def test_hold_answers_past_the_clients_timeout(magento, proxy, order):
    _control(proxy, "faults", {"kind": "hold", "method": "POST", "seconds": 2})
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        _invoice(magento, proxy, order, timeout=0.5)
    assert time.monotonic() - started < 2
    assert len(magento.store.invoices) == 1
    # A patient client gets the held answer.
    other = magento.store.add_order([BAG])
    _control(proxy, "faults", {"kind": "hold", "method": "POST", "seconds": 1})
    started = time.monotonic()
    assert _invoice(magento, proxy, other, timeout=5).status_code == 200
    assert time.monotonic() - started >= 1


def test_reset_closes_before_anything_is_forwarded(magento, proxy, order):
    _control(proxy, "faults", {"kind": "reset", "method": "POST"})
    with pytest.raises(requests.ConnectionError):
        _invoice(magento, proxy, order)
    assert not magento.requests() and not magento.store.invoices
    # The next request goes.
    assert _invoice(magento, proxy, order).status_code == 200


@pytest.mark.parametrize("status", [500, 503])
def test_error_answers_a_proxy_page_without_forwarding(magento, proxy, order, status):
    _control(proxy, "faults", {"kind": "error", "status": status})
    response = _invoice(magento, proxy, order)
    assert response.status_code == status
    assert response.headers["Content-Type"] == "text/html" and "<h1>" in response.text
    assert not magento.requests()


def test_slow_answers_late_but_within_the_timeout(magento, proxy, order):
    _control(proxy, "faults", {"kind": "slow", "method": "POST", "seconds": 0.5})
    started = time.monotonic()
    assert _invoice(magento, proxy, order, timeout=5).status_code == 200
    assert time.monotonic() - started >= 0.5


def test_a_fault_matches_its_method_and_path_only(magento, proxy, order):
    _control(proxy, "faults", {"kind": "error", "method": "POST", "path": "/refund$", "times": 2})
    assert _invoice(magento, proxy, order).status_code == 200
    assert _control(proxy, "state")["pending_faults"] == ["error"]
    _control(proxy, "clear", {})
    assert _control(proxy, "state")["pending_faults"] == []


def test_chaos_is_repeatable_with_its_seed(magento, proxy):
    def run():
        _control(proxy, "chaos", {"rate": 0.5, "seed": 7, "kinds": ["error"]})
        statuses = [_invoice(magento, proxy, magento.store.add_order([BAG])).status_code for _ in range(8)]
        _control(proxy, "clear", {})
        return statuses

    first = run()
    assert first == run() and 503 in first and 200 in first


def test_unknown_fault_is_refused(proxy):
    response = requests.post(f"{proxy.url}/__proxy__/faults", json={"kind": "explode"}, timeout=5)
    assert response.status_code == 400 and "unknown fault" in response.json()["message"]


def test_serves_and_forwards_to_this_machine_only(magento):
    with pytest.raises(ValueError, match="127.0.0.1 only"):
        FaultProxy(magento.url, host="0.0.0.0")
    with pytest.raises(ValueError, match="this machine"):
        FaultProxy("http://192.0.2.1:80")
    with pytest.raises(ValueError, match="plain-HTTP"):
        FaultProxy("https://127.0.0.1:443")


def test_stop_lets_a_held_answer_go_and_returns_at_once(magento, order):
    proxy = FaultProxy(magento.url).start()
    proxy.inject("hold", seconds=60)
    sock = socket.create_connection(proxy.server.server_address[:2], timeout=5)
    sock.sendall(f"GET /rest/default/V1/orders/{order['entity_id']} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    while not proxy.state()["requests"] and not magento.requests():
        time.sleep(0.01)
    started = time.monotonic()
    proxy.stop()
    assert time.monotonic() - started < 3
    sock.close()
    with pytest.raises(OSError):
        socket.create_connection(proxy.server.server_address[:2], timeout=1)
