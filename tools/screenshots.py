"""Take the README's screenshots from a running demo (tools/demo.sh).

Drives Debian's Chromium over the DevTools protocol (websocket-client, in the
project's venv): logs in as admin, opens each page, waits for its content and
saves a PNG under docs/screenshots/.

    python tools/screenshots.py [--url http://localhost:8069]
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
        print(f"  {out.relative_to(OUT.parent.parent)}/{name}.png")

    def cut_off(self):
        """Texts the screen shows cut (an ellipsis, or clipped by their box),
        and lists wider than the screen: what a reader cannot read whole."""
        return self.js(CUT_OFF_JS)

    def close(self):
        self.ws.close()
        self.process.terminate()
        self.process.wait(10)
        shutil.rmtree(self.profile, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://localhost:8069")
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    args = parser.parse_args()
    url = args.url
    browser = Chromium()
    try:
        browser.open(f"{url}/web/login", "input[name=login]")
        browser.js(
            f"document.querySelector('input[name=login]').value = {json.dumps(args.login)};"
            f"document.querySelector('input[name=password]').value = {json.dumps(args.password)};"
            "document.querySelector('form.oe_login_form').submit();"
        )
        time.sleep(3)
        invoice_id = browser.js(
            "fetch('/web/dataset/call_kw', {method: 'POST', headers: {'Content-Type': 'application/json'},"
            " body: JSON.stringify({jsonrpc: '2.0', method: 'call', params: {model: 'account.move',"
            " method: 'search', args: [[['magento_export_state', '=', 'to_export']]], kwargs: {order: 'id',"
            " limit: 1}}})}).then(r => r.json()).then(r => r.result[0])"
        )
        invoice = f"{url}/odoo/action-account.action_move_out_invoice_type/{invoice_id}"
        browser.open(invoice, "button[name=action_magento_export_invoice]")
        browser.shoot("1-invoice-export-button")
        browser.click("button[name=action_magento_export_invoice]", ".o_notification")
        browser.shoot("2-exported-notification")
        browser.click(".o_notebook .nav-link[name=magento_info]", ".o_field_widget[name=magento_invoice_id]")
        browser.js("document.querySelector('.o_notebook').scrollIntoView()")
        time.sleep(0.5)
        browser.shoot("3-magento-info-tab")
        browser.open(f"{url}/odoo/action-magento_invoice_export.action_magento_process_log", ".o_list_view")
        browser.click(
            ".o_menu_sections [data-menu-xmlid='magento_invoice_export.menu_magento_operations']",
            ".modal button[name=action_execute]",
        )
        browser.shoot("4-operations-wizard")
        browser.click(".modal button[name=action_execute]", ".o_form_view .o_field_widget[name=line_ids]")
        browser.shoot("5-process-log")
        browser.open(f"{url}/odoo/action-magento_invoice_export.action_magento_payment_method", ".o_list_view")
        browser.shoot("6-payment-methods")
        browser.open(f"{url}/odoo/action-magento_invoice_export.action_magento_instance", ".o_list_view")
        browser.click(".o_list_view .o_data_row td.o_data_cell", ".o_form_view button[name=action_test_connection]")
        browser.shoot("7-instance")
        browser.open(f"{url}/odoo/action-magento_invoice_export.action_magento_invoices", ".o_list_view .o_data_row")
        browser.shoot("8-worklist")
        note_id = browser.js(
            "fetch('/web/dataset/call_kw', {method: 'POST', headers: {'Content-Type': 'application/json'},"
            " body: JSON.stringify({jsonrpc: '2.0', method: 'call', params: {model: 'account.move',"
            " method: 'search', args: [[['move_type', '=', 'out_refund'], ['magento_export_state', '=', 'to_export']]],"
            " kwargs: {order: 'id', limit: 1}}})}).then(r => r.json()).then(r => r.result[0])"
        )
        browser.open(
            f"{url}/odoo/action-magento_invoice_export.action_magento_credit_notes/{note_id}",
            "button[name=action_magento_export_invoice]",
        )
        browser.click("button[name=action_magento_export_invoice]", ".o_notification")
        browser.click(".o_notebook .nav-link[name=magento_info]", ".o_field_widget[name=magento_invoice_id]")
        browser.js("document.querySelector('.o_notebook').scrollIntoView()")
        time.sleep(0.5)
        browser.shoot("9-credit-note")
    finally:
        browser.close()


if __name__ == "__main__":
    main()
