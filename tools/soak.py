"""Soak run: N invoices and a credit note for every 5th of them exported while
the double injects random faults, with Odoo killed once mid-run; then check that
Magento holds exactly one invoice per Odoo invoice and one credit memo per Odoo
credit note, and that every Odoo document knows its Magento id.

With ``--queue-job``, the exports are queued from the Operations screen as OCA
queue_job jobs (one per instance and batch) and run by an Odoo server with two
workers, under the same faults, instead of the killed and concurrent runs.

Run through tools/soak.sh (which provides the environment and PostgreSQL).
"""

import argparse
import json
import random
import sys
import tempfile
import time
from collections import Counter

from harness import ADDON, DoubleProcess, Odoo, ensure_role, timed, wait_result

EXPORT = """
import json
instances = env["magento.instance"].search([])
logs = env["magento.invoice.exporter"]._export_invoices(instances, respect_attempts={respect})
print("RESULT:" + json.dumps({{"exported": sum(logs.mapped("exported_count")),
    "failed": sum(logs.mapped("failed_count")), "skipped": sum(logs.mapped("skipped_count"))}}))
"""

QUEUE = """
import json
instances = env["magento.instance"].search([])
logs = env["magento.invoice.exporter"]._export_from_screen(instances)
env.cr.commit()
print("RESULT:" + json.dumps({"logs": len(logs), "states": sorted(set(logs.mapped("state")))}))
"""

JOBS = """
import json
jobs = env["queue.job"].sudo().search([("channel", "=", "root.magento")])
left = jobs.filtered(lambda job: job.state in ("pending", "enqueued", "started"))
spans = sorted((job.date_started, job.date_done) for job in jobs if job.date_started and job.date_done)
at_once = max((sum(1 for s, d in spans if s <= start < d) for start, _done in spans), default=0)
failed = jobs.filtered(lambda job: job.state == "failed")
print("RESULT:" + json.dumps({"jobs": len(jobs), "left": len(left), "failed": len(failed), "at_once": at_once}))
"""

CHECK = """
import json
moves = env["account.move"].search([("magento_instance_id", "!=", False)])
adopted = env["magento.process.log.line"].search_count([("message", "ilike", "created by an earlier attempt")])
deferred = env["magento.process.log.line"].search_count([("message", "ilike", "may still be running there")])
lost = [
    {"name": m.name, "order": m.magento_sale_order_id.magento_order_id,
     "sent_at": str(m.magento_export_sent_at or ""), "attempts": m.magento_export_attempts,
     "log": [f"{line.create_date} {line.level} {line.message}" for line in m.magento_log_line_ids.sorted("id")]}
    for m in moves.filtered(lambda m: not m.magento_invoice_id)
]
print("RESULT:" + json.dumps({"moves": [[m._magento_comment(), m.magento_invoice_id, m.move_type] for m in moves],
    "adopted": adopted, "deferred": deferred, "lost": lost}))
"""


def order_specs(count, seed):
    rng = random.Random(seed)
    specs = []
    for index in range(count):
        items = [{"sku": "24-MB01", "name": "Joust Duffle Bag", "qty": rng.randint(2, 4), "price": 34}]
        if index % 3 == 0:
            items.append(
                {
                    "sku": "MH01",
                    "child_sku": "MH01-XS-Black",
                    "name": "Chaz Kangeroo Hoodie",
                    "type": "configurable",
                    "qty": 2,
                    "price": 52,
                }
            )
        specs.append({"items": items, "payment_method": "checkmo"})
    return specs


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("odoo_path")
    parser.add_argument("--invoices", type=int, default=1000)
    parser.add_argument("--fault-rate", type=float, default=0.2)
    parser.add_argument("--kill-at", type=float, default=0.4, help="kill Odoo after this share of the posts")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--credit-note-every", type=int, default=5, help="a credit note for every Nth invoice")
    parser.add_argument("--queue-job", action="store_true", help="run the exports as queue_job jobs on 2 workers")
    args = parser.parse_args()

    started = time.monotonic()
    ensure_role()
    odoo = Odoo("soak", args.odoo_path)
    double = DoubleProcess()
    try:
        mode = "queue_job jobs on two workers" if args.queue_job else "Odoo killed once"
        print(f"Soak: {args.invoices} invoices, {args.fault_rate:.0%} random faults, {mode}", flush=True)
        timed("install", odoo.install, "magento_invoice_export,queue_job" if args.queue_job else ADDON)
        # Every 10th order is invoiced in two partial invoices: N invoices from fewer orders.
        partial_every = 10
        order_count = args.invoices * partial_every // (partial_every + 1)
        while order_count + len(range(0, order_count, partial_every)) < args.invoices:
            order_count += 1
        orders = double.add_orders(order_specs(order_count, args.seed))
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(orders, handle)
        count = timed(
            "make invoices",
            odoo.shell,
            f"""
import scenario
instance = scenario.setup_instance(env, {double.url!r}, {double.credentials!r}, grace=5)
print("RESULT:" + str(scenario.make_invoices(env, instance, {handle.name!r}, partial_every={partial_every})))
""",
        )
        notes = odoo.shell(
            f"""
import scenario
print("RESULT:" + str(scenario.make_credit_notes(env, {args.credit_note_every})))
"""
        )
        print(f"  {count} posted invoices from {order_count} Magento orders, {notes} credit notes", flush=True)

        kinds = ["drop_after", "error_after", "drop", "html", "error", "malformed"]
        double.control("chaos", {"rate": args.fault_rate, "kinds": kinds, "seed": args.seed})
        runs = []

        if args.queue_job:
            # 1-2. Queued from the Operations screen; two workers run the jobs.
            server = odoo.serve_jobs(workers=2)
            try:
                print(f"  queued: {odoo.shell(QUEUE)}", flush=True)
                deadline = time.monotonic() + 900
                while (jobs := odoo.shell(JOBS))["left"]:
                    print(f"  jobs: {jobs}", flush=True)
                    if time.monotonic() > deadline:
                        print("soak: FAILED (jobs still left after 15 minutes)")
                        return 1
                    time.sleep(2)
                print(f"  jobs done: {jobs}", flush=True)
            finally:
                server.terminate()
                server.wait(30)
            runs.append(jobs)
        else:
            # 1. A run killed mid-way (SIGKILL: no cleanup, no last commit).
            process = odoo.shell_popen(EXPORT.format(respect=True))
            double.control(f"wait?posts={int(count * args.kill_at)}&timeout=600", timeout=700)
            process.kill()
            process.communicate()
            double.control("idle")
            killed_at = double.control("state")["invoice_posts"]
            print(f"  run 1: Odoo killed after {killed_at} invoice requests", flush=True)

            # 2. Two runs at once (two Odoo workers), still under faults.
            first, second = (odoo.shell_popen(EXPORT.format(respect=True)) for _ in range(2))
            runs += [wait_result(first), wait_result(second)]
            print(f"  runs 2+3 (concurrent): {runs[-2]} / {runs[-1]}", flush=True)

        # 3. A few more scheduled-style runs under faults.
        for number in (4, 5):
            runs.append(odoo.shell(EXPORT.format(respect=True)))
            print(f"  run {number}: {runs[-1]}", flush=True)

        # 4. Faults off: what is left (skipped after three attempts included) goes,
        # as a person pressing the button would send it.
        double.control("clear", {})
        double.control("idle")
        odoo.shell(
            'env["ir.config_parameter"].set_param("magento_invoice_export.lost_answer_grace_seconds", 0)\n'
            'env.cr.commit()\nprint("RESULT:true")'
        )
        for number in (6, 7):
            runs.append(odoo.shell(EXPORT.format(respect=False)))
            print(f"  run {number} (no faults): {runs[-1]}", flush=True)

        check = odoo.shell(CHECK)
        state = double.control("state")
        documents = {"out_invoice": state["invoices"], "out_refund": state["creditmemos"]}
        by_comment = Counter(c for held in documents.values() for doc in held for c in doc["comments"])
        magento_ids = {kind: {d["entity_id"]: d["comments"] for d in held} for kind, held in documents.items()}
        moves = check["moves"]
        duplicates = sum(n - 1 for n in by_comment.values() if n > 1)
        lost = [name for name, magento_id, _kind in moves if not magento_id]
        mismatched = [
            name for name, magento_id, kind in moves if magento_id and magento_ids[kind].get(magento_id) != [name]
        ]
        known = {name for name, _id, _kind in moves}
        orphans = [c for c in by_comment if c not in known]
        # A document no Odoo request named (e.g. made from a request without its body) is one too.
        orphans += [doc["entity_id"] for held in documents.values() for doc in held if not doc["comments"]]
        note_count = sum(1 for _name, _id, kind in moves if kind == "out_refund")
        print()
        print(f"faults injected:            {json.dumps(state['faults'], sort_keys=True)}")
        print(f"invoice requests to Magento: {state['invoice_posts']}")
        print(f"refund requests to Magento:  {state['refund_posts']}")
        print(f"Odoo invoices:               {len(moves) - note_count}")
        print(f"Magento invoices:            {len(state['invoices'])}")
        print(f"Odoo credit notes:           {note_count}")
        print(f"Magento credit memos:        {len(state['creditmemos'])}")
        print(f"adopted after a lost answer: {check['adopted']}")
        print(f"deferred within grace:       {check['deferred']}")
        print(f"duplicates:                  {duplicates}")
        print(f"lost ids:                    {len(lost)}")
        for move in check["lost"]:
            # What the document went through, to tell why.
            print(f"  {move['name']}: marked {move['sent_at'] or 'no'}, {move['attempts']} attempts")
            for line in move["log"]:
                print(f"    {line}")
            # And what the double saw of its order.
            for seen in double.control(f"requests?about=/order/{move['order']}/"):
                print(f"    double: {seen}")
            for seen in double.control(f"requests?about=%22{move['order']}%22"):
                print(f"    double: {seen}")
        print(f"ids on the wrong invoice:    {len(mismatched)}")
        print(f"Magento invoices unknown to Odoo: {len(orphans)}")
        print(f"elapsed:                     {time.monotonic() - started:.0f} s")
        ok = (
            not duplicates
            and not lost
            and not mismatched
            and not orphans
            and len(state["invoices"]) + len(state["creditmemos"]) == len(moves)
            and note_count == notes
        )
        print("soak: PASSED" if ok else "soak: FAILED")
        return 0 if ok else 1
    finally:
        double.stop()
        odoo.cleanup()


if __name__ == "__main__":
    sys.exit(main())
