"""What the order import reads from a Magento order (docs/magento-behaviour.md §7)."""

# States whose orders are not imported: nothing of them can be invoiced now.
# "later" ones may move on (a hold released, a payment made or reviewed);
# "never" ones are over.
NOT_IMPORTED_STATES = {
    "canceled": "never",
    "closed": "never",
    "holded": "later",
    "pending_payment": "later",
    "payment_review": "later",
}


def not_importable(order):
    """``"never"``, ``"later"`` or None (importable), from the order's state."""
    return NOT_IMPORTED_STATES.get(order.get("state"))


def order_lines(order):
    """The items that become sales order lines: every item without a parent.

    A configurable's child and a bundle's selections are invoiced through
    their parent, which Magento fills (docs/magento-behaviour.md §5).
    """
    return [item for item in order.get("items") or [] if not item.get("parent_item_id")]


def children(order, item):
    return [child for child in order.get("items") or [] if child.get("parent_item_id") == item.get("item_id")]


def sku_candidates(order, item):
    """SKUs under which an Odoo product may stand for ``item``, best first.

    A bundle with a dynamic SKU (Magento's default) carries its own SKU, then
    its custom options' SKUs, then its selections' SKUs, joined with "-"
    (``Bundle\\Model\\Product\\Type::getSku``): the selections are taken off
    the end. Shorter prefixes are never tried: they could name another product.
    """
    sku = item.get("sku") or ""
    candidates = [sku]
    if item.get("product_type") != "bundle":
        return candidates
    base = sku
    for child in reversed(children(order, item)):
        suffix = "-" + (child.get("sku") or "")
        if base.endswith(suffix) and len(base) > len(suffix):
            base = base[: -len(suffix)]
    candidates.append(base)
    return list(dict.fromkeys(candidates))


def bundle_own_sku(order, item):
    """The bundle's own SKU as far as the order shows it (the selections taken off)."""
    candidates = sku_candidates(order, item)
    return candidates[1] if len(candidates) > 1 else candidates[0]
