"""Take the README's screenshots from a fresh demo (tools/demo.sh).

Drives Debian's Chromium over the DevTools protocol (websocket-client, in the
project's venv): makes a refused and a waiting invoice in the demo (JSON-RPC
and the double's fault injection), logs in as admin, opens each page at the
given screen size, waits for its content, saves a PNG under
docs/screenshots/<width>x<height>/ and reports any text the screen cuts off
(exit status 1 then). Each size wants its own fresh demo: the flow exports.

    python tools/screenshots.py --size 1366x768 [--url http://localhost:8069] [--magento http://127.0.0.1:8080]
"""

import argparse
import base64
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import websocket

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


# Visible elements whose text overflows their box (Odoo cuts list headers,
# cells and badges with an ellipsis), and lists that scroll sideways.
CUT_OFF_JS = """(() => {
  const cut = new Set();
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    return el.offsetParent && r.width > 0 && r.bottom > 0 && r.top < innerHeight && r.left < innerWidth;
  };
  const selectors = 'th, td, .badge, .o_form_label, .o_stat_text, .o_field_widget > span, '
    + '.o_menu_sections a, .o_statusbar_status button, .card-title, .o_kanban_record span';
  for (const el of document.querySelectorAll(selectors)) {
    if (!visible(el) || !el.textContent.trim()) continue;
    const style = getComputedStyle(el);
    const clips = style.textOverflow === 'ellipsis' || style.overflowX === 'hidden' || style.overflow === 'hidden';
    if (clips && el.scrollWidth > el.clientWidth + 1) {
      cut.add(el.tagName.toLowerCase() + ': ' + el.textContent.trim().replace(/\\s+/g, ' ').slice(0, 70));
    }
  }
  for (const list of document.querySelectorAll('.o_list_renderer')) {
    if (visible(list) && list.scrollWidth > list.clientWidth + 1) {
      cut.add('list wider than the screen by ' + (list.scrollWidth - list.clientWidth) + ' px');
    }
  }
  return [...cut];
})()"""


class Chromium:
    def __init__(self, width=1400, height=900):
        self.profile = tempfile.mkdtemp(prefix="mie-chromium-")
        self.process = subprocess.Popen(
            [
                shutil.which("chromium") or "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={self.profile}",
                "--remote-debugging-port=0",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stderr=subprocess.PIPE,
            text=True,
        )
        for line in self.process.stderr:  # "DevTools listening on ws://..."
            if "DevTools listening on" in line:
                browser_ws = line.split("on ", 1)[1].strip()
                break
        port = browser_ws.split(":")[2].split("/")[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
            page = next(t for t in json.load(response) if t["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60)
        self.ids = 0
        # The page gets exactly width x height (a headless window keeps some for itself).
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)

    def call(self, method, **params):
        self.ids += 1
        self.ws.send(json.dumps({"id": self.ids, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.ids:
                if "error" in message:
                    raise RuntimeError(message["error"])
                return message.get("result", {})

    def js(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        return result.get("result", {}).get("value")

    def wait_for(self, selector, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.js(f"!!document.querySelector({json.dumps(selector)})"):
                return
            time.sleep(0.25)
        raise RuntimeError(f"{selector} did not appear")

    def open(self, url, selector):
        self.call("Page.navigate", url=url)
        self.wait_for(selector)
        time.sleep(1.0)  # let the web client finish its animations

    def click(self, selector, then):
        self.js(f"document.querySelector({json.dumps(selector)}).click()")
        self.wait_for(then)
        time.sleep(1.0)

    def shoot(self, name, out=OUT):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{name}.png").write_bytes(base64.b64decode(data))
        print(f"  {out / name}.png")

    def cut_off(self):
        """Texts the screen shows cut (an ellipsis, or clipped by their box),
        and lists wider than the screen: what a reader cannot read whole."""
        return self.js(CUT_OFF_JS)

    def close(self):
        self.ws.close()
        self.process.terminate()
        self.process.wait(10)
        shutil.rmtree(self.profile, ignore_errors=True)


# Magento's refusal of an invoice for an order on hold: module-sales
# Model/InvoiceOrder.php wraps Model/Order/Validation/CanInvoice.php's words.
REFUSAL = {
    "kind": "error",
    "status": 400,
    "method": "POST",
    "body": {
        "message": "Invoice Document Validation Error(s):\nAn invoice cannot be created when an order has a status "
        "of holded"
    },
}
NEW_ORDER = {
    "items": [{"sku": "24-MB01", "name": "Joust Duffle Bag", "qty": 1, "price": 34}],
    "payment_method": "checkmo",
}


class Demo:
    """The demo's Odoo over JSON-RPC and its Magento double over HTTP."""

    def __init__(self, url, magento, db="magento_demo", login="admin", password="admin"):
        self.url, self.magento = url, magento
        self.db, self.password = db, password
        self.uid = self._rpc("common", "authenticate", db, login, password, {})

    def _rpc(self, service, method, *args):
        # JSON-RPC: XML-RPC cannot carry the None of an action's answer.
        body = {"jsonrpc": "2.0", "method": "call", "params": {"service": service, "method": method, "args": args}}
        request = urllib.request.Request(
            f"{self.url}/jsonrpc", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=120) as response:
            answer = json.load(response)
        if "error" in answer:
            raise RuntimeError(answer["error"]["data"]["message"])
        return answer["result"]

    def call(self, model, method, *args, **kwargs):
        return self._rpc("object", "execute_kw", self.db, self.uid, self.password, model, method, list(args), kwargs)

    def double(self, path, body):
        request = urllib.request.Request(f"{self.magento}{path}", data=json.dumps(body).encode(), method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    def new_invoices(self, count):
        """Orders made in the double, imported, invoiced and posted in Odoo."""
        refs = [self.double("/__double__/orders", NEW_ORDER)["increment_id"] for _index in range(count)]
        before = set(self.call("sale.order", "search", [("magento_order_id", "!=", False)]))
        wizard = self.call(
            "magento.operation.wizard", "create", {"operation": "import_orders", "order_refs": " ".join(refs)}
        )
        self.call("magento.operation.wizard", "action_execute", [wizard])
        orders = sorted(set(self.call("sale.order", "search", [("magento_order_id", "!=", False)])) - before)
        invoices = []
        for order in orders:
            context = {"active_model": "sale.order", "active_ids": [order], "active_id": order}
            make = self.call(
                "sale.advance.payment.inv", "create", {"advance_payment_method": "delivered"}, context=context
            )
            self.call("sale.advance.payment.inv", "create_invoices", [make], context=context)
            [move] = self.call("account.move", "search", [("invoice_line_ids.sale_line_ids.order_id", "=", order)])
            self.call("account.move", "action_post", [move])
            invoices.append(move)
        return invoices

    def export_meeting(self, move, fault):
        self.double("/__double__/faults", fault)
        self.call("account.move", "action_magento_export_invoice", [move])

    def first(self, domain):
        return self.call("account.move", "search", domain, order="id", limit=1)[0]


def shoot_all(browser, url, demo, out):
    """Every README screenshot, in the order a newcomer meets them."""
    app = f"{url}/odoo/action-magento_invoice_export"
    shots = {}

    def shoot(name):
        browser.shoot(name, out=out)
        shots[name] = browser.cut_off()

    invoice = demo.first([("move_type", "=", "out_invoice"), ("magento_status", "=", "to_export")])
    browser.open(f"{app}.action_magento_invoices/{invoice}", "button[name=action_magento_export_invoice]")
    shoot("2-invoice-export-button")
    browser.click("button[name=action_magento_export_invoice]", ".o_notification")
    shoot("3-exported-notification")
    browser.click(".o_notebook .nav-link[name=magento_info]", ".o_field_widget[name=magento_invoice_id]")
    browser.js("document.querySelector('.o_notebook').scrollIntoView()")
    time.sleep(0.5)
    shoot("4-magento-info-tab")
    refused, waiting = demo.new_invoices(2)
    demo.export_meeting(refused, REFUSAL)
    demo.export_meeting(waiting, {"kind": "drop", "method": "POST"})
    browser.open(f"{app}.action_magento_dashboard", ".o_kanban_record")
    shoot("1-dashboard")
    browser.open(f"{app}.action_magento_invoices", ".o_list_view .o_data_row")
    shoot("5-worklist")
    for name, move in (("6-needs-action", refused), ("7-waiting-for-magento", waiting)):
        browser.open(f"{app}.action_magento_invoices/{move}", ".o_notebook .nav-link[name=magento_info]")
        browser.click(".o_notebook .nav-link[name=magento_info]", ".o_field_widget[name=magento_status_text]")
        browser.js("document.querySelector('.o_notebook').scrollIntoView()")
        time.sleep(0.5)
        shoot(name)
    browser.open(f"{app}.action_magento_invoices", ".o_list_view .o_data_row")
    browser.js(
        "[...document.querySelectorAll('.o_data_row')].find(row => row.textContent.includes('Needs Action'))"
        ".querySelector('.o_list_record_selector input').click()"
    )
    browser.wait_for(".o_cp_action_menus")
    browser.js(
        "[...document.querySelectorAll('.o_cp_action_menus button')].find(b => b.textContent.includes('Actions'))"
        ".click()"
    )
    browser.wait_for(".o-dropdown-item")
    time.sleep(0.5)
    shoot("8-bulk-actions")
    browser.open(f"{app}.action_magento_dashboard", ".o_kanban_record")
    browser.click(".o_kanban_record button[name=action_dashboard_operation]", ".modal button[name=action_execute]")
    shoot("9-operations-wizard")
    browser.click(".modal button[name=action_execute]", ".o_form_view .o_field_widget[name=operation]")
    shoot("10-process-log")
    browser.open(f"{app}.action_magento_payment_method", ".o_list_view .o_data_row")
    shoot("11-payment-methods")
    browser.open(f"{app}.action_magento_instance", ".o_list_view")
    browser.click(".o_list_view .o_data_row td.o_data_cell", ".o_form_view button[name=action_test_connection]")
    shoot("12-instance")
    note = demo.first([("move_type", "=", "out_refund"), ("magento_status", "=", "to_export")])
    browser.open(f"{app}.action_magento_credit_notes/{note}", ".o_form_view")
    if browser.js("!!document.querySelector('button[name=action_magento_export_invoice]')"):
        browser.click("button[name=action_magento_export_invoice]", ".o_notification")
    browser.click(".o_notebook .nav-link[name=magento_info]", ".o_field_widget[name=magento_status_text]")
    browser.js("document.querySelector('.o_notebook').scrollIntoView()")
    time.sleep(0.5)
    shoot("13-credit-note")
    return shots


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://localhost:8069")
    parser.add_argument("--magento", default="http://127.0.0.1:8080", help="the demo's Magento double")
    parser.add_argument("--size", default="1366x768", help="the screen, WIDTHxHEIGHT")
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    args = parser.parse_args()
    width, height = (int(part) for part in args.size.split("x"))
    demo = Demo(args.url, args.magento, login=args.login, password=args.password)
    browser = Chromium(width, height)
    try:
        browser.open(f"{args.url}/web/login", "input[name=login]")
        browser.js(
            f"document.querySelector('input[name=login]').value = {json.dumps(args.login)};"
            f"document.querySelector('input[name=password]').value = {json.dumps(args.password)};"
            "document.querySelector('form.oe_login_form').submit();"
        )
        browser.wait_for(".o_main_navbar")
        shots = shoot_all(browser, args.url, demo, OUT / args.size)
    finally:
        browser.close()
    cut = {name: texts for name, texts in shots.items() if texts}
    for name, texts in cut.items():
        print(f"CUT OFF on {name}: " + "; ".join(texts))
    print(f"{len(shots)} screenshots at {args.size}, {len(cut)} with text cut off")
    return 1 if cut else 0


if __name__ == "__main__":
    raise SystemExit(main())
