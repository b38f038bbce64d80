"""The benchmark on a real Magento (``tools/bench.sh --real``): the addon's bulk
export against the same signed POSTs sent by a bare client (the addon's own
``magento_client`` in plain Python, no Odoo), with the same number of requests
in flight, on fresh orders of the same shape for each side, in one run; and
Magento's own time per invoice, the bare client posting one at a time.

Each order carries several partial invoices (real orders are slow to make):
both sides post the invoices of one order one after the other, different
orders in parallel. The bare client runs in two halves, before and after the
addon, so that a Magento slowing down (or the machine's other work) weighs on
both sides alike.

It CREATES ORDERS AND INVOICES in that Magento, which must be on this machine
(REAL_MAGENTO_*, see tools/real_shop.py). Run through tools/bench.sh --real
(which provides the environment and PostgreSQL).
"""

import argparse
import os
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from harness import ADDON, Odoo, ensure_role, timed
from proc_stats import Sample
from real_shop import RealTarget, load, make_orders, order_file, php_workers, use_addon

INSTANCE = "Real Magento bench"
MAGENTO_ROOT = "/opt/magento246"  # where the PHP server's pid file is, unless REAL_MAGENTO_ROOT says

# Timed inside Odoo: the export only, not the shell's start.
EXPORT = """
import json, time, proc_stats
instance = env["magento.instance"].search([("name", "=", {name!r})])
sample = proc_stats.Sample({root!r})
cpu, queries, start = time.process_time(), env.cr.sql_log_count, time.monotonic()
log = env["magento.invoice.exporter"]._export_invoices(instance, documents=("invoice",))
result = {{"seconds": time.monotonic() - start, "invoices": log.exported_count, "failed": log.failed_count,
    "odoo_cpu": time.process_time() - cpu, "queries": env.cr.sql_log_count - queries}}
print("RESULT:" + json.dumps({{**result, **sample.stop()}}))
"""

MAKE = """
import json, scenario, real_scenario
instance = scenario.setup_instance(env, {url!r}, {credentials!r}, concurrency={in_flight}, name={name!r})
instance.write({{"timeout": {timeout}, "store_code": {store!r}}})
print("RESULT:" + json.dumps(len(real_scenario.make_partial_invoices(env, instance, {orders!r}, {per_order}))))
"""


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("odoo_path")
    parser.add_argument("--real", action="store_true", help="(how tools/bench.sh picks this run)")
    parser.add_argument("--invoices", type=int, default=200, help="invoices per side (the bare one in two halves)")
    parser.add_argument("--per-order", type=int, default=4, help="partial invoices per Magento order")
    parser.add_argument("--in-flight", type=int, default=8, help="requests in flight, both sides")
    parser.add_argument("--sequential", type=int, default=20, help="bare POSTs timed one at a time")
    parser.add_argument("--timeout", type=int, default=30, help="the request timeout, seconds, both sides")
    parser.add_argument("--order-minutes", type=float, default=8, help="limit for making the orders")
    parser.add_argument("--addon-ref", help="run the addon as committed there (e.g. HEAD), not the work tree's")
    args = parser.parse_args()
    # Whole orders on each side.
    args.invoices -= args.invoices % args.per_order
    args.sequential -= args.sequential % args.per_order
    return args


def bare_items(order, per_order):
    """What the addon sends for one of the order's equal partial invoices: each
    item but a configurable's child, its share of the quantity."""
    items = (item for item in order["items"] if not item.get("parent_item_id"))
    return [(item["item_id"], item["qty_ordered"] // per_order) for item in items]


def bare_run(target, orders, per_order, in_flight, timeout):
    """POST the ``per_order`` invoices of each order one after the other, the
    orders ``in_flight`` at a time, each thread with a client of its own (as the
    addon's workers). Returns the figures (seconds, invoices, busy, php_cpu)."""
    local = threading.local()

    def post(order):
        if not hasattr(local, "client"):
            local.client = target.client(timeout=timeout)
        items = bare_items(order, per_order)
        for number in range(per_order):
            comment = f"Odoo invoice BENCH/{order['increment_id']}-{number} [bench-{order['entity_id']}-{number}]"
            local.client.create_invoice(order["entity_id"], items, comment=comment)
        return per_order

    sample = Sample(target.root or MAGENTO_ROOT)
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=in_flight) as pool:
        count = sum(pool.map(post, orders))
    return {"seconds": time.monotonic() - start, "invoices": count, **sample.stop()}


def addon_run(odoo, target):
    """The addon's bulk export of the instance's invoices, timed inside Odoo. Returns its figures."""
    result = odoo.shell(EXPORT.format(name=INSTANCE, root=target.root or MAGENTO_ROOT))
    if result["failed"]:
        raise RuntimeError(f"the addon's export failed some invoices: {result}")
    return result


def prepare(odoo, target, args, folder):
    """Fresh orders for each side; the addon's invoiced and posted in Odoo. Returns (bare, sequential)."""
    side = args.invoices // args.per_order
    count = 2 * side + args.sequential // args.per_order
    limit = args.order_minutes * 60
    orders = timed(f"make {count} orders in Magento", make_orders, target, args.per_order, count, limit)
    made = MAKE.format(
        url=target.url,
        credentials=target.credentials,
        in_flight=args.in_flight,
        name=INSTANCE,
        timeout=args.timeout,
        store=target.store,
        orders=order_file(orders[:side], folder),
        per_order=args.per_order,
    )
    posted = timed(f"post {args.invoices} invoices in Odoo", odoo.shell, made)
    assert posted == args.invoices, (posted, args.invoices)
    return orders[side : 2 * side], orders[2 * side :]


def measure(odoo, target, args, bare, sequential):
    """The timed parts, each followed by the load it ran under. Returns the figures."""
    half = len(bare) // 2
    flight, per_order, timeout = args.in_flight, args.per_order, args.timeout

    def part(label, function, *arguments):
        result = timed(label, function, *arguments)
        print(f"    {load()}", flush=True)
        return result

    figures = {"sequential": part("bare client, one at a time", bare_run, target, sequential, per_order, 1, timeout)}
    first = part(f"bare, {flight} in flight, 1st half", bare_run, target, bare[:half], per_order, flight, timeout)
    figures["addon"] = part(f"the addon's export, {flight} in flight", addon_run, odoo, target)
    second = part(f"bare, {flight} in flight, 2nd half", bare_run, target, bare[half:], per_order, flight, timeout)
    figures["bare"] = _sum(first, second)
    return figures


def _sum(first, second):
    """Two parts as one: times and counts added, the busy share weighted by time."""
    seconds = first["seconds"] + second["seconds"]
    busy = (first["busy"] * first["seconds"] + second["busy"] * second["seconds"]) / seconds
    php = None if None in (first["php_cpu"], second["php_cpu"]) else first["php_cpu"] + second["php_cpu"]
    return {"seconds": seconds, "invoices": first["invoices"] + second["invoices"], "busy": busy, "php_cpu": php}


def _line(label, figures):
    rate = figures["invoices"] / figures["seconds"]
    php = figures["php_cpu"]
    php_text = "?" if php is None else f"{php * 1000 / figures['invoices']:.0f} ms"
    text = (
        f"{label:22s} {rate:6.2f} invoices/s ({figures['invoices']} in {figures['seconds']:.1f} s); "
        f"Magento's PHP CPU {php_text} per invoice; cores {figures['busy']:.0%} busy"
    )
    if "odoo_cpu" in figures:
        count = figures["invoices"]
        text += f"; Odoo CPU {figures['odoo_cpu'] * 1000 / count:.0f} ms, {figures['queries'] / count:.1f} queries"
    print(text)
    return rate


def report(target, args, figures):
    workers = php_workers(target)
    print()
    print(f"Magento {target.url}, PHP_CLI_SERVER_WORKERS={workers}, on {os.cpu_count()} cores shared with Odoo")
    sequential = figures["sequential"]
    sequential_ms = sequential["seconds"] * 1000 / sequential["invoices"]
    _line("bare, one at a time:", sequential)
    bare_rate = _line(f"bare, {args.in_flight} in flight:", figures["bare"])
    addon_rate = _line(f"addon, {args.in_flight} in flight:", figures["addon"])
    print(
        f"bench --real: addon {addon_rate:.2f}/s, bare client {bare_rate:.2f}/s = {addon_rate / bare_rate:.0%} "
        f"(target 90%); Magento {sequential_ms:.0f} ms per invoice one at a time; PHP_CLI_SERVER_WORKERS={workers}; "
        f"{args.in_flight} in flight"
    )


def main():
    args = parse_args()
    target = RealTarget()
    source = use_addon(args.addon_ref)
    ensure_role()
    odoo = Odoo("bench", args.odoo_path)
    try:
        print(f"Benchmark on the real Magento {target.url}: {source}; {load()}", flush=True)
        timed("install", odoo.install, ADDON)
        with tempfile.TemporaryDirectory() as folder:
            bare, sequential = prepare(odoo, target, args, folder)
        report(target, args, measure(odoo, target, args, bare, sequential))
        return 0
    finally:
        odoo.cleanup()


if __name__ == "__main__":
    sys.exit(main())
