"""Money as Magento 2.4.6-p1 computes it: orders' tax, invoices' and credit memos' totals.

Plain functions over the store's dicts (shaped like Magento's rows), each
rule citing the Magento file it follows (docs/magento-behaviour.md §10).
The shop is configured as Magento ships it
(vendor/magento/module-tax/etc/config.xml:17-21): the TOTAL_BASE_CALCULATION
algorithm, tax applied after discount, discounts on prices excluding tax,
catalog prices and shipping excluding tax; only the display of shipping in
sales documents (``tax/sales_display/shipping``, :45) can be switched to
"including tax" (2), which changes how a credit memo reads its shipping amount.

Amounts are PHP floats in Magento while a request runs and 4-decimal columns
once saved: the collectors below work on floats, the store saves them
through ``number()`` (4 decimals).
"""

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

# AbstractCalculator::deltaRound starts each delta at this, "to avoid
# non-deterministic behavior with rounding of 0.5"
# (vendor/magento/module-tax/Model/Calculation/AbstractCalculator.php:406-424).
TAX_DELTA_SEED = 0.000001


def php_round(value, digits=2):
    """PHP 8.1/8.2's round(): pre-rounded to 15 significant digits, then half away from zero.

    ``PriceCurrency::round`` is ``round((float) $price, 2)``
    (vendor/magento/module-directory/Model/PriceCurrency.php:153-156); PHP's
    ``_php_math_round`` first rounds the value to the precision a double
    holds (15 digits), so 0.285 (0.28499999999999998 in binary) gives 0.29.
    """
    value = float(value)
    if value == 0:
        return 0.0
    exact = Decimal(repr(value))
    exact = exact.quantize(Decimal(1).scaleb(exact.adjusted() - 14), rounding=ROUND_HALF_UP)
    return float(exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def php_same(left, right):
    """``(string)(double)$a == (string)(double)$b``: equal as PHP prints them (14 significant digits)."""
    return format(float(left), ".14G") == format(float(right), ".14G")


def icu_money(amount):
    """Two decimals as ICU's NumberFormatter rounds them (half even) for ``Currency::format``."""
    return Decimal(repr(float(amount))).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)


class Rounders:
    """``Invoice::roundPrice`` / ``Creditmemo::roundPrice``: one delta rounder per kind.

    vendor/magento/module-sales/Model/Order/Invoice.php:478-487 and
    Creditmemo.php:387-396 keep one ``Framework\\Math\\Calculator`` per type
    (``regular``, ``base``, ``including``, ``including_base``) for the whole
    document, so the rounding left over by a row total carries into the next
    row's, and on into the discount and the tax collectors.
    ``Calculator::deltaRound`` (vendor/magento/framework/Math/Calculator.php:43-58)
    adds the delta, rounds, keeps what rounding dropped; ``$negative`` flips the
    delta around the call (the discount collectors, which subtract). A zero
    amount is returned as is and leaves the delta alone.
    """

    def __init__(self):
        self.deltas = {}

    def __call__(self, price, kind="regular", negative=False):
        if not price:
            return price
        delta = self.deltas.get(kind, 0.0)
        if negative:
            delta = -delta
        price += delta
        rounded = php_round(price)
        delta = price - rounded
        self.deltas[kind] = -delta if negative else delta
        return rounded


# ------------------------------------------------------------------ orders
class TaxCalculator:
    """One run of ``TaxCalculationService::calculateTax`` with the TOTAL_BASE algorithm.

    Magento runs it twice per quote, once on base and once on order amounts,
    each with its own deltas (vendor/magento/module-tax/Model/Sales/Total/Quote/Tax.php,
    ``collect``: ``getQuoteTaxDetails(..., true)`` then ``(..., false)``). The
    items go in the quote's order and the shipping last, through the same
    calculator (CommonTaxCollector ``getQuoteTaxDetails``: ``$itemDataObjects[] =
    $shippingDataObject``), so a row's rounding carries into the next row taxed
    at the same rate, the shipping included. Magento keys the deltas by tax rate
    id; the double knows only percentages and keys them by percent (one rate per
    percentage). TOTAL_BASE rather than per-row rounding because it is the
    default (vendor/magento/module-tax/etc/config.xml:17) and the only one that
    reproduces Magento's cents when several rows share a rate.
    """

    def __init__(self):
        self.deltas = {}

    def _delta_round(self, amount, percent, kind):
        """vendor/magento/module-tax/Model/Calculation/AbstractCalculator.php:406-424."""
        if not amount:
            return amount
        key = (kind, repr(float(percent)))
        amount += self.deltas.get(key, TAX_DELTA_SEED)
        rounded = php_round(amount)
        self.deltas[key] = amount - rounded
        return rounded

    def row(self, price, qty, percent, discount):
        """``AbstractAggregateCalculator::calculateWithTaxNotInPrice``
        (vendor/magento/module-tax/Model/Calculation/AbstractAggregateCalculator.php:94-180).

        The unit price is rounded, the row is price x qty; the tax before
        discount (``tax_before_discount`` deltas) makes the row "including tax",
        the tax after discount (``regular`` deltas) on ``max(row - discount, 0)``
        is the row's tax. ``calcTaxAmount`` is ``amount * rate / 100``
        (vendor/magento/module-tax/Model/Calculation.php ``calcTaxAmount``).
        """
        price = php_round(price)
        row_total = price * qty
        before = self._delta_round(row_total * (percent / 100), percent, "tax_before_discount")
        tax = self._delta_round(max(row_total - discount, 0) * (percent / 100), percent, "regular")
        row_total_incl_tax = row_total + before
        return {
            "price": price,
            "row_total": row_total,
            "tax_amount": tax,
            "row_total_incl_tax": row_total_incl_tax,
            "price_incl_tax": php_round(row_total_incl_tax / qty) if qty else 0.0,
        }


def parent_row(children, qty):
    """``TaxCalculation::calculateParent`` (vendor/magento/module-tax/Model/TaxCalculation.php:294-320):
    a dynamic bundle's parent sums its children's rows, its prices are those over its qty."""
    row_total = sum(child["row_total"] for child in children)
    row_total_incl_tax = sum(child["row_total_incl_tax"] for child in children)
    return {
        "price": php_round(row_total / qty),
        "row_total": row_total,
        "tax_amount": sum(child["tax_amount"] for child in children),
        "row_total_incl_tax": row_total_incl_tax,
        "price_incl_tax": php_round(row_total_incl_tax / qty),
    }


def tax_order(order, lines, shipping):
    """Compute an order's tax, in both currencies, and its totals.

    ``lines``: the order's top-level taxable lines in order, each
    ``(item, children)``: a dynamic bundle's parent with its children, any
    other line with ``()``. Each item dict holds ``price``/``base_price``,
    ``qty_ordered``, ``tax_percent``, ``discount_amount``/``base_discount_amount``.
    ``shipping``: ``{amount, base_amount, percent, discount, base_discount}``.
    Sets the items' and the order's tax fields (the columns
    ``Tax::processProductItems`` / ``processShippingTaxInfo`` fill, CommonTaxCollector).
    """
    totals = {}
    for prefix, calculator in (("", TaxCalculator()), ("base_", TaxCalculator())):
        subtotal = subtotal_incl = tax = discount = 0.0
        for item, children in lines:
            rows = []
            for line in children or (item,):
                row = calculator.row(
                    line[prefix + "price"],
                    line["qty_ordered"],
                    line["tax_percent"],
                    line[prefix + "discount_amount"],
                )
                _set_row(line, prefix, row)
                rows.append(row)
                subtotal += row["row_total"]
                subtotal_incl += row["row_total_incl_tax"]
                tax += row["tax_amount"]
                discount += line[prefix + "discount_amount"]
            if children:
                _set_row(item, prefix, parent_row(rows, item["qty_ordered"]))
        ship = calculator.row(shipping[prefix + "amount"], 1, shipping["percent"], shipping[prefix + "discount"])
        totals[prefix] = {
            "subtotal": subtotal,
            "subtotal_incl_tax": subtotal_incl,
            "tax_amount": tax + ship["tax_amount"],
            "shipping_amount": ship["row_total"],
            "shipping_tax_amount": ship["tax_amount"],
            "shipping_incl_tax": ship["row_total_incl_tax"],
            "shipping_discount_amount": shipping[prefix + "discount"],
            # Magento stores the order's discount negative (SalesRule's Discount
            # collector adds -amount to the totals), the items' positive.
            "discount_amount": -(discount + shipping[prefix + "discount"]),
            "discount_tax_compensation_amount": 0.0,
            "shipping_discount_tax_compensation_amount": 0.0,
            # The quote's grand total: every total collector's amount summed
            # (vendor/magento/module-quote/Model/Quote/Address/Total/Grand.php).
            "grand_total": subtotal
            + ship["row_total"]
            - discount
            - shipping[prefix + "discount"]
            + tax
            + ship["tax_amount"],
        }
    return totals


def _set_row(item, prefix, row):
    for key, value in row.items():
        item[prefix + key] = value


# ---------------------------------------------------------------- invoices
def collect_invoice(order, rows, previous, is_dummy):
    """``Invoice::collectTotals``: section order_invoice of vendor/magento/module-sales/etc/sales.xml:9-18.

    ``rows``: every line of the invoice in the order's item order, qty 0
    included (``InvoiceService::prepareInvoice`` adds them), each
    ``{"item": order item, "qty": float}``; ``previous``: the order's earlier
    invoices. Collectors: Subtotal, Discount, Shipping, Tax, (Cost), Grand;
    the modules that add more (Weee, gift wrapping, reward...) add nothing to
    an order without their amounts. Returns the invoice's totals; each row
    gets its own amounts.
    """
    rounders = Rounders()
    real = [row for row in rows if not is_dummy(row["item"])]
    for row in rows:
        item = row["item"]
        left = max(item["qty_ordered"] - item["qty_invoiced"] - item["qty_canceled"], 0)
        # Invoice/Item::isLast (vendor/magento/module-sales/Model/Order/Invoice/Item.php:261-268).
        row["last"] = php_same(row["qty"], 0 if is_dummy(item) else left)
    # Invoice::isLast (Invoice.php:679-692): every real line takes all that is left.
    last = all(row["last"] for row in real)
    totals = {"grand_total": 0.0, "base_grand_total": 0.0}
    _invoice_subtotal(order, real, last, rounders, totals)
    _invoice_discount(order, real, previous, rounders, totals)
    shipped_before = [inv for inv in previous if inv.get("state") != 3]
    _invoice_shipping(order, shipped_before, totals)
    _invoice_tax(order, rows, shipped_before, last, is_dummy, rounders, totals)
    return totals


def _invoice_subtotal(order, real, last, rounders, totals):
    """vendor/magento/module-sales/Model/Order/Invoice/Total/Subtotal.php:16-59 with
    Invoice/Item::calcRowTotal (Invoice/Item.php:225-255): a line's share of
    what its order line has not invoiced yet, all of it on its last invoice;
    the invoice's subtotal is capped at what the order has left, or is exactly
    that on the order's last invoice."""
    sums = {"": 0.0, "base_": 0.0, "incl": 0.0, "base_incl": 0.0}
    for row in real:
        item, qty = row["item"], row["qty"]
        for prefix, kind in (("", "regular"), ("base_", "base")):
            amount = item[prefix + "row_total"] - (item.get(prefix + "row_invoiced") or 0)
            if not row["last"]:
                available = item["qty_ordered"] - item["qty_invoiced"]
                amount = rounders(amount / available * qty, kind)
            row[prefix + "row_total"] = amount
            sums[prefix] += amount
        if item.get("row_total_incl_tax") and item.get("base_row_total_incl_tax"):
            for prefix, kind in (("", "including"), ("base_", "including_base")):
                incl = rounders(item[prefix + "row_total_incl_tax"] / item["qty_ordered"] * qty, kind)
                row[prefix + "row_total_incl_tax"] = incl
                sums[prefix + "incl"] += incl
    for prefix in ("", "base_"):
        allowed = (order.get(prefix + "subtotal") or 0) - (order.get(prefix + "subtotal_invoiced") or 0)
        subtotal = allowed if last else min(allowed, sums[prefix])
        totals[prefix + "subtotal"] = subtotal
        totals[prefix + "subtotal_incl_tax"] = sums[prefix + "incl"]
        totals[prefix + "grand_total"] += subtotal


def _invoice_discount(order, real, previous, rounders, totals):
    """vendor/magento/module-sales/Model/Order/Invoice/Total/Discount.php:21-97.

    The shipping's discount goes on the first invoice without a discount before
    it; each line takes its share of its order line's discount not yet
    invoiced (rounded with the ``regular`` rounder, flipped), all of it on its
    last invoice. Stored negative on the invoice, positive on its lines; a
    grand total within 0.0001 of 0 becomes 0.
    """
    sums = {"": 0.0, "base_": 0.0}
    # ``if ($previousInvoice->getDiscountAmount())`` (:90-97) reads the column as
    # a string: "0.0000" is true, so only an order's first invoice takes it.
    if not any(invoice.get("discount_amount") is not None for invoice in previous):
        sums[""] += order.get("shipping_discount_amount") or 0
        sums["base_"] += order.get("base_shipping_discount_amount") or 0
    for row in real:
        item, qty = row["item"], row["qty"]
        if not (float(item.get("discount_amount") or 0) and item["qty_ordered"]):
            continue
        for prefix, kind in (("", "regular"), ("base_", "base")):
            discount = float(item.get(prefix + "discount_amount") or 0) - (item.get(prefix + "discount_invoiced") or 0)
            if not row["last"]:
                active = item["qty_ordered"] - item["qty_invoiced"]
                discount = rounders(discount / active * qty, kind, negative=True)
            row[prefix + "discount_amount"] = discount
            sums[prefix] += discount
    for prefix in ("", "base_"):
        totals[prefix + "discount_amount"] = -sums[prefix]
        grand = totals[prefix + "grand_total"] - sums[prefix]
        totals[prefix + "grand_total"] = 0.0 if abs(grand) < 0.0001 else grand


def _invoice_shipping(order, previous, totals):
    """vendor/magento/module-sales/Model/Order/Invoice/Total/Shipping.php:21-45: all the
    shipping on the first (non-canceled) invoice, none (null) on the others.
    """
    # ``if ($orderShippingAmount)`` reads the column as a string: "0.0000" is
    # true, so the first invoice of an order without shipping shows 0.
    if order.get("shipping_amount") is None:
        return
    if any(invoice.get("shipping_amount") is not None for invoice in previous):
        return
    for prefix in ("", "base_"):
        totals[prefix + "shipping_amount"] = order[prefix + "shipping_amount"]
        totals[prefix + "shipping_incl_tax"] = order.get(prefix + "shipping_incl_tax")
        totals[prefix + "grand_total"] += order[prefix + "shipping_amount"]


def _invoice_tax(order, rows, previous, last, is_dummy, rounders, totals):
    """vendor/magento/module-sales/Model/Order/Invoice/Total/Tax.php:21-125.

    Each taxed line with a qty takes its share of its order line's tax not yet
    invoiced (all of it when last); the shipping's tax goes on the invoice
    while no earlier invoice carries shipping (``_canIncludeShipping``,
    :133-145); the sum is capped at the order's tax not yet invoiced, or is
    exactly that on the order's last invoice.
    """
    sums = {"": 0.0, "base_": 0.0}
    for row in rows:
        item, qty = row["item"], row["qty"]
        # The columns are strings ("0.0000" is true): every line with a qty takes a
        # tax amount, 0 on an untaxed line (checked on 2.4.6-p1's database).
        if item.get("tax_amount") is None and item.get("discount_tax_compensation_amount") is None:
            continue
        if is_dummy(item) or qty <= 0:
            continue
        for prefix, kind in (("", "regular"), ("base_", "base")):
            tax = (item.get(prefix + "tax_amount") or 0) - (item.get(prefix + "tax_invoiced") or 0)
            if not row["last"]:
                available = item["qty_ordered"] - item["qty_invoiced"]
                tax = rounders(tax / available * qty, kind)
            row[prefix + "tax_amount"] = tax
            row[prefix + "discount_tax_compensation_amount"] = 0.0
            sums[prefix] += tax
    # ``_canIncludeShipping``: an earlier invoice's shipping_amount, "0.0000" included.
    if not any(invoice.get("shipping_amount") is not None for invoice in previous):
        for prefix in ("", "base_"):
            sums[prefix] += order.get(prefix + "shipping_tax_amount") or 0
            totals[prefix + "shipping_tax_amount"] = order.get(prefix + "shipping_tax_amount") or 0
    for prefix in ("", "base_"):
        allowed = (order.get(prefix + "tax_amount") or 0) - (order.get(prefix + "tax_invoiced") or 0)
        tax = allowed if last else min(allowed, sums[prefix])
        totals[prefix + "tax_amount"] = tax
        totals[prefix + "discount_tax_compensation_amount"] = 0.0
        totals[prefix + "grand_total"] += tax


def register_invoice(order, rows, totals, number):
    """``Invoice::register`` (vendor/magento/module-sales/Model/Order/Invoice.php:604-677) and
    ``Invoice/Item::register`` (Invoice/Item.php:171-192): lines above 0 raise
    their order line's invoiced qty, tax, discount and row; the invoice raises
    the order's invoiced totals. The order's ``discount_invoiced`` adds the
    invoice's negative discount, so it is negative; a line's is positive."""
    for row in rows:
        if row["qty"] <= 0:
            continue
        item = row["item"]
        item["qty_invoiced"] = number(item["qty_invoiced"] + row["qty"])
        for prefix in ("", "base_"):
            for field, amount in (
                ("tax_invoiced", row.get(prefix + "tax_amount")),
                ("discount_tax_compensation_invoiced", row.get(prefix + "discount_tax_compensation_amount")),
                ("discount_invoiced", row.get(prefix + "discount_amount")),
                ("row_invoiced", row.get(prefix + "row_total")),
            ):
                item[prefix + field] = number((item.get(prefix + field) or 0) + (amount or 0))
    for prefix in ("", "base_"):
        for field, amount in (
            ("total_invoiced", "grand_total"),
            ("subtotal_invoiced", "subtotal"),
            ("tax_invoiced", "tax_amount"),
            ("discount_tax_compensation_invoiced", "discount_tax_compensation_amount"),
            ("shipping_tax_invoiced", "shipping_tax_amount"),
            ("shipping_invoiced", "shipping_amount"),
            ("discount_invoiced", "discount_amount"),
        ):
            order[prefix + field] = number((order.get(prefix + field) or 0) + (totals.get(prefix + amount) or 0))


# ------------------------------------------------------------ credit memos
class CreditmemoTotals:
    """``Creditmemo::collectTotals``: section order_creditmemo of
    vendor/magento/module-sales/etc/sales.xml:19-28 (Subtotal, Discount,
    Shipping, Tax, (Cost), Grand; Weee and the Commerce modules add nothing
    without their amounts).

    ``rows``: the memo's lines, each ``{"item", "qty"}`` with ``"processed"``,
    the qty ``Creditmemo/Item::processQty`` gives (Creditmemo/Item.php:199-216).
    ``shipping``: the ``base_shipping_amount`` the memo was given
    (``CreditmemoFactory::initData``, :213-228, or the invoice's default,
    :345-359), None when none was. ``adjustments``: the base amounts sent.
    ``memos``: the order's earlier credit memos. ``incl_tax``: shipping shown
    including tax (``tax/sales_display/shipping`` = 2,
    vendor/magento/module-tax/Model/Config.php:697-704).
    """

    def __init__(self, order, invoice, rows, *, shipping, given, adjustments, memos, incl_tax, is_dummy, left):
        self.order, self.invoice, self.rows = order, invoice, rows
        self.shipping, self.given, self.adjustments = shipping, given, adjustments
        self.memos, self.incl_tax, self.is_dummy, self.left = memos, incl_tax, is_dummy, left
        self.rounders = Rounders()
        self.totals = {"grand_total": 0.0, "base_grand_total": 0.0}
        for row in rows:
            # Creditmemo/Item::isLast (Creditmemo/Item.php:284-292), dummies included.
            row["last"] = php_same(row["processed"], left(row["item"]))

    def collect(self):
        self._subtotal()
        self._discount()
        self._shipping()
        self._tax()
        self._grand()
        return self.totals

    def _real(self):
        return [row for row in self.rows if not self.is_dummy(row["item"])]

    def _is_last(self):
        """``Creditmemo::isLast`` (vendor/magento/module-sales/Model/Order/Creditmemo.php:562-586):
        every line, a dummy's too, takes all it has left; a dummy line with a
        qty (a configurable's child, a bundle's parent) never does."""
        if self.rows:
            return all(row["last"] for row in self.rows)
        return True

    def _subtotal(self):
        """vendor/magento/module-sales/Model/Order/Creditmemo/Total/Subtotal.php:16-44 with
        Creditmemo/Item::calcRowTotal (Creditmemo/Item.php:247-277): a line's
        share of what its order line invoiced and did not refund, all of it
        when last. No cap at the order's level."""
        sums = {"": 0.0, "base_": 0.0, "incl": 0.0, "base_incl": 0.0}
        for row in self._real():
            item, qty = row["item"], row["processed"]
            for prefix, kind in (("", "regular"), ("base_", "base")):
                amount = (item.get(prefix + "row_invoiced") or 0) - (item.get(prefix + "amount_refunded") or 0)
                if not row["last"] and item["qty_invoiced"] > 0 and qty >= 0:
                    available = item["qty_invoiced"] - item["qty_refunded"]
                    amount = self.rounders(amount / available * qty, kind)
                row[prefix + "row_total"] = amount
                sums[prefix] += amount
            if item.get("row_total_incl_tax") and item.get("base_row_total_incl_tax"):
                for prefix, kind in (("", "including"), ("base_", "including_base")):
                    incl = self.rounders(item[prefix + "row_total_incl_tax"] / item["qty_ordered"] * qty, kind)
                    row[prefix + "row_total_incl_tax"] = incl
                    sums[prefix + "incl"] += incl
        for prefix in ("", "base_"):
            self.totals[prefix + "subtotal"] = sums[prefix]
            self.totals[prefix + "subtotal_incl_tax"] = sums[prefix + "incl"]
            self.totals[prefix + "grand_total"] += sums[prefix]

    def _discount(self):
        """vendor/magento/module-sales/Model/Order/Creditmemo/Total/Discount.php:41-118.

        Runs before the shipping collector, so it reads the shipping as sent
        (including tax when so displayed) or, when none was, the memo's copy of
        the order's shipping (``getBaseShippingAmount``, :126-136; the order's
        ``base_shipping_incl_tax`` and ``base_shipping_tax_amount`` are copied
        into a new memo, module-sales etc/fieldset.xml:495-531). Shipping asked
        of an order without any throws (:59-65). Each line takes its share of
        its order line's discount invoiced and not refunded.
        """
        order = self.order
        base_shipping = float(self.shipping or 0)
        if not base_shipping:
            incl = self.given if self.given is not None else order.get("base_shipping_incl_tax") or 0
            tax = order.get("base_shipping_tax_amount") or 0
            base_shipping = incl if self.incl_tax else incl - tax
        if base_shipping and (order.get("base_shipping_amount") or 0) <= 0:
            raise MoneyError("You can not refund shipping if there is no shipping amount.")
        sums = {"": 0.0, "base_": 0.0}
        if base_shipping:
            column = "shipping_incl_tax" if self.incl_tax else "shipping_amount"
            base_order_shipping = order.get("base_" + column) or 0
            base_discount = base_shipping * (order.get("base_shipping_discount_amount") or 0) / base_order_shipping
            sums["base_"] += base_discount
            sums[""] += (order.get(column) or 0) * base_discount / base_order_shipping
        for row in self._real():
            item = row["item"]
            if not (float(item.get("discount_invoiced") or 0) and item["qty_invoiced"]):
                continue
            for prefix, kind in (("", "regular"), ("base_", "base")):
                discount = (item.get(prefix + "discount_invoiced") or 0) - (item.get(prefix + "discount_refunded") or 0)
                if not row["last"]:
                    available = item["qty_invoiced"] - item["qty_refunded"]
                    discount = self.rounders(discount / available * row["qty"], kind, negative=True)
                row[prefix + "discount_amount"] = discount
                sums[prefix] += discount
        for prefix in ("", "base_"):
            self.totals[prefix + "discount_amount"] = -sums[prefix]
            self.totals[prefix + "grand_total"] -= sums[prefix]

    def _allowed_incl_tax(self, prefix):
        """``getAllowedAmountInclTax`` / ``getBaseAllowedAmountInclTax``
        (Creditmemo/Total/Shipping.php:136-172): with shipping shown including
        tax (and tax after discount, the default) the order's shipping
        including tax less every earlier memo's; else what is left, tax added.
        Only the base amount is floored at 0."""
        order = self.order
        if self.incl_tax:
            memos = sum(memo.get(prefix + "shipping_incl_tax") or 0 for memo in self.memos)
            result = (order.get(prefix + "shipping_incl_tax") or 0) - memos
        elif prefix:
            refunded = (order.get("base_shipping_refunded") or 0) + (order.get("base_shipping_tax_refunded") or 0)
            result = (order.get("base_shipping_incl_tax") or 0) - refunded
        else:
            result = (order.get("shipping_amount") or 0) - (order.get("shipping_refunded") or 0)
            result += (order.get("shipping_tax_amount") or 0) - (order.get("shipping_tax_refunded") or 0)
        return max(result, 0.0) if prefix else result

    def _shipping(self):
        """vendor/magento/module-sales/Model/Order/Creditmemo/Total/Shipping.php:48-114.

        A shipping amount given (base currency; including tax when shipping is
        shown including tax) is rounded and compared with what is left,
        rounded: above it, ``Maximum shipping amount allowed to refund is: %1``
        with the unrounded amount left as the base currency formats it. At
        (within 0.0001 of) what is left, exactly what is left; below, the
        order's shipping times the share asked, rounded.
        """
        order = self.order
        allowed = (order.get("shipping_amount") or 0) - (order.get("shipping_refunded") or 0)
        base_allowed = (order.get("base_shipping_amount") or 0) - (order.get("base_shipping_refunded") or 0)
        allowed_incl, base_allowed_incl = self._allowed_incl_tax(""), self._allowed_incl_tax("base_")
        totals = self.totals
        if self.shipping is not None:
            desired = php_round(self.shipping)
            maximum = base_allowed_incl if self.incl_tax else base_allowed
            original = order.get("base_shipping_incl_tax" if self.incl_tax else "base_shipping_amount") or 0
            if not desired < php_round(maximum) + 0.0001:
                raise MoneyError("Maximum shipping amount allowed to refund is: %1", maximum)
            ratio = desired / original if original > 0 else 0
            if desired > maximum - 0.0001:
                totals["shipping_amount"], totals["base_shipping_amount"] = allowed, base_allowed
            else:
                totals["shipping_amount"] = php_round((order.get("shipping_amount") or 0) * ratio)
                totals["base_shipping_amount"] = php_round((order.get("base_shipping_amount") or 0) * ratio)
            totals["shipping_incl_tax"] = php_round((order.get("shipping_incl_tax") or 0) * ratio)
            totals["base_shipping_incl_tax"] = php_round((order.get("base_shipping_incl_tax") or 0) * ratio)
        else:
            totals["shipping_amount"], totals["base_shipping_amount"] = allowed, base_allowed
            totals["shipping_incl_tax"] = php_round(allowed_incl)
            totals["base_shipping_incl_tax"] = php_round(base_allowed_incl)
        for prefix in ("", "base_"):
            totals[prefix + "grand_total"] += totals[prefix + "shipping_amount"]

    def _tax(self):
        """vendor/magento/module-sales/Model/Order/Creditmemo/Total/Tax.php:52-208.

        Lines: each taxed line's share of its tax invoiced and not refunded.
        Shipping, invoice route (:107-131): the invoice's shipping tax times
        the memo's base shipping over the order's. Order route (:132-172): a
        part of what is left (or any, with shipping shown including tax) takes
        the order's shipping tax times the memo's shipping over the order's;
        exactly what is left takes the shipping tax left. Then the total is
        what is left of the tax on the last memo (unless its shipping was
        partial), else capped at it (``calculateAllowedTax``, :230-262).
        """
        order, invoice, totals = self.order, self.invoice, self.totals
        sums = {"": 0.0, "base_": 0.0}
        for row in self._real():
            item, qty = row["item"], row["processed"]
            if qty <= 0 or not float(item["qty_invoiced"]):
                continue
            for prefix, kind in (("", "regular"), ("base_", "base")):
                tax = (item.get(prefix + "tax_invoiced") or 0) - (item.get(prefix + "tax_refunded") or 0)
                if not row["last"]:
                    available = item["qty_invoiced"] - item["qty_refunded"]
                    tax = self.rounders(tax / available * qty, kind)
                row[prefix + "tax_amount"] = tax
                row[prefix + "discount_tax_compensation_amount"] = 0.0
                sums[prefix] += tax
        partial = False
        shipping_tax = {"": 0.0, "base_": 0.0}
        base_order_shipping = float(order.get("base_shipping_amount") or 0)
        if invoice is not None:
            if base_order_shipping:
                factor = totals["base_shipping_amount"] / base_order_shipping
                shipping_tax[""] = self.rounders((invoice.get("shipping_tax_amount") or 0) * factor)
                shipping_tax["base_"] = self.rounders((invoice.get("base_shipping_tax_amount") or 0) * factor, "base")
                partial = (factor < 1 and (invoice.get("shipping_tax_amount") or 0) > 0) or (
                    (order.get("shipping_discount_amount") or 0) >= (order.get("shipping_amount") or 0)
                )
                sums[""] += shipping_tax[""]
                sums["base_"] += shipping_tax["base_"]
        else:
            left = base_order_shipping - (order.get("base_shipping_refunded") or 0)
            if left > totals["base_shipping_amount"] or self.incl_tax:
                order_shipping = float(order.get("shipping_amount") or 0)
                if not order_shipping or not base_order_shipping:
                    # :139-140 divide by the order's shipping: an order without any,
                    # with shipping shown including tax, cannot be refunded through
                    # the order (magento/magento2#36800, #38053; fixed after 2.4.6).
                    raise PhpFatal(
                        "DivisionByZeroError: Division by zero in "
                        "vendor/magento/module-sales/Model/Order/Creditmemo/Total/Tax.php:139"
                    )
                part = totals["shipping_amount"] / order_shipping
                base_part = totals["base_shipping_amount"] / base_order_shipping
                shipping_tax[""] = self.rounders((order.get("shipping_tax_amount") or 0) * part)
                shipping_tax["base_"] = self.rounders((order.get("base_shipping_tax_amount") or 0) * base_part, "base")
                partial = part < 1 and (
                    (order.get("shipping_tax_amount") or 0) > 0
                    or (order.get("shipping_discount_amount") or 0) >= (order.get("shipping_amount") or 0)
                )
            elif left == totals["base_shipping_amount"]:
                for prefix in ("", "base_"):
                    shipping_tax[prefix] = (order.get(prefix + "shipping_tax_amount") or 0) - (
                        order.get(prefix + "shipping_tax_refunded") or 0
                    )
            for prefix in ("", "base_"):
                sums[prefix] += shipping_tax[prefix]
        last = self._is_last() and not partial
        for prefix in ("", "base_"):
            if invoice is not None:
                refunded = sum(
                    memo.get(prefix + "tax_amount") or 0
                    for memo in self.memos
                    if memo.get("invoice_id") == invoice["entity_id"]
                )
                allowed = (invoice.get(prefix + "tax_amount") or 0) - refunded
            else:
                allowed = (order.get(prefix + "tax_invoiced") or 0) - (order.get(prefix + "tax_refunded") or 0)
            tax = allowed if last else min(allowed, sums[prefix])
            totals[prefix + "tax_amount"] = tax
            totals[prefix + "shipping_tax_amount"] = shipping_tax[prefix]
            totals[prefix + "discount_tax_compensation_amount"] = 0.0
            totals[prefix + "grand_total"] += tax

    def _grand(self):
        """vendor/magento/module-sales/Model/Order/Creditmemo/Total/Grand.php:14-34 with
        ``Creditmemo::setAdjustmentAmount`` (Creditmemo.php:542-556): an
        adjustment is a base amount, rounded; the order's is that times
        ``base_to_order_rate``, rounded again; both go untaxed into the grand
        total. A trailing ``%`` (not reachable through the REST float) would
        take that share of the order's grand total."""
        rate = float(self.order.get("base_to_order_rate") or 1)
        totals = self.totals
        for name in ("adjustment_positive", "adjustment_negative"):
            base = self.adjustments.get(name)
            totals["base_" + name] = None if base is None else php_round(base)
            totals[name] = None if base is None else php_round(totals["base_" + name] * rate)
        for prefix in ("", "base_"):
            positive = totals[prefix + "adjustment_positive"] or 0
            negative = totals[prefix + "adjustment_negative"] or 0
            totals[prefix + "grand_total"] += positive - negative
            totals[prefix + "adjustment"] = positive - negative


class MoneyError(Exception):
    """A LocalizedException a collector throws: Magento's text and its one ``%1`` value."""

    def __init__(self, message, value=None):
        super().__init__(message)
        self.message = message
        self.value = value


class PhpFatal(Exception):
    """A PHP Error (not an Exception): the REST controller does not catch it, the
    bootstrap answers 500 in plain text (vendor/magento/framework/App/Bootstrap.php:430-454)."""
