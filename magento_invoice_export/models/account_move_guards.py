"""What Magento holds stays: the guards on an invoice or credit note that
Magento may hold (delete, reset to draft, cancel, post again) and on the
export's own fields, which only the export writes."""

from markupsafe import Markup

from odoo import api, models
from odoo.exceptions import AccessError, UserError

from .account_move import MAGENTO_WRITABLE, _notification


class AccountMove(models.Model):
    _inherit = "account.move"

    @api.ondelete(at_uninstall=False)
    def _unlink_except_in_magento(self):
        for move in self:
            if move.magento_invoice_id and move._magento_document() == "creditmemo":
                raise UserError(
                    self.env._(
                        "%(name)s is credit memo %(ref)s in Magento: it cannot be deleted, or Odoo would lose the "
                        "link while Magento keeps its credit memo. Post it again with what was exported.",
                        name=move.name,
                        ref=move._magento_number(),
                    )
                )
            if move.magento_invoice_id:
                raise UserError(
                    self.env._(
                        "%(name)s is invoice %(ref)s in Magento: it cannot be deleted, or Odoo would lose the link "
                        "while Magento keeps its invoice. Post it again with what was exported and correct it with "
                        "a credit note.",
                        name=move.name,
                        ref=move._magento_number(),
                    )
                )
            if move.magento_export_sent_at:
                raise UserError(
                    self.env._(
                        "%(name)s was sent to Magento at %(at)s and no answer came back: Magento may hold it. It "
                        "cannot be deleted until an export has looked it up: post it again and export it, or have a "
                        "Magento manager link it by hand.",
                        name=move.name,
                        at=move._magento_time_said(move.magento_export_sent_at),
                    )
                )

    def button_draft(self):
        in_magento = self.filtered("magento_invoice_id")
        # Posted, a document cannot have changed since it was sent: what it
        # holds now is what Magento holds, or may hold after a lost answer.
        self.filtered(lambda m: m.state == "posted")._magento_keep_what_was_sent()
        result = super().button_draft()
        # Corrected quantities are checked again at the next export.
        self.filtered("magento_invoiced_in_magento")._magento_write({"magento_invoiced_in_magento": False})
        # A manager accepted Magento's amounts for the invoice as it was, not as it will be.
        self.filtered(lambda m: m.magento_accept_difference and not m.magento_invoice_id)._magento_write(
            {"magento_accept_difference": False}
        )
        return in_magento._magento_keeps_its_invoice() or result

    def button_cancel(self):
        # Refused before Odoo resets a posted document to draft on its way to cancelled.
        self._magento_check_cancel()
        return super().button_cancel()

    def _magento_check_cancel(self):
        """Refuse to cancel a document Magento holds or may hold: cancelled, it
        would never be looked up again nor corrected by a credit note, while
        Magento keeps its document. A manager's Not to Export settles a lost answer."""
        for move in self:
            if move.magento_invoice_id:
                if move._magento_document() == "creditmemo":
                    way_out = self.env._(
                        "Magento never cancels a credit memo: keep it posted, and invoice again what must be invoiced."
                    )
                else:
                    way_out = self.env._(
                        "Magento never cancels an invoice: post it with what was exported and correct it with a "
                        "credit note."
                    )
                raise UserError(
                    self.env._(
                        "%(held)s: it cannot be cancelled. %(way_out)s", held=move._magento_held(), way_out=way_out
                    )
                )
            if move.magento_export_sent_at and not move.magento_no_export:
                raise UserError(
                    self.env._(
                        "%(held)s: it cannot be cancelled until an export has looked it up, or Magento could keep "
                        "it while no Odoo document links it. Post it again and export it (a credit note then "
                        "corrects it), or have a Magento manager decide on its Magento Info tab: Not to Export or "
                        "Link by Hand.",
                        held=move._magento_held(),
                    )
                )

    def _magento_keeps_its_invoice(self):
        """Say, on each document and on screen, that Magento's invoice (or credit memo) stays."""
        if not self:
            return None
        memos = self.filtered(lambda move: move._magento_document() == "creditmemo")
        invoices = self - memos
        messages = []
        if invoices:
            messages.append(
                self.env._(
                    "Magento keeps its invoice %(refs)s: Magento never deletes or changes an invoice. To correct "
                    "%(names)s, post a credit note; this invoice can be posted again only with the quantities and "
                    "amounts exported.",
                    refs=", ".join(move._magento_number() for move in invoices),
                    names=", ".join(invoices.mapped("name")),
                )
            )
        if memos:
            messages.append(
                self.env._(
                    "Magento keeps its credit memo %(refs)s: Magento never deletes, cancels or changes a credit "
                    "memo. %(names)s can be posted again only with the quantities and amounts exported; to give "
                    "back what it refunds, invoice it again.",
                    refs=", ".join(move._magento_number() for move in memos),
                    names=", ".join(memos.mapped("name")),
                )
            )
        for move in self:
            move._message_log(body=Markup("%s") % messages[0 if move in invoices else -1])
        title = self.env._("Magento keeps its invoice") if invoices else self.env._("Magento keeps its credit memo")
        if invoices and memos:
            title = self.env._("Magento keeps its documents")
        return _notification("warning", title, "\n".join(messages), sticky=True)

    def _magento_keep_what_was_sent(self):
        """Record the items and total of documents Magento holds or may hold,
        where the export did not (sent before the total was kept, or a lost answer)."""
        for move in self.filtered(lambda m: m.magento_invoice_id or m.magento_export_sent_at):
            values = {}
            if not move.magento_exported_items:
                values["magento_exported_items"] = [[item, qty] for item, qty in move._magento_invoice_items()]
            if not move.magento_exported_currency_id:
                values.update(
                    magento_exported_total=move.amount_total, magento_exported_currency_id=move.currency_id.id
                )
            if values:
                move._magento_write(values)

    def _post(self, soft=True):
        for move in self.filtered(lambda m: m.magento_exported_items or m.magento_exported_currency_id):
            problem = move._magento_changed_since_sent()
            if problem:
                raise UserError(problem)
        return super()._post(soft=soft)

    def _magento_changed_since_sent(self):
        """Why this document may not be posted as it stands (Magento holds, or
        may hold, other quantities or amounts), or False."""
        exported = {int(item): round(float(qty), 4) for item, qty in self.magento_exported_items or []}
        if (
            self.magento_exported_items
            and exported != dict(self._magento_invoice_items())
            and self._magento_document() == "creditmemo"
        ):
            return self.env._(
                "%(held)s, which holds %(items)s: Magento never changes a credit memo. Post it with these quantities.",
                held=self._magento_held(),
                items=self._magento_describe_items(exported),
            )
        if self.magento_exported_items and exported != dict(self._magento_invoice_items()):
            return self.env._(
                "%(held)s, which holds %(items)s: Magento never changes an invoice. Post it with these quantities, "
                "then correct it with a credit note.",
                held=self._magento_held(),
                items=self._magento_describe_items(exported),
            )
        sent = self.magento_exported_currency_id
        changed = sent and (
            sent != self.currency_id or sent.compare_amounts(self.magento_exported_total, self.amount_total)
        )
        if changed and self._magento_document() == "creditmemo":
            return self.env._(
                "%(held)s; posted again it would total %(now)s, which Magento would never know: Magento never "
                "changes a credit memo. Post it with the amounts exported.",
                held=self._magento_held(sent.format(self.magento_exported_total)),
                now=self.currency_id.format(self.amount_total),
            )
        if changed:
            return self.env._(
                "%(held)s; posted again it would total %(now)s, which Magento would never know: Magento never "
                "changes an invoice. Post it with the amounts exported, then correct it with a credit note.",
                held=self._magento_held(sent.format(self.magento_exported_total)),
                now=self.currency_id.format(self.amount_total),
            )
        return False

    def _magento_held(self, amount=None):
        """ "INV/1 is Magento invoice 000000012 [for $ 229.00]", or that it was sent and may be there."""
        kind = self.env._("credit memo") if self._magento_document() == "creditmemo" else self.env._("invoice")
        if self.magento_invoice_id and amount:
            return self.env._(
                "%(name)s is Magento %(kind)s %(ref)s for %(amount)s",
                name=self.name,
                kind=kind,
                ref=self._magento_number(),
                amount=amount,
            )
        if self.magento_invoice_id:
            return self.env._(
                "%(name)s is Magento %(kind)s %(ref)s", name=self.name, kind=kind, ref=self._magento_number()
            )
        return self.env._(
            "%(name)s was sent to Magento at %(at)s%(amount)s (Magento may hold it)",
            name=self.name,
            at=self._magento_time_said(self.magento_export_sent_at),
            amount=self.env._(" for %(amount)s", amount=amount) if amount else "",
        )

    def _magento_describe_items(self, quantities):
        """``{item id: qty}`` as "2.0 x [24-MB01] Joust Duffle Bag, ..."."""
        names = {
            line.magento_item_id: line.product_id.display_name
            for line in self.invoice_line_ids.sale_line_ids.order_id.order_line
            if line.magento_item_id
        }
        return ", ".join(f"{qty} x {names.get(item, item)}" for item, qty in quantities.items())

    def _magento_write(self, vals):
        """Write the export's bookkeeping fields only, with the ORM's own write.

        account.move.write (hash, journal and lock-date checks, line
        synchronisation, "manually modified") and mail's tracking are about
        fields these are not, and cost a millisecond per invoice of a bulk
        export, twice per invoice: skipped. The ORM still stores them, stamps
        write_date and recomputes what depends on them.
        """
        assert set(vals) <= MAGENTO_WRITABLE, set(vals) - MAGENTO_WRITABLE
        return models.BaseModel.write(self.sudo(), vals)

    @api.model_create_multi
    def create(self, vals_list):
        # Created with an id, Odoo would say "Exported" where Magento holds
        # nothing, and the delete guard would protect the forgery. No one sets
        # these at creation: the export writes them once the document exists.
        # Context defaults count too: Odoo applies them in its own sudo'ed
        # creations (sale's Create Invoice) from a context the caller sends.
        defaults = {key[8:]: value for key, value in self.env.context.items() if key.startswith("default_")}
        self._magento_refuse_forged([defaults, *vals_list])
        return super().create(vals_list)

    def _magento_refuse_forged(self, vals_list):
        """Refuse values of the export's fields other than blank (a file exported from Odoo carries blanks)."""
        forged = {name for vals in vals_list for name in MAGENTO_WRITABLE & set(vals) if vals[name]}
        if forged:
            raise AccessError(
                self.env._(
                    "The Magento fields of an invoice or credit note (%(fields)s) are kept by the export; use its "
                    "buttons.",
                    fields=", ".join(sorted(forged)),
                )
            )

    def write(self, vals):
        if vals.get("state") == "cancel":
            # Every path to cancelled (Cancel, a mass action, a plain write over RPC).
            self._magento_check_cancel()
        # What Magento holds is written by the export (and the manager's
        # decisions, all through _magento_write), never by a plain write:
        # clearing an id over RPC would make the next export post a second
        # Magento invoice.
        if MAGENTO_WRITABLE & set(vals):
            raise AccessError(
                self.env._(
                    "The Magento fields of an invoice or credit note (%(fields)s) are kept by the export; use its "
                    "buttons.",
                    fields=", ".join(sorted(MAGENTO_WRITABLE & set(vals))),
                )
            )
        return super().write(vals)
