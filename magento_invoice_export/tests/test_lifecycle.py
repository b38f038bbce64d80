"""One Odoo invoice = one Magento invoice, whatever a user clicks afterwards."""

import re

from lxml import etree

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged
from odoo.tools.safe_eval import safe_eval

from .common import MagentoTestCommon


@tagged("post_install", "-at_install")
class TestInvoiceLifecycle(MagentoTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.invoicing_user = cls._user(
            "lifecycle_invoicing", "account.group_account_invoice,sales_team.group_sale_salesman_all_leads"
        )

    def _exported(self):
        sale_order, order = self._magento_order()
        move = self._invoice(sale_order)
        move.action_magento_export_invoice()
        self.assertTrue(move.magento_invoice_id)
        return sale_order, order, move

    def _as_imported(self):
        """Magento's prices without Odoo taxes, as the import makes orders: the totals agree."""
        bag, hoodie = self._products()
        (bag | hoodie | self.product_shipping).taxes_id = False

    def test_exported_invoice_cannot_be_deleted_and_reset_warns(self):
        _sale_order, order, move = self._exported()
        action = move.button_draft()
        self.assertEqual(action["params"]["type"], "warning")
        self.assertIn(f"Magento keeps its invoice {move.magento_invoice_ref}", action["params"]["message"])
        self.assertIn("credit note", action["params"]["message"])
        self.assertIn("Magento keeps its invoice", move.message_ids[0].body)
        with self.assertRaisesRegex(UserError, "cannot be deleted"):
            move.unlink()
        # Invoicing the order again never makes a second Magento invoice of the same goods.
        self.assertEqual(len(self._invoice_posts(order)), 1)
        self.assertTrue(move.exists() and move.magento_invoice_id)

    def test_exported_invoice_cannot_be_cancelled_a_credit_note_corrects_it(self):
        """Issue 22: cancelled, it still said "Exported" and no credit note could correct it."""
        _sale_order, _order, move = self._exported()
        for label, cancel in (
            ("Cancel", lambda m: m.button_cancel()),
            ("Reset to Draft, then Cancel", lambda m: (m.button_draft(), m.button_cancel())),
            ("a plain write", lambda m: m.write({"state": "cancel"})),
        ):
            with self.subTest(path=label):
                with self.assertRaises(UserError) as refused:
                    cancel(move.with_user(self.invoicing_user))
                said = str(refused.exception)
                self.assertIn(f"is Magento invoice {move.magento_invoice_ref}: it cannot be cancelled", said)
                self.assertIn("correct it with a credit note", said)
                self.assertEqual(move.state, "posted")
        # A full refund (Odoo's "Reverse" that reconciles) still works: the invoice stays posted and exported.
        credit_note = move._reverse_moves(cancel=True)
        self.assertEqual((credit_note.state, move.state, move.payment_state), ("posted", "posted", "reversed"))
        self.assertEqual(move.magento_export_state, "exported")

    def test_exported_credit_note_cannot_be_cancelled(self):
        _sale_order, _order, move = self._exported()
        credit_note = move._reverse_moves(cancel=True)
        credit_note._magento_write({"magento_invoice_id": 77, "magento_invoice_ref": "000000077"})
        with self.assertRaisesRegex(UserError, "is Magento credit memo 000000077: it cannot be cancelled"):
            credit_note.button_cancel()

    def test_invoice_whose_answer_was_lost_cannot_be_cancelled_until_decided(self):
        """Issue 22: cancelled, it was never looked up again and Magento kept an invoice no Odoo document links."""
        sale_order, _order = self._magento_order()
        move = self._invoice(sale_order)
        self.magento.inject("drop_after", method="POST")
        move.action_magento_export_invoice()
        self.assertTrue(move.magento_export_sent_at and not move.magento_invoice_id)
        move.button_draft()
        with self.assertRaises(UserError) as refused:
            move.with_user(self.invoicing_user).button_cancel()
        message = str(refused.exception)
        self.assertIn("(Magento may hold it): it cannot be cancelled until an export has looked it up", message)
        self.assertIn("Not to Export or Link by Hand", message)
        with self.assertRaisesRegex(UserError, "cannot be cancelled"):
            sale_order.with_user(self.invoicing_user)._action_cancel()  # cancelling the order cancels its drafts
        self.assertEqual(move.state, "draft")
        # A Magento manager who checked Magento decides: never to export it; then it may be cancelled.
        wizard = self.env["magento.invoice.link.wizard"].create(
            {"move_id": move.id, "decision": "no_export", "reason": "Not in Magento, checked"}
        )
        wizard.action_confirm()
        move.button_cancel()
        self.assertEqual(move.state, "cancel")

    def test_invoice_never_sent_is_cancelled_as_usual(self):
        sale_order, _order = self._magento_order()
        move = self._invoice(sale_order)
        move.with_user(self.invoicing_user).button_cancel()
        self.assertEqual(move.state, "cancel")

    def test_outcome_unknown_invoice_cannot_be_deleted(self):
        sale_order, _order = self._magento_order()
        move = self._invoice(sale_order)
        move._magento_write({"magento_export_sent_at": fields.Datetime.now()})
        move.button_draft()
        with self.assertRaisesRegex(UserError, "may hold it"):
            move.unlink()

    def test_reposting_with_other_quantities_than_exported_is_refused(self):
        bag, _hoodie = self._products()
        _sale_order, order, move = self._exported()
        move.button_draft()
        with Form(move) as form, form.invoice_line_ids.edit(0) as line:
            self.assertEqual(line.product_id, bag)
            line.quantity = 1
        holds = r"is Magento invoice \d+, which holds 2.0 x \[24-MB01\] Joust Duffle Bag"
        with self.assertRaisesRegex(UserError, holds):
            move.action_post()
        with Form(move) as form, form.invoice_line_ids.edit(0) as line:
            line.quantity = 2
        move.action_post()
        self.assertEqual(move.magento_export_state, "exported")
        self.assertEqual(len(self._invoice_posts(order)), 1, "never sent again")

    def test_reposting_with_other_prices_than_exported_is_refused(self):
        """Issue 21: Magento holds 229.00 (its own prices); a re-posted 162.00 would never reach it."""
        self._as_imported()
        _sale_order, order, move = self._exported()
        magento_total = float(self.magento.store.get_invoice(move.magento_invoice_id)["grand_total"])
        self.assertEqual((move.amount_total, magento_total), (229.0, 229.0))
        move.button_draft()
        with Form(move) as form, form.invoice_line_ids.edit(0) as line:
            line.price_unit = 0.5
        with self.assertRaises(UserError) as error:
            move.action_post()
        money = move.currency_id.format
        self.assertIn(f"is Magento invoice {move.magento_invoice_ref} for {money(229)};", str(error.exception))
        self.assertIn(f"posted again it would total {money(162)}", str(error.exception))
        self.assertIn("correct it with a credit note", str(error.exception))
        with Form(move) as form, form.invoice_line_ids.edit(0) as line:
            line.price_unit = 34
        move.action_post()
        self.assertEqual(len(self._invoice_posts(order)), 1, "never sent again")

    def test_an_invoice_whose_answer_was_lost_keeps_its_amounts_too(self):
        self._as_imported()
        sale_order, order = self._magento_order()
        move = self._invoice(sale_order)
        self.magento.inject("drop_after", method="POST")
        move.action_magento_export_invoice()
        self.assertTrue(move.magento_export_sent_at and not move.magento_invoice_id)
        move.button_draft()
        with Form(move) as form, form.invoice_line_ids.edit(0) as line:
            line.quantity = 1
        with self.assertRaises(UserError) as error:
            move.action_post()
        self.assertRegex(str(error.exception), r"was sent to Magento at .* \(Magento may hold it\), which holds 2.0 x ")
        with Form(move) as form, form.invoice_line_ids.edit(0) as line:
            line.quantity = 2
            line.price_unit = 30
        with self.assertRaises(UserError) as error:
            move.action_post()
        held = r"was sent to Magento at .* for " + re.escape(move.currency_id.format(229))
        self.assertRegex(str(error.exception), held)
        with Form(move) as form, form.invoice_line_ids.edit(0) as line:
            line.price_unit = 34
        move.action_post()
        self.assertEqual(len(self._invoice_posts(order)), 1)

    def test_look_up_adopts_only_what_this_invoice_created(self):
        """Another Odoo invoice's comment, or an invoice without ours, is never this one's."""
        self.env["ir.config_parameter"].set_param("magento_invoice_export.lost_answer_grace_seconds", 0)
        sale_order, order = self._magento_order()
        move = self._invoice(sale_order)
        items = [{"order_item_id": i["item_id"], "qty": i["qty_ordered"]} for i in order["items"][:2]]
        # A deleted invoice of another database with the same number (the old comment), same items.
        self.magento.store.invoice_order(
            order["entity_id"], {"items": [items[0]], "comment": {"comment": f"Odoo invoice {move.name}"}}
        )
        foreign = max(self.magento.store.invoices)
        move._magento_write({"magento_export_sent_at": fields.Datetime.now()})
        move.action_magento_export_invoice()
        self.assertNotEqual(move.magento_invoice_id, foreign)
        self.assertEqual(len(self._invoice_posts(order)), 1, "looked up, nothing of its own found: posted")
        comment = self.magento.store.invoices[move.magento_invoice_id]["comments"][0]["comment"]
        self.assertEqual(comment, move._magento_comment())
        self.assertTrue(comment.startswith(f"Odoo invoice {move.name} ["), "unique to this Odoo invoice")

    def test_create_invoices_on_several_magento_orders_makes_one_per_order(self):
        first, _order1 = self._magento_order()
        second, _order2 = self._magento_order()
        moves = (first | second)._create_invoices()
        self.assertEqual(len(moves), 2)
        self.assertEqual(moves.mapped("magento_order_count"), [1, 1])
        self.assertEqual(set(moves.magento_sale_order_id.ids), {first.id, second.id})

    def test_magento_order_id_zero_is_no_order(self):
        # As the import creates them (it alone may set an order's Magento link).
        orders = (
            self.env["sale.order"]
            .sudo()
            .create(
                [
                    {"partner_id": self.partner_a.id, "magento_instance_id": self.instance.id, "magento_order_id": 0}
                    for _ in range(2)
                ]
            )
        )
        self.assertEqual(len(orders), 2, "0 is not a value that must be unique")


@tagged("post_install", "-at_install")
class TestAuditTrail(MagentoTestCommon):
    def test_instance_with_orders_invoices_or_logs_cannot_be_deleted(self):
        self._magento_order()
        with self.assertRaisesRegex(UserError, "archive it instead"):
            self.instance.unlink()
        lonely = self.instance.copy({"name": "Unused", **self.magento.credentials})
        lonely.unlink()
        self.assertFalse(lonely.exists(), "an instance nothing refers to can go")

    def test_nobody_deletes_a_process_log_from_the_ui(self):
        log = self._bulk_export()
        manager = self._user("mgr_logs", "magento_invoice_export.group_magento_manager")
        with self.assertRaises(AccessError):
            log.with_user(manager).unlink()
        with self.assertRaises(AccessError):
            self.env["magento.process.log.line"].with_user(manager).check_access("unlink")

    def test_nobody_rewrites_the_audit_trail(self):
        """Issue 22: managers changed summaries and messages over XML-RPC, and set an old
        log back to queued with respect_attempts off, which the queued-run cron then ran."""
        sale_order, _order = self._magento_order()
        self._invoice(sale_order)
        log = self._bulk_export()
        line = log.line_ids[:1]
        self.assertTrue(line)
        groups = "magento_invoice_export.group_magento_manager,account.group_account_invoice"
        manager = self._user("mgr_audit", groups)
        administrator = self._user("admin_audit", f"base.group_system,{groups}")
        for user in (manager, administrator):
            for records, vals in (
                (log, {"summary": "All fine"}),
                (log, {"state": "queued", "respect_attempts": False}),
                (line, {"message": "Nothing happened"}),
            ):
                with self.subTest(user=user.login, vals=vals), self.assertRaises(AccessError):
                    records.with_user(user).write(vals)
            with self.subTest(user=user.login, model="create"), self.assertRaises(AccessError):
                self.env["magento.process.log"].with_user(user).create(
                    {"operation": "export_invoice", "instance_id": self.instance.id, "state": "queued"}
                )
            with self.subTest(user=user.login, model="line create"), self.assertRaises(AccessError):
                self.env["magento.process.log.line"].with_user(user).create({"log_id": log.id, "message": "Forged"})
        self.assertEqual((log.state, log.respect_attempts), ("done", True))
        # The runs still write their logs, for a manager who runs them.
        sale_order, _order = self._magento_order()
        self._invoice(sale_order)
        wizard = self.env["magento.operation.wizard"].with_user(manager).create({"operation": "export_invoice"})
        run = self.env["magento.process.log"].browse(wizard.action_execute()["res_id"])
        self.assertEqual((run.state, run.exported_count, run.user_id), ("done", 1, manager))


@tagged("post_install", "-at_install")
class TestByHand(MagentoTestCommon):
    def _credit_and_invoice_again(self):
        sale_order, order = self._magento_order()
        first = self._invoice(sale_order)
        first.action_magento_export_invoice()
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=first.ids)
            .create({"journal_id": first.journal_id.id, "reason": "wrong price"})
        )
        reversal.refund_moves()
        first.reversal_move_ids.action_post()
        second = self._invoice(sale_order)
        return order, first, second

    def test_corrected_invoice_of_goods_magento_invoiced_already_is_not_exportable(self):
        order, first, second = self._credit_and_invoice_again()
        log = self._bulk_export()
        self.assertEqual(len(self._invoice_posts(order)), 1, "nothing sent for the corrected invoice")
        self.assertEqual(
            (second.magento_export_state, second.magento_export_reason), ("not_exportable", "invoiced_in_magento")
        )
        self.assertEqual(second.magento_export_attempts, 0, "not a failure to retry")
        self.assertIn(f"Magento already invoiced these goods with {first.magento_invoice_ref}", log.line_ids.message)
        self.assertNotIn("credit note and a new invoice", log.line_ids.message, "no advice to do it again")
        self.assertEqual(self._bulk_export().line_ids.ids, [], "left alone by the next runs")

        manager = self._user("mgr_hand", "magento_invoice_export.group_magento_manager,account.group_account_invoice")
        invoicing = self._user("inv_hand", "account.group_account_invoice")
        with self.assertRaises(AccessError):
            second.with_user(invoicing).action_magento_mark()
        action = second.with_user(manager).action_magento_mark()
        wizard = Form(self.env[action["res_model"]].with_user(manager).with_context(**action["context"]))
        wizard.decision = "no_export"
        wizard.reason = f"Magento keeps invoice {first.magento_invoice_ref}"
        wizard.save().action_confirm()
        self.assertEqual(second.magento_export_reason, "marked_not_to_export")
        self.assertIn("Marked Not to Export to Magento: Magento keeps invoice", second.message_ids[0].body)

    def test_link_by_hand_to_an_invoice_made_in_magento(self):
        sale_order, order = self._magento_order()
        move = self._invoice(sale_order)
        made_in_admin = self.magento.store.invoice_order(order["entity_id"], {})
        other_sale_order, other_order = self._magento_order()
        elsewhere = self.magento.store.invoice_order(other_order["entity_id"], {})
        wizard = self.env["magento.invoice.link.wizard"].create(
            {"move_id": move.id, "decision": "link", "magento_invoice_id": elsewhere}
        )
        with self.assertRaisesRegex(UserError, "belongs to another Magento order"):
            wizard.action_confirm()
        wizard.magento_invoice_id = made_in_admin
        wizard.action_confirm()
        self.assertEqual((move.magento_invoice_id, move.magento_export_state), (made_in_admin, "exported"))
        self.assertIn("Linked by hand to Magento invoice", move.message_ids[0].body)
        self.assertFalse(self._invoice_posts(order), "nothing created in Magento")
        twice = self.env["magento.invoice.link.wizard"].create(
            {"move_id": self._invoice(other_sale_order).id, "decision": "link", "magento_invoice_id": made_in_admin}
        )
        with self.assertRaisesRegex(UserError, "already stands for"):
            twice.action_confirm()


@tagged("post_install", "-at_install")
class TestLeftOut(MagentoTestCommon):
    def test_product_lines_left_out_are_named_shipping_stays_silent(self):
        bag, _hoodie = self._products()
        sale_order, order = self._magento_order()
        move = self._invoice(sale_order, post=False)
        # Free: a priced line Magento does not carry would make the totals differ (not sent, see below).
        gift = self.env["product.product"].create({"name": "Gift Wrap", "default_code": "GIFT", "lst_price": 0})
        with Form(move) as form:
            with form.invoice_line_ids.new() as line:
                line.product_id = gift
                line.quantity = 1
        move.action_post()
        self.assertEqual(move.magento_left_out, "[GIFT] Gift Wrap (no Magento order item)")
        move.action_magento_export_invoice()
        self.assertIn("Left out of it: [GIFT] Gift Wrap (no Magento order item).", move.magento_log_line_ids.message)
        self.assertNotIn("Shipping", move.magento_log_line_ids.message, "shipping stays out silently")
        self.assertEqual(len(self._invoice_posts(order)[0]["json"]["items"]), 2)
        self.assertNotIn(bag.display_name, move.magento_left_out)

    def test_a_priced_line_magento_does_not_carry_is_named_in_the_refusal(self):
        sale_order, order = self._magento_order()
        move = self._invoice(sale_order, post=False)
        gift = self.env["product.product"].create({"name": "Gift Wrap", "default_code": "GIFT", "lst_price": 3})
        with Form(move) as form, form.invoice_line_ids.new() as line:
            line.product_id = gift
            line.tax_ids.clear()
        move.action_post()
        move.action_magento_export_invoice()
        self.assertFalse(self._invoice_posts(order))
        usd = move.currency_id
        self.assertIn(
            f"Magento would invoice {usd.format(229)} where this invoice says {usd.format(232)}",
            move.magento_last_error,
        )
        self.assertIn(
            "Magento's invoice would not carry: [GIFT] Gift Wrap (no Magento order item).", move.magento_last_error
        )


@tagged("post_install", "-at_install")
class TestInterruptedRuns(MagentoTestCommon):
    def test_a_run_whose_process_died_is_marked_interrupted_a_live_one_is_not(self):
        Log = self.env["magento.process.log"]
        seen = fields.Datetime.from_string("2026-01-02 03:04:05")
        # Written by the runs alone (sudo), as a run creates them.
        dead = Log.sudo().create({"operation": "export_invoice", "instance_id": self.instance.id, "last_seen": seen})
        alive = Log.sudo().create({"operation": "export_invoice", "instance_id": self.instance.id})
        from ..models.magento_process_log import LOG_LOCK_NAMESPACE

        with self.env.registry.cursor() as other:  # another Odoo process, still running its export
            other.execute("SELECT pg_advisory_lock(%s, %s)", [LOG_LOCK_NAMESPACE, alive.id])
            self._bulk_export()
            other.execute("SELECT pg_advisory_unlock(%s, %s)", [LOG_LOCK_NAMESPACE, alive.id])
        self.assertEqual((dead.state, dead.end_date), ("interrupted", seen))
        self.assertIn("last seen at 2026-01-02 03:04:05", dead.summary)
        self.assertEqual(alive.state, "running")


@tagged("post_install", "-at_install")
class TestWorklist(MagentoTestCommon):
    def _worklist(self, *filters):
        action = self.env["ir.actions.act_window"]._for_xml_id("magento_invoice_export.action_magento_invoices")
        domain = list(safe_eval(action["domain"]))
        search = self.env.ref("magento_invoice_export.view_magento_invoice_search")
        arch = etree.fromstring(search.arch)
        for name in filters:
            [node] = arch.xpath(f"//filter[@name='{name}']")
            domain += safe_eval(node.get("domain"))
        return self.env["account.move"].search(domain)

    def test_statuses_say_what_is_true_and_what_to_do(self):
        sale_order, _order = self._magento_order()
        refused = self._invoice(sale_order)
        self.magento.inject(
            "error",
            status=400,
            method="POST",
            body={
                "message": "Invoice Document Validation Error(s):\n"
                "An invoice cannot be created when an order has a status of holded"
            },
        )
        self._bulk_export()
        self.assertIn(refused, self._worklist("failed_action"))
        self.assertEqual(refused.magento_status_text, "Failed, needs action: see What to Do")
        self.assertIn("release a hold, then export again", refused.magento_advice)
        self.assertIn("release a hold", refused.magento_log_line_ids.advice)

        sale_order, _order = self._magento_order()
        passing = self._invoice(sale_order)
        self.magento.inject("html", status=503, method="POST")
        self.env["magento.invoice.exporter"]._export_invoices(self.instance, moves=passing)
        # A 503 to a POST: Magento may have made it. The filter says what the badge says.
        self.assertEqual(passing.magento_status, "waiting_magento")
        self.assertIn(passing, self._worklist("outcome_unknown"))
        self.assertNotIn(passing, self._worklist("failed_retry"))
        passing._magento_write({"magento_export_sent_at": False})  # looked up meanwhile: not in Magento
        self.assertIn(passing, self._worklist("failed_retry"))
        self.assertEqual(passing.magento_status, "will_retry")
        cron = self.env.ref("magento_invoice_export.ir_cron_magento_export_invoice")
        self.assertFalse(cron.active)
        self.assertEqual(
            passing.magento_status_text, "Failed, tried again at the next export (the scheduled export is off)"
        )
        cron.active = True
        passing.invalidate_recordset(["magento_status_text"])
        self.assertTrue(passing.magento_status_text.startswith("Failed, will retry at "))

        sale_order, _order = self._magento_order()
        lost = self._invoice(sale_order)
        lost._magento_write({"magento_export_sent_at": fields.Datetime.now()})
        self.assertIn(lost, self._worklist("outcome_unknown"))
        self.assertTrue(lost.magento_status_text.startswith("Waiting until "), lost.magento_status_text)
        self.assertEqual(lost.magento_export_state, "to_export", "never a red failure")

    def test_worklist_filters_by_reason_and_groups_by_payment_method(self):
        sale_order, _order = self._magento_order(payment_method=self.pm_cashondelivery)
        blocked = self._invoice(sale_order)
        self.assertEqual(self._worklist("reason_method_never"), blocked)
        groups = self.env["account.move"].read_group(
            [("id", "=", blocked.id)], ["magento_payment_method_id"], ["magento_payment_method_id"]
        )
        self.assertEqual(groups[0]["magento_payment_method_id"][0], self.pm_cashondelivery.id)
        self.assertIn("Post the invoice", self.env.ref("magento_invoice_export.action_magento_invoices").help)
