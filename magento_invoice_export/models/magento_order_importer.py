"""Import Magento orders as Odoo sales orders, with every Magento link filled.

Customers are found by email (or created), products by SKU (an order with an
unknown SKU is not imported: the log names the missing SKUs), payment methods
are created on first sight, named with Magento's title, set to Never. Importing an order again
never duplicates it.

Money (issue 21): a sales order's totals are Magento's to the cent. Each line
keeps Magento's price excluding tax (``price``, even when the shop's catalog
prices include tax) with the company's Odoo sales tax of Magento's rate, not
included in price; Magento's row discount becomes the line's discount; the
shipping line gets the shipping's rate. An order whose rate has no Odoo tax is
not imported (the log says what to create); an order whose Odoo total still
differs from Magento's grand total is imported with a warning.
"""

import re
from decimal import ROUND_HALF_UP, Decimal

import psycopg2

from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from ..magento_client import MagentoError
from ..magento_export.orders import bundle_own_sku, children, not_importable, order_lines, sku_candidates
from ..magento_export.totals import gross_item
from .magento_payment_method import method_title

PAGE_SIZE = 100


def cents(amount, digits=2):
    """``PriceCurrency::round``: half away from zero (Python's round() goes half to even)."""
    return Decimal(str(amount)).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)


def percent_text(rate):
    """``21``, ``10.5``, ``8.25``: a rate as a person writes it."""
    return f"{rate:.4f}".rstrip("0").rstrip(".")


def percent_words(rate):
    """``21 %``: a rate with its sign, as the log writes it."""
    return percent_text(rate) + " %"


def line_price(price, qty, row_total, discount, discount_digits, price_digits):
    """``(price_unit, discount %)`` of an Odoo line reproducing Magento's
    discounted row (``row_total - discount``) to the cent.

    Odoo's way first: Magento's price with the discount as the line's
    percentage (at Odoo's "Discount" precision), which Odoo carries to the
    invoices and their partial quantities as Magento does. When that
    percentage, rounded, misses the row by a cent (rows above 100 or so), the
    price net of the discount with no percentage (the caller names the
    discount in the description): a unit price at "Product Price" precision
    reproduces any row of one unit. Not a separate discount line: an invoice
    of part of the quantities would take all of it, where Magento takes its
    share. A row neither reproduces exactly gets the closer one, and the
    import's comparison of totals says so.
    """
    if not discount or not qty or not price:
        return price, 0.0
    target = Decimal(str(row_total)) - Decimal(str(discount))
    gross = Decimal(str(price)) * Decimal(str(qty))
    options = [
        (price, float(round((1 - target / gross) * 100, discount_digits))),
        (float(round(target / Decimal(str(qty)), price_digits)), 0.0),
    ]

    def miss(option):
        unit, percent = option
        return abs(Decimal(str(unit)) * (1 - Decimal(str(percent)) / 100) * Decimal(str(qty)) - target)

    exact = [option for option in options if miss(option) < Decimal("1e-6")]
    to_the_cent = [option for option in options if cents(target + miss(option)) == target]
    return (exact or to_the_cent or sorted(options, key=miss))[0]


def sensible_rate(base, tax):
    """The rate with the fewest decimals that gives ``tax`` on ``base`` to the cent."""
    exact = float(tax) / float(base) * 100
    for digits in (0, 1, 2, 4):
        rate = round(exact, digits)
        if cents(float(base) * rate / 100) == cents(tax):
            return rate
    return round(exact, 4)


class MagentoOrderImporter(models.AbstractModel):
    _name = "magento.order.importer"
    _description = "Magento Order Import"

    @api.model
    def _import_orders(self, instance, increment_ids=None, since=None, page_size=PAGE_SIZE, updated_since=None):
        """Import orders by increment id, or every order created since ``since``.

        Only the instance's store view's orders are taken (Magento's order list
        ignores the store code, docs/magento-behaviour.md §7), and one Magento
        order of a shop is one sales order whichever instance imports it.
        """
        if not increment_ids and not since and not updated_since:
            raise UserError(self.env._("Give order numbers or a date to import from."))
        exporter = self.env["magento.invoice.exporter"]
        if exporter._caller_has_unfinished_changes():
            # The import commits page by page: never the caller's own changes.
            return self._import_after_commit(instance, increment_ids, since, page_size, updated_since)
        self.env["magento.process.log"]._close_interrupted_runs()
        log = (
            self.env["magento.process.log"]
            .sudo()
            .create({"operation": "import_orders", "instance_id": instance.id, "company_id": instance.company_id.id})
            ._for_run()
        )
        exporter._commit()
        counts = {"imported": 0, "failed": 0, "skipped": 0}
        seen = set()
        stop = None
        try:
            client = instance._get_client()
            store_id = instance._magento_store_view_id(client)
            pages = client.iter_orders(
                numbers=increment_ids,
                created_since=since and fields.Datetime.to_string(since),
                updated_since=updated_since and fields.Datetime.to_string(updated_since),
                # By number, an order of another store view is named, not ignored.
                store_id=None if increment_ids else store_id,
                page_size=page_size,
            )
            latest = ""
            for orders in pages:
                seen.update(order.get("increment_id") for order in orders)
                latest = max([latest] + [o.get("updated_at") or "" for o in orders])
                self._import_page(instance, store_id, orders, log, counts)
                exporter._commit()
            if updated_since:
                self._advance_mark(instance, updated_since, latest, counts.get("retry_from"))
        except MagentoError as error:
            stop = instance._explain_error(error)
        except (UserError, ValueError) as error:
            stop = str(error.args[0])
        except Exception:
            log._release()  # a pooled connection must not keep the run looking alive
            raise
        for missing in sorted(set(increment_ids or ()) - seen) if not stop else ():
            log._add_lines([{"level": "warning", "message": self.env._("Magento has no order %(ref)s.", ref=missing)}])
            counts["failed"] += 1
        summary = stop and self.env._("The import stopped: %(reason)s", reason=stop)
        summary = summary or self.env._(
            "%(imported)s imported, %(failed)s not imported, %(skipped)s already imported.",
            imported=counts["imported"],
            failed=counts["failed"],
            skipped=counts["skipped"],
        )
        log._finish(
            imported=counts["imported"],
            failed=counts["failed"],
            skipped=counts["skipped"],
            summary=summary,
            stopped=bool(stop),
        )
        exporter._commit()
        return log

    def _advance_mark(self, instance, updated_since, latest, retry_from):
        """The scheduled import's mark (*Orders Imported Up To*), once the
        whole listing was read: the latest ``updated_at`` seen, but never past
        an order it could not import for a reason Odoo must fix (a product,
        a tax, a pricelist: ``retry_from``, the earliest such order's
        ``updated_at``), which the next scheduled import then reads again.

        Pages follow ``entity_id``, not ``updated_at``: an order changed later
        may come on an earlier page than one changed before it, so the mark
        moves only once every page was read (a page that fails leaves it where
        it was, and the next import reads it all again; what it imported
        already is skipped). Magento's filter is ``updated_at >= mark``.
        Orders Magento holds back (on hold, pending payment) are passed: Magento
        changes their ``updated_at`` when it moves them on."""
        mark = min(filter(None, [latest, retry_from]), default="")
        if mark > fields.Datetime.to_string(instance.last_order_update or updated_since):
            instance.sudo().last_order_update = mark

    def _import_after_commit(self, instance, increment_ids, since, page_size, updated_since=None):
        instance_id = instance.id
        self.env["magento.invoice.exporter"]._after_commit(
            "the order import",
            lambda env: env[self._name]._import_orders(
                env["magento.instance"].browse(instance_id), increment_ids, since, page_size, updated_since
            ),
        )
        return self.env["magento.process.log"]

    def _refusal(self, instance, store_id, order, existing):
        """Why ``order`` is not imported now, with its log level, or None."""
        ref = order["increment_id"]
        if order["entity_id"] in existing:
            sale_order = existing[order["entity_id"]]
            if sale_order.magento_instance_id == instance:
                return "skipped", None
            return "skipped", self.env._(
                "Order %(ref)s was imported already, as %(name)s through the instance %(instance)s of the same shop.",
                ref=ref,
                name=sale_order.name,
                instance=sale_order.magento_instance_id.name,
            )
        if store_id is not None and order.get("store_id") != store_id:
            return "warning", self.env._(
                "Order %(ref)s belongs to another store view (id %(other)s) than %(code)s (id %(id)s) of this "
                "instance: import it through the instance of its store view.",
                ref=ref,
                other=order.get("store_id"),
                code=instance.store_code,
                id=store_id,
            )
        when = not_importable(order)
        if when == "never":
            return "warning", self.env._(
                "Order %(ref)s not imported: it is %(state)s in Magento (status %(status)s), so nothing of it "
                "can be invoiced.",
                ref=ref,
                state=order.get("state"),
                status=order.get("status"),
            )
        if when == "later":
            return "warning", self.env._(
                "Order %(ref)s not imported yet: it is %(state)s in Magento (status %(status)s). Import it again "
                "once Magento moves it on.",
                ref=ref,
                state=order.get("state"),
                status=order.get("status"),
            )
        return None

    def _import_page(self, instance, store_id, orders, log, counts):
        known = self._page_records(instance, orders)
        known["pricelists"] = {}  # currency code -> pricelist (None for the company currency)
        known["taxes"] = {}  # company id -> its sales taxes an import may use
        new_orders = self.env["sale.order"]
        for order in orders:
            sale_order = self._import_one(instance, store_id, order, known, log, counts)
            if sale_order:
                known["existing"][order["entity_id"]] = sale_order
                new_orders |= sale_order
                counts["imported"] += 1
        if new_orders:
            new_orders.action_confirm()
            by_id = {order["entity_id"]: order for order in orders}
            log._add_lines(
                [
                    {
                        "level": "info",
                        "message": self.env._("Imported as %(name)s.", name=sale_order.name),
                        "res_model": "sale.order",
                        "res_id": sale_order.id,
                        "record_name": sale_order.magento_order_ref,
                        **self._total_difference(sale_order, by_id[sale_order.magento_order_id]),
                    }
                    for sale_order in new_orders
                ]
            )

    def _total_difference(self, sale_order, order):
        """The log line's level, message and advice when Odoo's total of an
        imported order is not Magento's grand total (else nothing).

        Magento's default tax algorithm (``tax/calculation/algorithm``
        TOTAL_BASE_CALCULATION, ``Magento\\Tax\\Model\\Calculation\\TotalBaseCalculator::roundAmount``)
        rounds each row's tax with what the rows before at the same rate left
        over, so an order's tax per rate is the rounded sum of the exact ones;
        shipping's tax is computed apart. Odoo's "Round Globally"
        (``account.tax._round_base_lines_tax_details``) rounds the sum per tax:
        the same but for a cent when shipping shares a product's tax. "Round per
        Line", Odoo's default, rounds each line's tax alone and misses Magento's
        total by a cent every few lines with fractions of a cent. The import
        leaves the company's setting alone (it is the accountant's) and advises
        Round Globally when the company rounds per line.
        """
        currency = sale_order.currency_id
        magento = order.get("grand_total")
        if magento is None or not currency.compare_amounts(sale_order.amount_total, float(magento)):
            return {}
        digits = currency.decimal_places
        odoo, magento, difference = (
            f"{amount:.{digits}f}"
            for amount in (sale_order.amount_total, float(magento), abs(sale_order.amount_total - float(magento)))
        )
        advice = self.env._(
            "Compare the order's lines with Magento's (prices, discounts, taxes) and correct them before invoicing."
        )
        if sale_order.company_id.tax_calculation_rounding_method == "round_per_line":
            advice = self.env._(
                "Magento rounds taxes on the order's total, %(company)s per line: Invoicing > Configuration > "
                "Settings > Taxes > Rounding Method: Round Globally makes the invoices made after the change agree "
                "in most cases.",
                company=sale_order.company_id.name,
            )
        return {
            "level": "warning",
            "message": self.env._(
                "Imported %(name)s: Odoo's total %(odoo)s differs from Magento's %(magento)s by %(difference)s: its "
                "invoices will not be exported until their totals agree with Magento's.",
                name=sale_order.name,
                odoo=odoo,
                magento=magento,
                difference=difference,
            ),
            "advice": advice,
        }

    def _page_records(self, instance, orders):
        """What a page of orders needs from Odoo, one search each (not one per
        order): sales orders imported already, products, customers, payment methods."""
        existing = {
            sale_order.magento_order_id: sale_order
            for sale_order in self.env["sale.order"]
            .sudo()
            .search(
                [
                    ("magento_shop_key", "=", instance.shop_key),
                    ("magento_order_id", "in", [o["entity_id"] for o in orders]),
                ]
            )
        }
        skus = {sku for order in orders for item in order_lines(order) for sku in sku_candidates(order, item)}
        # A SKU of several products: the one the instance's company may sell wins.
        found = self.env["product.product"].sudo().search([("default_code", "in", list(skus))])
        own = instance.company_id
        products = {
            product.default_code: product
            for product in found.sorted(lambda product: product.company_id in (own, own.browse()))
        }
        emails = {(o.get("customer_email") or "").strip().lower() for o in orders} - {""}
        partners = {}
        found = self.env["res.partner"].sudo().search([("email_normalized", "in", list(emails))]) if emails else []
        for partner in found:
            partners.setdefault(partner.email_normalized, partner)
        methods = {
            method.code: method
            for method in self.env["magento.payment.method"]
            .sudo()
            .with_context(active_test=False)
            .search([("instance_id", "=", instance.id)])
        }
        return {"existing": existing, "products": products, "partners": partners, "methods": methods}

    def _import_one(self, instance, store_id, order, known, log, counts):
        """The new sales order of one Magento order (not confirmed yet), or
        None: refused, imported before, or a product missing (said in the log)."""
        refusal = self._refusal(instance, store_id, order, known["existing"])
        if refusal:
            level, message = refusal
            counts["skipped" if level == "skipped" else "failed"] += 1
            if message:
                log._add_lines([{"level": "info" if level == "skipped" else level, "message": message}])
            return None
        matched, missing = self._match_products(order, known["products"])
        if missing:
            reason = self.env._(
                "no product with SKU %(skus)s in Odoo. Create it (Invoicing > Customers > Products, Internal "
                "Reference = the SKU) and import again.",
                skus=", ".join(missing),
            )
            return self._not_imported(order, reason, log, counts)
        foreign = self._products_of_other_companies(instance, matched.values())
        if foreign:
            return self._not_imported(order, foreign, log, counts)
        values_of = self._sale_order_values
        try:
            with self.env.cr.savepoint():
                return (
                    self.env["sale.order"]
                    .sudo()
                    .create(
                        values_of(
                            instance,
                            order,
                            matched,
                            known["partners"],
                            known["methods"],
                            known["pricelists"],
                            log,
                            taxes=known["taxes"],
                        )
                    )
                )
        except psycopg2.IntegrityError:
            # Another import of the same shop took it at that very moment.
            counts["skipped"] += 1
        except UserError as error:
            return self._not_imported(order, error.args[0], log, counts)
        return None

    def _products_of_other_companies(self, instance, products):
        """Why an order cannot take these products (some belong to another
        company than the instance's), or None. Said here in the merchant's
        words, before Odoo's own refusal of the sales order would be."""
        own = instance.company_id
        foreign = {product for product in products if product.company_id not in (own, own.browse())}
        reasons = [
            self.env._(
                "the product %(product)s belongs to the company %(company)s, and this instance's orders are "
                "%(own)s's. Share the product (leave its Company empty) or move it to %(own)s, and import the "
                "order again.",
                product=product.display_name,
                company=product.company_id.name,
                own=own.name,
            )
            for product in sorted(foreign, key=lambda product: product.default_code or "")
        ]
        return " ".join(reasons) or None

    def _not_imported(self, order, reason, log, counts):
        """An order refused for what Odoo lacks: the scheduled import's mark stays at it."""
        message = self.env._("Order %(ref)s not imported: %(reason)s", ref=order["increment_id"], reason=reason)
        log._add_lines([{"level": "error", "message": message}])
        counts["failed"] += 1
        updated = order.get("updated_at") or ""
        if updated and (not counts.get("retry_from") or updated < counts["retry_from"]):
            counts["retry_from"] = updated

    def _match_products(self, order, products):
        """``({item_id: product}, [missing SKUs, as a merchant reads them]``."""
        matched, missing = {}, []
        for item in order_lines(order):
            product = next(
                (products[sku] for sku in sku_candidates(order, item) if sku in products),
                None,
            )
            if product:
                matched[item["item_id"]] = product
            elif item.get("product_type") == "bundle":
                missing.append(
                    self.env._(
                        "%(sku)s (the bundle %(name)s, whose order line reads %(full)s)",
                        sku=bundle_own_sku(order, item),
                        name=item.get("name") or "",
                        full=item.get("sku"),
                    )
                )
            else:
                missing.append(item.get("sku") or self.env._("(no SKU, item %(id)s)", id=item.get("item_id")))
        return matched, sorted(missing)

    def _sale_order_values(self, instance, order, products, partners, methods, pricelists, log=None, taxes=None):
        """``products``: the Odoo product of each line, by Magento item id;
        ``taxes``: the sales taxes found so far (see :meth:`_sale_taxes`)."""
        # What can refuse the order comes first: nothing is created for an order refused.
        pricelist = self._pricelist(instance, order.get("order_currency_code"), pricelists)
        lines = self._order_line_values(instance.company_id, order, products, {} if taxes is None else taxes)
        values = {
            "partner_id": self._partner(order, partners).id,
            "company_id": instance.company_id.id,
            "client_order_ref": order["increment_id"],
            "magento_instance_id": instance.id,
            "magento_order_id": order["entity_id"],
            "magento_order_ref": order["increment_id"],
            "magento_payment_method_id": self._payment_method(instance, order, methods, log).id,
            "magento_base_to_order_rate": float(order.get("base_to_order_rate") or 1.0),
            "order_line": [Command.create(line) for line in lines],
        }
        placed = self._placed_at(order)
        if placed:
            values["date_order"] = placed
        if pricelist:
            values["pricelist_id"] = pricelist.id
        return values

    @api.model
    def _placed_at(self, order):
        """When the customer placed the order: Magento's ``created_at``, in
        UTC as Odoo stores datetimes (Magento's API gives UTC), or None."""
        try:
            return fields.Datetime.to_datetime((order.get("created_at") or "").strip()[:19] or None)
        except ValueError:
            return None

    def _order_line_values(self, company, order, products, taxes):
        """The sales order lines of ``order``: each item at Magento's price
        excluding tax with its discount and the Odoo tax of its rate, then shipping."""
        rates = {item["item_id"]: self._item_tax_rate(order, item, products) for item in order_lines(order)}
        shipping_rate = self._shipping_tax_rate(company, order, rates.values(), taxes)
        found = self._taxes_of_rates(company, rates, shipping_rate, products, taxes)
        precision = self.env["decimal.precision"]
        digits = precision.precision_get("Discount"), precision.precision_get("Product Price")
        lines = []
        for item in order_lines(order):
            qty = item.get("qty_ordered") or 0
            price = item.get("price") or 0
            discount = self._item_discount(order, item)
            # The API may give the row net of its discount (totals.gross_item).
            row = gross_item(item).get("row_total") or price * qty
            price_unit, percent = line_price(price, qty, row, discount, *digits)
            lines.append(
                {
                    "product_id": products[item["item_id"]].id,
                    "name": self._discounted_name(
                        item.get("name") or item["sku"], price_unit, percent, price, qty, discount
                    ),
                    "product_uom_qty": qty,
                    "price_unit": price_unit,
                    "discount": percent,
                    "tax_id": [Command.set(found[rates[item["item_id"]]].ids)]
                    if rates[item["item_id"]]
                    else [Command.clear()],
                    "magento_item_id": item["item_id"],
                    # Magento truncates fractional quantities of whole-unit items.
                    "magento_qty_decimal": "decimal" if item.get("is_qty_decimal") else "whole",
                    "magento_qty_invoiced": item.get("qty_invoiced") or 0,
                    "magento_qty_canceled": item.get("qty_canceled") or 0,
                }
            )
        if order.get("shipping_amount"):
            shipping = order["shipping_amount"]
            discount = abs(float(order.get("shipping_discount_amount") or 0))
            price_unit, percent = line_price(shipping, 1, shipping, discount, *digits)
            lines.append(
                {
                    "product_id": self.env.ref("magento_invoice_export.product_magento_shipping").id,
                    "product_uom_qty": 1,
                    "price_unit": price_unit,
                    "discount": percent,
                    "tax_id": [Command.set(found[shipping_rate].ids)] if shipping_rate else [Command.clear()],
                }
            )
        return lines

    def _discounted_name(self, name, price_unit, percent, price, qty, discount):
        """The line's description: Magento's discount named when the price is net of it."""
        if not discount or percent or price_unit == price:
            return name
        return self.env._(
            "%(name)s (Magento's price %(price)s less its discount of %(discount)s, %(percent)s)",
            name=name,
            price=str(cents(price)),
            discount=str(cents(discount)),
            percent=percent_words(float(discount) / (float(price) * float(qty)) * 100),
        )

    def _item_tax_rate(self, order, item, products):
        """Magento's tax rate of an item (0 when untaxed). A dynamic bundle
        is taxed through its parts: one Odoo line carries one rate of them."""
        rate = float(item.get("tax_percent") or 0)
        parts = {float(child.get("tax_percent") or 0) for child in children(order, item)} - {0.0}
        if rate or not parts:
            return rate
        if len(parts) > 1:
            raise UserError(
                self.env._(
                    "Magento taxes the parts of the bundle %(product)s at %(rates)s, and Odoo puts a bundle on one "
                    "line with one tax: import this order by hand.",
                    product=products[item["item_id"]].display_name,
                    rates=", ".join(map(percent_words, sorted(parts))),
                )
            )
        return parts.pop()

    def _item_discount(self, order, item):
        """Magento's discount of an item's row (a dynamic bundle's is its parts')."""
        discount = abs(float(item.get("discount_amount") or 0))
        return discount or sum(abs(float(child.get("discount_amount") or 0)) for child in children(order, item))

    def _shipping_tax_rate(self, company, order, item_rates, taxes):
        """The rate Magento taxed shipping at (0 when untaxed).

        Magento's order has no shipping rate, only its amounts
        (``shipping_tax_amount`` on shipping less its discount, tax being
        applied after discount by default): Magento's own applied rate when the
        order carries it (``extension_attributes.item_applied_taxes``), else
        the rate of the order's items, then of the company's sales taxes, that
        gives that tax to the cent (closest to the quotient first), else the
        quotient with the fewest decimals that does.
        """
        tax = float(order.get("shipping_tax_amount") or 0)
        base = float(order.get("shipping_amount") or 0) - abs(float(order.get("shipping_discount_amount") or 0))
        if tax <= 0 or base <= 0:
            return 0.0
        applied = [
            sum(float(rate.get("percent") or 0) for rate in entry.get("applied_taxes") or [])
            for entry in (order.get("extension_attributes") or {}).get("item_applied_taxes") or []
            if entry.get("type") == "shipping"
        ]
        if applied and applied[0]:
            return applied[0]
        item_rates = {rate for rate in item_rates if rate}
        known = item_rates | set(self._sale_taxes(company, taxes).mapped("amount"))
        fits = [rate for rate in known if cents(base * rate / 100) == cents(tax)]
        if fits:
            return min(fits, key=lambda rate: (rate not in item_rates, abs(rate - tax / base * 100), rate))
        return sensible_rate(base, tax)

    def _taxes_of_rates(self, company, rates, shipping_rate, products, taxes):
        """``{rate: Odoo tax}`` for the rates Magento charged; UserError naming
        what to create when the company has no sales tax of one."""
        missing = {}
        for item_id, rate in rates.items():
            if rate and not self._sale_tax(company, rate, taxes):
                missing.setdefault(rate, []).append(products[item_id].display_name)
        if shipping_rate and not self._sale_tax(company, shipping_rate, taxes):
            missing.setdefault(shipping_rate, []).append(self.env._("shipping"))
        if missing:
            reasons = [
                self.env._(
                    "Magento taxes %(what)s at %(rate)s; Odoo has no sales tax of %(rate)s (not included in price) "
                    "in %(company)s",
                    what=", ".join(dict.fromkeys(names)),
                    rate=percent_words(rate),
                    company=company.name,
                )
                for rate, names in sorted(missing.items())
            ]
            raise UserError(
                self.env._(
                    "%(reasons)s: create one in Invoicing > Configuration > Accounting > Taxes, then import again.",
                    reasons="; ".join(reasons),
                )
            )
        return {rate: self._sale_tax(company, rate, taxes) for rate in {*rates.values(), shipping_rate} if rate}

    def _sale_taxes(self, company, taxes):
        """The company's active sales taxes of a percentage not included in
        price (its parents' too, as Odoo allows), by preference: of the
        company's fiscal country (not an OSS tax of another country with the
        same rate), then by sequence, then oldest; ``taxes``: found so far, by company id."""
        if company.id not in taxes:
            found = (
                self.env["account.tax"]
                .sudo()
                .search(
                    [
                        *self.env["account.tax"]._check_company_domain(company),
                        ("type_tax_use", "=", "sale"),
                        ("amount_type", "=", "percent"),
                        ("price_include", "=", False),
                    ],
                    order="sequence, id",
                )
            )
            country = company.account_fiscal_country_id
            taxes[company.id] = found.sorted(lambda tax: tax.country_id != country)
        return taxes[company.id]

    def _sale_tax(self, company, rate, taxes):
        """The company's sales tax of ``rate`` % not included in price, or an
        empty recordset. Of several, the first (see :meth:`_sale_taxes`) whose
        name, label on invoices or description writes the rate (21%, 21 %,
        21.0 %), else the first: the same tax for every order."""
        candidates = self._sale_taxes(company, taxes).filtered(lambda tax: abs(tax.amount - rate) < 0.00005)
        written = re.compile(rf"(?<![\d.,]){re.escape(percent_text(rate))}(?:[.,]0+)?\s*%")
        named = candidates.filtered(
            lambda tax: written.search(
                " ".join(filter(None, [tax.name, tax.invoice_label, str(tax.description or "")]))
            )
        )
        return (named or candidates)[:1]

    def _pricelist(self, instance, code, pricelists):
        """A pricelist in the order's currency when it is not the company's
        (``pricelists``: found so far, by currency code)."""
        if code not in pricelists:
            pricelist = None
            if code and code != instance.company_id.currency_id.name:
                pricelist = self.env["product.pricelist"].search(
                    [("currency_id.name", "=", code), ("company_id", "in", (False, instance.company_id.id))], limit=1
                )
                if not pricelist:
                    raise UserError(
                        self.env._("it is in %(currency)s and no pricelist uses that currency.", currency=code)
                    )
            pricelists[code] = pricelist
        return pricelists[code]

    def _partner(self, order, partners):
        """The customer by email (``partners``: found so far, by lower-cased email)."""
        email = (order.get("customer_email") or "").strip()
        if email.lower() in partners:
            return partners[email.lower()]
        Partner = self.env["res.partner"].sudo()
        address = order.get("billing_address") or {}
        country = self.env["res.country"].search([("code", "=", address.get("country_id"))], limit=1)
        name = " ".join(filter(None, [order.get("customer_firstname"), order.get("customer_lastname")]))
        partner = Partner.create(
            {
                "name": name or email or order["increment_id"],
                "email": email or False,
                "street": ", ".join(address.get("street") or []) or False,
                "city": address.get("city") or False,
                "zip": address.get("postcode") or False,
                "country_id": country.id or False,
                "phone": address.get("telephone") or False,
            }
        )
        if email:
            partners[email.lower()] = partner
        return partner

    def _payment_method(self, instance, order, methods, log=None):
        """The order's payment method (``methods``: the instance's, by code)."""
        code = ((order.get("payment") or {}).get("method") or "").strip()
        if not code:
            return self.env["magento.payment.method"]
        if code not in methods:
            # Seen for the first time: never exported until someone chooses a trigger.
            methods[code] = (
                self.env["magento.payment.method"]
                .sudo()
                .create(
                    {
                        "instance_id": instance.id,
                        "code": code,
                        "name": method_title(code, order),
                        "capture_on_export": self.env["magento.payment.method"]._default_capture(code),
                    }
                )
            )
            if log is not None:
                log._add_lines(
                    [
                        {
                            "level": "warning",
                            "message": self.env._(
                                "New payment method %(name)s (%(code)s): invoices of these orders will not be "
                                "exported until you choose its trigger (Magento > Configuration > Payment Methods).",
                                name=methods[code].name,
                                code=code,
                            ),
                            "res_model": "magento.payment.method",
                            "res_id": methods[code].id,
                            "record_name": code,
                            "advice": self.env._(
                                "Set Create Invoice on Magento of %(name)s from Never to Validate or In-Payment/Paid.",
                                name=methods[code].name,
                            ),
                        }
                    ]
                )
        return methods[code]

    @api.model
    def _cron_import_orders(self):
        """The scheduled import: each instance's orders created or changed since the last one it saw."""
        for instance in self.env["magento.instance"].sudo().search([]):
            since = instance.last_order_update or fields.Datetime.subtract(fields.Datetime.now(), days=1)
            self._import_orders(instance, updated_since=since)
