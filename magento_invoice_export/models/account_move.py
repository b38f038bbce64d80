from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..magento_export.money import Money
from ..magento_export.payload import build_items, creditmemo_comment, invoice_comment, refund_amounts
from ..magento_export.policy import DOCUMENTS, EXPORTABLE, MAX_ATTEMPTS

EXPORT_STATES = [
    ("to_export", "To Export"),
    ("failed", "Failed"),
    ("skipped", "Skipped After 3 Failed Attempts"),
    ("waiting", "Waiting"),
    ("exported", "Exported"),
    ("not_exportable", "Not Exportable"),
]
# What a person reads (the badge of the lists and the form), from the export
# status above and the last failure: danger only for what needs a person.
STATUSES = [
    ("to_export", "To Export"),
    ("waiting_magento", "Waiting for Magento"),
    ("will_retry", "Will Retry"),
    ("needs_action", "Needs Action"),
    ("skipped", "Skipped"),
    ("exported", "Exported"),
    ("exported_check", "Exported, Check Amounts"),
    ("waiting", "Waiting"),
    ("waiting_payment", "Waiting for Payment"),
    ("not_to_export", "Not to Export"),
    ("not_exportable", "Not Exportable"),
]
EXPORT_REASONS = [
    ("not_customer_invoice", "Only customer invoices and credit notes are exported"),
    ("several_orders", "Lines of several Magento orders: split it per order"),
    ("no_magento_order_id", "The sales order has no Magento order ID"),
    ("instance_archived", "The Magento instance is archived"),
    ("no_payment_method", "The order's Magento payment method is not configured"),
    ("payment_method_not_configured", "The order's Magento payment method is archived"),
    # Short for the worklist: the payment method's form says Never, and why.
    ("payment_method_never", "Its payment method never exports invoices"),
    ("payment_method_never_refunds", "Its payment method never exports credit notes"),
    ("currency_mismatch", "Its currency differs from the order's"),
    ("no_magento_items", "None of its lines is linked to a Magento order item"),
    ("marked_not_to_export", "A Magento manager marked it Not to Export"),
    # Short for the worklist's Details (1366 px): the log line names Magento's invoice.
    ("invoiced_in_magento", "Magento invoiced these goods already, and never does twice"),
    ("not_posted", "Waits to be posted"),
    ("not_paid", "Waits for payment: exported once in payment or paid"),
    ("not_refunded", "Waits for the refund: exported once paid or reversed"),
    ("invoice_not_exported", "Waits for the invoice it refunds to be exported to Magento"),
]


def _notification(kind, title, message, sticky=False):
    """A notification (``kind``: success, info, warning, danger) that reloads the record behind it."""
    return {
        "type": "ir.actions.client",
        "tag": "display_notification",
        "params": {
            "type": kind,
            "title": title,
            "message": message,
            "sticky": sticky,
            "next": {"type": "ir.actions.client", "tag": "soft_reload"},
        },
    }


MAGENTO_WRITABLE = {
    "magento_advice",
    "magento_failure_kind",
    "magento_last_error",
    "magento_linked",
    "magento_exported_items",
    "magento_exported_total",
    "magento_exported_currency_id",
    "magento_invoiced_in_magento",
    "magento_no_export",
    "magento_no_export_reason",
    "magento_invoice_id",
    "magento_invoice_ref",
    "magento_export_attempts",
    "magento_export_sent_at",
    "magento_totals_warning",
    "magento_accept_difference",
    "magento_amounts_differ",
    "magento_payment_check",
}


class AccountMove(models.Model):
    _inherit = "account.move"

    magento_sale_order_id = fields.Many2one(
        "sale.order",
        string="Magento Order",
        compute="_compute_magento_sale_order",
        store=True,
        index="btree_not_null",
    )
    magento_order_count = fields.Integer(compute="_compute_magento_sale_order", store=True)
    magento_order_refs = fields.Char(string="Magento Orders", compute="_compute_magento_sale_order", store=True)
    magento_instance_id = fields.Many2one(
        related="magento_sale_order_id.magento_instance_id", store=True, index="btree_not_null"
    )
    magento_invoice_id = fields.Integer(string="Magento Invoice ID", copy=False, readonly=True, index="btree_not_null")
    magento_invoice_ref = fields.Char(string="Magento Invoice Number", copy=False, readonly=True)
    magento_export_attempts = fields.Integer(
        string="Failed Export Attempts",
        copy=False,
        readonly=True,
        help=f"After {MAX_ATTEMPTS} failed attempts the bulk export skips this invoice until a Magento "
        "manager resets the count. The button still exports it.",
    )
    magento_export_sent_at = fields.Datetime(
        string="Outcome Unknown Since",
        copy=False,
        readonly=True,
        help="Set while an invoice request may have reached Magento without Odoo learning the answer. "
        "The next attempt first looks for the invoice in Magento and links it instead of creating another.",
    )
    magento_export_state = fields.Selection(
        EXPORT_STATES,
        string="Magento Export",
        compute="_compute_magento_export_state",
        store=True,
        index=True,
    )
    magento_export_reason = fields.Selection(
        EXPORT_REASONS, string="Why", compute="_compute_magento_export_state", store=True
    )
    magento_status = fields.Selection(
        STATUSES,
        compute="_compute_magento_status",
        store=True,
        help="To Export: goes with the next export. Waiting for Magento: a request's answer was lost; the next "
        "export looks it up in Magento before sending anything. Will Retry: a fault of the moment, tried again. "
        "Needs Action and Skipped: a person acts first (see What to Do). Not to Export: a choice (the payment "
        "method, a Magento manager). Not Exportable: it cannot go as it stands (see the status).",
    )
    magento_log_line_ids = fields.One2many("magento.process.log.line", "move_id", string="Magento Log")
    magento_payment_method_id = fields.Many2one(
        related="magento_sale_order_id.magento_payment_method_id", store=True, string="Magento Payment Method"
    )
    magento_last_error = fields.Char(string="Last Magento Error", copy=False, readonly=True)
    magento_advice = fields.Text(string="What to Do", copy=False, readonly=True)
    magento_failure_kind = fields.Selection(
        [("retry", "Passing: Tried Again"), ("action", "Needs Action")],
        string="Failure",
        copy=False,
        readonly=True,
        help="Needs Action: Magento refused the invoice as it stands, or the connection is misconfigured; "
        "trying again without a change will not help. Passing: a fault of the moment, tried again.",
    )
    magento_linked = fields.Boolean(
        string="Linked to a Magento Invoice",
        copy=False,
        readonly=True,
        help="Odoo did not create this Magento invoice: Magento made it (for example at checkout) and it was "
        "linked, by its items or by a Magento manager.",
    )
    magento_status_text = fields.Char(string="Magento Status Details", compute="_compute_magento_status_text")
    magento_no_export = fields.Boolean(string="Not to Export", copy=False, readonly=True)
    magento_no_export_reason = fields.Char(string="Why Not", copy=False, readonly=True)
    magento_invoiced_in_magento = fields.Boolean(
        string="Goods Already Invoiced in Magento",
        copy=False,
        readonly=True,
        help="Set when Magento has already invoiced these goods with an invoice that was credited in Odoo "
        "since: Magento never invoices goods twice. Cleared when the invoice is reset to draft.",
    )
    magento_left_out = fields.Text(
        string="Left Out of the Magento Invoice",
        compute="_compute_magento_left_out",
        help="Product lines the Magento invoice does not carry: they have no Magento order item, or a "
        "negative quantity. Shipping, discounts and down payments are left to Magento's own totals.",
    )
    magento_totals_warning = fields.Char(
        string="Totals Differ",
        copy=False,
        readonly=True,
        help="Magento's total for this document differs from Odoo's (seen after sending): both figures are given.",
    )
    magento_exported_items = fields.Json(
        copy=False,
        readonly=True,
        help="[[Magento order item, quantity]] as Magento holds them: the invoice may be posted again only with these.",
    )
    magento_exported_total = fields.Monetary(
        currency_field="magento_exported_currency_id",
        copy=False,
        readonly=True,
        help="The total of the document as it was sent to Magento: posted again, it must total the same.",
    )
    magento_exported_currency_id = fields.Many2one("res.currency", copy=False, readonly=True)
    magento_payment_check = fields.Boolean(
        string="Check the Payment in Magento",
        copy=False,
        readonly=True,
        help="A capture or an online refund may have moved money though Magento did not confirm it: the "
        "scheduled export and Operations leave it alone until it is exported from its own button, after a "
        "person checked the payment in Magento's admin.",
    )
    magento_amounts_differ = fields.Boolean(
        copy=False,
        readonly=True,
        help="Its last export was not sent: Magento would compute another total than Odoo's.",
    )
    magento_accept_difference = fields.Boolean(
        string="Export at Magento's Amounts",
        copy=False,
        readonly=True,
        help="A Magento manager chose to export this invoice although Magento computes another total "
        "than Odoo's (recorded in the chatter).",
    )
    magento_admin_url = fields.Char(
        string="Open in Magento",
        compute="_compute_magento_admin_url",
        help="This document's page in Magento's admin, under the instance's Admin Path; with Magento's 'Add "
        "Secret Key to URLs' on, the admin opens its dashboard instead of the page.",
    )

    @api.depends("move_type", "magento_invoice_id", "magento_instance_id.url", "magento_instance_id.admin_path")
    def _compute_magento_admin_url(self):
        for move in self:
            instance = move.magento_instance_id
            # The instance knows Magento's admin routes and its admin path.
            move.magento_admin_url = bool(instance and move.magento_invoice_id) and instance._magento_admin_url(
                move._magento_document(), move.magento_invoice_id
            )

    # ------------------------------------------------------------------
    # What Magento holds cannot be undone from Odoo
    # ------------------------------------------------------------------
    def _magento_comment(self):
        """The comment this invoice (or credit note) carries in Magento, unique to it (see payload)."""
        self.ensure_one()
        comment = creditmemo_comment if self.move_type == "out_refund" else invoice_comment
        return comment(self.name, self._magento_ref())

    def _magento_number(self):
        """The Magento document's number, or its id until the number is known."""
        self.ensure_one()
        return self.magento_invoice_ref or f"#{self.magento_invoice_id}"

    def _magento_document(self):
        """``invoice`` or ``creditmemo``: what this move becomes in Magento."""
        self.ensure_one()
        return DOCUMENTS.get(self.move_type)

    def _magento_refunded_invoice(self):
        """The Odoo invoice a credit note refunds in Magento: the one it reverses,
        else the order's latest exported invoice (else its latest posted one)."""
        self.ensure_one()
        order = self.magento_sale_order_id
        if self.reversed_entry_id and self.reversed_entry_id.magento_sale_order_id == order:
            return self.reversed_entry_id
        invoices = self.search(
            [("magento_sale_order_id", "=", order.id), ("move_type", "=", "out_invoice"), ("state", "=", "posted")],
            order="magento_invoice_id desc nulls last, id desc",
            limit=1,
        )
        return invoices

    def _magento_shipping_product(self):
        """The import's shipping product (empty if deleted), by its cached id:
        env.ref would ask PostgreSQL whether it exists for each document of a batch."""
        product_id = self.env["ir.model.data"]._xmlid_to_res_id("magento_invoice_export.product_magento_shipping")
        return self.env["product.product"].browse(product_id or ())

    def _magento_refund_amounts(self):
        """``(shipping, adjustment positive, adjustment negative)`` of a credit
        note in the order's base currency (see payload.refund_amounts): what
        would be sent before Magento's order is read (the worker then sets the
        amounts that make Magento's total Odoo's, magento_export/money.py)."""
        self.ensure_one()
        sums = self._magento_refund_lines()
        return refund_amounts(
            sums["shipping"][0],
            [sums["goodwill"][0], -sums["fees"][0]],
            self.magento_sale_order_id.magento_base_to_order_rate,
        )

    def _magento_refund_lines(self):
        """A credit note's lines without a Magento order item, in its currency,
        each ``[excluding tax, including tax]``: ``shipping`` refunded,
        ``goodwill`` (positive lines) and ``fees`` (negative lines, as a
        positive amount). One pass over the lines serves both conventions."""
        self.ensure_one()
        shipping_product = self._magento_shipping_product()
        sums = {"shipping": [0.0, 0.0], "goodwill": [0.0, 0.0], "fees": [0.0, 0.0]}
        for line in self.invoice_line_ids.filtered(lambda li: li.display_type == "product"):
            if line.sale_line_ids.filtered("magento_item_id"):
                continue
            # Odoo's delivery lines (the delivery app), or the import's shipping product.
            is_shipping = (shipping_product and line.product_id == shipping_product) or (
                "is_delivery" in line.sale_line_ids._fields and any(line.sale_line_ids.mapped("is_delivery"))
            )
            kind, sign = ("shipping", 1) if is_shipping else ("goodwill", 1) if line.price_total > 0 else ("fees", -1)
            sums[kind][0] += sign * line.price_subtotal
            sums[kind][1] += sign * line.price_total
        return sums

    def _magento_money(self, instance):
        """What this document says about money, for the check against
        Magento's figure before it is sent (magento_export/money.py)."""
        self.ensure_one()
        money = Money(
            total=self.amount_total,
            currency=self.currency_id.name,
            accept_difference=self.magento_accept_difference,
        )
        if self.move_type == "out_refund":
            sums = self._magento_refund_lines()
            money.goodwill, money.fees = sums["goodwill"][1], sums["fees"][1]
            # The shipping as the shop reads it: including tax when it shows shipping so.
            money.shipping_incl_tax = instance.shipping_incl_tax
            money.shipping = sums["shipping"][1 if instance.shipping_incl_tax else 0]
        return money

    def _magento_ref(self):
        return f"{self._magento_db_tag()}-{self.id}"

    @api.model
    def _magento_db_tag(self):
        """This database's part of the comment, set once: a duplicated or
        restored database keeps it, so its look-ups still find its invoices."""
        params = self.env["ir.config_parameter"].sudo()
        tag = params.get_param("magento_invoice_export.comment_tag")
        if not tag:
            tag = (params.get_param("database.uuid") or "odoo")[:8]
            # Queued runs create it before their workers start (exporter._queue); should two
            # runs still meet here, the second gets a serialization failure, which Odoo and
            # queue_job retry, rather than a unique violation, which they do not.
            self.env.cr.execute(
                "INSERT INTO ir_config_parameter (key, value, create_uid, write_uid, create_date, write_date) "
                "VALUES (%s, %s, %s, %s, now() at time zone 'UTC', now() at time zone 'UTC') "
                "ON CONFLICT (key) DO NOTHING",
                ["magento_invoice_export.comment_tag", tag, self.env.uid, self.env.uid],
            )
            self.env.registry.clear_cache()
        return tag

    @api.depends(
        "invoice_line_ids.sale_line_ids.order_id.magento_instance_id",
        "reversed_entry_id.invoice_line_ids.sale_line_ids.order_id.magento_instance_id",
    )
    def _compute_magento_sale_order(self):
        for move in self:
            orders = move.invoice_line_ids.sale_line_ids.order_id.filtered("magento_instance_id")
            if not orders and move.reversed_entry_id:
                # A credit note whose lines lost their sale lines: its invoice's order.
                orders = move.reversed_entry_id.invoice_line_ids.sale_line_ids.order_id.filtered("magento_instance_id")
            move.magento_sale_order_id = orders[:1]
            move.magento_order_count = len(orders)
            move.magento_order_refs = ", ".join(order.magento_order_ref or order.name for order in orders)

    @api.depends(
        "magento_instance_id",
        "invoice_line_ids.quantity",
        "invoice_line_ids.product_id",
        "invoice_line_ids.price_unit",
        "invoice_line_ids.display_type",
        "invoice_line_ids.sale_line_ids.magento_item_id",
    )
    def _compute_magento_left_out(self):
        for move in self:
            move.magento_left_out = "\n".join(move._magento_left_out_lines()) if move.magento_instance_id else False

    def _magento_left_out_lines(self):
        """Product lines that do not reach the Magento invoice, as a person reads them.

        Shipping and other services, discount and down-payment lines stay out
        silently: Magento computes its own; notes and sections are no lines.
        """
        self.ensure_one()
        if self.move_type == "out_refund":
            return []  # lines without an order item reach the credit memo as shipping or adjustments
        silent = self._magento_shipping_product() | self.company_id.sale_discount_product_id
        found, per_item = [], {}
        for line in self.invoice_line_ids.filtered(lambda li: li.display_type == "product"):
            sale_lines = line.sale_line_ids
            item = sale_lines.filtered("magento_item_id")[:1].magento_item_id
            if not item and (
                line.product_id in silent
                or line.product_id.type == "service"  # shipping and other charges Magento totals itself
                or any(sale_lines.mapped("is_downpayment"))
                or line.price_unit < 0
            ):
                continue
            if not item:
                found.append(
                    self.env._("%(product)s (no Magento order item)", product=line.product_id.display_name or line.name)
                )
            else:
                per_item.setdefault(item, [line.product_id.display_name, 0.0])[1] += line.quantity
        found += [
            self.env._("%(product)s (negative quantity %(qty)s)", product=name, qty=round(qty, 4))
            for name, qty in per_item.values()
            if qty < 0
        ]
        return found

    def _magento_invoice_items(self):
        """``[(magento order item id, qty)]`` for this invoice, in the sale lines' units."""
        self.ensure_one()
        lines = []
        for line in self.invoice_line_ids:
            if line.display_type != "product":
                continue
            sale_line = line.sale_line_ids.filtered("magento_item_id")[:1]
            if not sale_line:
                continue
            qty = line.quantity
            if line.product_uom_id and sale_line.product_uom and line.product_uom_id != sale_line.product_uom:
                qty = line.product_uom_id._compute_quantity(qty, sale_line.product_uom, round=False)
            lines.append((sale_line.magento_item_id, qty))
        return build_items(lines)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_magento_export_invoice(self):
        """The invoice's "Export Invoice In Magento" button."""
        self.check_access("write")
        moves = self.filtered(lambda m: m.magento_export_state in EXPORTABLE)
        if not moves:
            move = self[:1]
            reason = dict(self._fields["magento_export_reason"]._description_selection(self.env)).get(
                move.magento_export_reason
            ) or dict(self._fields["magento_export_state"]._description_selection(self.env)).get(
                move.magento_export_state, ""
            )
            raise UserError(
                self.env._("%(name)s cannot be exported to Magento: %(reason)s.", name=move.name, reason=reason)
            )
        moves.magento_instance_id.check_access("read")
        exporter = self.env["magento.invoice.exporter"]
        if exporter._caller_has_unfinished_changes():
            return moves._magento_export_after_commit()
        logs = exporter._export_invoices(moves.magento_instance_id, moves=moves, respect_attempts=False)
        return _notification(**moves._magento_export_said(logs))

    def _magento_export_said(self, logs):
        """What the button's run did, as a notification's parameters: exported,
        waiting for Magento (a lost answer's grace: no failure), or failed."""
        exported = self.filtered("magento_invoice_id")
        lines = logs.line_ids
        errors = lines.filtered(lambda line: line.level == "error").move_id
        logged = lines.move_id
        # Looked up, not in Magento yet, not sent again: only a warning said so.
        waiting = ((self - exported - errors) & logged).filtered(lambda move: move.magento_status == "waiting_magento")
        failed = (self - exported - waiting) & logged
        busy = self - exported - waiting - failed
        stopped = logs.filtered(lambda log: log.state == "failed")
        if busy and not stopped:
            return self._magento_busy_said(busy)
        if failed or stopped:
            # A stopped run's summary carries what to do (e.g. check the keys);
            # otherwise Magento's own words.
            problems = lines.filtered(lambda line: line.level in ("error", "warning"))
            said = stopped.mapped("summary") or problems.mapped("message")
            # What to do, or what happens next (a lost answer is looked up first).
            advice = [text for text in dict.fromkeys(failed.mapped("magento_advice")) if text and text not in said]
            return {
                "kind": "danger",
                "title": self.env._("Export to Magento failed"),
                "message": "\n".join(said + advice),
                "sticky": True,
            }
        if waiting:
            # Not sent again while Magento may still be creating it: a wait, not a failure.
            return {
                "kind": "info",
                "title": self.env._("Waiting for Magento"),
                "message": "\n".join(lines.filtered(lambda line: line.move_id in waiting).mapped("message")),
                "sticky": False,
            }
        # The run's own words: created, or linked to a document Magento
        # already held (its own, or one an earlier lost answer created).
        said = lines.filtered(lambda line: line.move_id in exported and line.level == "info")
        params = {
            "kind": "success",
            "title": self.env._("Export to Magento"),
            "message": "\n".join(said.sorted("id").mapped("message")),
            "sticky": False,
        }
        warnings = exported.filtered("magento_totals_warning")
        if warnings:
            params.update(kind="warning", message="\n".join(warnings.mapped("magento_totals_warning")), sticky=True)
        return params

    def _magento_busy_said(self, busy):
        names = ", ".join(busy.mapped("name"))
        if all(move.move_type == "out_refund" for move in busy):
            message = self.env._(
                "Another run is exporting %(names)s right now. Reload the credit note in a moment.", names=names
            )
        else:
            message = self.env._(
                "Another run is exporting %(names)s right now. Reload the invoice in a moment.", names=names
            )
        return {"kind": "warning", "title": self.env._("Already being exported"), "message": message, "sticky": False}

    def action_magento_export_selected(self):
        """The list view's action: export the selected eligible invoices now."""
        self.check_access("write")
        moves = self.filtered(lambda m: m.magento_export_state in EXPORTABLE)
        if not moves:
            raise UserError(self.env._("None of the selected invoices or credit notes can be exported to Magento now."))
        moves.magento_instance_id.check_access("read")
        exporter = self.env["magento.invoice.exporter"]
        if exporter._caller_has_unfinished_changes():
            return moves._magento_export_after_commit()
        logs = exporter._export_from_screen(moves.magento_instance_id, moves=moves, respect_attempts=False)
        return logs._action_open()

    def _magento_export_after_commit(self):
        """Called amid unsaved changes (a server action, an automation): export
        once they are committed, in a transaction of the export's own."""
        self.env["magento.invoice.exporter"]._export_after_commit(self.magento_instance_id, self, False)
        return _notification(
            "info",
            self.env._("Export to Magento"),
            self.env._(
                "%(names)s go to Magento as soon as this transaction is saved.", names=", ".join(self.mapped("name"))
            ),
        )

    def action_magento_mark(self):
        """Magento > Info tab: Not to Export, or Link to a Magento invoice (managers)."""
        self.ensure_one()
        self._magento_check_manager()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Magento Invoice by Hand"),
            "res_model": "magento.invoice.link.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_move_id": self.id},
        }

    def action_magento_allow_export(self):
        self._magento_check_manager()
        moves = self.filtered("magento_no_export")
        moves._magento_write({"magento_no_export": False, "magento_no_export_reason": False})
        for move in moves:
            move._message_log(body=Markup("%s") % self.env._("Magento export allowed again."))
        return True

    def _magento_check_manager(self):
        if not self.env.user.has_group("magento_invoice_export.group_magento_manager"):
            raise AccessError(self.env._("Only a Magento manager can decide this for an invoice."))
        self.check_access("write")

    def action_magento_reset_attempts(self):
        if not self.env.user.has_group("magento_invoice_export.group_magento_manager"):
            raise AccessError(self.env._("Only a Magento manager can reset the export attempts."))
        self.check_access("write")
        moves = self.filtered(lambda m: m.magento_export_attempts and not m.magento_invoice_id)
        # Tried again as new: the badge says To Export, not Needs Action, until the next answer.
        moves._magento_write({"magento_export_attempts": 0, "magento_failure_kind": False})
        for move in moves:
            move._message_log(
                body=Markup("%s") % self.env._("Magento export attempts reset: the bulk export will take it again.")
            )
        return True

    def action_magento_accept_difference(self):
        """A Magento manager exports an invoice at Magento's amounts, where
        Magento computes another total than Odoo's: said in the chatter, with
        both figures, then exported."""
        if not self.env.user.has_group("magento_invoice_export.group_magento_manager"):
            raise AccessError(self.env._("Only a Magento manager can export an invoice at Magento's amounts."))
        self.check_access("write")
        moves = self.filtered(
            lambda m: m.move_type == "out_invoice" and m.magento_amounts_differ and not m.magento_invoice_id
        )
        for move in moves:
            move._magento_write({"magento_accept_difference": True, "magento_export_attempts": 0})
            move._message_log(
                body=Markup("%s")
                % self.env._(
                    "%(user)s chose to export this invoice at Magento's amounts: %(difference)s",
                    user=self.env.user.name,
                    difference=move.magento_last_error or "",
                )
            )
        return moves.action_magento_export_invoice() if moves else True

    def action_magento_difference_checked(self):
        """A Magento manager has looked at a difference of totals between an
        exported document and Magento's: it leaves Needs Action, said in the chatter."""
        if not self.env.user.has_group("magento_invoice_export.group_magento_manager"):
            raise AccessError(self.env._("Only a Magento manager can mark a difference of totals checked."))
        self.check_access("write")
        moves = self.filtered(lambda m: m.magento_invoice_id and m.magento_totals_warning)
        moves._magento_write({"magento_failure_kind": False, "magento_advice": False})
        for move in moves:
            move._message_log(
                body=Markup("%s")
                % self.env._(
                    "%(user)s checked the difference of totals: %(warning)s",
                    user=self.env.user.name,
                    warning=move.magento_totals_warning,
                )
            )
        return True
