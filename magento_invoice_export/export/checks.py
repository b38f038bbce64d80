"""The checks before sending: a document Magento would refuse, or silently
change, is not sent, and says why."""

from odoo import models

from ..magento_client import MagentoError


class MagentoExportChecks(models.AbstractModel):
    _inherit = "magento.invoice.exporter"

    def _checks_before_sending(self, jobs, moves, client_factory, travelling=()):
        """``[(job, problem, in_magento)]``: the batch's documents not to send,
        by the checks of their kind (all of one kind: the run's)."""
        if jobs[0].is_creditmemo:
            return self._check_refunds_before_sending(jobs, moves, client_factory, travelling)
        return self._check_before_sending(jobs, moves, client_factory, travelling)

    def _check_before_sending(self, jobs, moves, client_factory, travelling=()):
        """``[(job, problem, in_magento)]`` for the jobs Magento would refuse or silently change.

        Nothing is sent for them. What is left of an item is what was ordered,
        less what Magento canceled, less what exported Odoo invoices and earlier
        jobs of this batch took. What Magento invoiced itself (a gateway at
        checkout) can only be *linked*: a job reaching into it is marked
        ``link_only`` and must match one of Magento's own invoices. A fractional
        quantity of an item Magento counts in whole units would be truncated
        there (docs/magento-behaviour.md §5): refused. ``travelling`` are the
        run's ``(move, job)`` sent or about to be, whose answer is not in: their
        goods count as taken, as earlier jobs of the batch do.
        """
        orders, items, failures = self._order_items(jobs, moves, client_factory)
        by_id = {move.id: move for move in moves}
        taken, credited, own_taken = self._invoiced_so_far(orders, travelling)
        refused = []
        for job in sorted(jobs, key=lambda j: j.move_id):
            order_id = by_id[job.move_id].magento_sale_order_id.id
            if order_id in failures:
                refused.append((job, failures[order_id], False))
                continue
            refusal = self._check_invoice_job(job, order_id, items, taken, credited, own_taken)
            if refusal:
                refused.append((job, *refusal))
                continue
            for item_id, qty in job.items:
                taken[(order_id, item_id)] = taken.get((order_id, item_id), 0.0) + qty
        return refused

    def _invoiced_so_far(self, orders, travelling):
        """``(taken, credited, own_taken)`` by ``(order id, item id)``: what
        exported invoices and travelling jobs took; the Magento numbers of
        exported invoices credited in Odoo since; what invoices linked to
        Magento's own invoices took."""
        taken, credited, own_taken = {}, {}, {}
        for move in self._exported(orders, ("out_invoice",)):
            is_credited = any(r.state == "posted" for r in move.reversal_move_ids)
            # What Magento holds, not the lines as they may have been edited since.
            held = move.magento_exported_items or move._magento_invoice_items()
            for item_id, qty in held:
                key = (move.magento_sale_order_id.id, int(item_id))
                taken[key] = taken.get(key, 0.0) + qty
                if move.magento_linked:
                    own_taken[key] = own_taken.get(key, 0.0) + qty
                if is_credited:
                    credited.setdefault(key, []).append(move.magento_invoice_ref)
        for move, job in travelling:
            for item_id, qty in job.items:
                key = (move.magento_sale_order_id.id, item_id)
                taken[key] = taken.get(key, 0.0) + qty
        return taken, credited, own_taken

    def _check_invoice_job(self, job, order_id, items, taken, credited, own_taken):
        """``(problem, in_magento)`` when this invoice must not be sent, else
        None (and ``job.link_only`` set when only Magento's own invoice can stand for it)."""
        problems, in_magento, link_only = [], [], False
        for item_id, qty in job.items:
            key = (order_id, item_id)
            info = items[key]
            if qty != int(qty) and info["kind"] == "whole":
                problems.append(self._whole_units_problem(info, qty, refund=False))
            left = info["ordered"] - info["canceled"] - taken.get(key, 0.0)
            if qty > left + 1e-6 and credited.get(key):
                # Refunding never lowers what Magento invoiced (§8): the
                # credited invoice still holds these goods there.
                in_magento += credited[key]
            elif qty > left + 1e-6:
                problems.append(
                    self.env._(
                        "The invoice asks Magento for more than the order has left to invoice "
                        "(%(product)s: %(qty)s on this invoice, %(left)s left of %(ordered)s ordered). "
                        "Correct the quantities with a credit note and a new invoice.",
                        product=info["name"],
                        qty=round(qty, 4),
                        left=round(max(left, 0.0), 4),
                        ordered=round(info["ordered"], 4),
                    )
                )
            elif qty > left - max(info["native"] - own_taken.get(key, 0.0), 0.0) + 1e-6:
                link_only = True
        if in_magento:
            return (
                self.env._(
                    "Magento already invoiced these goods with %(refs)s, credited in Odoo since, and Magento "
                    "never invoices the same goods twice. A Magento manager can mark this invoice Not to "
                    "Export, or link it by hand to a Magento invoice (Magento Info tab).",
                    refs=", ".join(sorted(set(in_magento))),
                ),
                True,
            )
        if problems:
            return " ".join(problems), False
        job.link_only = link_only
        return None

    def _exported(self, orders, move_types):
        """The moves of ``orders`` Magento holds, of ``move_types``."""
        return (
            self.env["account.move"]
            .sudo()
            .search(
                [
                    ("magento_sale_order_id", "in", orders.ids),
                    ("magento_invoice_id", "!=", 0),
                    ("move_type", "in", move_types),
                ]
            )
        )

    def _order_items(self, jobs, moves, client_factory):
        """``(orders, items, failures)``: the batch's orders; what Odoo knows of
        each of their Magento items, by ``(order id, item id)``; and, by order
        id, why Magento could not say whether an item takes a fractional
        quantity a job asks for."""
        orders = moves.magento_sale_order_id
        items = {}
        for line in orders.order_line.filtered("magento_item_id"):
            info = items.setdefault(
                (line.order_id.id, line.magento_item_id),
                {"ordered": 0.0, "native": 0.0, "canceled": 0.0, "lines": line.browse(), "kind": False},
            )
            info["ordered"] += line.product_uom_qty
            info["native"] += line.magento_qty_invoiced
            info["canceled"] += line.magento_qty_canceled
            info["lines"] |= line
            info["kind"] = info["kind"] or line.magento_qty_decimal
            info["name"] = line.product_id.display_name
        by_id = {move.id: move for move in moves}
        unknown = self.env["sale.order"]
        for job in jobs:
            order = by_id[job.move_id].magento_sale_order_id
            if any(qty != int(qty) and not items[(order.id, i)]["kind"] for i, qty in job.items):
                unknown |= order
        return orders, items, self._learn_quantity_kinds(unknown, items, client_factory)

    def _check_refunds_before_sending(self, jobs, moves, client_factory, travelling=()):
        """``[(job, problem, False)]`` for the credit memos Magento would refuse
        or silently cut: a fractional quantity of a whole-unit item, or more of
        an item than Magento has left to refund (what exported invoices took,
        less what exported credit notes gave back). Through an invoice (online),
        Magento caps each quantity at what that invoice has left, silently: the
        same check, against that invoice (docs/magento-behaviour.md §8).
        ``travelling`` credit notes, whose answer is not in, count as refunded."""
        orders, items, failures = self._order_items(jobs, moves, client_factory)
        by_id = {move.id: move for move in moves}
        exported = self._exported(orders, ("out_invoice", "out_refund"))
        left, invoiced, on_invoice = {}, {}, {}
        for move in exported:
            sign = 1 if move.move_type == "out_invoice" else -1
            invoice = move if sign > 0 else move._magento_refunded_invoice()
            for item_id, qty in move.magento_exported_items or move._magento_invoice_items():
                key = (move.magento_sale_order_id.id, int(item_id))
                left[key] = left.get(key, 0.0) + sign * qty
                on_invoice[(invoice.id, int(item_id))] = on_invoice.get((invoice.id, int(item_id)), 0.0) + sign * qty
                if sign > 0:
                    invoiced[key] = invoiced.get(key, 0.0) + qty
        for move, job in travelling:
            self._refund_taken(move, job, left, on_invoice)
        refused = []
        for job in sorted(jobs, key=lambda j: j.move_id):
            move = by_id[job.move_id]
            order_id = move.magento_sale_order_id.id
            if order_id in failures:
                refused.append((job, failures[order_id], False))
                continue
            invoice = move.browse(job.refund_move_id) if job.refund_invoice_id else None
            problems = []
            for item_id, qty in job.items:
                key = (order_id, item_id)
                info = items[key]
                if not qty:
                    continue
                if qty != int(qty) and info["kind"] == "whole":
                    problems.append(self._whole_units_problem(info, qty, refund=True))
                available = left.get(key, 0.0)
                if invoice:
                    available = min(available, on_invoice.get((invoice.id, item_id), 0.0))
                if qty > available + 1e-6:
                    problems.append(
                        self.env._(
                            "The credit note refunds more than Magento has left to refund (%(product)s: %(qty)s on "
                            "this credit note, %(left)s left of %(invoiced)s invoiced in Magento%(through)s). Correct "
                            "its quantities, or export the invoice of these goods first.",
                            product=info["name"],
                            qty=round(qty, 4),
                            left=round(max(available, 0.0), 4),
                            invoiced=round(invoiced.get(key, 0.0), 4),
                            through=self.env._(", on invoice %(ref)s", ref=invoice._magento_number())
                            if invoice
                            else "",
                        )
                    )
            if problems:
                refused.append((job, " ".join(problems), False))
                continue
            self._refund_taken(move, job, left, on_invoice)
        return refused

    @staticmethod
    def _refund_taken(move, job, left, on_invoice):
        """What a credit memo on its way takes from what is left to refund."""
        order_id = move.magento_sale_order_id.id
        for item_id, qty in job.items:
            left[(order_id, item_id)] = left.get((order_id, item_id), 0.0) - qty
            if job.refund_invoice_id:
                key = (job.refund_move_id, item_id)
                on_invoice[key] = on_invoice.get(key, 0.0) - qty

    def _whole_units_problem(self, info, qty, refund):
        """A fractional quantity of an item Magento counts in whole units: an
        invoice truncates it (§5), a credit memo is refused (§8)."""
        if refund:
            return self.env._(
                "Magento counts %(product)s in whole units and refuses to refund %(qty)s of it: refund whole units.",
                product=info["name"],
                qty=round(qty, 4),
            )
        return self.env._(
            "Magento counts %(product)s in whole units and would record %(qty)s as %(whole)s: invoice whole units "
            "of it.",
            product=info["name"],
            qty=round(qty, 4),
            whole=int(qty),
        )

    def _learn_quantity_kinds(self, orders, items, client_factory):
        """Ask Magento whether the items of ``orders`` take decimal quantities.

        Only for orders Odoo did not import (linked by another connector) and
        only when an invoice holds a fractional quantity. Returns
        ``{order id: problem}`` for the orders Magento could not tell about.
        """
        failures = {}
        if not orders:
            return failures
        client = client_factory()
        for order in orders:
            try:
                magento_order = client.get_order(order.magento_order_id)
            except MagentoError as error:
                if error.instance_fault:
                    raise  # the run stops: no invoice spends an attempt on it
                failures[order.id] = self.env._(
                    "An invoice line has a fractional quantity, and Magento could not say whether it accepts one "
                    "for that item (%(error)s): export again later.",
                    error=error,
                )
                continue
            for item in magento_order.get("items") or []:
                info = items.get((order.id, item.get("item_id")))
                if info:
                    info["kind"] = "decimal" if item.get("is_qty_decimal") else "whole"
                    info["lines"].sudo().magento_qty_decimal = info["kind"]
        return failures
