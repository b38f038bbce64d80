"""Issue 22: hostile servers. One deadline for the whole exchange, a bounded
answer, an answer that is not Magento's, a 404 that is no route, refused shop
URLs and IPv6 signatures (docs/magento-behaviour.md §2, §9)."""

import socket
import threading
import time
import tracemalloc

import pytest
from conftest import double_only
from shops import NO_SUCH_ID

from magento_client import (
    MagentoClient,
    MagentoNotFoundError,
    MagentoProtocolError,
    MagentoTimeoutError,
)
from magento_client.client import URL_PROBLEMS, url_problem
from magento_client.transport import MAX_ANSWER_BYTES
from magento_double import MagentoDouble
from magento_export.advice import failure_kind
from magento_export.policy import failure_outcome


# ------------------------------------------------------ one deadline (item 1)
@double_only("needs fault injection")
@pytest.mark.parametrize("kind", ["trickle", "trickle_head"])
def test_a_server_that_trickles_its_answer_is_cut_at_the_deadline(magento, order, kind):
    """A byte every 0.2 s never trips a per-read timeout of 1 s: the whole
    exchange still ends at 1 s, as a timeout whose outcome is unknown."""
    client = MagentoClient(magento.url, timeout=1, **magento.credentials)
    magento.inject(kind, method="POST", seconds=0.2)
    started = time.monotonic()
    with pytest.raises(MagentoTimeoutError) as info:
        client.create_invoice(order["entity_id"], [(order["items"][0]["item_id"], 1)])
    elapsed = time.monotonic() - started
    assert elapsed < 2.0, f"held {elapsed:.1f} s with a 1 s timeout"
    assert str(info.value) == ("Magento did not finish answering within 1 seconds: its answer was still arriving.")
    assert info.value.maybe_applied and info.value.retryable
    assert failure_kind(info.value) == "transient"
    magento.release_hangs()


@double_only("needs fault injection")
def test_a_server_that_trickles_to_a_get_is_cut_too(magento):
    client = MagentoClient(magento.url, timeout=0.8, **magento.credentials)
    magento.inject("trickle_head", method="GET", seconds=0.1)
    started = time.monotonic()
    with pytest.raises(MagentoTimeoutError, match="did not finish answering within 0.8 seconds") as info:
        client.search_invoices(page_size=1)
    assert time.monotonic() - started < 1.8
    assert not info.value.maybe_applied
    magento.release_hangs()


@double_only("needs fault injection")
def test_silence_is_still_did_not_answer(magento, order):
    client = MagentoClient(magento.url, timeout=0.5, **magento.credentials)
    magento.inject("hang", method="POST")
    with pytest.raises(MagentoTimeoutError, match=r"^Magento did not answer within 0.5 seconds\.$"):
        client.create_invoice(order["entity_id"], [(order["items"][0]["item_id"], 1)])
    magento.release_hangs()


def test_the_deadline_counts_the_sending_too():
    """A server that never reads: the request's body cannot leave, and the
    exchange still ends at the deadline."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        port = server.getsockname()[1]
        accepted = []
        threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True).start()
        client = MagentoClient(f"http://127.0.0.1:{port}", auth="bearer", bearer_token="t", timeout=1)
        started = time.monotonic()
        with pytest.raises(MagentoTimeoutError):
            client.request("POST", "V1/order/1/invoice", json_body={"comment": "x" * 20_000_000})
        assert time.monotonic() - started < 2.5
        for connection, _address in accepted:
            connection.close()


# ------------------------------------------------------ a bounded answer (item 2)
@double_only("needs fault injection")
def test_a_huge_answer_is_cut_off_and_memory_stays_bounded(magento, client):
    magento.inject("huge", method="GET", size=300 * 1024 * 1024)
    tracemalloc.start()
    try:
        with pytest.raises(MagentoProtocolError) as info:
            client.search_invoices(page_size=1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(info.value).startswith("Magento's answer exceeded 64 MB")
    assert peak < 2 * MAX_ANSWER_BYTES, f"peak {peak / 2**20:.0f} MB"
    assert info.value.instance_fault and not info.value.maybe_applied
    assert failure_kind(info.value) == "too_large"
    outcome = failure_outcome(info.value)
    assert outcome.stops_run and not outcome.counts_attempt and not outcome.uncertain


@double_only("needs fault injection")
def test_a_huge_answer_to_a_post_leaves_its_outcome_unknown(magento, client, order):
    client.max_answer_bytes = 1024 * 1024
    magento.inject("huge", method="POST", size=50 * 1024 * 1024, declared=True)
    with pytest.raises(MagentoProtocolError, match=r"exceeded 1 MB \(announced 50 MB\)") as info:
        client.create_invoice(order["entity_id"], [(order["items"][0]["item_id"], 1)])
    assert info.value.maybe_applied, "Magento may have created it: looked up before any new POST"
    assert failure_outcome(info.value).uncertain and failure_outcome(info.value).stops_run
    assert len(magento.store.invoices) == 1


@double_only("needs fault injection")
def test_an_answer_below_the_limit_is_read_whole(magento, client):
    client.max_answer_bytes = 4 * 1024 * 1024
    magento.inject("huge", method="GET", size=3 * 1024 * 1024)
    assert len(client.search_invoices(page_size=1)["items"]) > 3000


# ------------------------------------------------ not Magento's answer (item 3)
@double_only("needs fault injection")
def test_html_200_to_a_post_is_the_address_and_created_nothing(magento, client, order):
    magento.inject("html", status=200, times=None)
    with pytest.raises(MagentoProtocolError, match="answered HTTP 200 with an HTML page") as info:
        client.create_invoice(order["entity_id"], [(order["items"][0]["item_id"], 1)])
    error = info.value
    assert error.instance_fault and not error.maybe_applied
    assert failure_kind(error) == "not_magento"
    outcome = failure_outcome(error)
    assert outcome.stops_run and not outcome.counts_attempt and not outcome.uncertain
    assert "Welcome" in error.response_body and "<" not in error.response_body
    # Its look-up would meet the same page: the address, again.
    with pytest.raises(MagentoProtocolError) as info:
        client.get_order_invoices(order["entity_id"])
    assert info.value.instance_fault


@double_only("needs fault injection")
def test_json_of_another_shape_to_a_list_is_the_address(magento, client):
    magento.inject("body", method="GET", body={"status": "ok"})
    with pytest.raises(MagentoProtocolError, match="not with a Magento list") as info:
        client.get_order_invoices(1)
    assert info.value.instance_fault and failure_kind(info.value) == "not_magento"


@double_only("needs fault injection")
def test_json_of_another_shape_to_a_post_stops_the_run_and_is_looked_up(magento, client, order):
    magento.inject("body", method="POST", body={"status": "ok"})
    with pytest.raises(MagentoProtocolError) as info:
        client.create_invoice(order["entity_id"], [(order["items"][0]["item_id"], 1)])
    assert info.value.instance_fault and info.value.maybe_applied
    assert failure_kind(info.value) == "not_magento"
    assert failure_outcome(info.value).stops_run and failure_outcome(info.value).uncertain


def test_a_post_to_no_route_is_the_address_not_a_missing_order(shop):
    """docs §9: a wrong base URL path (Magento's own 404 "Request does not
    match any route.") is the address, and costs no attempt."""
    client = shop.client()
    with pytest.raises(MagentoNotFoundError) as info:
        client.request("POST", f"V1/order/{NO_SUCH_ID}/invoicez", json_body={})
    assert info.value.instance_fault and failure_kind(info.value) == "no_route"
    assert not failure_outcome(info.value).counts_attempt
    with pytest.raises(MagentoNotFoundError) as info:
        client.create_invoice(NO_SUCH_ID, [(1, 1)])
    assert not info.value.instance_fault and failure_kind(info.value) == "order_missing"


@double_only("needs fault injection")
def test_no_route_is_told_in_any_language(magento, client):
    french = {"message": "La requête ne correspond à aucune route."}
    magento.inject("error", status=404, method="POST", body=french)
    magento.inject("error", status=404, method="GET", path="no-such-route", body=french)
    with pytest.raises(MagentoNotFoundError) as info:
        client.create_invoice(NO_SUCH_ID, [(1, 1)])
    assert info.value.instance_fault
    missing = {"message": "L'entité demandée n'existe pas."}
    magento.inject("error", status=404, method="POST", body=missing)
    magento.inject("error", status=404, method="GET", path="no-such-route", body=french)
    with pytest.raises(MagentoNotFoundError) as info:
        client.create_invoice(NO_SUCH_ID, [(1, 1)])
    assert not info.value.instance_fault


# ------------------------------------------------------------ URL checks (item 4)
@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("https://shop.example.com/REST", "rest"),
        ("https://shop.example.com/Rest/default", "rest"),
        ("https://shop.example.com/?a=/rest", "query"),
        ("https://shop.example.com/#x", "query"),
        ("https://shop.example.com?", "query"),
        ("https://shop example.com", "host"),
        ("http://[::1", "malformed"),
        ("http://[zz::1]", "malformed"),
        ("http://[v1.x]", "host"),
        ("http://user:s3cret@shop.example.com", "credentials"),
        ("http://shop.example.com:99999", "port"),
        ("http://shop.example.com:abc", "port"),
        ("ftp://shop.example.com", "scheme"),
        ("shop.example.com", "scheme"),
        ("https://", "host"),
    ],
)
def test_a_bad_shop_url_is_refused_in_words_without_the_password(url, code):
    assert url_problem(url)[0] == code
    with pytest.raises(ValueError) as info:
        MagentoClient(url, auth="bearer", bearer_token="t")
    assert str(info.value) == "The shop base URL " + URL_PROBLEMS[code]
    assert "s3cret" not in str(info.value)


@pytest.mark.parametrize(
    "url",
    [
        "https://shop.example.com",
        "https://shop.example.com/",
        "HTTPS://Shop.Example.com/store",
        "http://127.0.0.1:8280",
        "http://[::1]:8280",
        "https://restaurant.example.com/restore",
        "https://bücher.example",
    ],
)
def test_a_good_shop_url_is_accepted(url):
    assert url_problem(url) is None


def test_an_ipv6_host_is_sent_in_one_form():
    client = MagentoClient("http://[0:0:0:0:0:0:0:1]:8280/", auth="bearer", bearer_token="t")
    assert client.url("V1/orders") == "http://[::1]:8280/rest/default/V1/orders"


# --------------------------------------------------------------- IPv6 (item 5)
def _has_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _has_ipv6_loopback(), reason="no IPv6 loopback on this machine")
def test_a_shop_on_ipv6_verifies_the_signature():
    """Magento signs ``getScheme()://getHttpHost(false)...``: the Host header
    with its brackets (Helper/Request.php:55-58, Laminas Uri keeps them)."""
    with MagentoDouble(host="::1") as magento:
        assert magento.url.startswith("http://[::1]:")
        client = MagentoClient(magento.url, **magento.credentials)
        assert client.test_connection() == 0
