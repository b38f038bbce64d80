"""Run inside ``odoo-bin shell`` (``env`` given), for the ``--real`` soak:
sales orders of orders made in a real Magento, each invoiced in several
partial invoices (real orders are slow to make: one order carries several
invoices, as a shop shipping in parts would), and credit notes.
"""

import json

from scenario import confirmed_sale_orders, post_one_unit_credit_notes


def _sale_orders(env, instance, orders):
    """One confirmed sales order per Magento order, its lines linked to the order's items."""
    partner = env["res.partner"].create({"name": "Jane Doe", "email": "jane.doe@example.com"})
    return confirmed_sale_orders(env, instance, orders, partner)


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
    return post_one_unit_credit_notes(env, env["account.move"].browse(invoice_ids))
