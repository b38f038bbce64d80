"""The money matrix (issue 21): documents whose money Magento computes in
every way a shop charges (changed prices, line discounts, taxes excluded and
included, shipping taxed and shown including tax, order currencies at rates
0.85, 0.92 and 1.10, partial and repeated invoices and credit notes,
configurable and bundle products, goodwill and fee lines, zero totals), made
in a Magento (the real one or the double), imported into a throwaway Odoo
exactly as the end-to-end run imports, handled there as an accountant would,
exported, then checked: for each document, Magento's grand total (and its
base grand total when the order's rate is not 1) equals the Odoo document's
total to the cent, or Magento holds nothing for it and the Odoo document
says why (a refusal text on its Magento Info tab, not exported).

Run by tools/e2e.py (``--matrix``: after the flows; ``--matrix-only``;
``--double``: against a MagentoDouble started in the run's process). Prints
the table and writes it to docs/money-matrix.md.

The functions under "Inside Odoo" run in ``odoo-bin shell`` (``env``
given): the shell imports this file, so its top imports only the standard
library.
"""

import contextlib
import datetime
import inspect
import json
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

# One Magento order per name: (settings window while it is placed, lines, payment method);
# a line is (sku, qty[, colour]). A window is RealMagento.money_window's keywords.
PLAIN, SHIP_TAX, INCL = {}, {"shipping_tax": True}, {"prices_include_tax": True}
ORDERS = {
    "P1": (PLAIN, [("RM-TEE", 2), ("RM-BAG", 1)], "checkmo"),
    "P2": (PLAIN, [("RM-TEE", 3), ("RM-MUG", 2)], "banktransfer"),
    "P3": (PLAIN, [("RM-BAG", 2), ("RM-MUG", 2)], "checkmo"),
    "T1": (PLAIN, [("RM-TAX10-A", 3), ("RM-TEE", 1)], "checkmo"),
    "T2": (PLAIN, [("RM-TAX21-A", 3), ("RM-TAX10-B", 3)], "cashondelivery"),
    "D1": (PLAIN, [("RM-DISC", 2), ("RM-TEE", 1)], "checkmo"),
    "D2": (PLAIN, [("RM-DISC-T21", 3), ("RM-TAX10-A", 2)], "banktransfer"),
    "C1": (PLAIN, [("RM-HOODIE", 2, "Red"), ("RM-KIT", 1)], "checkmo"),
    "R1": (PLAIN, [("RM-PEN", 3), ("RM-MUG", 3)], "checkmo"),
    "F1": (PLAIN, [("RM-BALL", 2), ("RM-STRAP", 1)], "cashondelivery"),
    "Z1": (PLAIN, [("RM-TEE", 2), ("RM-FREE", 1)], "checkmo"),
    "S1": (SHIP_TAX, [("RM-TAX10-A", 2), ("RM-TEE", 1)], "checkmo"),
    "S2": (SHIP_TAX, [("RM-TAX21-A", 1), ("RM-BAG", 1)], "checkmo"),
    "I1": (INCL, [("RM-TAX10-A", 3), ("RM-TAX21-B", 3)], "checkmo"),
    "I2": (INCL, [("RM-TAX21-B", 1), ("RM-DISC-T21", 2)], "banktransfer"),
    "X85": ({"rate": 0.85}, [("RM-TEE", 2), ("RM-TAX10-A", 1)], "checkmo"),
    "X92": ({"rate": 0.92}, [("RM-PEN", 3), ("RM-HOODIE", 1, "Blue")], "checkmo"),
    "X110": ({"rate": 1.10}, [("RM-DISC", 2), ("RM-KIT", 1)], "checkmo"),
}
# What Magento can show for each row: "equal" (it can make that document to
# the cent: the addon must send it), "refused" (it cannot: the addon must not
# send it, and say why), "either" (both are right). Never: a Magento total
# other than Odoo's.
EQUAL, REFUSED, EITHER = "equal", "refused", "either"
SHOWN_INCL = {"shipping_display_incl_tax": True}
# (row, kind, order, what the accountant does in Odoo, expected). An action:
# do invoice|refund; qty {Odoo product code: qty} keeps only those product
# lines (None: everything left, or all of the invoice); shipping: keep the
# shipping line (default: when qty is None); price {code: unit price};
# discount {code: %}; of: the refunded row; goodwill / fee: a credit note line
# (goodwill taxed 10%); export: button|operations; window: Magento settings
# while it is exported.
ROWS = [
    (1, "invoice all", "P1", {"do": "invoice", "export": "button"}, EQUAL),
    (2, "credit note full", "P1", {"do": "refund", "of": 1, "export": "operations"}, EQUAL),
    (3, "invoice, price changed", "P2", {"do": "invoice", "price": {"RM-TEE": 18.0}, "export": "button"}, REFUSED),
    (4, "invoice, discount added", "P3", {"do": "invoice", "discount": {"RM-BAG": 10}, "export": "button"}, REFUSED),
    (5, "invoice, tax 10% excl.", "T1", {"do": "invoice", "export": "button"}, EQUAL),
    (6, "credit note partial, tax 10%", "T1", {"do": "refund", "of": 5, "qty": {"RM-TAX10-A": 1}}, EQUAL),
    (
        7,
        "invoice part, tax 21%+10%",
        "T2",
        {"do": "invoice", "qty": {"RM-TAX21-A": 1, "RM-TAX10-B": 1}, "shipping": True},
        EITHER,
    ),
    (8, "invoice the rest, tax 21%+10%", "T2", {"do": "invoice", "export": "operations"}, EITHER),
    (
        9,
        "credit note at a lower price",
        "T2",
        {"do": "refund", "of": 7, "qty": {"RM-TAX21-A": 1}, "price": {"RM-TAX21-A": 35.0}},
        EITHER,
    ),
    (10, "invoice, line discount 10%", "D1", {"do": "invoice"}, EQUAL),
    (11, "credit note partial, discounted", "D1", {"do": "refund", "of": 10, "qty": {"RM-DISC": 1}}, EITHER),
    (12, "invoice, discount + tax 21%", "D2", {"do": "invoice", "export": "operations"}, EITHER),
    (13, "credit note full, discount + tax", "D2", {"do": "refund", "of": 12}, EITHER),
    (14, "invoice configurable + bundle", "C1", {"do": "invoice"}, EQUAL),
    (15, "credit note of the bundle", "C1", {"do": "refund", "of": 14, "qty": {"RM-KIT": 1}}, EITHER),
    (
        16,
        "invoice 1 of 3 (repeated)",
        "R1",
        {"do": "invoice", "qty": {"RM-PEN": 1, "RM-MUG": 1}, "shipping": True},
        EQUAL,
    ),
    (17, "invoice 2 of 3 (repeated)", "R1", {"do": "invoice", "qty": {"RM-PEN": 1, "RM-MUG": 1}}, EQUAL),
    (18, "invoice 3 of 3 (repeated)", "R1", {"do": "invoice", "export": "operations"}, EQUAL),
    (19, "credit note of invoice 2", "R1", {"do": "refund", "of": 17}, EQUAL),
    (20, "credit note + goodwill taxed 10%", "R1", {"do": "refund", "of": 18, "goodwill": 5.0}, EITHER),
    (21, "invoice all", "F1", {"do": "invoice"}, EQUAL),
    (22, "credit note with a fee line", "F1", {"do": "refund", "of": 21, "qty": {"RM-BALL": 1}, "fee": 4.0}, EITHER),
    (23, "invoice without the free item", "Z1", {"do": "invoice", "qty": {"RM-TEE": 2}, "shipping": True}, EQUAL),
    (24, "invoice of 0.00 (free item)", "Z1", {"do": "invoice"}, EITHER),
    (
        25,
        "credit note of 0.00 (fee = refund)",
        "Z1",
        {"do": "refund", "of": 23, "qty": {"RM-TEE": 1}, "fee": 20.0},
        EITHER,
    ),
    (26, "shipping refund", "Z1", {"do": "refund", "of": 23, "qty": {}, "shipping": True}, EITHER),
    (27, "invoice, shipping taxed", "S1", {"do": "invoice"}, EQUAL),
    (
        28,
        "shipping refund, shown incl. tax",
        "S1",
        {"do": "refund", "of": 27, "qty": {}, "shipping": True, "window": SHOWN_INCL},
        EITHER,
    ),
    (29, "invoice, shipping taxed", "S2", {"do": "invoice", "export": "operations"}, EQUAL),
    (30, "credit note full, shipping taxed", "S2", {"do": "refund", "of": 29}, EITHER),
    # Catalog prices including tax: the import may miss Magento's row by a cent
    # (README, Imported orders); then the invoice is refused with both figures.
    (31, "invoice, prices incl. tax", "I1", {"do": "invoice"}, EITHER),
    (32, "credit note partial, incl. tax", "I1", {"do": "refund", "of": 31, "qty": {"RM-TAX21-B": 1}}, EITHER),
    (33, "invoice, incl. tax + discount", "I2", {"do": "invoice"}, EITHER),
    (34, "invoice at rate 0.85", "X85", {"do": "invoice"}, EQUAL),
    (35, "credit note partial at 0.85", "X85", {"do": "refund", "of": 34, "qty": {"RM-TEE": 1}}, EQUAL),
    (
        36,
        "invoice part at rate 0.92",
        "X92",
        {"do": "invoice", "qty": {"RM-PEN": 1, "RM-HOODIE-BLUE": 1}, "shipping": True},
        EITHER,
    ),
    (37, "invoice the rest at 0.92", "X92", {"do": "invoice", "export": "operations"}, EITHER),
    (38, "invoice at rate 1.10, discount+bundle", "X110", {"do": "invoice"}, EQUAL),
    (39, "credit note full at 1.10", "X110", {"do": "refund", "of": 38}, EQUAL),
]
GOODWILL_TAX = 10
FLAT_RATE = 5.0  # the shop's flat-rate shipping, per unit
REASON_FIELDS = (
    "magento_export_error",
    "magento_totals_warning",
    "magento_last_error",
    "magento_no_export_reason",
)


def money(value):
    """PHP's round(x, 2): half away from zero (PriceCurrency::round)."""
    return float(Decimal(str(value)).quantize(Decimal("0.01"), ROUND_HALF_UP))


def cents(value):
    return int(Decimal(str(value)).quantize(Decimal("0.01"), ROUND_HALF_UP) * 100)


# ================================================================ Inside Odoo
def odoo_setup(env, url, credentials, products, timeout, rates):
    """The instance unless the flows made it, the matrix's products, taxes
    10%/21% excluded and included (rounded globally), and a pricelist and Odoo rate for each
    order currency (Odoo's rate = Magento's: the base totals are comparable)."""
    import e2e

    if not e2e._env_instance(env):
        e2e.odoo_setup(env, url, credentials, [], timeout)
    known = set(env["product.product"].search([]).mapped("default_code"))
    for sku, name, price in products:
        if sku not in known:
            env["product.product"].create(
                {"name": name, "default_code": sku, "list_price": price, "type": "consu", "invoice_policy": "order"}
            )
    # As the import's advice says: Magento rounds tax as Odoo's Round Globally does.
    env.company.tax_calculation_rounding_method = "round_globally"
    for percent in (10, 21):
        for included in (False, True):
            _tax(env, percent, included)
    today = datetime.date.today()
    for code, rate in rates.items():
        currency = env["res.currency"].with_context(active_test=False).search([("name", "=", code)])
        currency.active = True
        env["res.currency.rate"].search([("currency_id", "=", currency.id), ("name", "=", today)]).unlink()
        env["res.currency.rate"].create({"currency_id": currency.id, "rate": rate, "name": today})
        if not env["product.pricelist"].search([("currency_id", "=", currency.id)]):
            env["product.pricelist"].create({"name": f"Magento {code}", "currency_id": currency.id})
    env.cr.commit()
    return {"company_currency": env.company.currency_id.name}


def _tax(env, percent, included):
    name = f"Magento {percent}%" + (" incl." if included else "")
    tax = env["account.tax"].search([("name", "=", name), ("company_id", "=", env.company.id)], limit=1)
    if not tax:
        tax = env["account.tax"].create(
            {
                "name": name,
                "amount": percent,
                "amount_type": "percent",
                "type_tax_use": "sale",
                "price_include_override": "tax_included" if included else "tax_excluded",
            }
        )
    return tax


def odoo_rows(env, rows, sale_orders, done, shipping_incl_tax=False):
    """Each row as the accountant does it, then its export; {row: move id or "Odoo: error"}.
    ``shipping_incl_tax``: the rows run while the shop shows shipping including
    tax, and the instance says so (its *Shipping Shown Including Tax*)."""
    import e2e

    from odoo.exceptions import UserError

    instance = e2e._env_instance(env)
    instance.shipping_incl_tax = shipping_incl_tax
    env.cr.commit()
    moves = {}
    for row, _kind, order, action, _expected in rows:
        refunded = done.get(str(action.get("of")))
        if action["do"] == "refund" and not isinstance(refunded, int):
            moves[str(row)] = f"row {action['of']} made no document"
            continue
        try:
            if action["do"] == "invoice":
                move = _invoice(env, sale_orders[order], action)
            else:
                move = _refund(env, env["account.move"].browse(refunded), action)
            if action.get("export", "button") == "button":
                try:
                    move.action_magento_export_invoice()
                except UserError:
                    env.cr.rollback()  # the button refused, saying why: the document stays, not sent
            else:
                e2e._operations(env, "export_invoice" if move.move_type == "out_invoice" else "export_creditmemo")
            env.cr.commit()
            moves[str(row)] = done[str(row)] = move.id
        except Exception as error:  # a row that could not be made is reported, the others go on
            env.cr.rollback()
            moves[str(row)] = f"Odoo: {type(error).__name__}: {error}"[:300]
    instance.shipping_incl_tax = False
    env.cr.commit()
    return moves


def _invoice(env, order_id, action):
    """An invoice of what is left on the order as the import made it (Magento's
    prices, taxes and discounts), with the row's lines, quantities and
    changes; posted (and paid when its method waits for it)."""
    move = env["sale.order"].browse(order_id)._create_invoices()
    _keep(move, action.get("qty"), action.get("shipping", action.get("qty") is None))
    _change(move, action)
    move.action_post()
    if move.magento_payment_method_id.create_invoice_on == "in_payment_paid":
        register = env["account.payment.register"].with_context(active_model="account.move", active_ids=move.ids)
        register.create({})._create_payments()
    env.cr.commit()
    return move


def _refund(env, invoice, action):
    from odoo import Command

    note = invoice.with_context(include_business_fields=True)._reverse_moves()
    _keep(note, action.get("qty"), action.get("shipping", action.get("qty") is None))
    _change(note, action)
    if action.get("goodwill"):
        tax = _tax(env, GOODWILL_TAX, False)
        goodwill = {"name": "Goodwill gesture", "quantity": 1, "price_unit": action["goodwill"], "tax_ids": tax.ids}
        note.invoice_line_ids = [Command.create(goodwill)]
    if action.get("fee"):
        fee = {"name": "Restocking fee", "quantity": 1, "price_unit": -action["fee"], "tax_ids": []}
        note.invoice_line_ids = [Command.create(fee)]
    note.action_post()
    env.cr.commit()
    return note


def _code(line):
    return line.product_id.default_code or ""


def _keep(move, qty, shipping):
    """Only the product lines of ``qty`` (None: all), at those quantities; the shipping line if ``shipping``."""
    for line in move.invoice_line_ids.filtered(lambda line: line.display_type == "product"):
        item = line.sale_line_ids.filtered("magento_item_id")[:1]
        if not item:  # the shipping line (no Magento order item)
            if not shipping:
                line.unlink()
        elif qty is not None:
            if _code(line) in qty:
                line.quantity = qty[_code(line)]
            else:
                line.unlink()


def _change(move, action):
    for line in move.invoice_line_ids.filtered(lambda line: line.display_type == "product"):
        if _code(line) in action.get("price", {}):
            line.price_unit = action["price"][_code(line)]
        if _code(line) in action.get("discount", {}):
            line.discount = action["discount"][_code(line)]


def odoo_results(env, moves):
    """What each row's document shows: totals, Magento link, the reason on screen."""
    found = {}
    for row, move_id in moves.items():
        if not isinstance(move_id, int):
            continue
        move = env["account.move"].browse(move_id)
        reasons = [move[name] for name in REASON_FIELDS if name in move._fields and move[name]]
        status = move.magento_status_text or ""
        if move.magento_export_state not in ("exported", "to_export", False) and status not in reasons:
            reasons.append(status)
        found[row] = {
            "name": move.name,
            "kind": "creditmemo" if move.move_type == "out_refund" else "invoice",
            "total": move.amount_total,
            "company_total": abs(move.amount_total_signed),
            "currency": move.currency_id.name,
            "company_currency": move.company_currency_id.name,
            "state": move.magento_export_state,
            "status": status,
            "magento_id": move.magento_invoice_id,
            "reason": " ".join(str(reason) for reason in reasons),
        }
    return found


# ================================================================ Outside: the shops
class DoubleShop:
    """A MagentoDouble in this process (a thread), offering RealMagento's
    add_order, money_catalogue, money_window and order_documents: each line
    becomes the double's item spec (prices of real_magento's catalogue
    converted at the order's rate; tax_percent, discount_amount; per order
    shipping_amount, shipping_tax_percent, base_to_order_rate)."""

    def __init__(self):
        import harness

        if str(harness.ROOT) not in sys.path:
            sys.path.insert(0, str(harness.ROOT))
        from magento_double import MagentoDouble
        from magento_double.store import Store

        self.options = set(inspect.signature(MagentoDouble).parameters)
        self.order_options = set(inspect.signature(Store.add_order).parameters)
        kwargs = {"shipping_display_incl_tax": False} if "shipping_display_incl_tax" in self.options else {}
        self.double = MagentoDouble(**kwargs).start()
        self.url = self.double.url
        self.credentials = self.double.credentials
        self.settings = True
        self.window = {}

    def stop(self):
        self.double.stop()

    def money_catalogue(self):
        """Nothing to make: the double takes any SKU."""

    @contextlib.contextmanager
    def money_window(self, **window):
        shown = window.get("shipping_display_incl_tax")
        if shown and "shipping_display_incl_tax" not in self.options:
            raise RuntimeError("the double has no shipping_display_incl_tax option yet")
        self.window = window
        if shown:
            self.double.store.shipping_display_incl_tax = True  # what the store reads (magento_double/store.py)
        try:
            yield
        finally:
            self.window = {}
            if shown:
                self.double.store.shipping_display_incl_tax = False

    def add_order(self, lines, payment_method="checkmo"):
        import real_magento as rm

        rate = self.window.get("rate") or 1.0
        items = [self._item(rm, rate, *line) for line in lines]
        kwargs = {
            "payment_method": payment_method,
            "shipping_amount": money(FLAT_RATE * rate * sum(line[1] for line in lines)),
        }
        if rate != 1.0:
            kwargs.update(
                base_currency_code="USD", order_currency_code=rm.RATE_CURRENCIES[rate], base_to_order_rate=rate
            )
        if self.window.get("shipping_tax"):
            if "shipping_tax_percent" not in self.order_options:
                raise RuntimeError("the double's add_order has no shipping_tax_percent yet")
            kwargs["shipping_tax_percent"] = 10
        return json.loads(json.dumps(self.double.store.add_order(items, **kwargs)))

    def _item(self, rm, rate, sku, qty, colour=None):
        if sku == rm.CONFIGURABLE["sku"]:
            price = money(rm.CONFIGURABLE["price"] * rate)
            child = f"{sku}-{(colour or 'Red').upper()}"
            return {
                "type": "configurable",
                "sku": sku,
                "child_sku": child,
                "name": rm.CONFIGURABLE["name"],
                "qty": qty,
                "price": price,
            }
        if sku in rm.BUNDLES:
            children = [
                {"sku": child, "name": rm.SIMPLES[child][0], "qty": per, "price": money(rm.SIMPLES[child][1] * rate)}
                for _title, child, per in rm.BUNDLE_OPTIONS
            ]
            return {"type": "bundle", "sku": sku, "name": rm.BUNDLES[sku]["name"], "qty": qty, "children": children}
        name, price, *tax = {**rm.SIMPLES, **rm.TAXED, **rm.DISCOUNTED, **rm.FREE}[sku]
        item = {"sku": sku, "name": name, "qty": qty, "price": money(price * rate)}
        if tax:
            item["tax_percent"] = tax[0]
            if self.window.get("prices_include_tax"):
                item["price_incl_tax"] = item["price"]
                item["price"] = money(item["price"] / (1 + tax[0] / 100))
        if sku in rm.DISCOUNT_SKUS:
            item["discount_amount"] = money(item["price"] * qty * rm.DISCOUNT_PERCENT / 100)
        return item

    def order_documents(self, order_id):
        store = self.double.store
        found = []
        for kind, documents in (("invoice", store.invoices), ("creditmemo", store.creditmemos)):
            for document in list(documents.values()):
                if document["order_id"] == order_id:
                    keys = ("entity_id", "increment_id", "grand_total", "base_grand_total")
                    found.append({"kind": kind, **{key: document.get(key) for key in keys}})
        return found


# ================================================================ Outside: the run
def products():
    """(sku, name, price) of each product an order line is matched with, beyond e2e's."""
    import e2e
    import real_magento as rm

    extra = [(sku, spec[0], spec[1]) for sku, spec in {**rm.TAXED, **rm.DISCOUNTED, **rm.FREE}.items()]
    return e2e.odoo_products() + extra


def call(odoo, function, **kwargs):
    code = (
        "import json, money_matrix\n"
        f"result = money_matrix.{function}(env, **json.loads({json.dumps(kwargs)!r}))\n"
        "print('RESULT:' + json.dumps(result))"
    )
    return odoo.shell(code)


def make_orders(shop):
    """Each order in its window (the windows as short as the orders they hold);
    {name: order} and {name: why it cannot be used}."""
    orders, broken = {}, {}
    windows = {}
    for name, (window, _lines, _method) in ORDERS.items():
        windows.setdefault(json.dumps(window, sort_keys=True), []).append(name)
    for key, names in windows.items():
        try:
            with shop.money_window(**json.loads(key)):
                for name in names:
                    orders[name] = shop.add_order(ORDERS[name][1], payment_method=ORDERS[name][2])
        except Exception as error:  # the window's orders are reported as not run
            for name in names:
                if name not in orders:
                    broken[name] = f"{type(error).__name__}: {error}"[:200]
        for name in names:
            if name in orders:
                missing = charged_as_asked(orders[name], ORDERS[name])
                print(f"  Magento order {orders[name]['increment_id']} ({name} {key})", flush=True)
                if missing:
                    broken[name] = f"the shop did not compute {missing}"
    return orders, broken


def charged_as_asked(order, spec):
    """What the shop was asked to charge and did not (a broken fixture, not the addon's fault)."""
    import real_magento as rm

    window, lines, _method = spec
    skus = {line[0] for line in lines}
    missing = []
    if skus & set(rm.TAXED) and not float(order.get("tax_amount") or 0):
        missing.append("tax")
    if skus & set(rm.DISCOUNT_SKUS) and not float(order.get("discount_amount") or 0):
        missing.append("the discount")
    if window.get("shipping_tax") and not float(order.get("shipping_tax_amount") or 0):
        missing.append("shipping tax")
    if window.get("rate") and float(order.get("base_to_order_rate") or 1) != window["rate"]:
        missing.append(f"the rate {window['rate']}")
    return ", ".join(missing)


def run_rows(odoo, shop, orders, broken, sale_orders):
    """The rows in Odoo: those exported in a settings window together inside it, the others first."""
    done, not_run = {}, {}
    groups = {}
    for spec in ROWS:
        groups.setdefault(json.dumps(spec[3].get("window", {}), sort_keys=True), []).append(spec)
    for key, specs in sorted(groups.items(), key=lambda group: group[0] != "{}"):
        runnable = []
        for spec in specs:
            row, _kind, order, action, _expected = spec
            why = broken.get(order) or (None if sale_orders.get(order) else "its order was not imported")
            refunded = str(action.get("of"))
            if not why and refunded in not_run:
                why = f"row {refunded} made no document"
            if why:
                not_run[str(row)] = why
            else:
                runnable.append(spec)
        if not runnable:
            continue
        try:
            window = json.loads(key)
            shown = bool(window.get("shipping_display_incl_tax"))
            with shop.money_window(**window):
                done.update(
                    call(odoo, "odoo_rows", rows=runnable, sale_orders=sale_orders, done=done, shipping_incl_tax=shown)
                )
        except Exception as error:  # the window's rows are reported as not run
            for spec in runnable:
                not_run.setdefault(str(spec[0]), f"{type(error).__name__}: {error}"[:200])
    for row, move in list(done.items()):
        if not isinstance(move, int):
            not_run[row] = move
    return {row: move for row, move in done.items() if isinstance(move, int)}, not_run


def judge(spec, doc, magento_docs, why_not_run):
    """(Odoo total, Magento total or "not sent: ...", verdict, failed)."""
    expected = spec[4]
    if why_not_run:
        return "-", "-", f"NOT RUN: {why_not_run}", True
    rate_differs = doc["currency"] != doc["company_currency"]
    odoo_total = f"{doc['total']:.2f}" + (f" {doc['currency']} ({doc['company_total']:.2f})" if rate_differs else "")
    if doc["magento_id"]:
        found = [m for m in magento_docs if m["kind"] == doc["kind"] and int(m["entity_id"]) == doc["magento_id"]]
        if not found:
            return (
                odoo_total,
                "-",
                f"FAIL: Odoo names Magento {doc['kind']} {doc['magento_id']}, Magento has none",
                True,
            )
        magento = found[0]
        shown = f"{float(magento['grand_total']):.2f}" + (
            f" ({float(magento['base_grand_total']):.2f})" if rate_differs else ""
        )
        if cents(magento["grand_total"]) != cents(doc["total"]):
            return (
                odoo_total,
                shown,
                f"FAIL: Magento {float(magento['grand_total']):.2f} != Odoo {doc['total']:.2f}",
                True,
            )
        if rate_differs and cents(magento["base_grand_total"]) != cents(doc["company_total"]):
            # Magento derives base amounts from base prices, Odoo converts the
            # document's lines: the company currency is Odoo's own bookkeeping,
            # not what Magento is sent (README, Money to the cent).
            shown += " base differs"
        outcome = EQUAL
    else:
        if not doc["reason"]:
            status = doc["status"] or doc["state"]
            return odoo_total, "not sent", f"FAIL: not sent and no reason on screen ({status})", True
        reason = doc["reason"].removeprefix("Not sent: ")
        shown = f"not sent: {reason[:60]}"
        outcome = REFUSED
    if expected not in (outcome, EITHER):
        return odoo_total, shown, f"FAIL: expected {expected}", True
    return odoo_total, shown, "ok", False


def unclaimed(orders, results, magento):
    """Magento documents of the matrix's orders no Odoo document names (sent but not recorded)."""
    claimed = {(doc["kind"], doc["magento_id"]) for doc in results.values() if doc["magento_id"]}
    return [
        f"order {orders[name]['increment_id']} ({name}): Magento {m['kind']} {m['increment_id']} "
        f"({float(m['grand_total']):.2f}) unknown to Odoo"
        for name, documents in magento.items()
        for m in documents
        if (m["kind"], int(m["entity_id"])) not in claimed
    ]


def table(orders, results, magento, not_run):
    lines = []
    failed = 0
    for spec in ROWS:
        row, kind, order, _action, expected = spec
        doc = results.get(str(row))
        odoo_total, shown, verdict, bad = judge(spec, doc, magento.get(order, []), not_run.get(str(row)))
        failed += bad
        number = orders[order]["increment_id"] if order in orders else "-"
        name = doc["name"] if doc else "-"
        lines.append((str(row), kind, f"{order} {number}", name, expected, odoo_total, shown, verdict))
    return lines, failed


HEAD = ("row", "kind", "order", "Odoo document", "expected", "Odoo total", "Magento total", "verdict")


def print_table(lines, extra, summary):
    widths = [4, 36, 15, 18, 8, 24, 50]
    print()
    print("  ".join(h.ljust(w) for h, w in zip(HEAD, widths, strict=False)) + HEAD[-1])
    for line in lines:
        print("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=False)) + line[-1])
    for problem in extra:
        print(f"FAILED: {problem}")
    print(summary)


def markdown(lines, extra, summary, target, commit):
    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    out = [f"Run {when} against {target}, the addon of {commit}: **{summary}**", ""]
    out.append("| " + " | ".join(HEAD) + " |")
    out.append("|" + " --- |" * len(HEAD))
    for line in lines:
        out.append("| " + " | ".join(cell.replace("|", "\\|") for cell in line) + " |")
    out += [f"\nFailed beyond the rows: {problem}" for problem in extra]
    return "\n".join(out) + "\n"


DOC_HEAD = """# The money matrix

Generated by `tools/e2e.sh --matrix-only` (the real Magento) and `tools/e2e.sh
--double` (the Magento double); do not edit by hand. Each row is one Odoo
document of a fresh Magento order (`tools/money_matrix.py`, `ROWS`): *equal*
means Magento's grand total (and base grand total, in brackets, when the
order's currency is not the base one) equals the Odoo document's total to the
cent; *refused* means Magento holds nothing for it and the Odoo document says
why; *either* accepts both. Totals in brackets on the Odoo side are the company
currency's, at Odoo rates set equal to Magento's.
"""


def write_doc(path, section, text):
    """Replace this target's section of the generated file, keeping the other's."""
    path = Path(path)
    current = path.read_text() if path.exists() else DOC_HEAD
    start, end = f"<!-- matrix:{section} -->", f"<!-- /matrix:{section} -->"
    block = f"{start}\n## Against {'the Magento double' if section == 'double' else 'the real Magento'}\n\n{text}{end}"
    if start in current:
        before, rest = current.split(start, 1)
        current = before + block + rest.split(end, 1)[1]
    else:
        current = current.rstrip("\n") + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(current)


def commit_of(source):
    head = subprocess.run(["git", "-C", str(source), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(
        ["git", "-C", str(source), "status", "--porcelain", "magento_invoice_export"], capture_output=True, text=True
    )
    return head.stdout.strip() + (" + uncommitted addon changes" if dirty.stdout.strip() else "")


def run(odoo, shop, url, credentials, timeout, target, doc_path, section, commit=None):
    """The matrix on ``shop`` (RealMagento or DoubleShop) with ``odoo``
    installed (and set up by the flows or not); prints the table, writes the
    document, returns the exit code."""
    import real_magento as rm
    from e2e import in_odoo
    from harness import SOURCE, timed

    print(f"money matrix: {len(ROWS)} documents against {target}", flush=True)
    timed("the money catalogue", shop.money_catalogue)
    orders, broken = timed("the matrix's orders", make_orders, shop)
    rates = {rm.RATE_CURRENCIES[w["rate"]]: w["rate"] for w, _lines, _m in ORDERS.values() if w.get("rate")}
    call(odoo, "odoo_setup", url=url, credentials=credentials, products=products(), timeout=timeout, rates=rates)
    imported = in_odoo(odoo, "odoo_import", refs=[order["increment_id"] for order in orders.values()])
    print(f"  import: {imported['summary']}", flush=True)
    by_ref = {order["increment_id"]: name for name, order in orders.items()}
    sale_orders = {by_ref[ref]: order_id for ref, order_id in imported["orders"].items() if ref in by_ref}
    for name in orders:
        if name not in sale_orders:
            broken.setdefault(name, "not imported: " + ("; ".join(imported["problems"]) or imported["summary"])[:150])
    moves, not_run = timed("the rows in Odoo", run_rows, odoo, shop, orders, broken, sale_orders)
    results = call(odoo, "odoo_results", moves=moves)
    magento = {name: shop.order_documents(order["entity_id"]) for name, order in orders.items()}
    lines, failed = table(orders, results, magento, not_run)
    extra = unclaimed(orders, results, magento)
    summary = f"money matrix: {len(ROWS) - failed} ok, {failed} failed" + (
        f", {len(extra)} Magento documents unknown to Odoo" if extra else ""
    )
    print_table(lines, extra, summary)
    write_doc(doc_path, section, markdown(lines, extra, summary, target, commit or commit_of(SOURCE)))
    print(f"  written to {doc_path}", flush=True)
    return 1 if failed or extra else 0
