"""The export and the caller's transaction, with real commits (the Odoo test
suite runs in one transaction that is never committed, so it cannot show this).

A server action or an automation calls the export amid changes of its own:
the export's per-invoice commits must not commit them, and the export must
follow the caller's fate (run once it commits, not at all if it rolls back).
A caller without changes of its own is exported at once, each outcome
committed even if the caller then rolls back.

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
            [{"items": [{"sku": "24-MB01", "name": "Joust Duffle Bag", "qty": 2, "price": 34}]} for _ in range(3)]
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
    finally:
        double.stop()
        odoo.cleanup()
    passed = sum(results)
    print(f"transactions: {passed} passed, {len(results) - passed} failed")
    return 0 if results and all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
