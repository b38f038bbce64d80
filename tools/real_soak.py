"""The soak run on a real Magento (``tools/soak.sh --real``): invoices and credit
notes of fresh guest orders made in that Magento, exported through
tools/fault_proxy.py in front of it (answers dropped after Magento processed
the request, connection resets, 500 pages, slow answers, answers held past
Odoo's timeout), Odoo killed with SIGKILL once mid-run and two runs at once;
then runs without faults until every document is exported, and the check,
read from Magento's own REST API: no Odoo document twice in Magento (its
comment on two documents), no lost id (an Odoo document without its Magento
id while Magento holds its comment), every Magento document of these orders
traced to its Odoo document by its comment.

It CREATES ORDERS, INVOICES AND CREDIT MEMOS in that Magento, which must be on
this machine (REAL_MAGENTO_*, see tools/real_shop.py). Run through
tools/soak.sh --real (which provides the environment and PostgreSQL).
"""

import argparse
import json
import sys
import tempfile
import time
from collections import Counter

from fault_proxy import FaultProxy
from harness import ADDON, Odoo, ensure_role, timed, wait_result
from real_shop import RealTarget, load, make_orders, order_file, php_workers, use_addon
from soak import CHECK, EXPORT

INSTANCE = "Real Magento"
POSTS = "/(invoice|refund)$"

MAKE = """
import json, scenario, real_scenario
instance = scenario.setup_instance(env, {url!r}, {credentials!r}, concurrency={in_flight}, grace={grace}, name={name!r})
instance.write({{"timeout": {timeout}, "store_code": {store!r}}})
print("RESULT:" + json.dumps(real_scenario.make_partial_invoices(env, instance, {orders!r}, {per_order})))
"""

NOTES = """
import real_scenario
print("RESULT:" + str(real_scenario.make_credit_notes(env, {ids!r})))
"""


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("odoo_path")
    parser.add_argument("--real", action="store_true", help="(how tools/soak.sh picks this run)")
    parser.add_argument("--invoices", type=int, default=200)
    parser.add_argument("--credit-notes", type=int, default=50, help="one per order, of its first invoice")
    parser.add_argument("--per-order", type=int, default=4, help="partial invoices per Magento order")
    parser.add_argument("--fault-rate", type=float, default=0.2, help="share of POSTs the proxy breaks")
    parser.add_argument("--holds", type=int, default=3, help="POSTs whose answer is held past Odoo's timeout")
    parser.add_argument("--kill-at", type=float, default=0.4, help="kill Odoo after this share of the posts")
    parser.add_argument("--in-flight", type=int, default=8)
    parser.add_argument("--timeout", type=int, default=10, help="the instance's request timeout, seconds")
    parser.add_argument("--grace", type=int, default=30, help="seconds before a lost request is posted again")
    parser.add_argument("--order-minutes", type=float, default=6, help="limit for making the orders")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--addon-ref", help="run the addon as committed there (e.g. HEAD), not the work tree's")
    args = parser.parse_args()
    if args.credit_notes > -(-args.invoices // args.per_order):
        parser.error("at most one credit note per order")
    return args


def prepare(odoo, target, proxy, args, folder):
    """Orders in Magento, their invoices and credit notes posted in Odoo. Returns
    (orders, invoice count, credit note count)."""
    count = -(-args.invoices // args.per_order)
    limit = args.order_minutes * 60
    orders = timed(f"make {count} orders in Magento", make_orders, target, args.per_order, count, limit)
    made = MAKE.format(
        url=proxy.url,
        credentials=target.credentials,
        in_flight=args.in_flight,
        grace=args.grace,
        name=INSTANCE,
        timeout=args.timeout,
        store=target.store,
        orders=order_file(orders, folder),
        per_order=args.per_order,
    )
    invoice_ids = timed("post the invoices in Odoo", odoo.shell, made)
    # The first invoices of the orders come first: one credit note per order.
    notes = odoo.shell(NOTES.format(ids=invoice_ids[: args.credit_notes]))
    print(f"  {len(invoice_ids)} invoices of {count} Magento orders, {notes} credit notes", flush=True)
    return orders, len(invoice_ids), notes


def faults_on(proxy, args):
    # Explicit faults come before the chaos: the first POSTs wait past the timeout
    # while Magento has done them.
    proxy.inject("hold", method="POST", path=POSTS, times=args.holds, seconds=args.timeout + 5)
    kinds = ["drop_after", "reset", "error", "slow"]
    proxy.chaos(args.fault_rate, seed=args.seed, kinds=kinds, method="POST", path=POSTS, seconds=2, status=500)


def wait_forwarded(proxy, process, count, timeout):
    """Until the proxy forwarded ``count`` requests, the run ended, or ``timeout`` passed."""
    deadline = time.monotonic() + timeout
    while proxy.state()["counts"].get("forwarded", 0) < count and time.monotonic() < deadline:
        if process.poll() is not None:
            return
        time.sleep(0.05)


def faulty_runs(odoo, proxy, args, invoices):
    """Run 1 killed mid-way, runs 2 and 3 at once, run 4: all under faults."""
    process = odoo.shell_popen(EXPORT.format(respect=True))
    wait_forwarded(proxy, process, int(invoices * args.kill_at), 600)
    process.kill()  # SIGKILL: no cleanup, no last commit
    process.communicate()
    print(f"  run 1: Odoo killed after {proxy.state()['counts'].get('forwarded', 0)} requests reached Magento")
    first, second = (odoo.shell_popen(EXPORT.format(respect=True)) for _ in range(2))
    print(f"  runs 2+3 (concurrent): {wait_result(first)} / {wait_result(second)}", flush=True)
    print(f"  run 4: {odoo.shell(EXPORT.format(respect=True))}", flush=True)


def finish(odoo, proxy, args, limit_seconds=900, max_runs=15):
    """Faults off, runs until every document has its Magento id (lost answers
    wait out the grace period), bounded in runs and time. Returns the last check."""
    proxy.clear()
    deadline = time.monotonic() + limit_seconds
    for number in range(5, 5 + max_runs):
        result = odoo.shell(EXPORT.format(respect=False))
        check = odoo.shell(CHECK)
        print(f"  run {number} (no faults): {result}, {len(check['lost'])} without their Magento id", flush=True)
        if not check["lost"] or time.monotonic() > deadline:
            return check
        time.sleep(min(10, args.grace))
    return check


def magento_documents(target, orders):
    """What Magento's own REST API holds for ``orders``, read directly (not through
    the proxy): {"out_invoice": [...], "out_refund": [...]}."""
    client = target.client()
    held = {"out_invoice": [], "out_refund": []}
    for order in orders:
        held["out_invoice"] += client.get_order_invoices(order["entity_id"])
        held["out_refund"] += client.get_order_creditmemos(order["entity_id"])
    return held


def verify(held, moves):
    """The counts the closing line prints, from Magento's documents and Odoo's."""
    comments = {kind: {doc["entity_id"]: _comments(doc) for doc in docs} for kind, docs in held.items()}
    by_comment = Counter(c for docs in comments.values() for doc_comments in docs.values() for c in doc_comments)
    odoo = {comment for comment, _id, _kind in moves}
    return {
        "duplicates": sum(n - 1 for c, n in by_comment.items() if n > 1 and c in odoo),
        "lost": [c for c, magento_id, _kind in moves if not magento_id and c in by_comment],
        "unexported": [c for c, magento_id, _kind in moves if not magento_id and c not in by_comment],
        "wrong": [c for c, magento_id, kind in moves if magento_id and c not in comments[kind].get(magento_id, ())],
        "untraced": [
            (kind, entity_id) for kind, docs in comments.items() for entity_id, cs in docs.items() if not odoo & set(cs)
        ],
    }


def _comments(document):
    return [(c.get("comment") or "").strip() for c in document.get("comments") or []]


def report(args, proxy, held, check, counts, started, expected):
    moves = check["moves"]
    kinds = Counter(kind for _c, _id, kind in moves)
    state = proxy.state()
    print()
    print(f"faults injected:             {json.dumps(state['faults'], sort_keys=True)}")
    print(f"requests through the proxy:  {json.dumps(state['counts'], sort_keys=True)}")
    print(f"Odoo invoices:               {kinds['out_invoice']}")
    print(f"Magento invoices:            {len(held['out_invoice'])}")
    print(f"Odoo credit notes:           {kinds['out_refund']}")
    print(f"Magento credit memos:        {len(held['out_refund'])}")
    print(f"adopted after a lost answer: {check['adopted']}")
    print(f"deferred within grace:       {check['deferred']}")
    for label in ("lost", "unexported", "wrong", "untraced"):
        for item in counts[label][:20]:
            print(f"  {label}: {item}")
    print(f"elapsed:                     {time.monotonic() - started:.0f} s")
    ok = (
        not any(counts[label] for label in ("duplicates", "lost", "unexported", "wrong", "untraced"))
        and (kinds["out_invoice"], kinds["out_refund"]) == expected
        and (len(held["out_invoice"]), len(held["out_refund"])) == expected
    )
    print(
        f"soak --real: {'PASSED' if ok else 'FAILED'}: {kinds['out_invoice']} invoices, {kinds['out_refund']} "
        f"credit notes, {sum(state['faults'].values())} faults injected and Odoo killed once, "
        f"{counts['duplicates']} duplicates, "
        f"{len(counts['lost'])} lost ids, {len(counts['untraced'])} untraced, {len(counts['wrong'])} ids on the "
        f"wrong document, {len(counts['unexported'])} not exported"
    )
    return 0 if ok else 1


def main():
    args = parse_args()
    target = RealTarget()
    source = use_addon(args.addon_ref)
    started = time.monotonic()
    ensure_role()
    odoo = Odoo("soak", args.odoo_path)
    proxy = FaultProxy(target.url).start()
    try:
        print(
            f"Soak on the real Magento {target.url} (PHP_CLI_SERVER_WORKERS={php_workers(target)}) through "
            f"{proxy.url}: {args.invoices} invoices, {args.credit_notes} credit notes, {args.fault_rate:.0%} "
            f"faults, Odoo killed once; {source}; {load()}",
            flush=True,
        )
        timed("install", odoo.install, ADDON)
        with tempfile.TemporaryDirectory() as folder:
            orders, invoices, notes = prepare(odoo, target, proxy, args, folder)
        faults_on(proxy, args)
        faulty_runs(odoo, proxy, args, invoices)
        check = finish(odoo, proxy, args)
        held = magento_documents(target, orders)
        print(f"  read from Magento: {len(orders)} orders; {load()}", flush=True)
        return report(args, proxy, held, check, verify(held, check["moves"]), started, (invoices, notes))
    finally:
        proxy.stop()
        odoo.cleanup()


if __name__ == "__main__":
    sys.exit(main())
