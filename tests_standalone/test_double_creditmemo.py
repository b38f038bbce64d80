"""The double's credit memos against Magento 2.4.6-p1 (docs/magento-behaviour.md §8).

``POST /V1/order/{id}/refund`` (offline, in the order's mutex) and ``POST
/V1/invoice/{id}/refund`` (online or offline), their look-up routes, and the
error bodies Magento sends, over real HTTP with a signed client. Each test
names the point of §8 it states.
"""

import re

import pytest
import requests
from conftest import all_at_once, double_only, item_ids
from shops import NO_SUCH_ID

from magento_client import (
    MagentoAuthError,
    MagentoConnectionError,
    MagentoNotFoundError,
    MagentoServerError,
    MagentoValidationError,
)

PREFIX = "Creditmemo Document Validation Error(s):\n"
INVALID_QTY = 'We found an invalid quantity to refund item "%1".'
CANNOT_FOR_INVOICE = "We can't create creditmemo for the invoice."
SIMPLE_ONLY = [("RM-TEE", 2)]
MASKED_500 = r"Internal Error\. Details are available in Magento log file\. Report ID: webapi-[0-9a-f]{13}"


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
def paid(shop, order):
    """The conftest order (2 bags, 3 hoodies: parent and child; flat-rate
    shipping; checkmo) invoiced in full by Magento, without a comment."""
    shop.invoice(order["entity_id"])
    return shop.get_order(order["entity_id"])


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


def invoiced_order(shop, lines):
    order = shop.add_order(lines)
    shop.invoice(order["entity_id"])
    return shop.get_order(order["entity_id"])


def price(order, item_id):
    return next(item["price"] for item in order["items"] if item["item_id"] == item_id)


# ----------------------------------------------------------------- items
def test_no_items_refunds_everything_and_closes_the_order(client, paid):
    """§8 Items: no items = everything still refundable; After: state 2, closed, JSON string id."""
    bag, hoodie, child = item_ids(paid)
    response = client.request("POST", f"V1/order/{paid['entity_id']}/refund", json_body={})
    assert re.fullmatch("[1-9][0-9]*", response)
    memo = get_memo(client, response)
    assert memo["state"] == 2 and memo["order_id"] == paid["entity_id"]
    assert lines(memo) == {(bag, 2), (hoodie, 3), (child, 3)}
    total = paid["grand_total"]
    assert (memo["subtotal"], memo["shipping_amount"], memo["grand_total"]) == (
        paid["subtotal"],
        paid["shipping_amount"],
        total,
    )
    assert "invoice_id" not in memo  # the order route ties the memo to no invoice
    line = next(line for line in memo["items"] if line["order_item_id"] == child)
    assert (line["sku"], line["price"]) == (paid["items"][2]["sku"], 0) and "row_total" not in line
    data = client.get_order(paid["entity_id"])
    assert (data["state"], data["status"]) == ("closed", "closed")
    assert (data["total_refunded"], data["base_total_refunded"]) == (total, total)
    assert data["base_shipping_refunded"] == paid["shipping_amount"]
    items = {item["item_id"]: item for item in data["items"]}
    assert [(items[i]["qty_invoiced"], items[i]["qty_refunded"]) for i in (bag, hoodie, child)] == [
        (2, 2),
        (3, 3),
        (3, 3),
    ]


def test_partial_then_second_partial(client, paid):
    """§8 Items: unlisted lines get 0; After: qty_refunded and *_refunded rise, the order stays processing."""
    bag, hoodie, child = item_ids(paid)
    shipping = paid["shipping_amount"]
    first = refund_order(client, paid["entity_id"], {"items": [{"order_item_id": bag, "qty": 1}]})
    memo = get_memo(client, first)
    assert lines(memo) == {(bag, 1)}  # the 0-quantity lines are not saved
    # Shipping left: all of it.
    assert (memo["subtotal"], memo["shipping_amount"], memo["grand_total"]) == (
        price(paid, bag),
        shipping,
        price(paid, bag) + shipping,
    )
    second = refund_order(
        client,
        paid["entity_id"],
        {
            "items": [{"order_item_id": bag, "qty": 1}, {"order_item_id": hoodie, "qty": 1}],
            "arguments": {"shipping_amount": 0},
        },
    )
    memo = get_memo(client, second)
    assert int(memo["increment_id"]) > int(get_memo(client, first)["increment_id"])
    assert lines(memo) == {(bag, 1), (hoodie, 1), (child, 1)}
    assert memo["grand_total"] == price(paid, bag) + price(paid, hoodie)
    data = client.get_order(paid["entity_id"])
    subtotal = 2 * price(paid, bag) + price(paid, hoodie)
    assert (data["state"], data["total_refunded"], data["subtotal_refunded"]) == (
        "processing",
        subtotal + shipping,
        subtotal,
    )
    assert [i["qty_refunded"] for i in data["items"]] == [2, 1, 1]
    assert [i["qty_invoiced"] for i in data["items"]] == [2, 3, 3]  # qty_invoiced never goes down


def test_repeated_item_overwrites_and_snake_case_keys(client, paid):
    """§8 Items: a repeat overwrites; §4: snake_case top-level keys, camelCase property names."""
    bag = item_ids(paid)[0]
    body = {
        "items": [{"order_item_id": bag, "qty": 2}, {"orderItemId": bag, "qty": 1}],
        "append_comment": True,
        "notify": True,
        "comment": {"comment": "Odoo RINV/1", "is_visible_on_front": 1},
        "arguments": {"shippingAmount": 0},
    }
    memo = get_memo(client, refund_order(client, paid["entity_id"], body))
    assert lines(memo) == {(bag, 1)}
    assert memo["comments"][0]["comment"] == "Odoo RINV/1"
    assert memo["comments"][0]["is_customer_notified"] == 1 and memo["comments"][0]["is_visible_on_front"] == 1
    assert not {"send_email", "customer_note", "customer_note_notify"} & set(memo)  # not in CreditmemoInterface


@double_only("reads the e-mails the double sent (the real one here cannot send mail)")
def test_notified_customer_gets_the_credit_memo(client, magento, paid):
    body = {"items": [{"order_item_id": item_ids(paid)[0], "qty": 1}], "notify": True}
    memo = get_memo(client, refund_order(client, paid["entity_id"], body))
    assert magento.store.creditmemo_emails == [(memo["increment_id"], paid["customer_email"])]
    assert memo["email_sent"] == 1


def test_order_route_over_quantity_names_the_item(client, paid):
    """§8 Thrown while the totals are collected: more than qty_to_refund, the item's name, before the validators."""
    bag = item_ids(paid)[0]
    error = refused(refund_order, client, paid["entity_id"], {"items": [{"order_item_id": bag, "qty": 3}]})
    assert (error.status, error.raw_message, error.parameters) == (400, INVALID_QTY, [paid["items"][0]["name"]])


def test_order_route_counts_only_invoiced_quantities(client, shop, order):
    """§8 Items: qty_to_refund is invoiced less refunded (§7)."""
    bag = item_ids(order)[0]
    shop.invoice(order["entity_id"], [(bag, 1)])
    error = refused(refund_order, client, order["entity_id"], {"items": [{"order_item_id": bag, "qty": 2}]})
    assert error.parameters == [order["items"][0]["name"]]


@double_only("needs a payment gateway")
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
    bag = item_ids(paid)[0]
    error = refused(refund_order, client, paid["entity_id"], {"items": [{"order_item_id": bag, "qty": 1.5}]})
    assert error.magento_message == PREFIX + f'We found an invalid quantity to refund item "{paid["items"][0]["sku"]}".'
    assert error.parameters is None


def test_decimal_item_takes_a_fraction(client, shop):
    """§8 Thrown while the totals are collected: the qty is cast to int unless is_qty_decimal."""
    order = invoiced_order(shop, [("RM-WIRE", 2.5)])
    wire = item_ids(order)[0]
    body = {"items": [{"order_item_id": wire, "qty": 1.5}], "arguments": {"shipping_amount": 0}}
    memo = get_memo(client, refund_order(client, order["entity_id"], body))
    assert lines(memo) == {(wire, 1.5)} and memo["grand_total"] == 1.5 * price(order, wire)


def test_configurable_child_follows_its_parent(client, paid):
    """§8 Items: a configurable child follows its parent; Validation 5: the child alone is a dummy."""
    _bag, hoodie, child = item_ids(paid)
    memo = get_memo(client, refund_order(client, paid["entity_id"], {"items": [{"order_item_id": hoodie, "qty": 2}]}))
    assert lines(memo) == {(hoodie, 2), (child, 2)}
    assert client.get_order(paid["entity_id"])["items"][2]["qty_refunded"] == 2
    error = refused(refund_order, client, paid["entity_id"], {"items": [{"order_item_id": child, "qty": 1}]})
    assert error.magento_message == PREFIX + "The creditmemo contains incorrect product items."


def test_dynamic_bundle_is_refunded_by_its_selections(client, shop):
    """§8 Items and Validation 5: a dynamic bundle's children are its real lines, its parent a dummy."""
    order = invoiced_order(shop, [("RM-KIT", 1)])
    parent, ball, strap = item_ids(order)
    body = {"items": [{"order_item_id": strap, "qty": 2}], "arguments": {"shipping_amount": 0}}
    memo = get_memo(client, refund_order(client, order["entity_id"], body))
    # CreditmemoFactory::getQtyToRefund gives the dummy parent its qty_invoiced.
    assert lines(memo) == {(parent, 1), (strap, 2)} and memo["grand_total"] == 2 * price(order, strap)
    error = refused(refund_order, client, order["entity_id"], {"items": [{"order_item_id": parent, "qty": 1}]})
    assert error.magento_message == PREFIX + "The creditmemo contains incorrect product items."
    assert ball  # untouched


# -------------------------------------------------- shipping, adjustments
def test_shipping_explicit_then_too_much(client, paid):
    """§8 Shipping: an explicit amount; above what is left, 400 with the formatted base amount."""
    bag = item_ids(paid)[0]
    shipping = paid["shipping_amount"] - 2  # leaves 2.00
    body = {"items": [{"order_item_id": bag, "qty": 1}], "arguments": {"shipping_amount": shipping}}
    memo = get_memo(client, refund_order(client, paid["entity_id"], body))
    assert (memo["shipping_amount"], memo["base_shipping_amount"]) == (shipping, shipping)
    assert memo["grand_total"] == price(paid, bag) + shipping
    body["arguments"]["shipping_amount"] = 2.5
    error = refused(refund_order, client, paid["entity_id"], body)
    assert error.raw_message == "Maximum shipping amount allowed to refund is: %1"
    assert error.parameters == ["$2.00"]


def test_shipping_on_an_order_without_any(client, shop):
    """§8 Thrown while the totals are collected: shipping asked of an order whose base shipping is 0."""
    order = invoiced_order(shop, [("RM-WARRANTY", 2)])  # virtual: nothing shipped
    warranty = item_ids(order)[0]
    body = {"items": [{"order_item_id": warranty, "qty": 1}], "arguments": {"shipping_amount": 1}}
    error = refused(refund_order, client, order["entity_id"], body)
    assert (error.raw_message, error.parameters) == (
        "You can not refund shipping if there is no shipping amount.",
        None,
    )
    body["arguments"]["shipping_amount"] = 0  # 0 means none: fine
    assert get_memo(client, refund_order(client, order["entity_id"], body))["grand_total"] == price(order, warranty)


@double_only("needs a payment gateway")
def test_invoice_route_without_shipping_caps_at_the_invoices(client, magento):
    """§8 Shipping: absent on the invoice route, what is left capped at that invoice's shipping."""
    _order, item_id, first, second = gateway_order(magento)
    body = {"items": [{"order_item_id": item_id, "qty": 1}]}
    assert get_memo(client, refund_invoice(client, second, body))["shipping_amount"] == 0
    assert get_memo(client, refund_invoice(client, first, body))["shipping_amount"] == 5


def test_adjustments_and_most_money_available(client, paid):
    """§8 Shipping and adjustments: positive added, negative subtracted; Validation 3: no more than paid."""
    bag = item_ids(paid)[0]
    body = {
        "items": [{"order_item_id": bag, "qty": 1}],
        "arguments": {"shipping_amount": 0, "adjustment_positive": 10, "adjustment_negative": 3},
    }
    memo = get_memo(client, refund_order(client, paid["entity_id"], body))
    assert (memo["adjustment_positive"], memo["adjustment_negative"], memo["adjustment"]) == (10, 3, 7)
    assert memo["grand_total"] == price(paid, bag) + 7
    data = client.get_order(paid["entity_id"])
    refunded = price(paid, bag) + 7
    assert (data["adjustment_positive"], data["adjustment_negative"], data["total_refunded"]) == (10, 3, refunded)
    body = {"arguments": {"adjustment_positive": 0.5}}  # everything left and half a dollar more
    error = refused(refund_order, client, paid["entity_id"], body)
    assert (
        error.magento_message == PREFIX + f"The most money available to refund is {paid['grand_total'] - refunded:g}."
    )


@double_only("needs a store whose base and order currencies differ")
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
# ------------------------------------------------------ online / offline
@pytest.mark.parametrize("online", [False, True])
def test_offline_method_cannot_refund_through_the_invoice(client, paid, online):
    """§8 Validation 4: checkmo cannot refund, whatever isOnline says: use the order route."""
    invoice_id = client.get_order_invoices(paid["entity_id"])[0]["entity_id"]
    error = refused(refund_invoice, client, invoice_id, {"items": [], "isOnline": online})
    assert error.magento_message == PREFIX + CANNOT_FOR_INVOICE
    assert client.get_order_creditmemos(paid["entity_id"]) == []


@double_only("needs a zero-total order paid with the free method")
def test_free_method_passes_the_invoice_route(client, magento):
    """§8 Validation 4: the free method passes the invoice's CanRefund."""
    order = magento.store.add_order(
        [{"sku": "A", "name": "Alpha", "qty": 2, "price": 10}], payment_method="free", invoiced=True
    )
    invoice_id = magento.store.order_invoices(order["entity_id"])[0]["entity_id"]
    assert get_memo(client, refund_invoice(client, invoice_id, {}))["grand_total"] == 20


@double_only("needs a payment gateway")
def test_gateway_online_refund_uses_the_capture_transaction(client, magento):
    """§8 Online and offline: online, the gateway refunds the invoice's capture; the invoice is not marked."""
    order, item_id, first, _second = gateway_order(magento)
    body = {"items": [{"order_item_id": item_id, "qty": 1}], "isOnline": True, "arguments": {"shipping_amount": 0}}
    memo = get_memo(client, refund_invoice(client, first, body))
    assert memo["transaction_id"] == f"{magento.store.invoices[first]['transaction_id']}-refund"
    invoice = client.get_invoice(first)
    assert "is_used_for_refund" not in invoice and "base_total_refunded" not in invoice
    data = client.get_order(order["entity_id"])
    assert (data["total_online_refunded"], data["payment"]["base_amount_refunded_online"]) == (10, 10)


@double_only("needs a payment gateway")
def test_gateway_offline_refund_marks_the_invoice(client, magento):
    """§8 Online and offline: offline (is_online false), the invoice is marked
    is_used_for_refund and its base_total_refunded rises."""
    order, item_id, first, _second = gateway_order(magento)
    body = {"items": [{"order_item_id": item_id, "qty": 1}], "is_online": False}
    refund_invoice(client, first, body)
    invoice = client.get_invoice(first)
    assert (invoice["is_used_for_refund"], invoice["base_total_refunded"]) == (1, 15)
    assert client.get_order(order["entity_id"])["total_offline_refunded"] == 15


@double_only("needs a payment gateway")
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


def test_held_order_names_the_status(client, shop):
    """§8 Validation 1: payment_review, holded, canceled, closed refuse, naming the status."""
    order = invoiced_order(shop, SIMPLE_ONLY)
    shop.hold(order["entity_id"])
    error = refused(refund_order, client, order["entity_id"], {"items": []})
    assert error.magento_message == PREFIX + "A creditmemo can not be created when an order has a status of holded"


@double_only("needs an order held for payment review (a gateway's fraud check)")
def test_payment_review_names_the_status(client, magento):
    order = magento.store.add_order([{"sku": "A", "name": "A", "qty": 1, "price": 1}], state="payment_review")
    magento.store.orders[order["entity_id"]]["status"] = "fraud"
    error = refused(refund_order, client, order["entity_id"], {"items": []})
    assert error.magento_message == PREFIX + "A creditmemo can not be created when an order has a status of fraud"


def test_nothing_paid_left(client, shop):
    """§8 Validation 1: everything paid already refunded, the order not closed (more to invoice)."""
    order = shop.add_order(SIMPLE_ONLY)
    shop.invoice(order["entity_id"], [(item_ids(order)[0], 1)])
    refund_order(client, order["entity_id"], {})
    assert client.get_order(order["entity_id"])["state"] == "processing"
    error = refused(refund_order, client, order["entity_id"], {})
    assert error.magento_message == PREFIX + "The order does not allow a creditmemo to be created."


def test_virtual_order_is_complete_until_fully_refunded(client, shop):
    """§8 After: nothing left to invoice or ship, complete while a refund is possible, closed after."""
    order = invoiced_order(shop, [("RM-WARRANTY", 2)])
    warranty = item_ids(order)[0]
    refund_order(client, order["entity_id"], {"items": [{"order_item_id": warranty, "qty": 1}]})
    assert client.get_order(order["entity_id"])["state"] == "complete"
    refund_order(client, order["entity_id"], {"items": [{"order_item_id": warranty, "qty": 1}]})
    data = client.get_order(order["entity_id"])
    assert (data["state"], data["status"]) == ("closed", "closed")


# --------------------------------------------------------- input errors
@pytest.mark.parametrize("mode", ["production", "developer"])
def test_unknown_key_in_arguments_or_item_is_a_500(client, shop, paid, mode):
    """§8 Body and §4: a property with no getter is a LogicException: a 500, masked in production."""
    if shop.is_real and shop.developer_mode != (mode == "developer"):
        pytest.skip(f"the real Magento is not in {mode} mode")
    if not shop.is_real:
        shop.double.developer_mode = mode == "developer"
    interface = "Magento\\Sales\\Api\\Data\\"
    for body, name, where in (
        ({"arguments": {"shipping": 1}}, "Shipping", "CreditmemoCreationArgumentsInterface"),
        ({"arguments": [5]}, "0", "CreditmemoCreationArgumentsInterface"),  # a PHP array: key 0 has no getter
        (
            {"items": [{"order_item_id": item_ids(paid)[0], "qty": 1, "sku": "x"}]},
            "Sku",
            "CreditmemoItemCreationInterface",
        ),
    ):
        with pytest.raises(MagentoServerError) as info:
            client.request("POST", f"V1/order/{paid['entity_id']}/refund", json_body=body)
        assert info.value.status == 500 and info.value.parameters is None
        if mode == "developer":
            expected = f'Property "{name}" does not have accessor method "get{name}" in class "{interface}{where}".'
            assert info.value.magento_message == expected
        else:
            assert re.fullmatch(MASKED_500, info.value.magento_message)
    assert client.get_order_creditmemos(paid["entity_id"]) == []


def test_missing_order_item_id(client, paid):
    """§8 Validation 5: ItemRepository::get(null) throws its own 400, no parameters."""
    error = refused(refund_order, client, paid["entity_id"], {"items": [{"qty": 1}]})
    assert (error.magento_message, error.parameters) == ("An ID is needed. Set the ID and try again.", None)


def test_item_of_another_order(client, shop, paid):
    """§8 Validation 5: an existing item of another order is not part of this one."""
    foreign = item_ids(shop.add_order(SIMPLE_ONLY))[0]
    error = refused(refund_order, client, paid["entity_id"], {"items": [{"order_item_id": foreign, "qty": 1}]})
    assert error.magento_message == (
        PREFIX + "The creditmemo contains product item that is not part of the original order."
    )


def test_return_to_stock_items(client, paid):
    """§8 Validation 6: an unknown id; one not in the memo (a 0-quantity line still is one)."""
    bag, hoodie, child = item_ids(paid)

    def body(stock):
        return {
            "items": [{"order_item_id": bag, "qty": 1}],
            "arguments": {"extension_attributes": {"return_to_stock_items": stock}},
        }

    error = refused(refund_order, client, paid["entity_id"], body([NO_SUCH_ID]))
    assert error.magento_message == (
        PREFIX + "The return to stock argument contains product item that is not part of the original order."
    )
    # The configurable's child follows its unlisted parent out of the memo.
    error = refused(refund_order, client, paid["entity_id"], body([child]))
    sku = paid["items"][2]["sku"]
    assert error.magento_message == PREFIX + f'The "{sku}" product is not part of the current creditmemo.'
    assert refund_order(client, paid["entity_id"], body([bag, hoodie])) > 0


def test_type_errors_in_arguments(client, paid):
    """§8 Body, read as §4 says: a non-numeric amount is a filled-in type error naming the property."""
    error = refused(refund_order, client, paid["entity_id"], {"arguments": {"shipping_amount": "5%"}})
    assert error.magento_message == (
        'Error occurred during "shipping_amount" processing. The "5%" value\'s type is invalid. '
        'The "float" type was expected. Verify and try again.'
    )


# ----------------------------------------------------------- look-ups, ACL
def test_search_by_order_and_get_by_id(client, shop, paid):
    """§8 Look-up: GET /V1/creditmemos filtered on order_id / invoice_id; GET /V1/creditmemo/:id errors as §6."""
    other = invoiced_order(shop, SIMPLE_ONLY)
    mine = refund_order(client, paid["entity_id"], {"items": [{"order_item_id": item_ids(paid)[0], "qty": 1}]})
    theirs = refund_order(client, other["entity_id"], {})

    def search(field, value):
        criteria = {
            "searchCriteria[filterGroups][0][filters][0][field]": field,
            "searchCriteria[filterGroups][0][filters][0][value]": str(value),
            "searchCriteria[pageSize]": "10",
        }
        return client.request("GET", "V1/creditmemos", params=criteria)

    found = search("order_id", paid["entity_id"])
    assert found["total_count"] == 1 and found["items"][0]["entity_id"] == mine
    assert [memo["entity_id"] for memo in search("entity_id", theirs)["items"]] == [theirs]
    assert search("state", 2)["total_count"] >= 2
    with pytest.raises(MagentoNotFoundError) as info:
        get_memo(client, NO_SUCH_ID)
    assert info.value.magento_message == "The entity that was requested doesn't exist. Verify the entity and try again."
    assert refused(get_memo, client, 0).magento_message == "An ID is needed. Set the ID and try again."


def test_routes_check_their_acl_resources(shop, paid):
    """§8 Routes (§1): the order route wants Magento_Sales::creditmemo, the look-ups
    Magento_Sales::sales_creditmemo, the invoice route Magento_Sales::sales_invoice."""
    client = shop.integration_client({"Magento_Sales::sales_invoice"}, name="invoices-only")
    invoice_id = client.get_order_invoices(paid["entity_id"])[0]["entity_id"]
    for method, path, resource in (
        ("POST", f"V1/order/{paid['entity_id']}/refund", "Magento_Sales::creditmemo"),
        ("GET", "V1/creditmemo/1", "Magento_Sales::sales_creditmemo"),
    ):
        with pytest.raises(MagentoAuthError) as info:
            client.request(method, path, json_body={} if method == "POST" else None)
        assert info.value.parameters == {"resources": resource}
    # The invoice route only needs the invoice resource: past the ACL, Magento's own refusal.
    with pytest.raises(MagentoValidationError, match="can't create creditmemo"):
        client.request("POST", f"V1/invoice/{invoice_id}/refund", json_body={})


# ----------------------------------------------------------------- locking
def test_concurrent_order_refunds_are_serialized(client, shop, paid):
    """§8 Locking: the order route runs in the order's mutex: one full refund, the others see it closed."""
    results = all_at_once(shop, lambda client: refund_order(client, paid["entity_id"], {}))
    assert sum(isinstance(result, int) for result in results) == 1
    assert all(
        result.startswith(PREFIX + "A creditmemo can not be created when an order has a status of closed")
        for result in results
        if not isinstance(result, int)
    )
    assert client.get_order(paid["entity_id"])["total_refunded"] == paid["grand_total"]


@double_only("needs two requests interleaved inside the double")
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
@double_only("needs fault injection")
def test_fault_on_the_order_route_after_commit(client, magento, paid):
    """§9 and §8 Look-up: a 5xx after Magento committed leaves the memo; look it up before posting again."""
    fault = magento.inject("error_after", status=503, method="POST", path=r"/V1/order/\d+/refund$")
    with pytest.raises(MagentoServerError):
        refund_order(client, paid["entity_id"], {"items": [{"order_item_id": 1, "qty": 1}]})
    assert fault.used == 1
    assert [memo["entity_id"] for memo in magento.store.order_creditmemos(paid["entity_id"])] == [1]


@double_only("needs fault injection")
def test_fault_on_the_invoice_route_before_the_work(client, magento):
    """§8 Look-up and §9: faults match the invoice refund route too; a drop before the work leaves nothing."""
    _order, item_id, first, _second = gateway_order(magento)
    fault = magento.inject("drop", method="POST", path=r"/V1/invoice/\d+/refund$")
    with pytest.raises(MagentoConnectionError):
        refund_invoice(client, first, {"items": [{"order_item_id": item_id, "qty": 1}]})
    assert fault.used == 1 and not magento.store.creditmemos
    refund_invoice(client, first, {"items": [{"order_item_id": item_id, "qty": 1}]})
    assert len(magento.store.creditmemos) == 1


@double_only("the double's control API")
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
            "grand_total": paid["grand_total"],
            "base_grand_total": paid["grand_total"],
            "comments": ["Odoo RINV/7"],
        }
    ]
    assert state["refund_posts"] == 1
