"""Run inside ``odoo-bin shell`` (``env`` given): set up an instance and make
posted invoices of Magento orders, for the soak run, the benchmark and the demo.
"""

import datetime
import json

from odoo import Command


def ensure_accounting(env):
    if not env["account.account"].search_count([("company_ids", "in", env.company.id)], limit=1):
        env["account.chart.template"].try_loading("generic_coa", env.company, install_demo=False)


def setup_instance(env, url, credentials, concurrency=8, grace=None, name="Luma Shop"):
    ensure_accounting(env)
    instance = env["magento.instance"].create(
        {"name": name, "url": url, "timeout": 10, "export_concurrency": concurrency, **credentials}
    )
    for code, label, trigger in (
        ("checkmo", "Check / Money order", "validate"),
        ("banktransfer", "Bank Transfer Payment", "in_payment_paid"),
        ("cashondelivery", "Cash On Delivery", False),
    ):
        env["magento.payment.method"].create(
            {
                "instance_id": instance.id,
                "code": code,
                "name": label,
                "create_invoice_on": trigger,
                "create_creditmemo_on": trigger and "validate",
            }
        )
    if grace is not None:
        env["ir.config_parameter"].set_param("magento_invoice_export.lost_answer_grace_seconds", grace)
    env.cr.commit()
    return instance


def confirmed_sale_orders(env, instance, orders, partner):
    """One confirmed sales order per Magento order (as Magento's GET /V1/orders/:id
    gives it), as the import makes an untaxed order: its lines linked to the
    order's items (a configurable's child is Magento's: the parent item carries
    the price and is invoiced), its shipping a line of its own."""
    products = {}
    methods = {m.code: m for m in instance.payment_method_ids}
    vals_list = []
    for order in orders:
        lines = []
        for item in (item for item in order["items"] if not item.get("parent_item_id")):
            sku = item["sku"]
            if sku not in products:
                products[sku] = env["product.product"].create(
                    {"name": item["name"], "default_code": sku, "lst_price": item["price"], "invoice_policy": "order"}
                )
            line = {"product_id": products[sku].id, "product_uom_qty": item["qty_ordered"]}
            # Magento's price without Odoo taxes, as the import makes an untaxed order's lines.
            line.update(price_unit=item["price"], magento_item_id=item["item_id"], tax_id=[Command.clear()])
            lines.append(Command.create(line))
        if float(order.get("shipping_amount") or 0):
            shipping = env.ref("magento_invoice_export.product_magento_shipping")
            lines.append(
                Command.create(
                    {
                        "product_id": shipping.id,
                        "product_uom_qty": 1,
                        "price_unit": float(order["shipping_amount"]),
                        "tax_id": [Command.clear()],
                    }
                )
            )
        vals_list.append(
            {
                "partner_id": partner.id,
                "magento_instance_id": instance.id,
                "magento_order_id": order["entity_id"],
                "magento_order_ref": order["increment_id"],
                "magento_payment_method_id": methods[order["payment"]["method"]].id,
                "order_line": lines,
            }
        )
    sale_orders = env["sale.order"].create(vals_list)
    sale_orders.action_confirm()
    return sale_orders


def make_invoices(env, instance, orders_file, partial_every=0):
    """One posted invoice per Magento order (two partial ones for every
    ``partial_every``-th order). Returns the number of invoices."""
    with open(orders_file, encoding="utf-8") as handle:
        orders = json.load(handle)
    partner = env["res.partner"].create({"name": "Veronica Costello", "email": "roni_cost@example.com"})
    sale_orders = confirmed_sale_orders(env, instance, orders, partner)
    partial = sale_orders.browse(sale_orders.ids[::partial_every]) if partial_every else sale_orders.browse()
    moves = env["account.move"]
    if partial:
        first = partial._create_invoices(grouped=True)
        for line in first.invoice_line_ids:
            line.quantity = max(1, line.quantity // 2)
        moves |= first
        moves |= partial._create_invoices(grouped=True)
    moves |= (sale_orders - partial)._create_invoices(grouped=True)
    moves.action_post()
    env.cr.commit()
    return len(moves)


def make_credit_notes(env, every):
    """A posted credit note of one unit of the first product for every
    ``every``-th invoice, as the Reverse button makes it: each waits for its
    invoice to reach Magento, then goes as a credit memo. Returns their number."""
    invoices = env["account.move"].search(
        [("magento_instance_id", "!=", False), ("move_type", "=", "out_invoice")], order="id"
    )
    return post_one_unit_credit_notes(env, invoices.browse(invoices.ids[::every]))


def post_one_unit_credit_notes(env, invoices):
    """Reverse ``invoices`` as the Reverse button does, keep one unit of each
    one's first product, post and commit; returns how many."""
    notes = invoices.with_context(include_business_fields=True)._reverse_moves()
    for note in notes:
        product_lines = note.invoice_line_ids.filtered(lambda line: line.display_type == "product")
        product_lines[0].quantity = 1
        (product_lines - product_lines[0]).unlink()
    notes.action_post()
    env.cr.commit()
    return len(notes)


def demo(env, url, credentials):
    """The demo database: an instance on the double, its orders imported, invoices
    posted for each payment-method trigger. Returns what the demo prints."""
    ensure_accounting(env)
    env.ref("base.user_admin").groups_id |= env.ref("magento_invoice_export.group_magento_manager")
    instance = env["magento.instance"].create(
        {"name": "Luma Demo Shop", "url": url, "notify_customer_on_invoice": True, **credentials}
    )
    # The import commits page by page: it runs at once only in a transaction without pending changes.
    env.cr.commit()
    env["magento.order.importer"]._import_orders(instance, since=datetime.datetime(2000, 1, 1))
    triggers = {"checkmo": "validate", "banktransfer": "in_payment_paid", "cashondelivery": False}
    for method in instance.payment_method_ids:
        trigger = triggers.get(method.code, False)
        # The import named it with Magento's title (Check / Money order...).
        method.write({"create_invoice_on": trigger, "create_creditmemo_on": trigger and "validate"})
    orders = env["sale.order"].search([("magento_instance_id", "=", instance.id)], order="magento_order_id")
    invoices = []
    for index, order in enumerate(orders):
        move = order._create_invoices()
        if index == len(orders) - 1:
            # The last order is invoiced in part: its first line, and its
            # shipping, which Magento's first invoice of an order takes whole.
            shipping = env.ref("magento_invoice_export.product_magento_shipping")
            for line in move.invoice_line_ids[1:]:
                if line.product_id != shipping:
                    line.quantity = 0
            move.invoice_line_ids.filtered(lambda line: not line.quantity).unlink()
        move.action_post()
        invoices.append(move)
    env.cr.commit()
    # The last (partial) invoice is in Magento already, and one unit of it is
    # credited: a credit note ready to go as a Magento credit memo.
    last = invoices[-1]
    last.action_magento_export_invoice()
    note = last.with_context(include_business_fields=True)._reverse_moves()
    product_lines = note.invoice_line_ids.filtered(lambda line: line.display_type == "product")
    product_lines[0].quantity = 1
    (product_lines - product_lines[0]).unlink()
    note.action_post()
    invoices.append(note)
    env.cr.commit()
    return [
        {
            "invoice": move.name,
            "id": move.id,
            "order": move.magento_sale_order_id.magento_order_ref,
            "method": move.magento_sale_order_id.magento_payment_method_id.code,
            "status": dict(move._fields["magento_export_state"].selection).get(move.magento_export_state),
        }
        for move in invoices
    ]
