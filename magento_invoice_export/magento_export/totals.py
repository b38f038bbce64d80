"""What Magento will charge or refund: the totals of the invoice or credit memo
a request would create, computed from the order as Magento returns it, the way
Magento's totals collectors compute them (docs/magento-behaviour.md §10).

Magento computes the money of a document from quantities; this module lets
the export know that figure before sending, and compare it with Odoo's to the
cent. Floats are used on purpose: PHP computes in IEEE doubles, and the same
operations in the same order give the same results; only rounding differs
(:func:`php_round`).
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# Order fields of features these collectors do not model (Adobe Commerce's
# store credit, gift cards, reward points; fixed product taxes): an order using
# them is not checked, it is refused (see :func:`unsupported`).
UNMODELLED = (
    ("customer_balance_amount", "store credit"),
    ("gift_cards_amount", "a gift card"),
    ("reward_currency_amount", "reward points"),
    ("gw_price", "gift wrapping"),
    ("gw_items_price", "gift wrapping"),
)


class MagentoRefusal(Exception):
    """Magento would refuse the request (its own words)."""


def php_round(value, digits=2):
    """PHP 8.2's round(): the value pre-rounded to 15 significant digits, then
    half away from zero (PriceCurrency::round rounds to 2 digits)."""
    if not value:
        return value
    exact = Decimal(format(float(value), ".15g"))
    return float(exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


class DeltaRounder:
    """``Magento\\Framework\\Math\\Calculator::deltaRound``: each rounding
    carries the previous one's remainder, one calculator per kind of amount
    and per document (Invoice::roundPrice, Creditmemo::roundPrice)."""

    def __init__(self):
        self.delta = 0.0

    def round(self, price, negative=False):
        if not price:
            return price
        if negative:
            self.delta = -self.delta
        price += self.delta
        rounded = php_round(price)
        self.delta = price - rounded
        if negative:
            self.delta = -self.delta
        return rounded


@dataclass
class Totals:
    """A document's money as Magento will record it, in the order's currency
    (``grand_total``...) and the base currency (``base_*``)."""

    subtotal: float = 0.0
    base_subtotal: float = 0.0
    discount: float = 0.0  # positive: what is taken off
    base_discount: float = 0.0
    shipping: float = 0.0
    base_shipping: float = 0.0
    tax: float = 0.0
    base_tax: float = 0.0
    shipping_tax: float = 0.0  # credit memos: the part of ``tax`` on shipping
    adjustment: float = 0.0  # positive less negative
    base_adjustment: float = 0.0
    grand_total: float = 0.0
    base_grand_total: float = 0.0

    def cents(self):
        return php_round(self.grand_total)

    def parts(self):
        """``[(name, amount)]`` of the non-zero parts, for messages."""
        names = (
            ("subtotal", self.subtotal),
            ("discount", -self.discount),
            ("shipping", self.shipping),
            ("tax", self.tax),
            ("adjustment", self.adjustment),
        )
        return [(name, php_round(amount)) for name, amount in names if php_round(amount)]


def _f(record, key):
    return float(record.get(key) or 0)


ROW_FIELDS = (
    ("row_total", "discount_amount"),
    ("row_total_incl_tax", "discount_amount"),
    ("base_row_total", "base_discount_amount"),
    ("base_row_total_incl_tax", "base_discount_amount"),
)


def row_is_net(item):
    """Whether the API gives this item's row totals less its discount.

    Magento 2.4.6-p1 (Adobe Commerce) answers ``GET /V1/orders/:id`` with
    ``row_total`` (and its base and tax-including siblings) net of the item's
    discount, where its database and its totals collectors hold them before
    discount (seen on the real shop: 2 x 29.95 less 5.99 reads 53.91, the
    database 59.90; ``row_invoiced`` reads as stored). The row nearer to
    ``price x qty`` tells which one the answer carries."""
    discount = _f(item, "discount_amount")
    if not discount:
        return False
    gross = _f(item, "price") * _f(item, "qty_ordered")
    row = _f(item, "row_total")
    return abs(row + discount - gross) < abs(row - gross)


def gross_item(item):
    """The item with its row totals before discount, as Magento's collectors read them."""
    if not row_is_net(item):
        return item
    item = dict(item)
    for row, discount in ROW_FIELDS:
        if item.get(row) is not None:
            item[row] = _f(item, row) + _f(item, discount)
    return item


class OrderItems:
    """The order's items with what Magento's Order\\Item derives of them
    (parents, children, dummies), from GET /V1/orders/:id (rows before
    discount: :func:`gross_item`)."""

    def __init__(self, order):
        self.order = order
        self.items = [gross_item(item) for item in order.get("items") or []]
        self.by_id = {int(i["item_id"]): i for i in self.items}
        self.children = {}
        for item in self.items:
            parent = int(item.get("parent_item_id") or 0)
            if parent:
                self.children.setdefault(parent, []).append(item)

    def parent(self, item):
        return self.by_id.get(int(item.get("parent_item_id") or 0))

    def children_calculated(self, item):
        """Order\\Item::isChildrenCalculated. The API does not give
        ``product_calculations``: a parent whose children carry prices is a
        dynamic-price bundle (its children are calculated)."""
        parent = self.parent(item) or item
        return any(_f(child, "price") for child in self.children.get(int(parent["item_id"]), ()))

    def is_dummy(self, item):
        """Order\\Item::isDummy (not for shipments)."""
        if self.children.get(int(item["item_id"])) and self.children_calculated(item):
            return True
        return bool(self.parent(item)) and not self.children_calculated(item)

    def qty_to_invoice(self, item):
        if self.is_dummy(item):
            return 0.0
        return max(round(_f(item, "qty_ordered") - _f(item, "qty_invoiced") - _f(item, "qty_canceled"), 8), 0.0)

    def qty_to_refund(self, item):
        if self.is_dummy(item):
            return 0.0
        return max(_f(item, "qty_invoiced") - _f(item, "qty_refunded"), 0.0)

    def per_parent(self, child):
        """A bundle child's quantity per bundle (bundle_selection_attributes.qty)."""
        parent = self.parent(child)
        ordered = _f(parent, "qty_ordered")
        return _f(child, "qty_ordered") / ordered if ordered else 1.0

    def is_bundle_child(self, item):
        parent = self.parent(item)
        return bool(parent) and parent.get("product_type") == "bundle"


def unsupported(order):
    """What the order uses that these computations do not model, as a person
    reads it (empty when every amount can be checked)."""
    found = [words for key, words in UNMODELLED if _f(order, key) or _f(order, "base_" + key)]
    if any(_f(item, "weee_tax_applied_amount") or _f(item, "weee_tax_applied_row_amount") for item in order["items"]):
        found.append("fixed product taxes")
    return sorted(set(found))


def _same(a, b):
    """PHP's ``(string)(double)$a == (string)(double)$b`` for quantities."""
    return format(float(a), ".14G") == format(float(b), ".14G")


def _whole(item, qty):
    """A quantity as Magento sets it on a document item (truncated for
    whole-unit items, never negative)."""
    qty = float(qty) if item.get("is_qty_decimal") else float(int(qty))
    return qty if qty > 0 else 0.0


TAX_STEMS = ("tax", "base_tax", "discount_tax_compensation", "base_discount_tax_compensation")
DISCOUNT_STEMS = ("discount", "base_discount")


def _share(item, qty, available, stems, suffixes, rounders):
    """What a document takes of one item's amounts, one per stem: what is
    left of each (``<stem>_<from>`` less ``<stem>_<done>``: an invoice takes
    from ``_amount`` less ``_invoiced``, a credit memo from ``_invoiced`` less
    ``_refunded``), all of it when the item is the last (``available`` None),
    else ``qty``'s share, rounded with the document's deltas in this order
    (Invoice/Total/Tax.php and Discount.php, their Creditmemo twins; a
    discount is rounded as a negative amount)."""
    origin, done = suffixes
    share = []
    for stem in stems:
        left = _f(item, f"{stem}_{origin}") - _f(item, f"{stem}_{done}")
        if available is not None:
            rounder = rounders["base" if stem.startswith("base_") else "regular"]
            left = rounder.round(left / available * qty, negative=stem in DISCOUNT_STEMS)
        share.append(left)
    return share


# ---------------------------------------------------------------- invoices
def invoice_totals(order, requested):
    """The totals of the invoice ``POST /V1/order/:id/invoice`` would create
    for ``requested`` (``{order item id: qty}``).

    InvoiceService::prepareInvoice (quantities, bundle children) and the
    order_invoice collectors of module-sales/etc/sales.xml: Subtotal,
    Discount, Shipping, Tax (Model/Order/Invoice/Total/*.php,
    Invoice/Item.php::calcRowTotal)."""
    items = OrderItems(order)
    qtys = _prepare_invoice_qtys(items, {int(k): float(v) for k, v in requested.items()})
    lines = []
    for item in items.items:
        if items.is_dummy(item) or items.qty_to_invoice(item) <= 0:
            continue  # dummies carry no money; nothing left: not on the invoice
        lines.append((item, _whole(item, qtys.get(int(item["item_id"]), 0.0))))
    last = {id(item): _same(qty, items.qty_to_invoice(item)) for item, qty in lines}
    is_last = all(last.values())
    rounders = {"regular": DeltaRounder(), "base": DeltaRounder()}
    totals = Totals()
    _invoice_subtotal(order, lines, last, is_last, rounders, totals)
    _invoice_discount(order, lines, last, rounders, totals)
    _invoice_shipping(order, totals)
    _invoice_tax(order, lines, last, is_last, rounders, totals)
    return totals


def _prepare_invoice_qtys(items, qtys):
    """InvoiceService::prepareItemsQty: a named parent gives its bundle
    children ``qty x per bundle``, its other children its own quantity."""
    for item in items.items:
        item_id = int(item["item_id"])
        if item_id in qtys:
            for child in items.children.get(item_id, ()):
                if int(child["item_id"]) not in qtys and items.is_bundle_child(child):
                    qtys[int(child["item_id"])] = items.per_parent(child) * qtys[item_id]
        else:
            parent_id = int(item.get("parent_item_id") or 0)
            if parent_id in qtys:
                qtys[item_id] = qtys[parent_id]
    return qtys


def _invoice_subtotal(order, lines, last, is_last, rounders, totals):
    subtotal = base_subtotal = 0.0
    for item, qty in lines:
        row = _f(item, "row_total") - _f(item, "row_invoiced")
        base_row = _f(item, "base_row_total") - _f(item, "base_row_invoiced")
        if not last[id(item)]:
            available = _f(item, "qty_ordered") - _f(item, "qty_invoiced")
            row = rounders["regular"].round(row / available * qty)
            base_row = rounders["base"].round(base_row / available * qty)
        subtotal += row
        base_subtotal += base_row
    allowed = _f(order, "subtotal") - _f(order, "subtotal_invoiced")
    base_allowed = _f(order, "base_subtotal") - _f(order, "base_subtotal_invoiced")
    if is_last:
        subtotal, base_subtotal = allowed, base_allowed
    else:
        subtotal, base_subtotal = min(allowed, subtotal), min(base_allowed, base_subtotal)
    totals.subtotal, totals.base_subtotal = subtotal, base_subtotal
    totals.grand_total += subtotal
    totals.base_grand_total += base_subtotal


def _invoice_discount(order, lines, last, rounders, totals):
    discount = base_discount = 0.0
    # Shipping's discount goes with the first invoice that has a discount.
    if not _f(order, "discount_invoiced"):
        discount += _f(order, "shipping_discount_amount")
        base_discount += _f(order, "base_shipping_discount_amount")
    for item, qty in lines:
        ordered = _f(item, "qty_ordered")
        if not (_f(item, "discount_amount") and ordered):
            continue
        available = None if last[id(item)] else ordered - _f(item, "qty_invoiced")
        amount, base_amount = _share(item, qty, available, DISCOUNT_STEMS, ("amount", "invoiced"), rounders)
        discount += amount
        base_discount += base_amount
    totals.discount, totals.base_discount = discount, base_discount
    grand = totals.grand_total - discount
    base_grand = totals.base_grand_total - base_discount
    totals.grand_total = 0.0 if abs(grand) < 0.0001 else grand
    totals.base_grand_total = 0.0 if abs(base_grand) < 0.0001 else base_grand


def _shipping_invoiced(order):
    """Whether an earlier invoice took the shipping (only the first one does)."""
    return bool(_f(order, "shipping_invoiced") or _f(order, "base_shipping_invoiced"))


def _invoice_shipping(order, totals):
    if _f(order, "shipping_amount") and not _shipping_invoiced(order):
        totals.shipping, totals.base_shipping = _f(order, "shipping_amount"), _f(order, "base_shipping_amount")
        totals.grand_total += totals.shipping
        totals.base_grand_total += totals.base_shipping


def _invoice_tax(order, lines, last, is_last, rounders, totals):
    tax = base_tax = compensation = base_compensation = 0.0
    for item, qty in lines:
        ordered = _f(item, "qty_ordered")
        if not ((_f(item, "tax_amount") or _f(item, "discount_tax_compensation_amount")) and ordered) or qty <= 0:
            continue
        available = None if last[id(item)] else ordered - _f(item, "qty_invoiced")
        share = _share(item, qty, available, TAX_STEMS, ("amount", "invoiced"), rounders)
        tax, base_tax, compensation, base_compensation = (
            total + part for total, part in zip((tax, base_tax, compensation, base_compensation), share, strict=True)
        )
    allowed_comp = _f(order, "discount_tax_compensation_amount") - _f(order, "discount_tax_compensation_invoiced")
    base_allowed_comp = _f(order, "base_discount_tax_compensation_amount") - _f(
        order, "base_discount_tax_compensation_invoiced"
    )
    if not _shipping_invoiced(order):
        tax += _f(order, "shipping_tax_amount")
        base_tax += _f(order, "base_shipping_tax_amount")
        compensation += _f(order, "shipping_discount_tax_compensation_amount")
        base_compensation += _f(order, "base_shipping_discount_tax_compensation_amnt")
        allowed_comp += _f(order, "shipping_discount_tax_compensation_amount")
        base_allowed_comp += _f(order, "base_shipping_discount_tax_compensation_amnt")
    allowed = _f(order, "tax_amount") - _f(order, "tax_invoiced")
    base_allowed = _f(order, "base_tax_amount") - _f(order, "base_tax_invoiced")
    if is_last:
        tax, base_tax, compensation, base_compensation = allowed, base_allowed, allowed_comp, base_allowed_comp
    else:
        tax, base_tax = min(allowed, tax), min(base_allowed, base_tax)
        compensation, base_compensation = min(allowed_comp, compensation), min(base_allowed_comp, base_compensation)
    totals.tax, totals.base_tax = tax + compensation, base_tax + base_compensation
    totals.grand_total += tax + compensation
    totals.base_grand_total += base_tax + base_compensation


# ---------------------------------------------------------------- credit memos
@dataclass
class RefundRequest:
    """What a credit memo request says about money: quantities by order item,
    and ``shipping_amount``/``adjustment_*`` as sent (base currency)."""

    qtys: dict
    base_shipping: float = 0.0
    base_adjustment_positive: float = 0.0
    base_adjustment_negative: float = 0.0
    # The shop shows shipping including tax (tax/sales_display/shipping = 2):
    # Magento then reads shipping_amount including tax.
    shipping_incl_tax: bool = False
    # Online through an invoice: that invoice as GET /V1/invoices/:id gives
    # it, and what the order's credit memos already refunded of it.
    invoice: dict | None = None
    invoice_refunded: dict | None = None  # {field: amount} summed over its credit memos
    # With shipping shown including tax, what earlier credit memos took of it
    # (their base_shipping_incl_tax summed), as Magento counts it then.
    base_shipping_incl_tax_refunded: float | None = None


def creditmemo_totals(order, request):
    """The totals of the credit memo ``POST /V1/order/:id/refund`` (or
    ``/V1/invoice/:id/refund``) would create.

    CreditmemoFactory (items, quantities, shipping and adjustments as given)
    and the order_creditmemo collectors: Subtotal, Discount, Shipping, Tax,
    Grand (Model/Order/Creditmemo/Total/*.php, Creditmemo/Item.php,
    Creditmemo.php::setAdjustmentAmount). Raises :class:`MagentoRefusal`
    where the Shipping collector refuses."""
    items = OrderItems(order)
    lines = _creditmemo_lines(items, request)
    last = {id(item): _same(qty, items.qty_to_refund(item)) for item, qty in lines}
    is_last = all(last.values())
    rounders = {"regular": DeltaRounder(), "base": DeltaRounder()}
    totals = Totals()
    _creditmemo_subtotal(lines, last, rounders, totals)
    _creditmemo_discount(order, request, lines, last, rounders, totals)
    shipping_excl = _creditmemo_shipping(order, request, totals)
    _creditmemo_tax(order, request, lines, last, is_last, shipping_excl, rounders, totals)
    rate = _f(order, "base_to_order_rate") or 1.0
    positive = php_round(php_round(request.base_adjustment_positive) * rate)
    negative = php_round(php_round(request.base_adjustment_negative) * rate)
    totals.adjustment = positive - negative
    totals.base_adjustment = php_round(request.base_adjustment_positive) - php_round(request.base_adjustment_negative)
    totals.grand_total += totals.adjustment
    totals.base_grand_total += totals.base_adjustment
    return totals


def _creditmemo_lines(items, request):
    """``[(order item, qty)]`` of the credit memo's non-dummy items
    (CreditmemoFactory::createByOrder/createByInvoice, getQtyToRefund)."""
    qtys = {int(k): float(v) for k, v in request.qtys.items()}
    lines = []
    if request.invoice is None:
        for item in items.items:
            if items.is_dummy(item) or items.qty_to_refund(item) < 0:
                continue
            lines.append((item, qtys.get(int(item["item_id"]), 0.0) if qtys else items.qty_to_refund(item)))
        return lines
    limits = _invoice_limits(request)
    for line in request.invoice.get("items") or []:
        item = items.by_id.get(int(line.get("order_item_id") or 0))
        if item is None or items.is_dummy(item):
            continue
        item_id = int(item["item_id"])
        if item_id in limits and limits[item_id] <= 0:
            continue
        qty = qtys.get(item_id, 0.0) if qtys else items.qty_to_refund(item)
        if item_id in limits:
            qty = min(qty, limits[item_id])
        lines.append((item, min(qty, _f(line, "qty"))))
    return lines


def _invoice_limits(request):
    """What is left to refund of each item of the invoice (its quantity less
    what its credit memos refunded)."""
    refunded = (request.invoice_refunded or {}).get("qtys") or {}
    return {
        int(line.get("order_item_id") or 0): _f(line, "qty") - refunded.get(int(line.get("order_item_id") or 0), 0.0)
        for line in request.invoice.get("items") or []
    }


def _creditmemo_subtotal(lines, last, rounders, totals):
    for item, qty in lines:
        row = _f(item, "row_invoiced") - _f(item, "amount_refunded")
        base_row = _f(item, "base_row_invoiced") - _f(item, "base_amount_refunded")
        invoiced = _f(item, "qty_invoiced")
        if not last[id(item)] and invoiced > 0 and qty >= 0:
            available = invoiced - _f(item, "qty_refunded")
            row = rounders["regular"].round(row / available * qty)
            base_row = rounders["base"].round(base_row / available * qty)
        totals.subtotal += row
        totals.base_subtotal += base_row
    totals.grand_total += totals.subtotal
    totals.base_grand_total += totals.base_subtotal


def _creditmemo_discount(order, request, lines, last, rounders, totals):
    discount = base_discount = 0.0
    base_shipping = float(request.base_shipping or 0)
    if base_shipping and _f(order, "base_shipping_amount") <= 0:
        raise MagentoRefusal("You can not refund shipping if there is no shipping amount.")
    if base_shipping:
        incl = request.shipping_incl_tax
        order_base = _f(order, "base_shipping_incl_tax") if incl else _f(order, "base_shipping_amount")
        order_amount = _f(order, "shipping_incl_tax") if incl else _f(order, "shipping_amount")
        base_shipping_discount = base_shipping * _f(order, "base_shipping_discount_amount") / order_base
        discount += order_amount * base_shipping_discount / order_base
        base_discount += base_shipping_discount
    for item, qty in lines:
        invoiced = _f(item, "qty_invoiced")
        if not (_f(item, "discount_invoiced") and invoiced):
            continue
        available = None if last[id(item)] else invoiced - _f(item, "qty_refunded")
        amount, base_amount = _share(item, qty, available, DISCOUNT_STEMS, ("invoiced", "refunded"), rounders)
        discount += amount
        base_discount += base_amount
    totals.discount, totals.base_discount = discount, base_discount
    totals.grand_total -= discount
    totals.base_grand_total -= base_discount


def _creditmemo_shipping(order, request, totals):
    """Creditmemo/Total/Shipping.php; ``(shipping, base shipping)`` excluding tax."""
    allowed = _f(order, "shipping_amount") - _f(order, "shipping_refunded")
    base_allowed = _f(order, "base_shipping_amount") - _f(order, "base_shipping_refunded")
    incl = request.shipping_incl_tax
    if incl and request.base_shipping_incl_tax_refunded is not None:
        # Tax after discount with shipping shown including tax: what earlier
        # credit memos took, including tax (Shipping.php::getBaseAllowedAmountInclTax).
        base_allowed_incl = max(_f(order, "base_shipping_incl_tax") - request.base_shipping_incl_tax_refunded, 0.0)
    else:
        base_allowed_incl = max(
            _f(order, "base_shipping_incl_tax")
            - (_f(order, "base_shipping_refunded") + _f(order, "base_shipping_tax_refunded")),
            0.0,
        )
    desired = php_round(float(request.base_shipping or 0))
    max_allowed = base_allowed_incl if incl else base_allowed
    original = _f(order, "base_shipping_incl_tax") if incl else _f(order, "base_shipping_amount")
    if not desired < php_round(max_allowed) + 0.0001:
        raise MagentoRefusal(f"Maximum shipping amount allowed to refund is: {max_allowed:.2f}")
    ratio = desired / original if original > 0 else 0
    if desired > max_allowed - 0.0001:
        shipping, base_shipping = allowed, base_allowed
    else:
        shipping = php_round(_f(order, "shipping_amount") * ratio)
        base_shipping = php_round(_f(order, "base_shipping_amount") * ratio)
    totals.shipping, totals.base_shipping = shipping, base_shipping
    totals.grand_total += shipping
    totals.base_grand_total += base_shipping
    return shipping, base_shipping


def _creditmemo_tax(order, request, lines, last, is_last, shipping_excl, rounders, totals):
    tax = base_tax = compensation = base_compensation = 0.0
    for item, qty in lines:
        invoiced = _f(item, "qty_invoiced")
        if qty <= 0 or not invoiced:
            continue
        available = None if last[id(item)] else invoiced - _f(item, "qty_refunded")
        share = _share(item, qty, available, TAX_STEMS, ("invoiced", "refunded"), rounders)
        tax, base_tax, compensation, base_compensation = (
            total + part for total, part in zip((tax, base_tax, compensation, base_compensation), share, strict=True)
        )
    shipping_tax, base_shipping_tax, partial = _creditmemo_shipping_tax(order, request, shipping_excl, rounders)
    totals.shipping_tax = shipping_tax[0] + shipping_tax[1]
    tax += shipping_tax[0]
    base_tax += base_shipping_tax[0]
    compensation += shipping_tax[1]
    base_compensation += base_shipping_tax[1]
    allowed, base_allowed, allowed_comp, base_allowed_comp = _creditmemo_allowed_tax(order, request)
    if is_last and not partial:
        tax, base_tax, compensation, base_compensation = allowed, base_allowed, allowed_comp, base_allowed_comp
    else:
        tax, base_tax = min(allowed, tax), min(base_allowed, base_tax)
        compensation, base_compensation = min(allowed_comp, compensation), min(base_allowed_comp, base_compensation)
    totals.tax, totals.base_tax = tax + compensation, base_tax + base_compensation
    totals.grand_total += tax + compensation
    totals.base_grand_total += base_tax + base_compensation


def _creditmemo_shipping_tax(order, request, shipping_excl, rounders):
    """The shipping's tax a credit memo refunds: ``((tax, compensation),
    (base tax, base compensation), partial shipping)`` (Creditmemo/Total/Tax.php)."""
    shipping, base_shipping = shipping_excl
    order_base = _f(order, "base_shipping_amount")
    invoice = request.invoice
    if invoice is not None:
        # The compensations of online refunds are rounded with the items'
        # (Tax.php rounds the running total): not modelled, see unsupported_refund.
        if not order_base:
            return (0.0, 0.0), (0.0, 0.0), False
        factor = base_shipping / order_base
        tax = rounders["regular"].round(_f(invoice, "shipping_tax_amount") * factor)
        base_tax = rounders["base"].round(_f(invoice, "base_shipping_tax_amount") * factor)
        partial = (factor < 1 and _f(invoice, "shipping_tax_amount") > 0) or (
            _f(order, "shipping_discount_amount") >= _f(order, "shipping_amount")
        )
        return (tax, 0.0), (base_tax, 0.0), partial
    delta = order_base - _f(order, "base_shipping_refunded")
    if delta > base_shipping or request.shipping_incl_tax:
        order_shipping = _f(order, "shipping_amount")
        if not order_shipping or not order_base:
            return (0.0, 0.0), (0.0, 0.0), False
        part, base_part = shipping / order_shipping, base_shipping / order_base
        tax = rounders["regular"].round(_f(order, "shipping_tax_amount") * part)
        base_tax = rounders["base"].round(_f(order, "base_shipping_tax_amount") * base_part)
        comp = rounders["regular"].round(_f(order, "shipping_discount_tax_compensation_amount") * part)
        base_comp = rounders["base"].round(_f(order, "base_shipping_discount_tax_compensation_amnt") * base_part)
        partial = part < 1 and (
            _f(order, "shipping_tax_amount") > 0 or _f(order, "shipping_discount_amount") >= order_shipping
        )
        return (tax, comp), (base_tax, base_comp), partial
    if delta == base_shipping:
        return (
            (
                _f(order, "shipping_tax_amount") - _f(order, "shipping_tax_refunded"),
                _f(order, "shipping_discount_tax_compensation_amount")
                - _f(order, "shipping_discount_tax_compensation_refunded"),
            ),
            (
                _f(order, "base_shipping_tax_amount") - _f(order, "base_shipping_tax_refunded"),
                _f(order, "base_shipping_discount_tax_compensation_amnt")
                - _f(order, "base_shipping_discount_tax_compensation_refunded"),
            ),
            False,
        )
    return (0.0, 0.0), (0.0, 0.0), False


def _creditmemo_allowed_tax(order, request):
    """Tax.php::calculateAllowed*: what is left to refund of the tax."""
    invoice = request.invoice
    if invoice is not None:
        refunded = request.invoice_refunded or {}
        return (
            _f(invoice, "tax_amount") - refunded.get("tax_amount", 0.0),
            _f(invoice, "base_tax_amount") - refunded.get("base_tax_amount", 0.0),
            _f(invoice, "discount_tax_compensation_amount")
            + _f(invoice, "shipping_discount_tax_compensation_amount")
            - refunded.get("discount_tax_compensation_amount", 0.0)
            - refunded.get("shipping_discount_tax_compensation_amount", 0.0),
            _f(invoice, "base_discount_tax_compensation_amount")
            + _f(invoice, "base_shipping_discount_tax_compensation_amnt")
            - refunded.get("base_discount_tax_compensation_amount", 0.0)
            - refunded.get("base_shipping_discount_tax_compensation_amnt", 0.0),
        )
    return (
        _f(order, "tax_invoiced") - _f(order, "tax_refunded"),
        _f(order, "base_tax_invoiced") - _f(order, "base_tax_refunded"),
        _f(order, "discount_tax_compensation_invoiced")
        + _f(order, "shipping_discount_tax_compensation_amount")
        - _f(order, "discount_tax_compensation_refunded")
        - _f(order, "shipping_discount_tax_compensation_refunded"),
        _f(order, "base_discount_tax_compensation_invoiced")
        + _f(order, "base_shipping_discount_tax_compensation_amnt")
        - _f(order, "base_discount_tax_compensation_refunded")
        - _f(order, "base_shipping_discount_tax_compensation_refunded"),
    )
