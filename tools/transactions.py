"""The export and the caller's transaction, with real commits (the Odoo test
suite runs in one transaction that is never committed, so it cannot show this).

A server action or an automation calls the export amid changes of its own:
the export's per-invoice commits must not commit them, and the export must
follow the caller's fate (run once it commits, not at all if it rolls back).
A caller without changes of its own is exported at once, each outcome
committed even if the caller then rolls back.

Two runs at once: Odoo's transactions are REPEATABLE READ, so a run reads
what its transaction's snapshot shows. An invoice it locks just after another
run let it go (that run's request created it in Magento, the answer was lost,
the outcome-unknown mark committed) must be read as that run left it: marked,
so it is looked up in Magento and linked, never posted again or unmarked.

Run through tools/test.sh (or ``pg_virtualenv -t python tools/transactions.py ODOO``).
Prints ``transactions: N passed, M failed``.
"""

import json
import sys
import tempfile

from harness import DoubleProcess, Odoo, ensure_role

CALL = """
move = env["account.move"].search([("magento_export_state", "=", "to_export")], order="id", limit=1)
env["res.partner"].create({{"name": {partner!r}}}) if {partner!r} else None
move.action_magento_export_selected()
env.cr.{end}()
print("RESULT:" + str(move.id))
"""

# Another run exports the last invoice but one (its answer lost) between this run's
# first read and its lock on that invoice; batches of two, so that the invoice
# after it shares its batch.
STALE = """
import json, urllib.request
from odoo import api
from odoo.addons.magento_invoice_export.export import const as module
module.BATCH_SIZE = module.EDGE_BATCH_SIZE = 2
Exporter = type(env["magento.invoice.exporter"])
moves = env["account.move"].search([("magento_export_state", "=", "to_export")], order="id")
target = moves[-2]  # the last batch: it and the invoice after it
real_lock = Exporter._lock

def lock(self, batch):
    if target in batch:
        Exporter._lock = real_lock
        self.env.cr.execute("SELECT 1")  # this run's snapshot: from now on
        path = f"/order/{{target.magento_sale_order_id.magento_order_id}}/invoice$"
        fault = {{"kind": "drop_after", "method": "POST", "path": path}}
        request = urllib.request.Request({url!r} + "/__double__/faults", data=json.dumps(fault).encode(), method="POST")
        urllib.request.urlopen(request, timeout=10).read()
        with self.env.registry.cursor() as cr:
            other = api.Environment(cr, self.env.uid, {{}})
            instance, invoice = target.magento_instance_id.with_env(other), target.with_env(other)
            other["magento.invoice.exporter"]._export_invoices(instance, invoice)
    return real_lock(self, batch)

Exporter._lock = lock
env["magento.invoice.exporter"]._export_invoices(moves.magento_instance_id, moves)
env.cr.commit()
# What the next run makes of it.
env["magento.invoice.exporter"]._export_invoices(moves.magento_instance_id, moves)
env.cr.commit()
print("RESULT:" + json.dumps({{"other_run_lost_answer": bool(target.magento_export_attempts) or None,
    "magento_invoice_id": target.magento_invoice_id, "marked": bool(target.magento_export_sent_at),
    "all_exported": all(moves.mapped("magento_invoice_id")),
    "log": [l.message for l in env["magento.process.log.line"].search([("move_id", "=", target.id)], order="id")]}}))
"""

STATE = """
import json
move = env["account.move"].browse({move_id})
print("RESULT:" + json.dumps({{"partner": env["res.partner"].search_count([("name", "=", {partner!r})]),
    "magento_invoice_id": move.magento_invoice_id}}))
"""


def main():
    odoo_path = sys.argv[1]
    ensure_role()
    odoo = Odoo("transactions", odoo_path)
    double = DoubleProcess()
    results = []
    try:
        odoo.install()
        orders = double.add_orders(
            [{"items": [{"sku": "24-MB01", "name": "Joust Duffle Bag", "qty": 2, "price": 34}]} for _ in range(7)]
        )
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(orders, handle)
        odoo.shell(
            f"""
import scenario
instance = scenario.setup_instance(env, {double.url!r}, {double.credentials!r}, grace=0)
print("RESULT:" + str(scenario.make_invoices(env, instance, {handle.name!r})))
"""
        )
        cases = [
            # (what, the caller's own change, how it ends, partner kept, exported)
            ("amid changes, rolled back: neither its changes nor the export", "Caller change A", "rollback", 0, False),
            ("amid changes, committed: both, the export after the commit", "Caller change B", "commit", 1, True),
            ("without changes, rolled back: the export's commits are its own", "", "rollback", 0, True),
        ]
        for what, partner, end, partner_kept, exported in cases:
            move_id = odoo.shell(CALL.format(partner=partner, end=end))
            state = odoo.shell(STATE.format(move_id=move_id, partner=partner or "-"))
            ok = state["partner"] == partner_kept and bool(state["magento_invoice_id"]) == exported
            results.append(ok)
            print(f"  {'ok  ' if ok else 'FAIL'} {what}: {state}", flush=True)
        state = odoo.shell(STALE.format(url=double.url))
        invoices = [i for i in double.control("state")["invoices"] if any("[" in c for c in i["comments"])]
        ok = (
            state["other_run_lost_answer"]
            and state["all_exported"]
            and len(invoices) == len({c for i in invoices for c in i["comments"]})
        )
        results.append(ok)
        print(f"  {'ok  ' if ok else 'FAIL'} an invoice another run left marked, read after the lock: {state}")
    finally:
        double.stop()
        odoo.cleanup()
    passed = sum(results)
    print(f"transactions: {passed} passed, {len(results) - passed} failed")
    return 0 if results and all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
