"""Magento's money, known before sending (magento_export/totals.py, money.py).

Each contract test makes an order in the shop (the double, or a real Magento
with REAL_MAGENTO_*), computes what Magento will record for an invoice or a
credit memo, sends it, and compares with what Magento recorded. Amounts come
from the order the shop returns.
"""

import pytest

from magento_export.money import AmountMismatch, Money, settle_invoice, settle_refund, wire_items
from magento_export.totals import DeltaRounder, RefundRequest, creditmemo_totals, invoice_totals, php_round


def _items(order):
    """``{sku: item}`` of the order's items that are not children (a
    configurable's parent carries its child's SKU: named by the catalogue's)."""
    found = {}
    for item in order["items"]:
        if not item.get("parent_item_id"):
            sku = next((s for s in ("RM-HOODIE", "RM-KIT") if item["sku"].startswith(s + "-")), item["sku"])
            found[sku] = item
    return found


def _recorded(client, path, doc_id):
    return client.request("GET", f"V1/{path}/{doc_id}")


def _same_money(totals, document):
    assert php_round(totals.grand_total) == pytest.approx(float(document["grand_total"]), abs=0.001)
    assert php_round(totals.base_grand_total) == pytest.approx(float(document["base_grand_total"]), abs=0.001)


# ---------------------------------------------------------------- rounding
def test_php_round_rounds_half_away_from_zero_after_pre_rounding():
    # 2.675 is 2.67499999... as a double: PHP pre-rounds to 15 digits first.
    assert php_round(2.675) == 2.68
    assert php_round(-2.675) == -2.68
    assert php_round(1.005) == 1.01
    assert php_round(0.1 + 0.2) == 0.3


def test_delta_rounding_carries_the_remainder():
    # Three thirds of 10.00: 3.33, 3.34 (3.333 + 0.003 carried), 3.33.
    rounder = DeltaRounder()
    assert [rounder.round(10 / 3) for _ in range(3)] == [3.33, 3.34, 3.33]


# ---------------------------------------------------------------- invoices
def test_partial_invoices_cost_what_magento_records(shop, client):
    """Thirds of a price leave cents to the rounding deltas and the last invoice."""
    order = shop.add_order([("RM-PEN", 3), ("RM-HOODIE", 3, "Red"), ("RM-MUG", 7)])
    items = _items(order)
    pen, hoodie, mug = (items[s]["item_id"] for s in ("RM-PEN", "RM-HOODIE", "RM-MUG"))
    for request in ({pen: 1, mug: 2}, {pen: 1, hoodie: 2, mug: 3}, {pen: 1, hoodie: 1, mug: 2}):
        current = client.get_order(order["entity_id"])
        totals = invoice_totals(current, request)
        invoice_id = client.create_invoice(order["entity_id"], list(request.items()))
        _same_money(totals, _recorded(client, "invoices", invoice_id))


def test_bundle_invoice_is_priced_by_its_children(shop, client):
    order = shop.add_order([("RM-KIT", 3), ("RM-TEE", 1)])
    kit = _items(order)["RM-KIT"]["item_id"]
    totals = invoice_totals(client.get_order(order["entity_id"]), {kit: 2})
    invoice_id = client.create_invoice(order["entity_id"], [(kit, 2)])
    _same_money(totals, _recorded(client, "invoices", invoice_id))
    assert totals.shipping  # the first invoice takes the shipping


def test_an_invoice_that_differs_from_magento_is_not_sent():
    order = {
        "order_currency_code": "USD",
        "base_to_order_rate": 1,
        "subtotal": 24.5,
        "base_subtotal": 24.5,
        "grand_total": 24.5,
        "items": [
            {"item_id": 1, "qty_ordered": 2, "price": 12.25, "row_total": 24.5, "base_row_total": 24.5, "sku": "P"}
        ],
    }
    assert settle_invoice(order, [(1, 1)], Money(12.25, "USD")).grand_total == 12.25
    with pytest.raises(AmountMismatch) as refused:
        settle_invoice(order, [(1, 1)], Money(10.0, "USD"))
    assert (refused.value.reason, refused.value.magento, refused.value.odoo) == ("total", 12.25, 10.0)
    with pytest.raises(AmountMismatch) as other_currency:
        settle_invoice(order, [(1, 1)], Money(12.25, "EUR"))
    assert other_currency.value.reason == "currency"
    accepted = Money(10.0, "USD", accept_difference=True)
    assert settle_invoice(order, [(1, 1)], accepted).grand_total == 12.25


# ---------------------------------------------------------------- credit memos
def _invoiced(shop, client, lines):
    order = shop.add_order(lines)
    client.create_invoice(order["entity_id"], [])
    return client.get_order(order["entity_id"])


def _refund(client, order, request, items):
    memo_id = client.create_creditmemo(
        items,
        order_id=order["entity_id"],
        shipping_amount=request.base_shipping,
        adjustment_positive=request.base_adjustment_positive,
        adjustment_negative=request.base_adjustment_negative,
    )
    return _recorded(client, "creditmemo", memo_id)


def test_a_credit_note_at_a_lower_price_refunds_that_price(shop, client):
    """1 pen at 10.00 where Magento invoiced 12.25: an adjustment fee of 2.25."""
    order = _invoiced(shop, client, [("RM-PEN", 2), ("RM-BAG", 1)])
    pen = _items(order)["RM-PEN"]["item_id"]
    request, totals = settle_refund(order, [(pen, 1)], Money(10.0, "USD"))
    assert (request.base_adjustment_positive, request.base_adjustment_negative) == (0.0, 2.25)
    memo = _refund(client, order, request, [(pen, 1)])
    assert float(memo["grand_total"]) == 10.0
    _same_money(totals, memo)


def test_goodwill_and_shipping_refund_to_the_cent(shop, client):
    order = _invoiced(shop, client, [("RM-MUG", 3), ("RM-HOODIE", 1, "Blue")])
    mug = _items(order)["RM-MUG"]["item_id"]
    shipping = float(order["shipping_amount"]) / 2
    money = Money(7.5 + shipping + 5.5, "USD", shipping=shipping, goodwill=5.5)
    request, totals = settle_refund(order, [(mug, 1)], money)
    assert request.base_adjustment_positive == 5.5
    memo = _refund(client, order, request, [(mug, 1)])
    assert float(memo["grand_total"]) == php_round(7.5 + shipping + 5.5)
    _same_money(totals, memo)


def test_all_the_shipping_left_is_refunded_with_magentos_own_figure(shop, client):
    order = _invoiced(shop, client, [("RM-PEN", 1), ("RM-TEE", 2)])
    pen = _items(order)["RM-PEN"]["item_id"]
    shipping = float(order["shipping_amount"])
    request, totals = settle_refund(order, [(pen, 1)], Money(12.25 + shipping, "USD", shipping=shipping))
    assert request.base_shipping == float(order["base_shipping_amount"])
    _same_money(totals, _refund(client, order, request, [(pen, 1)]))


def test_more_shipping_than_is_left_is_magentos_refusal():
    order = {
        "order_currency_code": "USD",
        "base_to_order_rate": 1,
        "shipping_amount": 10,
        "base_shipping_amount": 10,
        "shipping_refunded": 10,
        "base_shipping_refunded": 10,
        "items": [],
    }
    with pytest.raises(AmountMismatch) as refused:
        settle_refund(order, [], Money(5.0, "USD", shipping=5.0))
    assert refused.value.reason == "refused"
    assert "Maximum shipping amount allowed to refund is: 0.00" in refused.value.detail


def test_a_dynamic_bundle_is_refunded_through_its_children(shop, client):
    order = _invoiced(shop, client, [("RM-KIT", 2)])
    kit = next(i for i in order["items"] if i["product_type"] == "bundle")
    wire = wire_items(order, [(kit["item_id"], 1)])
    assert {item_id for item_id, _q in wire} == {
        i["item_id"] for i in order["items"] if i.get("parent_item_id") == kit["item_id"]
    }
    half = php_round(float(kit["row_invoiced"] or kit["row_total"]) / 2)
    request, totals = settle_refund(order, wire, Money(half, "USD"))
    memo = _refund(client, order, request, wire)
    assert float(memo["grand_total"]) == half
    _same_money(totals, memo)


def test_refund_totals_follow_magento_at_a_rate():
    """An order at 0.92: adjustments go in base currency and come back rounded."""
    order = {
        "order_currency_code": "EUR",
        "base_to_order_rate": 0.92,
        "shipping_amount": 9.2,
        "base_shipping_amount": 10,
        "shipping_invoiced": 9.2,
        "base_shipping_invoiced": 10,
        "items": [
            {
                "item_id": 1,
                "sku": "P",
                "qty_ordered": 3,
                "qty_invoiced": 3,
                "row_total": 33.81,
                "base_row_total": 36.75,
                "row_invoiced": 33.81,
                "base_row_invoiced": 36.75,
            }
        ],
    }
    request, totals = settle_refund(order, [(1, 1)], Money(10.0, "EUR", shipping=4.6))
    assert php_round(totals.grand_total) == 10.0
    again = creditmemo_totals(order, RefundRequest({1: 1}, request.base_shipping, 0, request.base_adjustment_negative))
    assert php_round(again.grand_total) == 10.0


def test_amounts_only_on_an_order_with_a_dynamic_bundle_is_not_sent(shop, client):
    """Quantities all 0 read as "none given" for a dynamic bundle's parent:
    Magento would mark the bundle refunded (CreditmemoFactory::canRefundItem)."""
    order = _invoiced(shop, client, [("RM-KIT", 1), ("RM-TEE", 1)])
    tee = _items(order)["RM-TEE"]["item_id"]
    with pytest.raises(AmountMismatch) as refused:
        settle_refund(order, [(tee, 0)], Money(5.0, "USD", goodwill=5.0))
    assert refused.value.reason == "bundle"
    plain = _invoiced(shop, client, [("RM-TEE", 1)])
    request, _totals = settle_refund(plain, [(_items(plain)["RM-TEE"]["item_id"], 0)], Money(5.0, "USD", goodwill=5.0))
    assert request.base_adjustment_positive == 5.0


TAXED_LINES = [("RM-TAX10-A", 3), ("RM-TAX21-A", 2), ("RM-DISC-T21", 3), ("RM-DISC", 1), ("RM-PEN", 1)]


def test_taxed_and_discounted_invoices_cost_what_magento_records(shop, client):
    """Partial invoices of taxed, discounted items: tax, discount and their deltas."""
    order = shop.add_order(TAXED_LINES)
    ids = {sku: item["item_id"] for sku, item in _items(order).items()}
    requests = (
        {ids["RM-TAX10-A"]: 1, ids["RM-DISC-T21"]: 1},
        {ids["RM-TAX10-A"]: 1, ids["RM-TAX21-A"]: 1, ids["RM-DISC-T21"]: 1, ids["RM-DISC"]: 1},
        {ids["RM-TAX10-A"]: 1, ids["RM-TAX21-A"]: 1, ids["RM-DISC-T21"]: 1, ids["RM-PEN"]: 1},
    )
    for request in requests:
        current = client.get_order(order["entity_id"])
        totals = invoice_totals(current, request)
        _same_money(
            totals, _recorded(client, "invoices", client.create_invoice(order["entity_id"], list(request.items())))
        )


def test_taxed_and_discounted_refunds_land_on_odoos_cent(shop, client):
    order = _invoiced(shop, client, TAXED_LINES)
    ids = {sku: item["item_id"] for sku, item in _items(order).items()}
    shipping = php_round(float(order["shipping_amount"]) / 3)
    wanted = (
        ([(ids["RM-DISC-T21"], 1)], Money(60.0, "USD")),
        ([(ids["RM-TAX10-A"], 2), (ids["RM-TAX21-A"], 1)], Money(80.0, "USD", shipping=shipping)),
        ([(ids["RM-DISC-T21"], 2), (ids["RM-DISC"], 1)], Money(150.0, "USD", goodwill=11.0)),
    )
    for items, money in wanted:
        current = client.get_order(order["entity_id"])
        request, totals = settle_refund(current, items, money)
        memo = _refund(client, current, request, items)
        assert float(memo["grand_total"]) == money.total
        _same_money(totals, memo)


def test_orders_are_read_ten_to_a_request_and_each_given_out_once(shop, client):
    from magento_export.order_reader import OrderReader

    orders = [shop.add_order([("RM-PEN", 1)]) for _ in range(3)]
    reader = OrderReader(group_size=2)
    reader.plan(o["entity_id"] for o in orders)
    taken = [reader.take(client, o["entity_id"]) for o in orders]
    assert [t["entity_id"] for t in taken] == [o["entity_id"] for o in orders]
    assert reader.requests == 2, "two groups: two searches for three orders"
    # A second document of an order reads it again: the first may have changed it.
    client.create_invoice(orders[0]["entity_id"], [])
    again = reader.take(client, orders[0]["entity_id"])
    assert float(again["total_invoiced"]) == float(again["grand_total"])
    assert reader.requests == 2


def test_orders_taken_at_once_by_several_workers_are_read_once(shop, client):
    import threading

    from magento_export.order_reader import OrderReader

    orders = [shop.add_order([("RM-MUG", 1)]) for _ in range(5)]
    reader = OrderReader()
    reader.plan(o["entity_id"] for o in orders)
    barrier = threading.Barrier(5)
    taken = {}

    def take(order_id):
        barrier.wait()
        taken[order_id] = reader.take(shop.client(), order_id)["entity_id"]

    threads = [threading.Thread(target=take, args=(o["entity_id"],)) for o in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert taken == {o["entity_id"]: o["entity_id"] for o in orders}
    assert reader.requests == 1


def test_a_group_read_ahead_serves_its_documents(shop, client):
    from magento_export.order_reader import OrderReader

    orders = [shop.add_order([("RM-TEE", 1)]) for _ in range(3)]
    reader = OrderReader()
    (read,) = reader.plan(o["entity_id"] for o in orders)
    assert read.magento_order_id is read, "its own key: it waits for no order's requests"
    read.send(client)
    assert [reader.take(client, o["entity_id"])["entity_id"] for o in orders] == [o["entity_id"] for o in orders]
    assert reader.requests == 1
