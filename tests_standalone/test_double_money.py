"""The double's money against Magento 2.4.6-p1's code (docs/magento-behaviour.md §10).

Orders taxed with the default TOTAL_BASE algorithm, tax after discount;
invoices and credit memos through their totals collectors, with the delta
rounding of ``Invoice::roundPrice`` / ``Creditmemo::roundPrice``; base
amounts at the order's ``base_to_order_rate``. Every expected cent is worked
out from Magento's PHP in the comments (PHP rounds half away from zero;
Magento's tax deltas start at 0.000001).
"""

import pytest
from conftest import double_only
from shops import DoubleShop

from magento_client import MagentoServerError
from magento_double import MagentoDouble

pytestmark = double_only("states the double's own totals against Magento's PHP")

TAXED = [
    {"sku": "TEN", "name": "Ten percent", "qty": 2, "price": 10, "tax_percent": 10},
    {"sku": "TWENTYONE", "name": "Twenty-one percent", "qty": 3, "price": 19.99, "tax_percent": 21},
]


def invoice(store, order, lines=None):
    """POST /V1/order/{id}/invoice with ``{item_id: qty}`` (None: everything); the invoice."""
    body = {"capture": True}
    if lines is not None:
        body["items"] = [{"order_item_id": item_id, "qty": qty} for item_id, qty in lines.items()]
    return store.get_invoice(store.invoice_order(order["entity_id"], body))


def refund(store, order, lines=None, **arguments):
    body = {"arguments": arguments}
    if lines is not None:
        body["items"] = [{"order_item_id": item_id, "qty": qty} for item_id, qty in lines.items()]
    return store.get_creditmemo(store.refund_order(order["entity_id"], body))


def ids(order):
    return [item["item_id"] for item in order["items"]]


def totals(document, *names):
    return tuple(document.get(name) for name in names)


@pytest.fixture
def incl_tax():
    """A shop that shows shipping including tax in sales documents (tax/sales_display/shipping = 2)."""
    with MagentoDouble(shipping_display_incl_tax=True) as double:
        yield double


# ------------------------------------------------------------------ orders
def test_taxed_order_at_10_and_21_percent(magento):
    """§10 Orders: each row's tax and the shipping's, in one TOTAL_BASE run (shared deltas per rate)."""
    order = magento.store.add_order(TAXED, shipping_amount=5, shipping_tax_percent=21)
    ten, twentyone = order["items"]
    # 2 x 10 at 10%: 2.00. 3 x 19.99 = 59.97 at 21%: 12.5937 + 0.000001 -> 12.59 (delta 0.003701);
    # price incl. tax round(72.56 / 3) = 24.19.
    assert totals(ten, "tax_percent", "tax_amount", "price_incl_tax", "row_total_incl_tax") == (10, 2, 11, 22)
    assert totals(twentyone, "tax_percent", "tax_amount", "price_incl_tax", "row_total_incl_tax") == (
        21,
        12.59,
        24.19,
        72.56,
    )
    assert totals(twentyone, "base_tax_amount", "base_price_incl_tax", "discount_amount", "discount_percent") == (
        12.59,
        24.19,
        0,
        0,
    )
    # Shipping 5 at 21%: 1.05 + 0.003701 -> 1.05; incl. tax 6.05.
    assert totals(order, "shipping_tax_amount", "shipping_incl_tax", "base_shipping_incl_tax") == (1.05, 6.05, 6.05)
    # 79.97 + 5 + (2 + 12.59 + 1.05) = 100.61
    assert totals(order, "subtotal", "tax_amount", "grand_total", "subtotal_incl_tax") == (79.97, 15.64, 100.61, 94.56)
    assert totals(order, "base_tax_amount", "base_grand_total", "discount_amount") == (15.64, 100.61, 0)


def test_total_base_carries_the_rounding_to_the_next_row(magento):
    """§10 Orders: two rows of 0.0525 tax each are 0.05 and 0.06 (per-row rounding would say 0.10)."""
    cheap = {"name": "Cheap", "qty": 1, "price": 0.25, "tax_percent": 21}
    order = magento.store.add_order([{**cheap, "sku": "C1"}, {**cheap, "sku": "C2"}])
    # 0.0525 + 0.000001 -> 0.05, delta 0.002501; 0.0525 + 0.002501 = 0.055001 -> 0.06.
    assert [item["tax_amount"] for item in order["items"]] == [0.05, 0.06]
    assert (order["tax_amount"], order["grand_total"]) == (0.11, 0.61)


def test_line_discount_is_taxed_after_and_negative_on_the_order(magento):
    """§10 Orders: tax after discount on prices excl. tax; incl.-tax rows before discount; order discount < 0."""
    spec = {"sku": "D", "name": "Discounted", "qty": 3, "price": 10, "tax_percent": 10, "discount_amount": 5}
    order = magento.store.add_order([{**spec, "discount_percent": 16.6667}])
    item = order["items"][0]
    # (30 - 5) x 10% = 2.50; incl. tax 30 + 3.00 (before discount) = 33.00, 11.00 a unit.
    assert totals(item, "discount_amount", "tax_amount", "row_total_incl_tax", "price_incl_tax") == (5, 2.5, 33, 11)
    assert item["discount_percent"] == 16.6667
    assert totals(order, "discount_amount", "base_discount_amount", "tax_amount", "grand_total") == (-5, -5, 2.5, 27.5)


def test_shipping_discount_and_tax(magento):
    """§10 Orders: the shipping's discount lowers its tax, not its incl.-tax amount; it is in the order's discount."""
    order = magento.store.add_order(
        [{"sku": "S", "name": "Shipped", "qty": 1, "price": 40, "tax_percent": 10}],
        shipping_amount=10,
        shipping_tax_percent=10,
        shipping_discount_amount=2,
    )
    # Item tax 4.00; shipping (10 - 2) x 10% = 0.80, incl. tax 10 + 1.00; 40 + 10 - 2 + 4.80 = 52.80.
    assert totals(order, "shipping_tax_amount", "shipping_incl_tax", "shipping_discount_amount") == (0.8, 11, 2)
    assert totals(order, "discount_amount", "tax_amount", "grand_total") == (-2, 4.8, 52.8)
    first = invoice(magento.store, order)
    # Invoice/Total/Discount.php: the first invoice takes the shipping's discount.
    assert totals(first, "discount_amount", "shipping_tax_amount", "tax_amount", "grand_total") == (-2, 0.8, 4.8, 52.8)


def test_base_amounts_at_rate_085(magento):
    """§10 Orders: a unit price in base currency is rounded (10 / 0.85 = 11.7647 -> 11.76), base tax on base rows."""
    order = magento.store.add_order(
        [{"sku": "R", "name": "Rated", "qty": 3, "price": 10, "tax_percent": 10}],
        shipping_amount=5,
        shipping_tax_percent=10,
        base_to_order_rate=0.85,
    )
    item = order["items"][0]
    # Base: 3 x 11.76 = 35.28, tax 3.528 + 0.000001 -> 3.53 (delta -0.001999); shipping 5 / 0.85 -> 5.88,
    # its tax 0.588 - 0.001999 = 0.586001 -> 0.59. Order: 30, tax 3.00, shipping tax 0.50.
    assert totals(item, "base_price", "base_row_total", "base_tax_amount", "tax_amount") == (11.76, 35.28, 3.53, 3)
    assert totals(order, "base_shipping_amount", "base_shipping_tax_amount", "base_tax_amount") == (5.88, 0.59, 4.12)
    assert totals(order, "grand_total", "base_grand_total") == (38.5, 45.28)  # 35.28 + 5.88 + 4.12


def test_untaxed_order_is_as_before(magento):
    """§10 Orders: without tax or discount the totals are the prices, the tax fields 0."""
    order = magento.store.add_order([{"sku": "P", "name": "Plain", "qty": 2, "price": 34}], shipping_amount=10)
    item = order["items"][0]
    assert totals(item, "price", "row_total", "tax_amount", "price_incl_tax", "row_total_incl_tax") == (
        34,
        68,
        0,
        34,
        68,
    )
    assert totals(order, "subtotal", "tax_amount", "shipping_incl_tax", "discount_amount", "grand_total") == (
        68,
        0,
        10,
        0,
        78,
    )


# ---------------------------------------------------------------- invoices
def test_full_invoice_carries_the_orders_totals(magento, client):
    """§10 Invoices: one invoice of everything is the order; the order's invoiced totals follow."""
    order = magento.store.add_order(TAXED, shipping_amount=5, shipping_tax_percent=21)
    document = client.request("GET", f"V1/invoices/{invoice(magento.store, order)['entity_id']}")
    assert totals(document, "subtotal", "tax_amount", "shipping_amount", "shipping_tax_amount", "grand_total") == (
        79.97,
        15.64,
        5,
        1.05,
        100.61,
    )
    assert totals(document, "base_subtotal", "base_tax_amount", "shipping_incl_tax", "discount_amount") == (
        79.97,
        15.64,
        6.05,
        0,
    )
    line = document["items"][1]
    assert totals(line, "row_total", "tax_amount", "price_incl_tax", "row_total_incl_tax") == (
        59.97,
        12.59,
        24.19,
        72.56,
    )
    data = client.get_order(order["entity_id"])
    assert totals(data, "subtotal_invoiced", "tax_invoiced", "shipping_invoiced", "total_invoiced") == (
        79.97,
        15.64,
        5,
        100.61,
    )
    assert totals(data, "shipping_tax_invoiced", "base_tax_invoiced", "discount_invoiced") == (1.05, 15.64, 0)
    assert totals(data["items"][1], "tax_invoiced", "row_invoiced") == (12.59, 59.97)


def test_two_partial_invoices_share_the_rounding_and_the_last_takes_the_rest(magento):
    """§10 Invoices: one rounder per invoice runs through rows, then tax; the last invoice takes what is left."""
    spec = {"name": "Third", "qty": 3, "tax_percent": 21}
    order = magento.store.add_order([{**spec, "sku": "P", "price": 3.35}, {**spec, "sku": "Q", "price": 1.01}])
    p, q = ids(order)
    # Order: P 10.05 x 21% = 2.1105 + 0.000001 -> 2.11 (delta 0.000501); Q 3.03 x 21% = 0.6363 + 0.000501 -> 0.64.
    assert [item["tax_amount"] for item in order["items"]] == [2.11, 0.64]
    first = invoice(magento.store, order, {p: 1, q: 1})
    # Rows 3.35 and 1.01; tax P 2.11 / 3 = 0.703333 -> 0.70 (delta 0.003333), Q 0.64 / 3 + 0.003333 = 0.216667
    # -> 0.22: 0.92, where rounding each line alone would give 0.91.
    assert [line["tax_amount"] for line in first["items"]] == [0.7, 0.22]
    assert totals(first, "subtotal", "tax_amount", "grand_total") == (4.36, 0.92, 5.28)
    second = invoice(magento.store, order, {p: 2, q: 2})
    # Last: rows 10.05 - 3.35 and 3.03 - 1.01; tax 2.75 - 0.92.
    assert [line["tax_amount"] for line in second["items"]] == [1.41, 0.42]
    assert totals(second, "subtotal", "tax_amount", "grand_total") == (8.72, 1.83, 10.55)
    data = magento.store.get_order(order["entity_id"])
    assert totals(data, "total_invoiced", "tax_invoiced", "grand_total") == (15.83, 2.75, 15.83)


def test_partial_invoice_discount_rounding_feeds_the_tax(magento):
    """§10 Invoices: the discount collector's rounding (flipped) carries into the tax collector's."""
    spec = {"sku": "D", "name": "Discounted", "qty": 3, "price": 10, "tax_percent": 10, "discount_amount": 5}
    order = magento.store.add_order([spec])
    (item_id,) = ids(order)
    first = invoice(magento.store, order, {item_id: 1})
    # Row 10; discount 5 / 3 = 1.666667 -> 1.67, delta -0.003333 kept as +0.003333; tax 2.50 / 3 = 0.833333
    # + 0.003333 = 0.836667 -> 0.84. 10 - 1.67 + 0.84 = 9.17.
    assert totals(first, "subtotal", "discount_amount", "tax_amount", "grand_total") == (10, -1.67, 0.84, 9.17)
    assert totals(first["items"][0], "discount_amount", "tax_amount") == (1.67, 0.84)
    data = magento.store.get_order(order["entity_id"])
    assert (data["discount_invoiced"], data["items"][0]["discount_invoiced"]) == (-1.67, 1.67)
    second = invoice(magento.store, order)
    assert totals(second, "subtotal", "discount_amount", "tax_amount", "grand_total") == (20, -3.33, 1.66, 18.33)


def test_partial_invoices_at_rate_085(magento):
    """§10 Invoices: base amounts round on their own rounder; shipping and its tax on the first invoice only."""
    order = magento.store.add_order(
        [{"sku": "R", "name": "Rated", "qty": 3, "price": 10, "tax_percent": 10}],
        shipping_amount=5,
        shipping_tax_percent=10,
        base_to_order_rate=0.85,
    )
    (item_id,) = ids(order)
    first = invoice(magento.store, order, {item_id: 1})
    # Base row 35.28 / 3 = 11.76; base tax 3.53 / 3 = 1.176667 -> 1.18; + base shipping 5.88 and its tax 0.59.
    assert totals(first, "subtotal", "tax_amount", "shipping_amount", "grand_total") == (10, 1.5, 5, 16.5)
    assert totals(first, "base_subtotal", "base_tax_amount", "base_shipping_amount", "base_grand_total") == (
        11.76,
        1.77,
        5.88,
        19.41,
    )
    second = invoice(magento.store, order)
    assert "shipping_amount" not in second or second["shipping_amount"] is None
    # Last: base 35.28 - 11.76 = 23.52, base tax 4.12 - 1.77 = 2.35.
    assert totals(second, "base_subtotal", "base_tax_amount", "base_grand_total", "grand_total") == (
        23.52,
        2.35,
        25.87,
        22,
    )
    data = magento.store.get_order(order["entity_id"])
    assert totals(data, "base_total_invoiced", "base_tax_invoiced", "base_shipping_invoiced") == (45.28, 4.12, 5.88)


# ------------------------------------------------------------ credit memos
def shipped_order(store):
    """4 x 12.50 at 10% (tax 5.00) and 10 shipping at 10% (1.00): 66.00, invoiced in full."""
    order = store.add_order(
        [{"sku": "T", "name": "Taxed", "qty": 4, "price": 12.5, "tax_percent": 10}],
        shipping_amount=10,
        shipping_tax_percent=10,
    )
    invoice(store, order)
    return order


def test_credit_memo_partial_then_the_rest(magento):
    """§10 Credit memos: a line's share and half the shipping with its tax; the last memo takes the tax left."""
    order = shipped_order(magento.store)
    (item_id,) = ids(order)
    memo = refund(magento.store, order, {item_id: 1}, shipping_amount=5)
    # Row 50 / 4 = 12.50, tax 5 / 4 = 1.25; shipping 5 of 10: 5.00, its tax 1.00 x 0.5 = 0.50, incl. 5.50.
    assert totals(memo, "subtotal", "shipping_amount", "shipping_tax_amount", "shipping_incl_tax") == (
        12.5,
        5,
        0.5,
        5.5,
    )
    assert totals(memo, "tax_amount", "base_tax_amount", "grand_total", "discount_amount") == (1.75, 1.75, 19.25, 0)
    assert totals(memo["items"][0], "row_total", "tax_amount") == (12.5, 1.25)
    rest = refund(magento.store, order)
    # Everything left: 37.50, shipping 5.00, tax 6.00 - 1.75 = 4.25 (3.75 + 0.50).
    assert totals(rest, "subtotal", "shipping_amount", "shipping_tax_amount", "tax_amount", "grand_total") == (
        37.5,
        5,
        0.5,
        4.25,
        46.75,
    )
    data = magento.store.get_order(order["entity_id"])
    assert totals(data, "total_refunded", "tax_refunded", "shipping_tax_refunded", "state") == (66, 6, 1, "closed")


def test_shipping_excl_tax_display_refuses_the_amount_with_tax(magento):
    """§10 Credit memos: shown excl. tax, shipping_amount is excl. tax: 11 is above the 10 left."""
    order = shipped_order(magento.store)
    with pytest.raises(Exception) as info:
        refund(magento.store, order, {}, shipping_amount=11)
    assert (info.value.message, info.value.parameters) == (
        "Maximum shipping amount allowed to refund is: %1",
        ["$10.00"],
    )


def test_shipping_incl_tax_display_reads_the_amount_with_tax(incl_tax):
    """§10 Credit memos: shown incl. tax, shipping_amount includes it (Creditmemo/Total/Shipping.php)."""
    store = incl_tax.store
    order = shipped_order(store)
    (item_id,) = ids(order)
    # 5.50 of 11.00 incl. tax: ratio 0.5, shipping round(10 x 0.5) = 5.00, its tax 0.50.
    memo = refund(store, order, {item_id: 1}, shipping_amount=5.5)
    assert totals(memo, "shipping_amount", "shipping_incl_tax", "shipping_tax_amount", "grand_total") == (
        5,
        5.5,
        0.5,
        19.25,
    )
    with pytest.raises(Exception) as info:
        refund(store, order, {}, shipping_amount=5.51)
    # Left incl. tax: 11.00 less the earlier memo's 5.50.
    assert info.value.parameters == ["$5.50"]
    rest = refund(store, order, {item_id: 0}, shipping_amount=5.5)
    assert totals(rest, "shipping_amount", "shipping_tax_amount", "grand_total") == (5, 0.5, 5.5)


def test_adjustments_at_a_rate_are_base_amounts_added_untaxed(magento):
    """§10 Credit memos: adjustments are base amounts; the order's is base x rate, each rounded half up."""
    order = magento.store.add_order(
        [{"sku": "A", "name": "Alpha", "qty": 2, "price": 17, "tax_percent": 10}], base_to_order_rate=0.85
    )
    invoice(magento.store, order)
    (item_id,) = ids(order)
    memo = refund(magento.store, order, {item_id: 0}, adjustment_positive=5, adjustment_negative=2.5)
    # 5 x 0.85 = 4.25; 2.5 x 0.85 = 2.125 -> 2.13 (PHP; Python's round() would say 2.12). No tax on them.
    assert totals(memo, "adjustment_positive", "adjustment_negative", "adjustment", "tax_amount") == (
        4.25,
        2.13,
        2.12,
        0,
    )
    assert totals(memo, "base_adjustment_positive", "base_adjustment_negative", "grand_total", "base_grand_total") == (
        5,
        2.5,
        2.12,
        2.5,
    )


def test_maximum_shipping_at_rate_110(magento):
    """§10 Credit memos: shipping asked in base currency, checked rounded, formatted in the base currency."""
    order = magento.store.add_order(
        [{"sku": "B", "name": "Beta", "qty": 1, "price": 20}],
        shipping_amount=7,
        base_to_order_rate=1.1,
        base_currency_code="USD",
        order_currency_code="EUR",
    )
    invoice(magento.store, order)
    assert order["base_shipping_amount"] == 6.36  # 7 / 1.1 = 6.3636
    with pytest.raises(Exception) as info:
        refund(magento.store, order, {}, shipping_amount=6.37)
    assert info.value.parameters == ["$6.36"]
    half = refund(magento.store, order, {}, shipping_amount=3.18)
    # ratio 3.18 / 6.36 = 0.5: order shipping round(7 x 0.5) = 3.50.
    assert totals(half, "base_shipping_amount", "shipping_amount") == (3.18, 3.5)
    rest = refund(magento.store, order, {}, shipping_amount=3.18)
    # At what is left (within 0.0001): exactly what is left, 7 - 3.50.
    assert totals(rest, "base_shipping_amount", "shipping_amount") == (3.18, 3.5)


def test_dynamic_bundle_is_taxed_and_refunded_by_its_children(magento):
    """§10 Bundles: children carry prices and tax, the parent their sums; naming the parent is refused."""
    bundle = {
        "sku": "KIT",
        "name": "Kit",
        "type": "bundle",
        "qty": 2,
        "tax_percent": 10,
        "children": [{"sku": "BALL", "qty": 1, "price": 23}, {"sku": "STRAP", "qty": 2, "price": 14}],
    }
    order = magento.store.add_order([bundle])
    parent, ball, strap = order["items"]
    # Children: 46 (tax 4.60) and 56 (5.60); parent: 102, round(102 / 2) = 51, tax 10.20, incl. 112.20.
    assert totals(ball, "row_total", "tax_amount") == (46, 4.6)
    assert totals(parent, "price", "row_total", "tax_amount", "row_total_incl_tax", "price_incl_tax") == (
        51,
        102,
        10.2,
        112.2,
        56.1,
    )
    assert totals(order, "subtotal", "tax_amount", "grand_total") == (102, 10.2, 112.2)
    first = invoice(magento.store, order)
    assert "row_total" not in first["items"][0] or first["items"][0]["row_total"] is None
    assert totals(first, "subtotal", "tax_amount", "grand_total") == (102, 10.2, 112.2)
    memo = refund(magento.store, order, {strap["item_id"]: 2}, shipping_amount=0)
    # Strap 2 of 4: 28.00, tax 5.60 / 4 x 2 = 2.80.
    assert totals(memo, "subtotal", "tax_amount", "grand_total") == (28, 2.8, 30.8)
    with pytest.raises(Exception) as info:
        refund(magento.store, order, {parent["item_id"]: 1})
    assert info.value.message.endswith("The creditmemo contains incorrect product items.")


def test_documents_show_the_money_fields(magento, client):
    """§10: GET shows the totals Magento's interfaces have getters for, the discount negative."""
    spec = {"sku": "D", "name": "Discounted", "qty": 3, "price": 10, "tax_percent": 10, "discount_amount": 5}
    order = magento.store.add_order([spec], shipping_amount=5, shipping_tax_percent=10)
    invoice(magento.store, order)
    data = client.get_order(order["entity_id"])
    for name in ("tax_amount", "shipping_tax_amount", "shipping_incl_tax", "discount_amount", "subtotal_incl_tax"):
        assert name in data and "base_" + name in data, name
    for name in ("tax_percent", "tax_amount", "price_incl_tax", "row_total_incl_tax", "discount_amount"):
        assert name in data["items"][0], name
    memo_id = magento.store.refund_order(order["entity_id"], {"arguments": {"adjustment_negative": 1}})
    memo = client.request("GET", f"V1/creditmemo/{memo_id}")
    for name in ("tax_amount", "shipping_tax_amount", "shipping_incl_tax", "discount_amount", "adjustment_negative"):
        assert name in memo and "base_" + name in memo, name
    # 30 - 5 + 5 + tax (2.50 + 0.50) - 1 adjustment.
    assert totals(memo, "discount_amount", "tax_amount", "grand_total") == (-5, 3, 32)


def test_zero_shipping_order_refund_with_shipping_incl_tax_is_a_php_error(incl_tax):
    """§10: Creditmemo/Total/Tax.php:139 divides by the order's shipping (magento/magento2#38053): HTTP 500."""
    order = incl_tax.store.add_order([{"sku": "V", "name": "Virtual", "type": "virtual", "qty": 1, "price": 9}])
    invoice(incl_tax.store, order)
    client = DoubleShop(incl_tax).client()
    with pytest.raises(MagentoServerError):
        client.request("POST", f"V1/order/{order['entity_id']}/refund", json_body={})
    assert incl_tax.store.get_order(order["entity_id"]).get("total_refunded") is None  # nothing written


def test_columns_read_as_strings_make_zero_amounts_count(magento):
    """§10 Invoices: Magento reads "0.0000" from the database, which PHP takes for true: an order
    without shipping gets shipping 0 (and shipping tax 0) on its first invoice, an untaxed line a tax of 0
    (2.4.6-p1's sales_invoice / sales_invoice_item rows show exactly that)."""
    order = magento.store.add_order([{"sku": "V", "name": "Virtual", "type": "virtual", "qty": 2, "price": 9}])
    (item_id,) = ids(order)
    first = invoice(magento.store, order, {item_id: 1})
    assert totals(first, "shipping_amount", "shipping_incl_tax", "shipping_tax_amount") == (0, 0, 0)
    assert totals(first["items"][0], "tax_amount", "discount_tax_compensation_amount") == (0, 0)
    assert "discount_amount" not in first["items"][0] or first["items"][0]["discount_amount"] is None
    second = invoice(magento.store, order)
    assert totals(second, "shipping_amount", "shipping_tax_amount") == (None, None)


def test_shipping_discount_only_on_the_first_invoice(magento):
    """§10 Invoices: any earlier invoice has a discount_amount ("0.0000" too): the shipping's discount
    goes on the first invoice, even one without line discounts."""
    order = magento.store.add_order(
        [{"sku": "S", "name": "Shipped", "qty": 2, "price": 20}], shipping_amount=10, shipping_discount_amount=10
    )
    (item_id,) = ids(order)
    first = invoice(magento.store, order, {item_id: 1})
    assert totals(first, "discount_amount", "grand_total") == (-10, 20)  # 20 + 10 shipping - 10
    assert totals(invoice(magento.store, order), "discount_amount", "grand_total") == (0, 20)
