"""What Magento receives for an Odoo invoice or credit note, and matching answers."""

from collections import OrderedDict

COMMENT_PREFIX = "Odoo invoice "
CREDITMEMO_COMMENT_PREFIX = "Odoo credit note "
QTY_DIGITS = 4
AMOUNT_DIGITS = 2


def invoice_comment(invoice_name, ref):
    """The comment that ties a Magento invoice to its Odoo invoice.

    ``ref`` (the database and the invoice's record) makes it unique to that
    Odoo invoice: a deleted invoice, or another database's, with the same
    number never matches.
    """
    return f"{COMMENT_PREFIX}{invoice_name} [{ref}]"


def creditmemo_comment(credit_note_name, ref):
    """The comment that ties a Magento credit memo to its Odoo credit note (as :func:`invoice_comment`)."""
    return f"{CREDITMEMO_COMMENT_PREFIX}{credit_note_name} [{ref}]"


def refund_amounts(shipping, adjustments, base_to_order_rate):
    """``shipping_amount``, ``adjustment_positive`` and ``adjustment_negative``
    in the order's base currency, as Magento takes them (docs/magento-behaviour.md
    §8), from amounts in the order's currency: refunded shipping, and the
    amounts of lines without an order item (a goodwill gesture is positive, a
    fee kept back negative)."""
    rate = base_to_order_rate or 1.0
    positive = sum(amount for amount in adjustments if amount > 0)
    negative = -sum(amount for amount in adjustments if amount < 0)
    return tuple(round(amount / rate, AMOUNT_DIGITS) for amount in (shipping, positive, negative))


def build_items(lines):
    """Sum ``(magento_item_id, qty)`` pairs per Magento order item.

    Lines without a Magento item (shipping, discounts, down payments, notes)
    are left out; so is an item whose quantities sum to zero or less (a line
    and its reversal on one invoice). The order of first appearance is kept so
    that the request is stable.
    """
    totals = OrderedDict()
    for item_id, qty in lines:
        if not item_id:
            continue
        totals[int(item_id)] = totals.get(int(item_id), 0.0) + float(qty)
    return [(item_id, round(qty, QTY_DIGITS)) for item_id, qty in totals.items() if round(qty, QTY_DIGITS) > 0]


def _items_of(magento_invoice):
    """``{order_item_id: qty}`` of a Magento invoice, dummy lines included."""
    items = {}
    for line in magento_invoice.get("items") or []:
        item_id = int(line.get("order_item_id") or 0)
        items[item_id] = items.get(item_id, 0.0) + float(line.get("qty") or 0)
    return items


def find_existing_invoice(magento_invoices, comment, items=(), claimed_ids=(), own=False):
    """The Magento invoice (or credit memo) that stands for this Odoo document, if any.

    By its comment, unique to the Odoo invoice: Magento saves the comment in
    the invoice's own transaction, so after a lost answer an invoice without
    it is not ours (docs/magento-behaviour.md §5). With ``own``, the order's
    quantities were invoiced by Magento itself: one of Magento's own invoices
    (no Odoo comment, not claimed by another Odoo invoice) with exactly these
    items and quantities stands for it. Returns the Magento invoice dict or None.
    """
    claimed = {int(i) for i in claimed_ids}
    for invoice in magento_invoices:
        if any((c.get("comment") or "").strip() == comment for c in invoice.get("comments") or []):
            return invoice
    if not own:
        return None
    wanted = {item_id: round(qty, QTY_DIGITS) for item_id, qty in items}
    for invoice in magento_invoices:
        if int(invoice.get("entity_id") or 0) in claimed:
            continue
        got = _items_of(invoice)
        # Dummy child lines (configurable children) appear in Magento's
        # invoice but not in our request: compare on the items we sent.
        if all(round(got.get(item_id, 0.0), QTY_DIGITS) == qty for item_id, qty in wanted.items()) and not any(
            (c.get("comment") or "").startswith(COMMENT_PREFIX) for c in invoice.get("comments") or []
        ):
            extra = {i for i, q in got.items() if q and i not in wanted}
            if not extra or _only_dummies(extra, invoice, wanted):
                return invoice
    return None


def goods_of(magento_invoice):
    """``"Bag: 2, Mug: 1"``: a Magento invoice's goods as a person reads them
    (a configurable's child line, named and counted as its parent, once)."""
    seen = []
    for line in magento_invoice.get("items") or []:
        qty = float(line.get("qty") or 0)
        words = f"{line.get('name') or line.get('sku') or line.get('order_item_id')}: {qty:g}"
        if qty > 0 and words not in seen:
            seen.append(words)
    return ", ".join(seen)


def _only_dummies(extra_ids, invoice, wanted):
    """Extra lines are dummies when they carry no price (configurable children)."""
    for line in invoice.get("items") or []:
        if int(line.get("order_item_id") or 0) in extra_ids and float(line.get("price") or 0):
            return False
    return bool(wanted)
