"""The demo: a throwaway PostgreSQL, the Magento double seeded with orders, and
Odoo 18.0 with this addon and demo data on http://localhost:8069.

Run through tools/demo.sh. Ctrl-C stops everything (the database goes too).
"""

import argparse
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

from harness import DoubleProcess, Odoo, ensure_role, offline_env

ORDER = '{"items": [{"sku": "24-MB01", "name": "Joust Duffle Bag", "qty": 1, "price": 34}]}'
FAULT = '{"kind": "error", "status": 500, "method": "POST"}'


def wait_for_http(url, process, timeout=180):
    """Wait until Odoo answers (it has no readiness event to await)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("Odoo stopped while starting; see its output above.")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    raise RuntimeError(f"Odoo did not answer at {url} within {timeout} s.")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("odoo_path")
    parser.add_argument("--port", type=int, default=8069, help="Odoo's HTTP port")
    parser.add_argument("--magento-port", type=int, default=8080, help="the Magento double's port")
    args = parser.parse_args()

    ensure_role()
    odoo = Odoo("magento_demo", args.odoo_path)
    double = DoubleProcess(seed=True, port=args.magento_port)
    server = None

    def stop(*_args):
        if server and server.poll() is None:
            server.terminate()
            try:
                server.wait(3)  # Ctrl-C ends the demo within a few seconds, whatever Odoo is doing
            except subprocess.TimeoutExpired:
                server.kill()
        double.stop()
        odoo.cleanup()
        print("\nStopped: Odoo, the Magento double and the demo database are gone.", flush=True)
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    print(f"Magento double (seeded with demo orders): {double.url}", flush=True)
    print("Installing Odoo 18.0 with this addon and demo data (a few minutes)...", flush=True)
    odoo.install(modules="magento_invoice_export", demo=True)
    invoices = odoo.shell(f"""
import json, scenario
print("RESULT:" + json.dumps(scenario.demo(env, {double.url!r}, {double.credentials!r})))
""")
    server = subprocess.Popen(
        odoo.args() + [f"--http-port={args.port}", "--http-interface=127.0.0.1", "--log-level=warn"],
        env=offline_env(),
    )
    url = f"http://localhost:{args.port}"
    wait_for_http(f"{url}/web/login", server)
    first, note = invoices[0], invoices[-1]
    lines = "\n".join(f"    {i['invoice']:<16} order {i['order']}  {i['method']:<15} {i['status']}" for i in invoices)
    print(
        f"""
Odoo is ready: {url}   (log in as admin / admin)

Invoices and a credit note of the imported Magento orders:
{lines}

What to click:
  1. Invoicing > Customers > Invoices, open {first["invoice"]}
     ({url}/odoo/action-account.action_move_out_invoice_type/{first["id"]}),
     press "Export Invoice In Magento", then open its "Magento Info" tab.
  2. Magento > Operations: Export Invoice, Execute: the run's process log opens.
  3. Magento > Configuration > Payment Methods: change a trigger, export again.
  4. Magento > Operations: Import Orders, to import orders again (nothing duplicates).
  5. Magento > Logs > Process Logs: every run, with Magento's own messages.
  6. Magento > Credit Notes, open {note["invoice"]} (it credits one unit of {invoices[-2]["invoice"]},
     which is in Magento): press "Export Credit Memo In Magento".

The Magento double (a simulated Magento 2.4 shop, see README "The Magento double"):
  {double.url}   integration keys: {double.credentials}
  add an order:   curl -s -X POST {double.url}/__double__/orders -d '{ORDER}'
  inject a fault: curl -s -X POST {double.url}/__double__/faults -d '{FAULT}'
  what it holds:  curl -s {double.url}/__double__/state

This demo blocks every outside network access on purpose (Odoo's online
services are sent to a dead local proxy): only the double on 127.0.0.1 answers.
To try a real staging shop instead, create an instance in Magento >
Configuration > Instances of a normal Odoo with this addon (see README,
"Connect a real Magento").

Ctrl-C stops everything.
""",
        flush=True,
    )
    server.wait()
    stop()


if __name__ == "__main__":
    main()
