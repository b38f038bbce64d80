"""The double against the Magento reference: what a real 2.4 store answers.

Each test states a behaviour of docs/magento-behaviour.md (§ numbers below);
the requests go over real HTTP with a signed client, as the addon sends them.
"""

import json
import re
import socket
import time

import pytest
import requests
from conftest import all_at_once, double_only, item_ids
from shops import NO_SUCH_ID

from magento_client import MagentoServerError, MagentoValidationError

NO_PRODUCTS = "The invoice can't be created without products. Add products and try again."
NOT_ALLOWED = "The order does not allow an invoice to be created."
PREFIX = "Invoice Document Validation Error(s):\n"


def raw_post(shop, path, body, auth=True, data=None):
    """Send a body the client would never send, with an admin bearer token."""
    return shop.request("POST", path, body, auth=auth, data=data)


def invoiced_lines(invoice):
    return {(i["order_item_id"], i["qty"]) for i in invoice["items"]}


def test_full_invoice_when_items_empty(client, order):
    bag, hoodie, child = item_ids(order)
    invoice_id = client.create_invoice(order["entity_id"], [])
    invoice = client.get_invoice(invoice_id)
    assert invoiced_lines(invoice) == {(bag, 2), (hoodie, 3), (child, 3)}
    assert invoice["state"] == 2
    # The first invoice carries the shipping.
    assert invoice["grand_total"] == order["subtotal"] + order["shipping_amount"] == order["grand_total"]
    assert client.get_order(order["entity_id"])["state"] == "processing"


def test_created_id_is_a_json_string(shop, order):
    response = raw_post(shop, f"/V1/order/{order['entity_id']}/invoice", {"items": []})
    assert response.status_code == 200 and re.fullmatch(r'"[1-9][0-9]*"', response.text)


def test_partial_invoices_then_nothing_left(client, order):
    bag, hoodie, child = item_ids(order)
    client.create_invoice(order["entity_id"], [(bag, 1)])
    second = client.get_invoice(client.create_invoice(order["entity_id"], [(bag, 1), (hoodie, 3)]))
    assert "shipping_amount" not in second  # the first invoice took it all: a null, left out
    assert invoiced_lines(second) == {(bag, 1), (hoodie, 3), (child, 3)}
    with pytest.raises(MagentoValidationError) as info:
        client.create_invoice(order["entity_id"], [])
    assert info.value.magento_message == PREFIX + NO_PRODUCTS + "\n" + NOT_ALLOWED
    assert info.value.parameters is None


def test_over_quantity_names_the_item(client, order):
    _bag, hoodie, _child = item_ids(order)
    with pytest.raises(MagentoValidationError) as info:
        client.create_invoice(order["entity_id"], [(hoodie, 4)])
    assert info.value.raw_message == 'We found an invalid quantity to invoice item "%1".'
    assert info.value.parameters == [order["items"][1]["name"]]


def test_item_with_nothing_left_is_left_out_silently(client, order):
    """InvoiceService::canInvoiceItem drops it before any quantity check (§5)."""
    client.create_invoice(order["entity_id"], [])
    with pytest.raises(MagentoValidationError) as info:
        client.create_invoice(order["entity_id"], [(item_ids(order)[0], 1)])
    assert info.value.magento_message == PREFIX + NO_PRODUCTS + "\n" + NOT_ALLOWED


def test_repeated_item_keeps_the_last_quantity(client, order):
    """InvoiceDocumentFactory keys items by order item id (§5)."""
    bag = item_ids(order)[0]
    invoice = client.get_invoice(client.create_invoice(order["entity_id"], [(bag, 1), (bag, 1)]))
    assert [(i["order_item_id"], i["qty"]) for i in invoice["items"]] == [(bag, 1)]


def test_fractional_quantity_of_a_whole_unit_item_is_truncated(client, order):
    """InvoiceService::setInvoiceItemQuantity casts (int) unless is_qty_decimal (§5)."""
    bag = item_ids(order)[0]
    invoice = client.get_invoice(client.create_invoice(order["entity_id"], [(bag, 1.5)]))
    assert [(i["order_item_id"], i["qty"]) for i in invoice["items"]] == [(bag, 1)]
    with pytest.raises(MagentoValidationError) as info:
        client.create_invoice(order["entity_id"], [(bag, 0.5)])
    assert info.value.magento_message == PREFIX + NO_PRODUCTS


def test_foreign_item_id_is_ignored(client, order):
    with pytest.raises(MagentoValidationError) as info:
        client.create_invoice(order["entity_id"], [(-1, 1)])
    assert info.value.magento_message == PREFIX + NO_PRODUCTS


def test_configurable_child_alone_gives_zero_total(client, order):
    with pytest.raises(MagentoValidationError, match="without products"):
        client.create_invoice(order["entity_id"], [(item_ids(order)[2], 1)])


def test_configurable_parent_carries_child(client, order):
    _bag, hoodie, child = item_ids(order)
    invoice = client.get_invoice(client.create_invoice(order["entity_id"], [(hoodie, 2)]))
    lines = {i["order_item_id"]: i for i in invoice["items"]}
    assert lines[hoodie]["qty"] == 2 and lines[hoodie]["price"] == order["items"][1]["price"]
    assert lines[child]["qty"] == 2 and lines[child]["price"] == 0
    assert "row_total" not in lines[child]  # a dummy's row total is never computed
    items = {i["item_id"]: i for i in client.get_order(order["entity_id"])["items"]}
    assert items[hoodie]["qty_invoiced"] == 2 and items[child]["qty_invoiced"] == 2


def test_quantity_truncated_to_int_unless_decimal(client, shop):
    order = shop.add_order([("RM-TEE", 3), ("RM-WIRE", 2.5)])
    tee, wire = item_ids(order)
    assert order["items"][1]["is_qty_decimal"] == 1
    invoice = client.get_invoice(client.create_invoice(order["entity_id"], [(tee, 1.7), (wire, 1.5)]))
    assert invoiced_lines(invoice) == {(tee, 1), (wire, 1.5)}


def test_dynamic_bundle_children_are_invoiced(client, shop):
    """Two dynamic-price kits: a ball and two straps each."""
    order = shop.add_order([("RM-KIT", 2)])
    parent, ball, strap = item_ids(order)
    assert order["items"][2]["qty_ordered"] == 4
    invoice = client.get_invoice(client.create_invoice(order["entity_id"], [(ball, 1), (strap, 2)]))
    # The unlisted parent is a dummy: it takes its ordered quantity (prepareInvoice, §5).
    assert invoiced_lines(invoice) == {(parent, 2), (ball, 1), (strap, 2)}


def test_dynamic_bundle_invoiced_by_its_parent_fills_children(client, shop):
    order = shop.add_order([("RM-KIT", 2)])
    parent, ball, strap = item_ids(order)
    invoice = client.get_invoice(client.create_invoice(order["entity_id"], [(parent, 1)]))
    assert invoiced_lines(invoice) == {(parent, 1), (ball, 1), (strap, 2)}
    prices = [item["price"] for item in order["items"]]
    assert invoice["grand_total"] == prices[1] + 2 * prices[2] + order["shipping_amount"]


@pytest.mark.parametrize("state", ["holded", "canceled"])
def test_blocking_state_names_the_status(client, shop, state):
    order = shop.add_order([("RM-TEE", 1)])
    (shop.hold if state == "holded" else shop.cancel)(order["entity_id"])
    with pytest.raises(MagentoValidationError) as info:
        client.create_invoice(order["entity_id"], [])
    assert info.value.magento_message.endswith("An invoice cannot be created when an order has a status of " + state)


@double_only("needs an order held for payment review (a gateway's fraud check)")
def test_payment_review_names_the_status(client, magento):
    order = magento.store.add_order([{"sku": "A", "name": "A", "qty": 1, "price": 1}], state="payment_review")
    magento.store.orders[order["entity_id"]]["status"] = "fraud"
    with pytest.raises(MagentoValidationError) as info:
        client.create_invoice(order["entity_id"], [])
    assert info.value.magento_message == PREFIX + "An invoice cannot be created when an order has a status of fraud"


def test_order_id_errors(shop):
    response = raw_post(shop, "/V1/order/abc/invoice", {})
    assert response.status_code == 400
    # ServiceInputProcessor re-wraps the rendered text: filled in, no parameters (§4).
    assert shop.error(response) == {
        "message": 'The "abc" value\'s type is invalid. The "int" type was expected. Verify and try again.'
    }
    response = raw_post(shop, "/V1/order/0/invoice", {})
    assert (response.status_code, shop.error(response)) == (
        400,
        {"message": "An ID is needed. Set the ID and try again."},
    )
    response = raw_post(shop, f"/V1/order/{NO_SUCH_ID}/invoice", {})
    assert response.status_code == 404
    assert shop.error(response) == {
        "message": "The entity that was requested doesn't exist. Verify the entity and try again."
    }


def test_visible_on_front_true_is_a_type_error(shop, client, order):
    body = {"items": [], "comment": {"comment": "x", "is_visible_on_front": True}}
    response = raw_post(shop, f"/V1/order/{order['entity_id']}/invoice", body)
    assert response.status_code == 400
    assert shop.error(response) == {
        "message": 'Error occurred during "is_visible_on_front" processing. The "1" value\'s type is invalid. '
        'The "int" type was expected. Verify and try again.'
    }
    assert client.get_order_invoices(order["entity_id"]) == []


@pytest.mark.parametrize("mode", ["production", "developer"])
def test_unknown_nested_property_is_a_500(shop, order, mode):
    """§3, §4: a LogicException; production masks it, developer mode shows it."""
    if shop.is_real and shop.developer_mode != (mode == "developer"):
        pytest.skip(f"the real Magento is not in {mode} mode")
    if not shop.is_real:
        shop.double.developer_mode = mode == "developer"
    body = {"items": [{"order_item_id": item_ids(order)[0], "qty": 1, "sku": "x"}]}
    response = raw_post(shop, f"/V1/order/{order['entity_id']}/invoice", body)
    assert response.status_code == 500
    if mode == "developer":
        assert shop.error(response) == {
            "message": 'Property "Sku" does not have accessor method "getSku" in class '
            '"Magento\\Sales\\Api\\Data\\InvoiceItemCreationInterface".'
        }
    else:
        # ErrorProcessor::maskException: sprintf'd, so filled in; no parameters, no code.
        assert list(shop.error(response)) == ["message"]
        assert re.fullmatch(
            r"Internal Error\. Details are available in Magento log file\. Report ID: webapi-[0-9a-f]{13}",
            response.json()["message"],
        )


def test_bad_json(shop, order):
    if shop.is_real and shop.developer_mode:
        pytest.skip(
            "in developer mode Adobe Commerce's staging plugin reads the body before the REST controller: "
            "the error escapes as a plain-text page (module-staging/Plugin/RestPlugin.php:68)"
        )
    response = raw_post(shop, f"/V1/order/{order['entity_id']}/invoice", None, data="{not json")
    assert (response.status_code, shop.error(response)) == (400, {"message": "Decoding error."})


def test_unknown_route(shop):
    response = raw_post(shop, "/V1/orders/1/teleport", {})
    assert (response.status_code, shop.error(response)) == (404, {"message": "Request does not match any route."})


@pytest.mark.parametrize("path", ["/nosuchstore/V1/orders/1", "/nosuchstore/V1/nothing/here"])
def test_unknown_store_code_cannot_be_processed(shop, path):
    """§1: an unknown store code stays in the path; no request processor takes a
    path that does not start with /V<n>: 400, whatever the route."""
    response = shop.request("GET", path)
    assert (response.status_code, shop.error(response)) == (400, {"message": "Specified request cannot be processed."})


def test_anonymous_request_names_the_acl(shop, order):
    response = raw_post(shop, f"/V1/order/{order['entity_id']}/invoice", {}, auth=False)
    assert response.status_code == 401
    assert shop.error(response) == {
        "message": "The consumer isn't authorized to access %resources.",
        "parameters": {"resources": "Magento_Sales::invoice"},
    }


def test_admin_token_bad_login(shop):
    login = {"username": shop.admin_login["username"], "password": "wrong-password-1"}
    response = requests.post(f"{shop.url}/rest/V1/integration/admin/token", json=login, timeout=30)
    assert response.status_code == 401
    assert response.json()["message"].startswith("The account sign-in was incorrect")
    shop.admin_token()  # a successful sign-in resets the failure count


def test_list_without_search_criteria(shop):
    response = shop.request("GET", "/V1/invoices")
    assert response.status_code == 400
    assert shop.error(response) == {
        "message": '"%fieldName" is required. Enter and try again.',
        "parameters": {"fieldName": "searchCriteria"},
    }


def three_orders(shop):
    """Three fresh orders, and a filter group that finds only them (filters in a group are OR-ed)."""
    orders = [shop.add_order([("RM-MUG", 1)]) for _ in range(3)]
    return orders, [("increment_id", o["increment_id"], "eq") for o in orders]


def test_paging_and_total_count(client, shop):
    _orders, only_these = three_orders(shop)
    page = client.search_orders([only_these], page_size=2, current_page=2)
    assert page["total_count"] == 3 and len(page["items"]) == 1
    criteria = page["search_criteria"]
    assert (criteria["page_size"], criteria["current_page"]) == (2, 2)
    filters = [{"field": field, "value": value, "condition_type": kind} for field, value, kind in only_these]
    assert criteria["filter_groups"] == [{"filters": filters}]


def test_sort_orders(client, shop):
    orders, only_these = three_orders(shop)
    found = client.search_orders([only_these], sort_orders=[("increment_id", "DESC")])
    assert [o["increment_id"] for o in found["items"]] == sorted((o["increment_id"] for o in orders), reverse=True)


@double_only("needs Magento's input limits turned on")
def test_input_limits_cap_page_size(client, magento):
    magento.input_limits = True  # Maximum Page Size: 300 unless configured
    with pytest.raises(MagentoValidationError) as info:
        client.search_orders(page_size=301)
    assert info.value.magento_message == "Maximum SearchCriteria pageSize is 300"


@double_only("needs orders of chosen creation dates")
def test_date_filter_on_orders(client, magento):
    magento.store.add_order([{"sku": "A", "name": "A", "qty": 1, "price": 1}], created_at="2026-01-01 10:00:00")
    recent = magento.store.add_order(
        [{"sku": "A", "name": "A", "qty": 1, "price": 1}], created_at="2026-06-01 10:00:00"
    )
    # MySQL compares the DATETIME column with a date as with its midnight.
    found = client.search_orders([[("created_at", "2026-03-01", "gteq")]])
    assert [o["entity_id"] for o in found["items"]] == [recent["entity_id"]]


def test_null_optional_fields_are_omitted(client, order):
    _bag, hoodie, _child = item_ids(order)
    data = client.get_order(order["entity_id"])
    assert "parent_item_id" not in data["items"][0]
    assert data["items"][2]["parent_item_id"] == hoodie
    assert data["items"][2]["parent_item"]["product_type"] == "configurable"
    assert data["payment"]["account_status"] is None  # required field: shown as null
    # Not invoiced yet: the invoiced and paid totals are null, left out.
    assert not {"total_invoiced", "total_paid", "base_total_paid", "total_refunded"} & set(data)


def test_comment_saved_and_customer_notified(client, order):
    bag = item_ids(order)[0]
    invoice_id = client.create_invoice(
        order["entity_id"], [(bag, 1)], notify=True, comment="INV/1", append_comment=True
    )
    invoice = client.get_invoice(invoice_id)
    assert invoice["comments"][0]["is_customer_notified"] == 1
    assert "send_email" not in invoice  # not in InvoiceInterface: never shown
    quiet = client.get_invoice(client.create_invoice(order["entity_id"], [(bag, 1)], comment="INV/2"))
    assert "email_sent" not in quiet and "send_email" not in quiet
    assert quiet["comments"][0]["is_customer_notified"] == 0


@double_only("reads the e-mails the double sent (the real one here cannot send mail)")
def test_notified_customer_gets_one_email(client, magento, order):
    bag = item_ids(order)[0]
    invoice = client.get_invoice(client.create_invoice(order["entity_id"], [(bag, 1)], notify=True, comment="INV/1"))
    client.create_invoice(order["entity_id"], [(bag, 1)], comment="INV/2")
    assert magento.store.emails == [(invoice["increment_id"], order["customer_email"])]
    assert invoice["email_sent"] == 1  # once the mail went out (InvoiceSender::send)


def test_concurrent_full_invoices_are_serialized(shop, order):
    results = all_at_once(shop, lambda client: client.create_invoice(order["entity_id"], []))
    assert sum(isinstance(r, int) for r in results) == 1
    assert results.count(PREFIX + NO_PRODUCTS + "\n" + NOT_ALLOWED) == 3


@double_only("needs fault injection")
def test_error_after_commit_leaves_the_invoice(client, magento, order):
    magento.inject("error_after", status=503, method="POST")
    with pytest.raises(MagentoServerError):
        client.create_invoice(order["entity_id"], [(item_ids(order)[0], 1)])
    assert len(client.get_order_invoices(order["entity_id"])) == 1


@double_only("needs fault injection")
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


@double_only("the double's control API")
def test_control_endpoint_adds_orders(magento):
    response = requests.post(
        f"{magento.url}/__double__/orders",
        timeout=5,
        data=json.dumps({"items": [{"sku": "A", "name": "A", "qty": 1, "price": 3}], "payment_method": "banktransfer"}),
    )
    assert response.json()["payment"]["method"] == "banktransfer"
    state = requests.get(f"{magento.url}/__double__/state", timeout=5).json()
    assert state["orders"] == 1 and state["invoices"] == []


@double_only("needs Magento's input limits turned on")
def test_input_limits_refuse_a_long_items_array(client, magento):
    """The input processor refuses a list longer than Input List Limit (§4)."""
    magento.input_limits = {"array": 2}
    order = magento.store.add_order([{"sku": f"S{n}", "name": f"S{n}", "qty": 1, "price": 1} for n in range(3)])
    with pytest.raises(MagentoValidationError) as info:
        client.create_invoice(order["entity_id"], [(item["item_id"], 1) for item in order["items"]])
    assert info.value.raw_message == 'Maximum items of type "%type" is %max'
    assert info.value.parameters == {"type": "\\Magento\\Sales\\Api\\Data\\InvoiceItemCreationInterface", "max": 2}
    assert not magento.store.invoices


@double_only("needs input limits and 125 invoices made through the double's internals")
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


@double_only("needs the double's latency setting")
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
    client.create_invoice(order["entity_id"], [(item_ids(order)[0], 1)])
    elapsed = time.monotonic() - start
    assert 0.3 <= elapsed < 0.35, elapsed
    assert len(magento.store.invoices) == 1


@double_only("needs a body cut short behind nginx, which the real one here does not have")
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
