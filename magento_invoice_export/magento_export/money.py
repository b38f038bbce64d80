"""Money to the cent, decided in the worker just before a document leaves
(no ORM here): Magento's figure is computed from the order as it stands
(totals.py) and compared with the Odoo document's; a credit memo's shipping
and adjustments are chosen so that Magento records Odoo's figure. What cannot
be expressed is not sent (:class:`AmountMismatch`), with the figures for the
message Odoo writes."""

from dataclasses import dataclass

from .totals import MagentoRefusal, OrderItems, RefundRequest, creditmemo_totals, invoice_totals, php_round, unsupported

CENT = 0.005
# Base amounts tried around the exact conversion, so that Magento's
# conversion back to the order's currency lands on Odoo's cent.
NUDGES = (0.0, -0.01, 0.01, -0.02, 0.02)


@dataclass
class Money:
    """What the Odoo document says, in its currency (filled by Odoo's thread).

    ``total`` is its total, taxes included. Credit notes also give the
    shipping refunded, in the shop's convention (including tax when the shop
    shows shipping including tax), and the lines without a Magento item:
    ``goodwill`` (positive lines) and ``fees`` (negative lines, as a positive
    amount), taxes included."""

    total: float
    currency: str
    shipping: float = 0.0
    goodwill: float = 0.0
    fees: float = 0.0
    shipping_incl_tax: bool = False
    # A Magento manager chose to export the invoice at Magento's amounts.
    accept_difference: bool = False


class AmountMismatch(Exception):
    """The document is not sent: Magento would record other amounts.

    ``reason``: ``total`` (Magento's figure differs), ``currency``,
    ``unsupported`` (the order uses what is not modelled), ``refused``
    (Magento would refuse the amounts, ``detail`` in its words), ``rate``
    (no amount in the base currency converts to Odoo's cent) or ``bundle``
    (an amounts-only credit memo of an order with a dynamic-price bundle)."""

    deferred = False
    maybe_applied = False
    retryable = False
    status = None

    def __init__(self, reason, magento=None, odoo=None, currency="", parts=(), detail=""):
        super().__init__(f"{reason}: Magento {magento}, Odoo {odoo} {currency} {detail}".strip())
        self.reason = reason
        self.magento = magento
        self.odoo = odoo
        self.currency = currency
        self.parts = list(parts)
        self.detail = detail


def check_order(order, money):
    """The order's currency and features allow a check to the cent."""
    currency = order.get("order_currency_code") or ""
    if money.currency and currency and currency != money.currency:
        raise AmountMismatch("currency", currency=money.currency, detail=currency)
    missing = unsupported(order)
    if missing:
        raise AmountMismatch("unsupported", currency=currency, detail=", ".join(missing))


def quantities_fit(order, items, refund=False):
    """Whether Magento has these quantities left to invoice (or refund). When
    not, Magento refuses the request for its quantities, with its own words
    (and the export may then link Magento's own invoice): there is no money
    to compare."""
    known = OrderItems(order)
    for item_id, qty in items:
        item = known.by_id.get(int(item_id))
        if item is None:
            return False
        left = known.qty_to_refund(item) if refund else known.qty_to_invoice(item)
        if known.is_dummy(item):
            continue  # a dynamic bundle's parent: its children are checked by Magento
        if qty > left + 1e-6:
            return False
    return True


def settle_invoice(order, items, money):
    """Magento's totals for this invoice (None when Magento will refuse its
    quantities); raises :class:`AmountMismatch` when they differ from Odoo's
    (unless a manager accepted the difference)."""
    if not quantities_fit(order, items):
        return None
    check_order(order, money)
    totals = invoice_totals(order, dict(items))
    if abs(php_round(totals.grand_total) - php_round(money.total)) >= CENT and not money.accept_difference:
        raise AmountMismatch(
            "total",
            magento=php_round(totals.grand_total),
            odoo=php_round(money.total),
            currency=money.currency,
            parts=totals.parts(),
        )
    return totals


def wire_items(order, items):
    """The items a credit memo names: a dynamic-price bundle is refunded
    through its children (Magento refuses its parent,
    CreationQuantityValidator.php), each at its quantity per bundle."""
    known = OrderItems(order)
    wire = []
    for item_id, qty in items:
        item = known.by_id.get(int(item_id))
        children = known.children.get(int(item_id)) if item else None
        if item is not None and children and known.is_dummy(item):
            wire += [(int(child["item_id"]), round(known.per_parent(child) * qty, 4)) for child in children]
        else:
            wire.append((int(item_id), qty))
    return wire


def settle_refund(order, items, money, invoice=None, invoice_refunded=None, incl_refunded=None):
    """``(RefundRequest, totals)``: the credit memo to send so that Magento
    records ``money.total`` to the cent. Raises :class:`AmountMismatch`."""
    check_order(order, money)
    known = OrderItems(order)
    if not any(qty for _item, qty in items) and any(
        known.is_dummy(i) and known.children.get(int(i["item_id"])) for i in known.items
    ):
        # Quantities all 0 are read as "none given" for a dynamic bundle's
        # parent, which Magento then marks refunded (CreditmemoFactory::canRefundItem).
        raise AmountMismatch("bundle", odoo=php_round(money.total), currency=money.currency)
    request = RefundRequest(
        qtys=dict(items),
        shipping_incl_tax=money.shipping_incl_tax,
        invoice=invoice,
        invoice_refunded=invoice_refunded,
        base_shipping_incl_tax_refunded=incl_refunded,
    )
    rate = float(order.get("base_to_order_rate") or 1.0)
    try:
        request.base_shipping = _shipping_base(order, request, money, rate)
        return _adjusted(order, request, money, rate)
    except MagentoRefusal as refusal:
        raise AmountMismatch(
            "refused", odoo=php_round(money.total), currency=money.currency, detail=str(refusal)
        ) from None


def _shipping_base(order, request, money, rate):
    """The ``shipping_amount`` (base currency, in the shop's convention) that
    makes Magento refund Odoo's shipping."""
    wanted = php_round(money.shipping)
    if not wanted:
        return 0.0
    allowed = float(order.get("shipping_amount") or 0) - float(order.get("shipping_refunded") or 0)
    base_allowed = float(order.get("base_shipping_amount") or 0) - float(order.get("base_shipping_refunded") or 0)
    if money.shipping_incl_tax:
        allowed += float(order.get("shipping_tax_amount") or 0) - float(order.get("shipping_tax_refunded") or 0)
        base_allowed += float(order.get("base_shipping_tax_amount") or 0) - float(
            order.get("base_shipping_tax_refunded") or 0
        )
    if abs(wanted - php_round(allowed)) < CENT:
        # All that is left: Magento's own base figure, never a conversion
        # that could land a cent above it (its "Maximum shipping amount").
        return php_round(base_allowed)
    for nudge in NUDGES:
        candidate = php_round(wanted / rate + nudge)
        if candidate <= 0:
            continue
        request.base_shipping = candidate
        totals = creditmemo_totals(order, request)
        refunded = totals.shipping + (totals.shipping_tax if money.shipping_incl_tax else 0.0)
        if abs(php_round(refunded) - wanted) < CENT:
            return candidate
    raise AmountMismatch("rate", odoo=wanted, currency=money.currency, detail="shipping")


def _adjusted(order, request, money, rate):
    """Adjustments for what the items and shipping do not refund: goodwill
    (positive), fees (negative) and the difference of prices."""
    request.base_adjustment_positive = request.base_adjustment_negative = 0.0
    plain = creditmemo_totals(order, request)
    target = php_round(money.total)
    positive, negative = php_round(money.goodwill), php_round(money.fees)
    rest = php_round(target - php_round(plain.grand_total) - (positive - negative))
    if rest > 0:
        positive = php_round(positive + rest)
    else:
        negative = php_round(negative - rest)
    last = plain
    for nudge_positive in NUDGES if positive else (0.0,):
        for nudge_negative in NUDGES if negative else (0.0,):
            request.base_adjustment_positive = max(php_round(positive / rate + nudge_positive), 0.0)
            request.base_adjustment_negative = max(php_round(negative / rate + nudge_negative), 0.0)
            last = creditmemo_totals(order, request)
            if abs(php_round(last.grand_total) - target) < CENT:
                return request, last
    raise AmountMismatch(
        "total",
        magento=php_round(last.grand_total),
        odoo=target,
        currency=money.currency,
        parts=last.parts(),
    )
