"""The double against the Magento reference: what a real 2.4 store answers.

Each test states a behaviour of docs/magento-behaviour.md (§ numbers below);
the requests go over real HTTP with a signed client, as the addon sends them.
"""

import json
import socket
import time

import pytest
import requests
from conftest import all_at_once

from magento_client import MagentoServerError, MagentoValidationError

NO_PRODUCTS = "The invoice can't be created without products. Add products and try again."
NOT_ALLOWED = "The order does not allow an invoice to be created."
PREFIX = "Invoice Document Validation Error(s):\n"


def raw_post(magento, path, body, auth=True, data=None):
    """Send a body the client would never send, signed with a bearer admin token."""
    token = requests.post(
        f"{magento.url}/rest/V1/integration/admin/token",
        json={"username": "admin", "password": "admin123"},
        timeout=5,
    ).json()
    headers = {"Authorization": f"Bearer {token}"} if auth else {}
    if data is not None:
        return requests.post(f"{magento.url}{path}", data=data, headers=headers, timeout=5)
    return requests.post(f"{magento.url}{path}", json=body, headers=headers, timeout=5)


def test_full_invoice_when_items_empty(client, magento, order):
    invoice_id = client.create_invoice(order["entity_id"], [])
    invoice = client.get_invoice(invoice_id)
    assert {(i["order_item_id"], i["qty"]) for i in invoice["items"]} == {(1, 2), (2, 3), (3, 3)}
    assert invoice["state"] == 2
    assert invoice["grand_total"] == 2 * 34 + 3 * 52 + 5  # shipping goes on the first invoice
    assert client.get_order(order["entity_id"])["state"] == "processing"


def test_created_id_is_a_json_string(magento, order):
    response = raw_post(magento, f"/rest/V1/order/{order['entity_id']}/invoice", {"items": []})
    assert response.status_code == 200 and response.text == '"1"'


def test_partial_invoices_then_nothing_left(client, order):
    client.create_invoice(order["entity_id"], [(1, 1)])
    second = client.get_invoice(client.create_invoice(order["entity_id"], [(1, 1), (2, 3)]))
    assert second["shipping_amount"] == 0
    assert {(i["order_item_id"], i["qty"]) for i in second["items"]} == {(1, 1), (2, 3), (3, 3)}
    with pytest.raises(MagentoValidationError) as info:
        client.create_invoice(order["entity_id"], [])
    assert info.value.magento_message == PREFIX + NO_PRODUCTS + "\n" + NOT_ALLOWED
    assert info.value.parameters is None


def test_over_quantity_names_the_item(client, order):
    with pytest.raises(MagentoValidationError) as info:
        client.create_invoice(order["entity_id"], [(2, 4)])
    assert info.value.raw_message == 'We found an invalid quantity to invoice item "%1".'
    assert info.value.parameters == ["Chaz Kangeroo Hoodie"]


def test_item_with_nothing_left_is_left_out_silently(client, order):
    """InvoiceService::canInvoiceItem drops it before any quantity check (§5)."""
    client.create_invoice(order["entity_id"], [])
    with pytest.raises(MagentoValidationError) as info:
        client.create_invoice(order["entity_id"], [(1, 1)])
    assert info.value.magento_message == PREFIX + NO_PRODUCTS + "\n" + NOT_ALLOWED


def test_repeated_item_keeps_the_last_quantity(client, order):
    """InvoiceDocumentFactory keys items by order item id (§5)."""
    invoice = client.get_invoice(client.create_invoice(order["entity_id"], [(1, 1), (1, 1)]))
    assert [(i["order_item_id"], i["qty"]) for i in invoice["items"]] == [(1, 1)]


def test_fractional_quantity_of_a_whole_unit_item_is_truncated(client, order):
    """InvoiceService::setInvoiceItemQuantity casts (int) unless is_qty_decimal (§5)."""
    invoice = client.get_invoice(client.create_invoice(order["entity_id"], [(1, 1.5)]))
    assert [(i["order_item_id"], i["qty"]) for i in invoice["items"]] == [(1, 1)]
    with pytest.raises(MagentoValidationError) as info:
        client.create_invoice(order["entity_id"], [(1, 0.5)])
    assert info.value.magento_message == PREFIX + NO_PRODUCTS


def test_foreign_item_id_is_ignored(client, order):
    with pytest.raises(MagentoValidationError) as info:
        client.create_invoice(order["entity_id"], [(-1, 1)])
    assert info.value.magento_message == PREFIX + NO_PRODUCTS


def test_configurable_child_alone_gives_zero_total(client, order):
    with pytest.raises(MagentoValidationError, match="without products"):
        client.create_invoice(order["entity_id"], [(3, 1)])


def test_configurable_parent_carries_child(client, order):
    invoice = client.get_invoice(client.create_invoice(order["entity_id"], [(2, 2)]))
    lines = {i["order_item_id"]: i for i in invoice["items"]}
    assert lines[2]["qty"] == 2 and lines[2]["price"] == 52
    assert lines[3]["qty"] == 2 and lines[3]["price"] == 0
    items = {i["item_id"]: i for i in client.get_order(order["entity_id"])["items"]}
    assert items[2]["qty_invoiced"] == 2 and items[3]["qty_invoiced"] == 2


def test_quantity_truncated_to_int_unless_decimal(client, magento):
    order = magento.store.add_order(
        [
            {"sku": "A", "name": "A", "qty": 3, "price": 1},
            {"sku": "W", "name": "Wire", "qty": 2.5, "price": 1, "is_qty_decimal": True},
        ]
    )
    a, w = (i["item_id"] for i in order["items"])
    invoice = client.get_invoice(client.create_invoice(order["entity_id"], [(a, 1.7), (w, 1.5)]))
    assert {(i["order_item_id"], i["qty"]) for i in invoice["items"]} == {(a, 1), (w, 1.5)}


def _bundle_order(magento):
    """Two dynamic-price kits: a ball and two straps each."""
    kit = {
        "type": "bundle",
        "sku": "24-WG080",
        "name": "Sprite Yoga Companion Kit",
        "qty": 2,
        "children": [
            {"sku": "24-WG084", "name": "Ball", "qty": 1, "price": 23},
            {"sku": "24-WG088", "name": "Strap", "qty": 2, "price": 14},
        ],
    }
    return magento.store.add_order([kit])


def test_dynamic_bundle_children_are_invoiced(client, magento):
    order = _bundle_order(magento)
    parent, ball, strap = (i["item_id"] for i in order["items"])
    assert client.get_order(order["entity_id"])["items"][2]["qty_ordered"] == 4
    invoice = client.get_invoice(client.create_invoice(order["entity_id"], [(ball, 1), (strap, 2)]))
    # The unlisted parent is a dummy: it takes its ordered quantity (prepareInvoice, §5).
    assert {(i["order_item_id"], i["qty"]) for i in invoice["items"]} == {(parent, 2), (ball, 1), (strap, 2)}


def test_dynamic_bundle_invoiced_by_its_parent_fills_children(client, magento):
    order = _bundle_order(magento)
    parent, ball, strap = (i["item_id"] for i in order["items"])
    invoice = client.get_invoice(client.create_invoice(order["entity_id"], [(parent, 1)]))
    assert {(i["order_item_id"], i["qty"]) for i in invoice["items"]} == {(parent, 1), (ball, 1), (strap, 2)}
    assert invoice["grand_total"] == 23 + 2 * 14


@pytest.mark.parametrize(
    ("state", "status"), [("holded", "holded"), ("canceled", "canceled"), ("payment_review", "fraud")]
)
def test_blocking_state_names_the_status(client, magento, state, status):
    order = magento.store.add_order([{"sku": "A", "name": "A", "qty": 1, "price": 1}], state=state, status=status)
    with pytest.raises(MagentoValidationError) as info:
        client.create_invoice(order["entity_id"], [])
    assert info.value.magento_message == PREFIX + "An invoice cannot be created when an order has a status of " + status


def test_order_id_errors(magento):
    response = raw_post(magento, "/rest/V1/order/abc/invoice", {})
    assert response.status_code == 400
    # ServiceInputProcessor re-wraps the rendered text: filled in, no parameters (§4).
    assert response.json() == {
        "message": 'The "abc" value\'s type is invalid. The "int" type was expected. Verify and try again.'
    }
    response = raw_post(magento, "/rest/V1/order/0/invoice", {})
    assert (response.status_code, response.json()) == (400, {"message": "An ID is needed. Set the ID and try again."})
    response = raw_post(magento, "/rest/V1/order/77/invoice", {})
    assert response.status_code == 404
    assert response.json() == {
        "message": "The entity that was requested doesn't exist. Verify the entity and try again."
    }


def test_visible_on_front_true_is_a_type_error(magento, order):
    body = {"items": [], "comment": {"comment": "x", "is_visible_on_front": True}}
    response = raw_post(magento, f"/rest/V1/order/{order['entity_id']}/invoice", body)
    assert response.status_code == 400
    assert response.json() == {
        "message": 'Error occurred during "is_visible_on_front" processing. The "1" value\'s type is invalid. '
        'The "int" type was expected. Verify and try again.'
    }
    assert not magento.store.invoices


def test_unknown_nested_property_is_a_masked_500(magento, order):
    body = {"items": [{"order_item_id": 1, "qty": 1, "sku": "x"}]}
    response = raw_post(magento, f"/rest/V1/order/{order['entity_id']}/invoice", body)
    assert response.status_code == 500
    assert response.json()["message"] == "Internal Error. Details are available in Magento log file. Report ID: %1"
    assert response.json()["parameters"][0].startswith("webapi-")


def test_bad_json_and_unknown_route(magento, order):
    response = raw_post(magento, f"/rest/V1/order/{order['entity_id']}/invoice", None, data="{not json")
    assert (response.status_code, response.json()) == (400, {"message": "Decoding error."})
    response = raw_post(magento, "/rest/V1/orders/1/teleport", {})
    assert (response.status_code, response.json()) == (404, {"message": "Request does not match any route."})


def test_anonymous_request_names_the_acl(magento, order):
    response = raw_post(magento, f"/rest/V1/order/{order['entity_id']}/invoice", {}, auth=False)
    assert response.status_code == 401
    assert response.json() == {
        "message": "The consumer isn't authorized to access %resources.",
        "parameters": {"resources": "Magento_Sales::invoice"},
    }


def test_admin_token_bad_login(magento):
    response = requests.post(
        f"{magento.url}/rest/V1/integration/admin/token", json={"username": "admin", "password": "wrong"}, timeout=5
    )
    assert response.status_code == 401
    assert response.json()["message"].startswith("The account sign-in was incorrect")


def test_list_without_search_criteria(magento):
    token = raw_post(magento, "/rest/V1/integration/admin/token", {"username": "admin", "password": "admin123"})
    headers = {"Authorization": f"Bearer {token.json()}"}
    response = requests.get(f"{magento.url}/rest/V1/invoices", headers=headers, timeout=5)
    assert response.status_code == 400
    assert response.json() == {
        "message": '"%fieldName" is required. Enter and try again.',
        "parameters": {"fieldName": "searchCriteria"},
    }


def test_paging_and_total_count(client, magento):
    for _ in range(5):
        magento.store.add_order([{"sku": "A", "name": "A", "qty": 1, "price": 1}])
    page = client.search_orders(page_size=2, current_page=3)
    assert page["total_count"] == 5 and len(page["items"]) == 1
    assert page["search_criteria"] == {"filter_groups": [], "page_size": 2, "current_page": 3}


def test_input_limits_cap_page_size(client, magento):
    magento.input_limits = True  # Maximum Page Size: 300 unless configured
    with pytest.raises(MagentoValidationError) as info:
        client.search_orders(page_size=301)
    assert info.value.magento_message == "Maximum SearchCriteria pageSize is 300"


def test_date_filter_on_orders(client, magento):
    magento.store.add_order([{"sku": "A", "name": "A", "qty": 1, "price": 1}], created_at="2026-01-01 10:00:00")
    recent = magento.store.add_order(
        [{"sku": "A", "name": "A", "qty": 1, "price": 1}], created_at="2026-06-01 10:00:00"
    )
    # MySQL compares the DATETIME column with a date as with its midnight.
    found = client.search_orders([[("created_at", "2026-03-01", "gteq")]])
    assert [o["entity_id"] for o in found["items"]] == [recent["entity_id"]]


def test_null_optional_fields_are_omitted(client, order):
    data = client.get_order(order["entity_id"])
    assert "parent_item_id" not in data["items"][0]
    assert data["items"][2]["parent_item_id"] == 2
    assert data["items"][2]["parent_item"]["product_type"] == "configurable"
    assert data["payment"]["account_status"] is None  # required field: shown as null


def test_comment_saved_and_customer_notified(client, magento, order):
    invoice_id = client.create_invoice(order["entity_id"], [(1, 1)], notify=True, comment="INV/1", append_comment=True)
    invoice = client.get_invoice(invoice_id)
    assert invoice["email_sent"] == 1
    assert invoice["comments"][0]["is_customer_notified"] == 1
    assert magento.store.emails == [(invoice["increment_id"], order["customer_email"])]
    quiet = client.get_invoice(client.create_invoice(order["entity_id"], [(1, 1)], comment="INV/2"))
    assert quiet["email_sent"] == 0 and quiet["comments"][0]["is_customer_notified"] == 0
    assert len(magento.store.emails) == 1


def test_concurrent_full_invoices_are_serialized(magento, order):
    results = all_at_once(magento, lambda client: client.create_invoice(order["entity_id"], []))
    assert sum(isinstance(r, int) for r in results) == 1
    assert results.count(PREFIX + NO_PRODUCTS + "\n" + NOT_ALLOWED) == 3


def test_error_after_commit_leaves_the_invoice(client, magento, order):
    magento.inject("error_after", status=503, method="POST")
    with pytest.raises(MagentoServerError):
        client.create_invoice(order["entity_id"], [(1, 1)])
    assert len(client.get_order_invoices(order["entity_id"])) == 1


def test_chaos_is_seeded_and_bounded(magento, client):
    magento.chaos(0.5, kinds=("error",), seed=3)
    orders = [magento.store.add_order([{"sku": "A", "name": "A", "qty": 1, "price": 1}]) for _ in range(20)]
    failures = 0
    for order in orders:
        try:
            client.create_invoice(order["entity_id"], [])
        except MagentoServerError:
            failures += 1
    assert 4 <= failures <= 16
    assert len(magento.store.invoices) == 20 - failures


def test_control_endpoint_adds_orders(magento):
    response = requests.post(
        f"{magento.url}/__double__/orders",
        timeout=5,
        data=json.dumps({"items": [{"sku": "A", "name": "A", "qty": 1, "price": 3}], "payment_method": "banktransfer"}),
    )
    assert response.json()["payment"]["method"] == "banktransfer"
    state = requests.get(f"{magento.url}/__double__/state", timeout=5).json()
    assert state["orders"] == 1 and state["invoices"] == []


def test_sort_orders(client, magento):
    for increment in ("000000002", "000000009", "000000005"):
        magento.store.add_order([{"sku": "A", "name": "A", "qty": 1, "price": 1}], increment_id=increment)
    params = {
        "searchCriteria[sortOrders][0][field]": "increment_id",
        "searchCriteria[sortOrders][0][direction]": "DESC",
    }
    found = client.request("GET", "V1/orders", params=params)
    assert [o["increment_id"] for o in found["items"]] == ["000000009", "000000005", "000000002"]


def test_input_limits_refuse_a_long_items_array(client, magento):
    """The input processor refuses a list longer than Input List Limit (§4)."""
    magento.input_limits = {"array": 2}
    order = magento.store.add_order([{"sku": f"S{n}", "name": f"S{n}", "qty": 1, "price": 1} for n in range(3)])
    with pytest.raises(MagentoValidationError) as info:
        client.create_invoice(order["entity_id"], [(item["item_id"], 1) for item in order["items"]])
    assert info.value.raw_message == 'Maximum items of type "%type" is %max'
    assert info.value.parameters == {"type": "\\Magento\\Sales\\Api\\Data\\InvoiceItemCreationInterface", "max": 2}
    assert not magento.store.invoices


def test_invoice_look_up_pages_through_every_invoice_of_the_order(client, magento):
    magento.input_limits = {"default_page_size": 20}
    order = magento.store.add_order([{"sku": "A", "name": "A", "qty": 130, "price": 1}])
    item_id = order["items"][0]["item_id"]
    for number in range(125):
        body = {"items": [{"order_item_id": item_id, "qty": 1}], "comment": {"comment": f"Odoo invoice INV/{number}"}}
        magento.store.invoice_order(order["entity_id"], body)
    invoices = client.get_order_invoices(order["entity_id"])
    assert len(invoices) == 125
    assert invoices[-1]["comments"][0]["comment"] == "Odoo invoice INV/124"


def test_latency_is_the_answer_time_work_included(magento, client, order):
    """The benchmark's "Magento answers in 100 ms": the answer leaves that long
    after the request arrived, Magento's work (here, the invoice) included,
    not that long plus the double's own work (made slow here: 0.1 s)."""
    invoice_order = magento.store.invoice_order

    def slow_invoice_order(*args, **kwargs):
        time.sleep(0.1)  # Magento's work, as a fixed cost
        return invoice_order(*args, **kwargs)

    magento.store.invoice_order = slow_invoice_order
    magento.latency = 0.3
    start = time.monotonic()
    client.create_invoice(order["entity_id"], [(1, 1)])
    elapsed = time.monotonic() - start
    assert 0.3 <= elapsed < 0.35, elapsed
    assert len(magento.store.invoices) == 1


def test_a_body_cut_short_never_reaches_magento(magento, order):
    """docs §9: nginx hands PHP a request only once its whole body is in; a
    client killed between its headers and its body creates nothing (Magento
    would read an empty body as "invoice the whole order")."""
    token = requests.post(
        f"{magento.url}/rest/V1/integration/admin/token",
        json={"username": "admin", "password": "admin123"},
        timeout=5,
    ).json()
    head = (
        f"POST /rest/V1/order/{order['entity_id']}/invoice HTTP/1.1\r\nHost: {magento.host}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: 120\r\n\r\n"
    )
    with socket.create_connection((magento.host, magento.port), timeout=5) as sock:
        sock.sendall(head.encode())
        sock.shutdown(socket.SHUT_WR)  # the body never comes
        answer = sock.recv(4096)  # until the double closes the connection
    assert answer == b""
    assert not magento.store.invoices
