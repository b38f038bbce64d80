"""End-to-end run against a Magento: fresh orders made in it (simple,
configurable and bundle products, each offline payment method), a throwaway
Odoo 18.0 with the addon and queue_job importing them, every export path a
user has (the invoice's button, Magento > Operations, the scheduled export,
queue_job jobs), partial invoices, three kinds of credit memo, a lost answer
(through tools/fault_proxy.py) and Magento's own invoice; then every Magento
document compared with its Odoo document. With --matrix (after the flows),
--matrix-only or --double (against a Magento double in this process): the
money matrix of tools/money_matrix.py.

It CREATES ORDERS in that Magento: it refuses any host but this machine's
unless given --i-understand-this-creates-orders. Run through tools/e2e.sh
(which provides the environment and PostgreSQL).

The functions under "Inside Odoo" run in ``odoo-bin shell`` (``env`` given):
the shell imports this file, so its top imports only the standard library.
"""

import argparse
import io
import json
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import urllib.request
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
CONSENT = "--i-understand-this-creates-orders"
# One Magento order per flow: (lines, payment method); a line is (sku, qty[, colour]).
ORDERS = {
    "button": ([("RM-BAG", 2), ("RM-HOODIE", 3, "Red")], "checkmo"),
    "operations": ([("RM-TEE", 3), ("RM-KIT", 2)], "banktransfer"),
    "scheduled": ([("RM-PEN", 2), ("RM-KIT-FIXED", 2), ("RM-MUG", 4)], "cashondelivery"),
    "partial": ([("RM-BAG", 4), ("RM-TEE", 2), ("RM-HOODIE", 2, "Red")], "cashondelivery"),
    "queue_job A": ([("RM-BALL", 2), ("RM-HOODIE", 2, "Blue")], "checkmo"),
    "queue_job B": ([("RM-STRAP", 3), ("RM-KIT", 2)], "banktransfer"),
    "lost answer": ([("RM-BAG", 3), ("RM-KIT-FIXED", 2)], "checkmo"),
    "magento own": ([("RM-TEE", 2), ("RM-PEN", 3), ("RM-HOODIE", 2, "Blue")], "banktransfer"),
}
INSTANCE = "E2E Shop"
HOLD_PAST_TIMEOUT = 10  # seconds the proxy holds the lost answer beyond the instance's timeout
GOODWILL = 5.0


# ================================================================ Inside Odoo
def _env_instance(env):
    return env["magento.instance"].search([("name", "=", INSTANCE)], limit=1)


def odoo_setup(env, url, credentials, products, timeout):
    """The instance, its payment methods with triggers, and a product per SKU."""
    import scenario

    instance = scenario.setup_instance(env, url, credentials, name=INSTANCE)
    instance.timeout = timeout
    # scenario's cash on delivery never exports: here every offline method does.
    instance.payment_method_ids.filtered(lambda m: m.code == "cashondelivery").write(
        {"create_invoice_on": "validate", "create_creditmemo_on": "validate"}
    )
    for sku, name, price in products:
        env["product.product"].create(
            {"name": name, "default_code": sku, "list_price": price, "type": "consu", "invoice_policy": "order"}
        )
    env.cr.commit()
    return {method.code: method.create_invoice_on for method in instance.payment_method_ids}


def odoo_import(env, refs):
    """Magento > Operations, Import Orders by number; {number: sale order id} and the log."""
    logs = _operations(env, "import_orders", import_by="increment_id", order_refs=" ".join(refs))
    log = env["magento.process.log"].browse(logs.get("res_id")) if logs.get("res_id") else None
    orders = env["sale.order"].search([("magento_instance_id", "=", _env_instance(env).id)])
    return {
        "orders": {order.magento_order_ref: order.id for order in orders},
        "summary": log.summary if log else "",
        "problems": [line.message for line in log.line_ids if line.level != "info"] if log else [],
    }


def _operations(env, operation, **values):
    """Magento > Operations as a person runs it: the wizard saved (one request), then Execute."""
    from odoo import Command

    wizard = env["magento.operation.wizard"].create(
        {"operation": operation, "instance_ids": [Command.set(_env_instance(env).ids)], **values}
    )
    env.cr.commit()
    return wizard.action_execute() or {}


def _invoice(env, order_id, share=None):
    """A posted invoice of the sales order (``share`` of each product quantity,
    at least 1), paid when its method exports only once paid; committed."""
    move = env["sale.order"].browse(order_id)._create_invoices()
    if share:
        for line in move.invoice_line_ids.filtered(lambda line: line.sale_line_ids.magento_item_id):
            line.quantity = max(1, int(line.quantity * share))
    move.action_post()
    if move.magento_payment_method_id.create_invoice_on == "in_payment_paid":
        register = env["account.payment.register"].with_context(active_model="account.move", active_ids=move.ids)
        register.create({})._create_payments()
    env.cr.commit()
    return move


def _credit_note(env, invoice_id, keep=None, goodwill=0.0):
    """A posted credit note of the invoice, as Reverse makes it: all of it, or
    ``keep`` units of its first product only; with a goodwill line if asked."""
    from odoo import Command

    invoice = env["account.move"].browse(invoice_id)
    note = invoice.with_context(include_business_fields=True)._reverse_moves()
    if keep is not None:
        lines = note.invoice_line_ids.filtered(lambda line: line.display_type == "product")
        first = lines.filtered(lambda line: line.sale_line_ids.magento_item_id)[:1]
        first.quantity = keep
        (lines - first).unlink()
    if goodwill:
        note.invoice_line_ids = [Command.create({"name": "Goodwill gesture", "quantity": 1, "price_unit": goodwill})]
    note.action_post()
    env.cr.commit()
    return note


def _button(env, move):
    """The document's Export In Magento button; the notification's message."""
    action = move.action_magento_export_invoice()
    env.invalidate_all()
    return (action.get("params") or {}).get("message", "")


def _scheduled(env):
    """The scheduled action's own code, as the scheduler runs it (whatever method it names)."""
    env.ref("magento_invoice_export.ir_cron_magento_export_invoice").ir_actions_server_id.run()
    env.invalidate_all()


def flow_button(env, order_id):
    move = _invoice(env, order_id)
    return {"moves": [move.id], "said": _button(env, move)}


def flow_operations(env, order_id):
    move = _invoice(env, order_id)
    _operations(env, "export_invoice")
    return {"moves": [move.id]}


def flow_scheduled(env, order_id):
    move = _invoice(env, order_id)
    _scheduled(env)
    return {"moves": [move.id]}


def flow_partial(env, order_id):
    """Two invoices of one order: half of each product with the shipping, then the rest."""
    first = _invoice(env, order_id, share=0.5)
    said = [_button(env, first)]
    second = _invoice(env, order_id)
    said.append(_button(env, second))
    return {"moves": [first.id, second.id], "said": said}


def flow_credit_full(env, invoice_id):
    note = _credit_note(env, invoice_id)
    return {"moves": [note.id], "said": _button(env, note)}


def flow_credit_partial(env, invoice_id):
    note = _credit_note(env, invoice_id, keep=1)
    _operations(env, "export_creditmemo")
    return {"moves": [note.id]}


def flow_credit_adjustment(env, invoice_id):
    note = _credit_note(env, invoice_id, keep=1, goodwill=GOODWILL)
    _scheduled(env)
    return {"moves": [note.id]}


def flow_queue(env, order_ids):
    """Invoices queued from Magento > Operations as queue_job jobs (the background
    threshold at 0: even two documents go to the background)."""
    moves = [_invoice(env, order_id) for order_id in order_ids]
    params = env["ir.config_parameter"]
    params.set_param("magento_invoice_export.background_threshold", 0)
    action = _operations(env, "export_invoice")
    params.set_param("magento_invoice_export.background_threshold", 20)
    env.cr.commit()
    return {"moves": [move.id for move in moves], "queued": bool(action)}


def flow_lost_answer(env, order_id, proxy_url, hold):
    """The button's request reaches Magento, whose answer the proxy holds past
    the instance's timeout; then the scheduled export runs again."""
    move = _invoice(env, order_id)
    _proxy(proxy_url, "faults", {"kind": "hold", "method": "POST", "path": r"/order/\d+/invoice$", "seconds": hold})
    said = _button(env, move)
    after_button = {"state": move.magento_export_state, "magento_id": move.magento_invoice_id}
    _scheduled(env)
    then = move.magento_log_line_ids.sorted("id")[-1:].message
    return {"moves": [move.id], "said": said, "after_button": after_button, "next_run": then}


def flow_magento_own(env, order_id):
    """The order was invoiced in Magento's admin after the import: export the Odoo invoice."""
    move = _invoice(env, order_id)
    return {"moves": [move.id], "said": _button(env, move)}


def odoo_documents(env):
    """Every Odoo document of the instance, as the comparison needs it."""
    moves = env["account.move"].search([("magento_instance_id", "=", _env_instance(env).id)], order="id")
    return [_document(move) for move in moves]


def _document(move):
    items = Counter()
    for line in move.invoice_line_ids:
        for sale_line in line.sale_line_ids.filtered("magento_item_id")[:1]:
            items[str(sale_line.magento_item_id)] += line.quantity
    log = move.magento_log_line_ids.sorted("id")
    return {
        "id": move.id,
        "name": move.name,
        "kind": "creditmemo" if move.move_type == "out_refund" else "invoice",
        "order_id": move.magento_sale_order_id.magento_order_id,
        "magento_id": move.magento_invoice_id,
        "state": move.magento_export_state,
        "total": move.amount_total,
        "items": dict(items),
        "comment": move._magento_comment(),
        "log": [f"{line.level}: {line.message}" for line in log],
    }


def _proxy(proxy_url, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{proxy_url}/__proxy__/{path}", data=data, method="POST" if data else "GET")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


# ================================================================ Outside: the run
def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("odoo_path")
    parser.add_argument("--url", default="http://127.0.0.1:8280", help="the Magento's base URL (without /rest)")
    parser.add_argument("--keys", default="/opt/magento246/var/odoo/keys.json", help="its integration's four keys")
    parser.add_argument("--admin", default="admin:Admin12345!", help="user:password of a Magento admin")
    parser.add_argument("--store", default="default", help="the REST store code")
    parser.add_argument("--magento-root", default="/opt/magento246", help="to reindex a new catalogue (local only)")
    parser.add_argument("--timeout", type=int, default=10, help="the Odoo instance's request timeout, seconds")
    parser.add_argument("--addon-ref", help="test the addon as committed at this git ref (default: the work tree)")
    parser.add_argument(CONSENT, dest="consent", action="store_true", help="allow a Magento on another host")
    matrix = parser.add_argument_group("the money matrix (tools/money_matrix.py)")
    matrix.add_argument("--matrix", action="store_true", help="run the money matrix after the flows")
    matrix.add_argument("--matrix-only", action="store_true", help="run only the money matrix")
    matrix.add_argument(
        "--double", action="store_true", help="run only the money matrix, against a Magento double in this process"
    )
    matrix.add_argument(
        "--matrix-doc",
        default=str(Path(__file__).resolve().parent.parent / "docs" / "money-matrix.md"),
        help="the Markdown file the matrix's table is written to (its section for this target)",
    )
    return parser.parse_args()


def is_local(url):
    return urlsplit(url).hostname in LOCAL_HOSTS


def refuse_remote(args):
    """Orders are made in that Magento: only this machine's, unless the user says so."""
    if not is_local(args.url) and not args.consent:
        sys.exit(
            f"e2e: {args.url} is not on this machine. This run CREATES ORDERS, invoices and credit memos "
            f"in that Magento; to run it against a staging shop all the same, add {CONSENT}."
        )


def make_shop(args):
    import real_magento

    user, _, password = args.admin.partition(":")
    root = Path(args.magento_root)
    here = is_local(args.url) and (root / "bin/magento").exists()
    reindex = real_magento.reindexer(root) if here else None
    # The money matrix changes some of its global settings for a short while.
    settings = real_magento.LocalSettings(root) if here else None
    return real_magento.RealMagento(args.url, user, password, store=args.store, reindex=reindex, settings=settings)


def make_orders(shop):
    """A fresh Magento order per flow; {flow: the order as Magento gives it}."""
    orders = {}
    for flow, (lines, method) in ORDERS.items():
        orders[flow] = shop.add_order(lines, payment_method=method)
        print(f"  Magento order {orders[flow]['increment_id']} ({flow}, {method})", flush=True)
    return orders


def odoo_products():
    """(sku, name, price) of each product an order line is matched with."""
    import real_magento as rm

    products = [(sku, name, price) for sku, (name, price) in rm.SIMPLES.items()]
    colours = rm.CONFIGURABLE["colours"]
    products += [
        (f"{rm.CONFIGURABLE['sku']}-{c.upper()}", rm.CONFIGURABLE["name"], rm.CONFIGURABLE["price"]) for c in colours
    ]
    products += [(sku, spec["name"], spec["price"] or 0.0) for sku, spec in rm.BUNDLES.items()]
    return products


def in_odoo(odoo, function, **kwargs):
    """Call one of the functions above inside an Odoo shell; its JSON result."""
    code = (
        "import json, e2e\n"
        f"result = e2e.{function}(env, **json.loads({json.dumps(kwargs)!r}))\n"
        "print('RESULT:' + json.dumps(result))"
    )
    return odoo.shell(code)


def reach(host):
    """The harness sends Odoo's outside requests to a dead proxy: let this host through."""
    import harness

    for key in ("NO_PROXY", "no_proxy"):
        harness.OFFLINE[key] += f",{host}"


class Run:
    """The run's state: the shop, Odoo, the proxy, the orders and which flow made which document."""

    def __init__(self, args, shop, odoo, proxy):
        self.args, self.shop, self.odoo, self.proxy = args, shop, odoo, proxy
        self.orders = {}
        self.sale_orders = {}
        self.flows = {}  # Odoo move id -> flow
        self.notes = []  # what the flows said, for the report
        self.failures = []  # flows that could not run
        self.own_invoice = None  # Magento's own invoice of the "magento own" order

    def step(self, flow, function, **kwargs):
        """One flow in Odoo; a flow that could not run counts as a failure."""
        started = time.monotonic()
        if None in kwargs.values():
            self.failures.append(f"{flow}: not run (its order or invoice is missing: see above)")
            return {"moves": []}
        try:
            result = in_odoo(self.odoo, function, **kwargs)
        except RuntimeError as error:
            self.failures.append(f"{flow}: Odoo failed: {str(error)[-1500:]}")
            print(f"  {flow}: FAILED in Odoo (see below)", flush=True)
            return {"moves": []}
        for move_id in result.get("moves", []):
            self.flows[move_id] = flow
        print(f"  {flow}: {time.monotonic() - started:.0f} s", flush=True)
        for key in ("said", "after_button", "next_run", "queued"):
            if result.get(key):
                self.notes.append(f"{flow}: {key}: {result[key]}")
        return result

    def sale_order(self, flow):
        """The sales order the import made of the flow's Magento order (None if it made none)."""
        return self.sale_orders.get(self.orders[flow]["increment_id"])


def run_flows(run):
    """Every export path, one flow after the other: none leaves a document
    pending for the next one's scheduled run but on purpose."""
    first = run.step("button", "flow_button", order_id=run.sale_order("button"))["moves"]
    operations = run.step("operations", "flow_operations", order_id=run.sale_order("operations"))["moves"]
    run.step("scheduled", "flow_scheduled", order_id=run.sale_order("scheduled"))
    partial = run.step("partial", "flow_partial", order_id=run.sale_order("partial"))["moves"]
    run.step("credit full+shipping (button)", "flow_credit_full", invoice_id=(first or [None])[0])
    run.step("credit partial (operations)", "flow_credit_partial", invoice_id=(partial or [None])[-1])
    run.step("credit goodwill (scheduled)", "flow_credit_adjustment", invoice_id=(operations or [None])[0])
    run_queue_job(run)
    run_lost_answer(run)
    run_magento_own(run)


def run_queue_job(run):
    from soak import JOBS

    order_ids = [run.sale_order("queue_job A"), run.sale_order("queue_job B")]
    if not run.step("queue_job", "flow_queue", order_ids=None if None in order_ids else order_ids)["moves"]:
        return
    # A real job runner: an Odoo server with two workers and queue_job loaded, as the soak runs it.
    server = run.odoo.serve_jobs(workers=2)
    try:
        deadline = time.monotonic() + 240
        while (jobs := run.odoo.shell(JOBS))["left"] and time.monotonic() < deadline:
            time.sleep(2)
        run.notes.append(f"queue_job: {jobs}")
        print(f"  queue_job jobs: {jobs}", flush=True)
        if jobs["left"] or jobs["failed"] or not jobs["jobs"]:
            run.failures.append(f"queue_job: the jobs did not all run: {jobs}")
    finally:
        server.terminate()
        server.wait(30)


def run_lost_answer(run):
    if run.proxy is None:
        run.notes.append("lost answer: skipped (the fault proxy needs a plain-HTTP Magento on this machine)")
        return
    hold = run.args.timeout + HOLD_PAST_TIMEOUT
    run.step(
        "lost answer", "flow_lost_answer", order_id=run.sale_order("lost answer"), proxy_url=run.proxy.url, hold=hold
    )
    run.notes.append(f"proxy: {json.dumps(run.proxy.state()['faults'])}")


def run_magento_own(run):
    order = run.orders["magento own"]
    own = run.shop.invoice(order["entity_id"])  # Magento's admin, after the import
    run.notes.append(f"magento own: Magento's own invoice {own} of order {order['increment_id']}")
    run.step("magento own", "flow_magento_own", order_id=run.sale_order("magento own"))
    run.own_invoice = own


# ---------------------------------------------------------------- comparison
def magento_documents(shop, order_id):
    """The order's invoices and credit memos in Magento, each with its comments."""
    found = {}
    for kind, listing, comments in (("invoice", "invoices", "invoices"), ("creditmemo", "creditmemos", "creditmemo")):
        query = (
            f"{listing}?searchCriteria[filter_groups][0][filters][0][field]=order_id"
            f"&searchCriteria[filter_groups][0][filters][0][value]={order_id}"
        )
        for document in shop.call("GET", query)["items"]:
            said = shop.call("GET", f"{comments}/{document['entity_id']}/comments")["items"]
            document["odoo_comments"] = [c["comment"] for c in said]
            found[(kind, document["entity_id"])] = document
    return found


def top_items(order):
    """The order's own lines (a configurable's or bundle's parent, not its children)."""
    return {str(item["item_id"]) for item in order["items"] if not item.get("parent_item_id")}


def magento_items(document, parents):
    return {
        str(i["order_item_id"]): float(i["qty"])
        for i in document["items"]
        if str(i["order_item_id"]) in parents and float(i["qty"])
    }


def compare(doc, magento_doc, order, own_ids):
    """What differs between an Odoo document and the Magento one it names."""
    if magento_doc is None:
        return ["no Magento document" if not doc["magento_id"] else f"Magento has no {doc['kind']} {doc['magento_id']}"]
    problems = []
    if magento_doc["order_id"] != doc["order_id"]:
        problems.append(f"order {magento_doc['order_id']} in Magento, {doc['order_id']} in Odoo")
    odoo_items = {item: float(qty) for item, qty in doc["items"].items() if qty}
    items = magento_items(magento_doc, top_items(order))
    if items != odoo_items:
        problems.append(f"items: Magento {items}, Odoo {odoo_items}")
    magento_total, odoo_total = float(magento_doc["grand_total"]), float(doc["total"])
    if round(magento_total * 100) != round(odoo_total * 100):
        why = (
            "the addon does not check money: Magento computes it from the quantities"
            if items == odoo_items
            else "items differ"
        )
        problems.append(f"total: Magento {magento_total:.2f}, Odoo {odoo_total:.2f} ({why})")
    if magento_doc["entity_id"] in own_ids:
        pass  # Magento's own invoice carries no Odoo comment: linked, not created
    elif doc["comment"] not in magento_doc["odoo_comments"]:
        problems.append(f"comment: Magento {magento_doc['odoo_comments']}, expected {doc['comment']!r}")
    return problems


def compare_all(run, documents):
    """Rows for the table, and the Magento documents no Odoo document accounts for."""
    by_order = {order["entity_id"]: order for order in run.orders.values()}
    magento = {}
    for order_id in by_order:
        magento.update(magento_documents(run.shop, order_id))
    own_ids = {run.own_invoice}
    rows = []
    for doc in documents:
        magento_doc = magento.get((doc["kind"], doc["magento_id"]))
        rows.append((doc, magento_doc, compare(doc, magento_doc, by_order.get(doc["order_id"]), own_ids)))
    claimed = {(doc["kind"], doc["magento_id"]) for doc in documents if doc["magento_id"]}
    comments = Counter(c for m in magento.values() for c in m["odoo_comments"] if c.startswith("Odoo "))
    duplicates = {c: n for c, n in comments.items() if n > 1}
    unknown = [m for key, m in magento.items() if key not in claimed]
    return rows, duplicates, unknown


COLUMNS = "{:<31} {:<18} {:<10} {:<10} {:>10} {:>10}  {}"


def print_table(run, rows, duplicates, unknown):
    increments = {order["entity_id"]: order["increment_id"] for order in run.orders.values()}
    header = COLUMNS.format("flow", "Odoo document", "Magento", "order", "Odoo total", "Magento", "result")
    print()
    print(header)
    print("-" * len(header))
    for doc, magento_doc, problems in rows:
        print_row(run.flows.get(doc["id"], "?"), doc, magento_doc, problems, increments)
    print()
    print(f"duplicates (two Magento documents for one Odoo document): {sum(n - 1 for n in duplicates.values())}")
    for comment, count in duplicates.items():
        print(f"  {comment}: {count} Magento documents")
    print(f"Magento documents of these orders unknown to Odoo: {len(unknown)}")
    for document in unknown:
        order = increments.get(document["order_id"])
        print(f"  {document['increment_id']} (order {order}, comments {document['odoo_comments']})")


def print_row(flow, doc, magento_doc, problems, increments):
    number = magento_doc["increment_id"] if magento_doc else "-"
    total = f"{float(magento_doc['grand_total']):.2f}" if magento_doc else "-"
    order = increments.get(doc["order_id"], "?")
    verdict = "DIFFERS" if problems else "ok"
    print(COLUMNS.format(flow, doc["name"], number, order, f"{doc['total']:.2f}", total, verdict))
    for problem in problems:
        print(f"{'':<33}- {problem}")
    # Why, as the addon logged it.
    for line in doc["log"][-3:] if problems else ():
        print(f"{'':<33}  log: {line[:300]}")


def report(run):
    documents = run.odoo.shell("import json, e2e\nprint('RESULT:' + json.dumps(e2e.odoo_documents(env)))")
    rows, duplicates, unknown = compare_all(run, documents)
    print_table(run, rows, duplicates, unknown)
    print()
    for note in run.notes:
        print(f"note: {note}")
    for failure in run.failures:
        print(f"FAILED: {failure}")
    passed = sum(1 for _doc, _magento, problems in rows if not problems)
    differ = len(rows) - passed + sum(n - 1 for n in duplicates.values()) + len(unknown)
    failed = differ + len(run.failures)
    print(f"e2e: {passed} passed, {failed} failed")
    return 0 if not failed else 1


def git(*args):
    root = Path(__file__).resolve().parent.parent
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=True).stdout


def source_state(ref):
    """Which addon this run tests: the work tree as it is (the harness copies it), or ``ref``."""
    if ref:
        return f"{ref} ({git('rev-parse', '--short', ref).decode().strip()}, committed)"
    dirty = git("status", "--porcelain", "magento_invoice_export").strip()
    return f"the work tree: {git('rev-parse', '--short', 'HEAD').decode().strip()}" + (
        " + uncommitted addon changes" if dirty else ""
    )


def use_committed_addon(ref):
    """Swap the harness's copy of the addon for the addon as committed at ``ref``."""
    import harness

    shutil.rmtree(harness.ADDONS_DIR / harness.ADDON)
    archive = git("archive", "--format=tar", ref, harness.ADDON)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(harness.ADDONS_DIR, filter="data")


def start(args):
    """The shop and its orders, the proxy, and Odoo installed, set up and importing."""
    from fault_proxy import FaultProxy
    from harness import Odoo, ensure_role, timed

    if args.addon_ref:
        use_committed_addon(args.addon_ref)
    shop = make_shop(args)
    credentials = json.loads(Path(args.keys).read_text())
    proxy = FaultProxy(args.url).start() if is_local(args.url) and args.url.startswith("http:") else None
    if not is_local(args.url):
        reach(urlsplit(args.url).hostname)
    ensure_role()
    odoo = Odoo("e2e", args.odoo_path)
    run = Run(args, shop, odoo, proxy)
    run.orders = timed("orders in Magento", make_orders, shop)
    timed("install", odoo.install, "magento_invoice_export,queue_job")
    url = proxy.url if proxy else args.url
    keys = {key: credentials[key] for key in ("consumer_key", "consumer_secret", "access_token", "access_token_secret")}
    triggers = in_odoo(odoo, "odoo_setup", url=url, credentials=keys, products=odoo_products(), timeout=args.timeout)
    print(f"  instance on {url}, triggers {triggers}", flush=True)
    imported = in_odoo(odoo, "odoo_import", refs=[order["increment_id"] for order in run.orders.values()])
    print(f"  import: {imported['summary']}", flush=True)
    run.notes += [f"import: {problem}" for problem in imported["problems"]]
    run.sale_orders = imported["orders"]
    return run


def matrix_alone(args):
    """The money matrix alone, on the real Magento or on a double in this process."""
    import money_matrix
    from harness import Odoo, ensure_role, timed

    if args.addon_ref:
        use_committed_addon(args.addon_ref)
    ensure_role()
    odoo = Odoo("e2e", args.odoo_path)
    shop = None
    try:
        if args.double:
            shop = money_matrix.DoubleShop()
            url, keys, target = shop.url, shop.credentials, "the Magento double"
        else:
            shop = make_shop(args)
            credentials = json.loads(Path(args.keys).read_text())
            keys = {
                key: credentials[key]
                for key in ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
            }
            url, target = args.url, f"the real Magento at {args.url}"
            if not is_local(args.url):
                reach(urlsplit(args.url).hostname)
        timed("install", odoo.install, "magento_invoice_export,queue_job")
        section = "double" if args.double else "real"
        state = source_state(args.addon_ref)
        return money_matrix.run(odoo, shop, url, keys, args.timeout, target, args.matrix_doc, section, state)
    finally:
        if args.double and shop is not None:
            shop.stop()
        odoo.cleanup()


def run_matrix(args, run):
    """The money matrix after the flows, in their Odoo and on their shop."""
    import money_matrix

    credentials = json.loads(Path(args.keys).read_text())
    keys = {key: credentials[key] for key in ("consumer_key", "consumer_secret", "access_token", "access_token_secret")}
    target = f"the real Magento at {args.url}"
    state = source_state(args.addon_ref)
    return money_matrix.run(run.odoo, run.shop, args.url, keys, args.timeout, target, args.matrix_doc, "real", state)


def main():
    args = parse_args()
    # A stopped run still sets back the Magento settings a matrix window changed (finally clauses).
    signal.signal(signal.SIGTERM, lambda *_args: sys.exit(143))
    started = time.monotonic()
    if args.double:
        print(f"e2e: the money matrix against a Magento double, the addon of {source_state(args.addon_ref)}")
        code = matrix_alone(args)
        print(f"elapsed: {time.monotonic() - started:.0f} s")
        return code
    refuse_remote(args)
    print(f"e2e: against {args.url}, the addon of {source_state(args.addon_ref)}", flush=True)
    if args.matrix_only:
        code = matrix_alone(args)
        print(f"elapsed: {time.monotonic() - started:.0f} s")
        return code
    run = None
    try:
        run = start(args)
        run_flows(run)
        code = report(run)
        if args.matrix:
            code = run_matrix(args, run) or code
        print(f"elapsed: {time.monotonic() - started:.0f} s")
        return code
    finally:
        if run is not None:
            if run.proxy is not None:
                run.proxy.stop()
            run.odoo.cleanup()


if __name__ == "__main__":
    sys.exit(main())
