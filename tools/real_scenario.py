"""Run inside ``odoo-bin shell`` (``env`` given), for the ``--real`` soak:
sales orders of orders made in a real Magento, each invoiced in several
partial invoices (real orders are slow to make: one order carries several
invoices, as a shop shipping in parts would), and credit notes.
"""

import json

from odoo import Command


def _sale_orders(env, instance, orders):
    """One confirmed sales order per Magento order, its lines linked to the order's items."""
    partner = env["res.partner"].create({"name": "Jane Doe", "email": "jane.doe@example.com"})
    methods = {method.code: method for method in instance.payment_method_ids}
    products = {}
    vals_list = []
    for order in orders:
        lines = []
        # A configurable's child item is Magento's: the parent item carries the price and is invoiced.
        for item in (item for item in order["items"] if not item.get("parent_item_id")):
            sku = item["sku"]
            if sku not in products:
                products[sku] = env["product.product"].create(
                    {"name": item["name"], "default_code": sku, "lst_price": item["price"], "invoice_policy": "order"}
                )
            line = {"product_id": products[sku].id, "product_uom_qty": item["qty_ordered"]}
            lines.append(Command.create({**line, "price_unit": item["price"], "magento_item_id": item["item_id"]}))
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


def make_partial_invoices(env, instance, orders_file, per_order):
    """``per_order`` posted invoices per order, each of an equal share of every
    line (the last one of what is left). Returns the invoice ids, first
    invoices of every order first."""
    with open(orders_file, encoding="utf-8") as handle:
        sale_orders = _sale_orders(env, instance, json.load(handle))
    invoices = env["account.move"]
    for round_number in range(per_order):
        moves = sale_orders._create_invoices(grouped=True)
        if round_number < per_order - 1:
            for line in moves.invoice_line_ids.filtered(lambda line: line.display_type == "product"):
                ordered = sum(line.sale_line_ids.mapped("product_uom_qty"))
                line.quantity = ordered // per_order
        moves.action_post()
        invoices |= moves
    env.cr.commit()
    return invoices.ids


def make_credit_notes(env, invoice_ids):
    """A posted credit note of one unit of the first product of each invoice,
    as Reverse makes it: each waits for its invoice to reach Magento. Returns
    their number."""
    notes = env["account.move"].browse(invoice_ids).with_context(include_business_fields=True)._reverse_moves()
    for note in notes:
        product_lines = note.invoice_line_ids.filtered(lambda line: line.display_type == "product")
        product_lines[0].quantity = 1
        (product_lines - product_lines[0]).unlink()
    notes.action_post()
    env.cr.commit()
    return len(notes)
