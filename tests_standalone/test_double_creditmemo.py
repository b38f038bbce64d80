"""The double's credit memos against Magento 2.4.6-p1 (docs/magento-behaviour.md §8).

``POST /V1/order/{id}/refund`` (offline, in the order's mutex) and ``POST
/V1/invoice/{id}/refund`` (online or offline), their look-up routes, and the
error bodies Magento sends, over real HTTP with a signed client. Each test
names the point of §8 it states.
"""

import pytest
import requests
from conftest import all_at_once

from magento_client import (
    MagentoAuthError,
    MagentoClient,
    MagentoConnectionError,
    MagentoNotFoundError,
    MagentoServerError,
    MagentoValidationError,
)

PREFIX = "Creditmemo Document Validation Error(s):\n"
INVALID_QTY = 'We found an invalid quantity to refund item "%1".'
CANNOT_FOR_INVOICE = "We can't create creditmemo for the invoice."
SIMPLE_ONLY = [{"sku": "A", "name": "Alpha", "qty": 2, "price": 10}]


def refund_order(client, order_id, body):
    """POST /V1/order/{orderId}/refund; the new memo's entity id (an int)."""
    return int(client.request("POST", f"V1/order/{order_id}/refund", json_body=body))


def refund_invoice(client, invoice_id, body):
    """POST /V1/invoice/{invoiceId}/refund; the new memo's entity id (an int)."""
    return int(client.request("POST", f"V1/invoice/{invoice_id}/refund", json_body=body))


def refused(call, *args):
    """The MagentoValidationError a refund call raises."""
    with pytest.raises(MagentoValidationError) as info:
        call(*args)
    return info.value


def get_memo(client, memo_id):
    return client.request("GET", f"V1/creditmemo/{memo_id}")


def lines(memo):
    return {(line["order_item_id"], line["qty"]) for line in memo["items"]}


@pytest.fixture
def paid(magento, order):
    """The conftest order (simple 1 x2 at 34, configurable 2 x3 at 52 with its
    child 3, shipping 5, checkmo) invoiced in full: 229 paid."""
    magento.store.invoice_order(order["entity_id"], {})
    return magento.store.orders[order["entity_id"]]


def gateway_order(magento, capture=True, method="braintree", **options):
    """A gateway-paid order of 4 x 10 with 5 shipping, invoiced 2 + 2 (the first carries the shipping)."""
    order = magento.store.add_order(
        [{"sku": "G", "name": "Gadget", "qty": 4, "price": 10}], payment_method=method, shipping_amount=5, **options
    )
    item_id = order["items"][0]["item_id"]
    body = {"capture": capture, "items": [{"order_item_id": item_id, "qty": 2}]}
    first = magento.store.invoice_order(order["entity_id"], body)
    second = magento.store.invoice_order(order["entity_id"], body)
    return order, item_id, first, second


# ----------------------------------------------------------------- items
def test_no_items_refunds_everything_and_closes_the_order(client, magento, paid):
    """§8 Items: no items = everything still refundable; After: state 2, closed, JSON string id."""
    response = client.request("POST", f"V1/order/{paid['entity_id']}/refund", json_body={})
    assert response == "1"
    memo = get_memo(client, 1)
    assert memo["state"] == 2 and memo["increment_id"] == "000000001" and memo["order_id"] == paid["entity_id"]
    assert lines(memo) == {(1, 2), (2, 3), (3, 3)}
    assert (memo["subtotal"], memo["shipping_amount"], memo["grand_total"]) == (224, 5, 229)
    assert "invoice_id" not in memo  # the order route ties the memo to no invoice
    child = next(line for line in memo["items"] if line["order_item_id"] == 3)
    assert (child["sku"], child["price"], child["row_total"]) == ("MH01-XS-Black", 0, 0)
    data = client.get_order(paid["entity_id"])
    assert (data["state"], data["status"]) == ("closed", "closed")
    assert (data["total_refunded"], data["base_total_refunded"], data["base_shipping_refunded"]) == (229, 229, 5)
    items = {item["item_id"]: item for item in data["items"]}
    assert [(items[i]["qty_invoiced"], items[i]["qty_refunded"]) for i in (1, 2, 3)] == [(2, 2), (3, 3), (3, 3)]


def test_partial_then_second_partial(client, paid):
    """§8 Items: unlisted lines get 0; After: qty_refunded and *_refunded rise, the order stays processing."""
    first = refund_order(client, paid["entity_id"], {"items": [{"order_item_id": 1, "qty": 1}]})
    memo = get_memo(client, first)
    assert lines(memo) == {(1, 1)}  # the 0-quantity lines are not saved
    assert (memo["subtotal"], memo["shipping_amount"], memo["grand_total"]) == (34, 5, 39)  # shipping left: all of it
    second = refund_order(
        client,
        paid["entity_id"],
        {
            "items": [{"order_item_id": 1, "qty": 1}, {"order_item_id": 2, "qty": 1}],
            "arguments": {"shipping_amount": 0},
        },
    )
    memo = get_memo(client, second)
    assert memo["increment_id"] == "000000002"
    assert lines(memo) == {(1, 1), (2, 1), (3, 1)}
    assert memo["grand_total"] == 34 + 52
    data = client.get_order(paid["entity_id"])
    assert (data["state"], data["total_refunded"], data["subtotal_refunded"]) == ("processing", 125, 120)
    assert [i["qty_refunded"] for i in data["items"]] == [2, 1, 1]
    assert [i["qty_invoiced"] for i in data["items"]] == [2, 3, 3]  # qty_invoiced never goes down


def test_repeated_item_overwrites_and_snake_case_keys(client, magento, paid):
    """§8 Items: a repeat overwrites; §4: snake_case top-level keys, camelCase property names."""
    body = {
        "items": [{"order_item_id": 1, "qty": 2}, {"orderItemId": 1, "qty": 1}],
        "append_comment": True,
        "notify": True,
        "comment": {"comment": "Odoo RINV/1", "is_visible_on_front": 1},
        "arguments": {"shippingAmount": 0},
    }
    memo = get_memo(client, refund_order(client, paid["entity_id"], body))
    assert lines(memo) == {(1, 1)}
    assert memo["comments"][0]["comment"] == "Odoo RINV/1"
    assert memo["comments"][0]["is_customer_notified"] == 1 and memo["comments"][0]["is_visible_on_front"] == 1
    assert magento.store.creditmemo_emails == [("000000001", paid["customer_email"])]


def test_order_route_over_quantity_names_the_item(client, paid):
    """§8 Thrown while the totals are collected: more than qty_to_refund, the item's name, before the validators."""
    error = refused(refund_order, client, paid["entity_id"], {"items": [{"order_item_id": 1, "qty": 3}]})
    assert (error.status, error.raw_message, error.parameters) == (400, INVALID_QTY, ["Joust Duffle Bag"])


def test_order_route_counts_only_invoiced_quantities(client, magento, order):
    """§8 Items: qty_to_refund is invoiced less refunded (§7)."""
    magento.store.invoice_order(order["entity_id"], {"items": [{"order_item_id": 1, "qty": 1}]})
    error = refused(refund_order, client, order["entity_id"], {"items": [{"order_item_id": 1, "qty": 2}]})
    assert error.parameters == ["Joust Duffle Bag"]


def test_invoice_route_caps_silently_at_what_the_invoice_has_left(client, magento):
    """§8 Items: the invoice route caps each qty at its invoice's qty less that invoice's memos."""
    order, item_id, first, _second = gateway_order(magento)
    body = {"items": [{"order_item_id": item_id, "qty": 3}], "arguments": {"shipping_amount": 0}}
    memo = get_memo(client, refund_invoice(client, first, body))
    assert lines(memo) == {(item_id, 2)} and memo["invoice_id"] == first and memo["grand_total"] == 20
    # The invoice has nothing left: the line vanishes (an empty memo of 0 passes: zero totals allowed).
    body["items"][0]["qty"] = 1  # within what the order has left (Validation 5 checks the qty sent)
    empty = get_memo(client, refund_invoice(client, first, body))
    assert empty["items"] == [] and empty["grand_total"] == 0
    body["items"][0]["qty"] = 3
    error = refused(refund_invoice, client, first, body)
    assert error.magento_message == (
        PREFIX + "The quantity to refund must not be greater than the unrefunded quantity."
    )
    assert client.get_order(order["entity_id"])["items"][0]["qty_refunded"] == 2


def test_fractional_quantity_of_a_whole_unit_item(client, paid):
    """§8 Validation 2: a fractional qty on a non-decimal item, with its SKU, merged without parameters."""
    error = refused(refund_order, client, paid["entity_id"], {"items": [{"order_item_id": 1, "qty": 1.5}]})
    assert error.magento_message == PREFIX + 'We found an invalid quantity to refund item "24-MB01".'
    assert error.parameters is None


def test_decimal_item_takes_a_fraction(client, magento):
    """§8 Thrown while the totals are collected: the qty is cast to int unless is_qty_decimal."""
    order = magento.store.add_order(
        [{"sku": "W", "name": "Wire", "qty": 2.5, "price": 4, "is_qty_decimal": True}], invoiced=True
    )
    memo = get_memo(client, refund_order(client, order["entity_id"], {"items": [{"order_item_id": 1, "qty": 1.5}]}))
    assert lines(memo) == {(1, 1.5)} and memo["grand_total"] == 6


def test_configurable_child_follows_its_parent(client, paid):
    """§8 Items: a configurable child follows its parent; Validation 5: the child alone is a dummy."""
    memo = get_memo(client, refund_order(client, paid["entity_id"], {"items": [{"order_item_id": 2, "qty": 2}]}))
    assert lines(memo) == {(2, 2), (3, 2)}
    assert client.get_order(paid["entity_id"])["items"][2]["qty_refunded"] == 2
    error = refused(refund_order, client, paid["entity_id"], {"items": [{"order_item_id": 3, "qty": 1}]})
    assert error.magento_message == PREFIX + "The creditmemo contains incorrect product items."


def test_dynamic_bundle_is_refunded_by_its_selections(client, magento):
    """§8 Items and Validation 5: a dynamic bundle's children are its real lines, its parent a dummy."""
    kit = {
        "type": "bundle",
        "sku": "24-WG080",
        "name": "Kit",
        "qty": 1,
        "children": [{"sku": "BALL", "qty": 1, "price": 23}, {"sku": "STRAP", "qty": 2, "price": 14}],
    }
    order = magento.store.add_order([kit], invoiced=True)
    parent, ball, strap = (item["item_id"] for item in order["items"])
    body = {"items": [{"order_item_id": strap, "qty": 2}]}
    memo = get_memo(client, refund_order(client, order["entity_id"], body))
    # CreditmemoFactory::getQtyToRefund gives the dummy parent its qty_invoiced.
    assert lines(memo) == {(parent, 1), (strap, 2)} and memo["grand_total"] == 28
    error = refused(refund_order, client, order["entity_id"], {"items": [{"order_item_id": parent, "qty": 1}]})
    assert error.magento_message == PREFIX + "The creditmemo contains incorrect product items."
    assert ball  # untouched


# -------------------------------------------------- shipping, adjustments
def test_shipping_explicit_then_too_much(client, paid):
    """§8 Shipping: an explicit amount; above what is left, 400 with the formatted base amount."""
    body = {"items": [{"order_item_id": 1, "qty": 1}], "arguments": {"shipping_amount": 3}}
    memo = get_memo(client, refund_order(client, paid["entity_id"], body))
    assert (memo["shipping_amount"], memo["base_shipping_amount"], memo["grand_total"]) == (3, 3, 37)
    body["arguments"]["shipping_amount"] = 2.5
    error = refused(refund_order, client, paid["entity_id"], body)
    assert error.raw_message == "Maximum shipping amount allowed to refund is: %1"
    assert error.parameters == ["$2.00"]


def test_shipping_on_an_order_without_any(client, magento):
    """§8 Thrown while the totals are collected: shipping asked of an order whose base shipping is 0."""
    order = magento.store.add_order(SIMPLE_ONLY, invoiced=True)
    body = {"items": [{"order_item_id": 1, "qty": 1}], "arguments": {"shipping_amount": 1}}
    error = refused(refund_order, client, order["entity_id"], body)
    assert (error.raw_message, error.parameters) == (
        "You can not refund shipping if there is no shipping amount.",
        None,
    )
    body["arguments"]["shipping_amount"] = 0  # 0 means none: fine
    assert get_memo(client, refund_order(client, order["entity_id"], body))["grand_total"] == 10


def test_invoice_route_without_shipping_caps_at_the_invoices(client, magento):
    """§8 Shipping: absent on the invoice route, what is left capped at that invoice's shipping."""
    _order, item_id, first, second = gateway_order(magento)
    body = {"items": [{"order_item_id": item_id, "qty": 1}]}
    assert get_memo(client, refund_invoice(client, second, body))["shipping_amount"] == 0
    assert get_memo(client, refund_invoice(client, first, body))["shipping_amount"] == 5


def test_adjustments_and_most_money_available(client, paid):
    """§8 Shipping and adjustments: positive added, negative subtracted; Validation 3: no more than paid."""
    body = {
        "items": [{"order_item_id": 1, "qty": 1}],
        "arguments": {"shipping_amount": 0, "adjustment_positive": 10, "adjustment_negative": 3},
    }
    memo = get_memo(client, refund_order(client, paid["entity_id"], body))
    assert (memo["adjustment_positive"], memo["adjustment_negative"], memo["adjustment"]) == (10, 3, 7)
    assert memo["grand_total"] == 34 + 7
    data = client.get_order(paid["entity_id"])
    assert (data["adjustment_positive"], data["adjustment_negative"], data["total_refunded"]) == (10, 3, 41)
    body = {"arguments": {"adjustment_positive": 0.5}}  # everything left (188) and half a dollar more
    error = refused(refund_order, client, paid["entity_id"], body)
    assert error.magento_message == PREFIX + "The most money available to refund is 188."


def test_base_currency_conversion(client, magento):
    """§8 Shipping and adjustments: amounts sent are base amounts; order amounts = base x base_to_order_rate."""
    order = magento.store.add_order(
        [{"sku": "A", "name": "Alpha", "qty": 2, "price": 40}],
        shipping_amount=10,
        base_currency_code="GBP",
        order_currency_code="EUR",
        base_to_order_rate=2,
        invoiced=True,
    )
    data = client.get_order(order["entity_id"])
    assert (data["base_grand_total"], data["grand_total"], data["base_total_paid"]) == (45, 90, 45)
    assert (data["base_currency_code"], data["order_currency_code"], data["base_to_order_rate"]) == ("GBP", "EUR", 2)
    too_much = {"items": [{"order_item_id": 1, "qty": 1}], "arguments": {"shipping_amount": 6}}
    assert refused(refund_order, client, order["entity_id"], too_much).parameters == ["\u00a35.00"]
    body = {"items": [{"order_item_id": 1, "qty": 1}], "arguments": {"adjustment_positive": 1}}
    memo = get_memo(client, refund_order(client, order["entity_id"], body))
    assert (memo["base_subtotal"], memo["base_shipping_amount"], memo["base_grand_total"]) == (20, 5, 26)
    assert (memo["subtotal"], memo["shipping_amount"], memo["adjustment_positive"], memo["grand_total"]) == (
        40,
        10,
        2,
        52,
    )
    data = client.get_order(order["entity_id"])
    assert (data["base_total_refunded"], data["total_refunded"], data["base_shipping_refunded"]) == (26, 52, 5)


# ------------------------------------------------------ online / offline
@pytest.mark.parametrize("online", [False, True])
def test_offline_method_cannot_refund_through_the_invoice(client, magento, paid, online):
    """§8 Validation 4: checkmo cannot refund, whatever isOnline says: use the order route."""
    invoice_id = magento.store.order_invoices(paid["entity_id"])[0]["entity_id"]
    error = refused(refund_invoice, client, invoice_id, {"items": [], "isOnline": online})
    assert error.magento_message == PREFIX + CANNOT_FOR_INVOICE
    assert not magento.store.creditmemos


def test_free_method_passes_the_invoice_route(client, magento):
    """§8 Validation 4: the free method passes the invoice's CanRefund."""
    order = magento.store.add_order(SIMPLE_ONLY, payment_method="free", invoiced=True)
    invoice_id = magento.store.order_invoices(order["entity_id"])[0]["entity_id"]
    assert get_memo(client, refund_invoice(client, invoice_id, {}))["grand_total"] == 20


def test_gateway_online_refund_uses_the_capture_transaction(client, magento):
    """§8 Online and offline: online, the gateway refunds the invoice's capture; the invoice is not marked."""
    order, item_id, first, _second = gateway_order(magento)
    body = {"items": [{"order_item_id": item_id, "qty": 1}], "isOnline": True, "arguments": {"shipping_amount": 0}}
    memo = get_memo(client, refund_invoice(client, first, body))
    assert memo["transaction_id"] == f"{magento.store.invoices[first]['transaction_id']}-refund"
    invoice = client.get_invoice(first)
    assert invoice["is_used_for_refund"] == 0 and "base_total_refunded" not in invoice
    data = client.get_order(order["entity_id"])
    assert (data["total_online_refunded"], data["payment"]["base_amount_refunded_online"]) == (10, 10)


def test_gateway_offline_refund_marks_the_invoice(client, magento):
    """§8 Online and offline: offline (is_online false), the invoice is marked
    is_used_for_refund and its base_total_refunded rises."""
    order, item_id, first, _second = gateway_order(magento)
    body = {"items": [{"order_item_id": item_id, "qty": 1}], "is_online": False}
    refund_invoice(client, first, body)
    invoice = client.get_invoice(first)
    assert (invoice["is_used_for_refund"], invoice["base_total_refunded"]) == (1, 15)
    assert client.get_order(order["entity_id"])["total_offline_refunded"] == 15


def test_online_refund_without_capture_transaction(client, magento):
    """§8 Online and offline: no capture transaction, the gateway fails: 400, nothing saved."""
    order, item_id, first, _second = gateway_order(magento, capture=False)
    error = refused(refund_invoice, client, first, {"items": [{"order_item_id": item_id, "qty": 1}], "isOnline": True})
    assert (error.magento_message, error.parameters) == ("Could not save a Creditmemo, see error log for details", None)
    assert not magento.store.creditmemos
    assert "total_refunded" not in client.get_order(order["entity_id"])
    refund_invoice(client, first, {"items": [{"order_item_id": item_id, "qty": 1}]})  # offline still works


# ------------------------------------------------------------- order state
def test_closed_order_is_refused(client, paid):
    """§8 Validation 1: a closed order names its status."""
    refund_order(client, paid["entity_id"], {})
    error = refused(refund_order, client, paid["entity_id"], {})
    assert error.magento_message.startswith(
        PREFIX + "A creditmemo can not be created when an order has a status of closed\n"
    )


@pytest.mark.parametrize(("state", "status"), [("holded", "holded"), ("payment_review", "fraud")])
def test_blocking_state_names_the_status(client, magento, state, status):
    """§8 Validation 1: payment_review, holded, canceled, closed refuse, naming the status."""
    order = magento.store.add_order(SIMPLE_ONLY, state=state, status=status)
    error = refused(refund_order, client, order["entity_id"], {"items": []})
    assert error.magento_message == PREFIX + "A creditmemo can not be created when an order has a status of " + status


def test_nothing_paid_left(client, magento):
    """§8 Validation 1: everything paid already refunded, the order not closed (more to invoice)."""
    order = magento.store.add_order([{"sku": "A", "name": "Alpha", "qty": 2, "price": 10}])
    magento.store.invoice_order(order["entity_id"], {"items": [{"order_item_id": 1, "qty": 1}]})
    refund_order(client, order["entity_id"], {})
    assert client.get_order(order["entity_id"])["state"] == "processing"
    error = refused(refund_order, client, order["entity_id"], {})
    assert error.magento_message == PREFIX + "The order does not allow a creditmemo to be created."


def test_virtual_order_is_complete_until_fully_refunded(client, magento):
    """§8 After: nothing left to invoice or ship, complete while a refund is possible, closed after."""
    order = magento.store.add_order(
        [{"sku": "V", "name": "Warranty", "qty": 2, "price": 10, "type": "virtual"}], invoiced=True
    )
    refund_order(client, order["entity_id"], {"items": [{"order_item_id": 1, "qty": 1}]})
    assert client.get_order(order["entity_id"])["state"] == "complete"
    refund_order(client, order["entity_id"], {"items": [{"order_item_id": 1, "qty": 1}]})
    data = client.get_order(order["entity_id"])
    assert (data["state"], data["status"]) == ("closed", "closed")


# --------------------------------------------------------- input errors
def test_unknown_key_in_arguments_or_item_is_a_masked_500(client, magento, paid):
    """§8 Body and §4: a property with no getter is a LogicException, shown as a masked 500."""
    for body in (
        {"arguments": {"shipping": 1}},
        {"arguments": [5]},  # a PHP array: its key 0 has no getter either
        {"items": [{"order_item_id": 1, "qty": 1, "sku": "x"}]},
        {"arguments": {"extension_attributes": {"return_to_stock": [1]}}},
    ):
        with pytest.raises(MagentoServerError) as info:
            client.request("POST", f"V1/order/{paid['entity_id']}/refund", json_body=body)
        assert info.value.status == 500
        assert info.value.raw_message == "Internal Error. Details are available in Magento log file. Report ID: %1"
        assert info.value.parameters[0].startswith("webapi-")
    assert not magento.store.creditmemos


def test_missing_order_item_id(client, paid):
    """§8 Validation 5: ItemRepository::get(null) throws its own 400, no parameters."""
    error = refused(refund_order, client, paid["entity_id"], {"items": [{"qty": 1}]})
    assert (error.magento_message, error.parameters) == ("An ID is needed. Set the ID and try again.", None)


def test_item_of_another_order(client, magento, paid):
    """§8 Validation 5: an existing item of another order is not part of this one."""
    other = magento.store.add_order(SIMPLE_ONLY)
    foreign = other["items"][0]["item_id"]
    error = refused(refund_order, client, paid["entity_id"], {"items": [{"order_item_id": foreign, "qty": 1}]})
    assert error.magento_message == (
        PREFIX + "The creditmemo contains product item that is not part of the original order."
    )


def test_return_to_stock_items(client, paid):
    """§8 Validation 6: an unknown id; one not in the memo (a 0-quantity line still is one)."""

    def body(stock):
        return {
            "items": [{"order_item_id": 1, "qty": 1}],
            "arguments": {"extension_attributes": {"return_to_stock_items": stock}},
        }

    error = refused(refund_order, client, paid["entity_id"], body([999]))
    assert error.magento_message == (
        PREFIX + "The return to stock argument contains product item that is not part of the original order."
    )
    # The configurable's child follows its unlisted parent out of the memo.
    error = refused(refund_order, client, paid["entity_id"], body([3]))
    assert error.magento_message == PREFIX + 'The "MH01-XS-Black" product is not part of the current creditmemo.'
    assert refund_order(client, paid["entity_id"], body([1, 2])) == 1


def test_type_errors_in_arguments(magento, client, paid):
    """§8 Body, read as §4 says: a non-numeric amount is a filled-in type error naming the property."""
    error = refused(refund_order, client, paid["entity_id"], {"arguments": {"shipping_amount": "5%"}})
    assert error.magento_message == (
        'Error occurred during "shipping_amount" processing. The "5%" value\'s type is invalid. '
        'The "float" type was expected. Verify and try again.'
    )


# ----------------------------------------------------------- look-ups, ACL
def test_search_by_order_and_get_by_id(client, magento, paid):
    """§8 Look-up: GET /V1/creditmemos filtered on order_id / invoice_id; GET /V1/creditmemo/:id errors as §6."""
    other = magento.store.add_order(SIMPLE_ONLY, invoiced=True)
    refund_order(client, paid["entity_id"], {"items": [{"order_item_id": 1, "qty": 1}]})
    refund_order(client, other["entity_id"], {})
    found = client.request(
        "GET",
        "V1/creditmemos",
        params={
            "searchCriteria[filterGroups][0][filters][0][field]": "order_id",
            "searchCriteria[filterGroups][0][filters][0][value]": str(paid["entity_id"]),
            "searchCriteria[pageSize]": "10",
        },
    )
    assert found["total_count"] == 1 and found["items"][0]["entity_id"] == 1
    by_state = client.request(
        "GET",
        "V1/creditmemos",
        params={
            "searchCriteria[filterGroups][0][filters][0][field]": "state",
            "searchCriteria[filterGroups][0][filters][0][value]": "2",
        },
    )
    assert by_state["total_count"] == 2
    with pytest.raises(MagentoNotFoundError) as info:
        get_memo(client, 77)
    assert info.value.magento_message == "The entity that was requested doesn't exist. Verify the entity and try again."
    assert refused(get_memo, client, 0).magento_message == "An ID is needed. Set the ID and try again."


def test_routes_check_their_acl_resources(magento, paid):
    """§8 Routes (§1): the order route wants Magento_Sales::creditmemo, the look-ups
    Magento_Sales::sales_creditmemo, the invoice route Magento_Sales::sales_invoice."""
    invoices_only = magento.add_integration(resources={"Magento_Sales::sales_invoice"})
    keys = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
    client = MagentoClient(magento.url, timeout=5, **{key: invoices_only[key] for key in keys})
    for method, path, resource in (
        ("POST", f"V1/order/{paid['entity_id']}/refund", "Magento_Sales::creditmemo"),
        ("GET", "V1/creditmemo/1", "Magento_Sales::sales_creditmemo"),
    ):
        with pytest.raises(MagentoAuthError) as info:
            client.request(method, path, json_body={} if method == "POST" else None)
        assert info.value.parameters == {"resources": resource}
    # The invoice route only needs the invoice resource: past the ACL, Magento's own refusal.
    with pytest.raises(MagentoValidationError, match="can't create creditmemo"):
        client.request("POST", "V1/invoice/1/refund", json_body={})


# ----------------------------------------------------------------- locking
def test_concurrent_order_refunds_are_serialized(magento, paid):
    """§8 Locking: the order route runs in the order's mutex: one full refund, the others see it closed."""
    results = all_at_once(magento, lambda client: refund_order(client, paid["entity_id"], {}))
    assert sum(isinstance(result, int) for result in results) == 1
    assert all(
        result.startswith(PREFIX + "A creditmemo can not be created when an order has a status of closed")
        for result in results
        if not isinstance(result, int)
    )
    assert magento.store.orders[paid["entity_id"]]["total_refunded"] == 229


def test_invoice_route_takes_no_lock(magento, monkeypatch):
    """§8 Locking: the invoice route validates without the order's mutex and saves what it read:
    a refund committed in between is overwritten in the order's totals (2.4.6-p1)."""
    store = magento.store
    order, item_id, first, _second = gateway_order(magento)
    draft_refund = store._draft_refund

    def interleaved(live_order, invoice, request):
        draft = draft_refund(live_order, invoice, request)
        if invoice is not None:  # another request commits between validation and save
            store.refund_order(order["entity_id"], {"items": [{"order_item_id": item_id, "qty": 1}]})
        return draft

    monkeypatch.setattr(store, "_draft_refund", interleaved)
    body = {"items": [{"order_item_id": item_id, "qty": 1}], "arguments": {"shipping_amount": 0}}
    store.refund_invoice(first, body)
    assert len(store.creditmemos) == 2
    live = store.orders[order["entity_id"]]
    assert (live["total_refunded"], live["items"][0]["qty_refunded"]) == (10, 1)  # the order route's refund is lost


# ---------------------------------------------------------------- faults
def test_fault_on_the_order_route_after_commit(client, magento, paid):
    """§9 and §8 Look-up: a 5xx after Magento committed leaves the memo; look it up before posting again."""
    fault = magento.inject("error_after", status=503, method="POST", path=r"/V1/order/\d+/refund$")
    with pytest.raises(MagentoServerError):
        refund_order(client, paid["entity_id"], {"items": [{"order_item_id": 1, "qty": 1}]})
    assert fault.used == 1
    assert [memo["entity_id"] for memo in magento.store.order_creditmemos(paid["entity_id"])] == [1]


def test_fault_on_the_invoice_route_before_the_work(client, magento):
    """§8 Look-up and §9: faults match the invoice refund route too; a drop before the work leaves nothing."""
    _order, item_id, first, _second = gateway_order(magento)
    fault = magento.inject("drop", method="POST", path=r"/V1/invoice/\d+/refund$")
    with pytest.raises(MagentoConnectionError):
        refund_invoice(client, first, {"items": [{"order_item_id": item_id, "qty": 1}]})
    assert fault.used == 1 and not magento.store.creditmemos
    refund_invoice(client, first, {"items": [{"order_item_id": item_id, "qty": 1}]})
    assert len(magento.store.creditmemos) == 1


def test_control_state_lists_credit_memos(magento, client, paid):
    """§8 Look-up, seen from outside: GET /__double__/state lists each memo with its comments."""
    refund_order(client, paid["entity_id"], {"items": [], "comment": {"comment": "Odoo RINV/7"}})
    state = requests.get(f"{magento.url}/__double__/state", timeout=5).json()
    assert state["creditmemos"] == [
        {
            "entity_id": 1,
            "increment_id": "000000001",
            "order_id": paid["entity_id"],
            "invoice_id": None,
            "grand_total": 229,
            "base_grand_total": 229,
            "comments": ["Odoo RINV/7"],
        }
    ]
    assert state["refund_posts"] == 1
