"""Bulk actions on the worklist and the responsible's activities (issue 23):
what a Magento manager does to a selection, and what the accountant in charge
of an instance finds in their activities."""

import socket
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from ..export.const import LOCK_NAMESPACE
from .common import MagentoTestCommon

ACTIVITY_TYPE = "magento_invoice_export.mail_activity_type_magento_needs_action"


class BulkCommon(MagentoTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = cls._user(
            "bulk_manager", "magento_invoice_export.group_magento_manager,account.group_account_invoice"
        )
        cls.accountant = cls._user("bulk_accountant", "account.group_account_invoice")

    def _invoices(self, count):
        return self.env["account.move"].union(*(self._invoice(self._magento_order()[0]) for _ in range(count)))

    def _failing(self, order, times=1, message="An invoice cannot be created when an order has a status of holded"):
        self.magento.inject(
            "error",
            status=400,
            body={"message": message},
            method="POST",
            path=f"/order/{order['entity_id']}/",
            times=times,
        )

    def _notified(self, action):
        return action["params"]["type"], action["params"]["message"]


@tagged("post_install", "-at_install")
class TestBulkActions(BulkCommon):
    def test_not_to_export_for_a_selection_says_what_it_left_as_it_was(self):
        todo = self._invoices(3)
        exported = self._invoices(1)
        exported.action_magento_export_invoice()
        credit_note = exported.with_context(include_business_fields=True)._reverse_moves()
        credit_note.action_post()
        plain = self.init_invoice("out_invoice", products=self.product_a, post=True)

        action = (todo | exported | credit_note | plain).with_user(self.manager).action_magento_bulk_no_export()

        self.assertEqual(
            self._notified(action),
            (
                "warning",
                "3 invoices marked Not to Export. Left as they were: 1 invoice not of a Magento order, 1 invoice "
                "already in Magento, 1 credit note (Not to Export is decided for invoices).",
            ),
        )
        self.assertEqual(set(todo.mapped("magento_export_reason")), {"marked_not_to_export"})
        self.assertEqual(exported.magento_export_state, "exported")
        self.assertIn(
            "Marked Not to Export to Magento: chosen for several invoices at once", todo[0].message_ids[0].body
        )

        again = todo.with_user(self.manager).action_magento_bulk_no_export()
        self.assertEqual(self._notified(again), ("warning", "Nothing changed: 3 invoices already marked."))

        back = (todo | exported).with_user(self.manager).action_magento_bulk_allow_export()
        self.assertEqual(
            self._notified(back),
            (
                "warning",
                "3 invoices allowed to go to Magento again. Left as they were: 1 invoice not marked Not to Export.",
            ),
        )
        self.assertEqual(set(todo.mapped("magento_export_state")), {"to_export"})

    def test_an_invoice_being_exported_is_left_to_its_run(self):
        todo = self._invoices(2)
        # Another run holds the first one: its session lock, from another connection.
        with self.env.registry.cursor() as other:
            other.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_NAMESPACE, todo[0].id])
            action = todo.with_user(self.manager).action_magento_bulk_no_export()
            other.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, todo[0].id])
        self.assertEqual(
            self._notified(action),
            (
                "warning",
                "1 invoice marked Not to Export. Left as they were: 1 invoice being exported right now: try again "
                "in a moment.",
            ),
        )
        self.assertEqual(todo.mapped("magento_no_export"), [False, True])

    def test_the_wizard_refuses_a_credit_note_whoever_calls_it(self):
        [invoice] = self._invoices(1)
        invoice.action_magento_export_invoice()
        note = invoice.with_context(include_business_fields=True)._reverse_moves()
        wizard = self.env["magento.invoice.link.wizard"].create(
            {"move_id": note.id, "decision": "no_export", "reason": "Refunded in the shop"}
        )
        with self.assertRaisesRegex(UserError, "is not an invoice of a Magento order"):
            wizard.action_confirm()
        self.assertFalse(note.magento_no_export)

    def test_reset_attempts_for_a_selection(self):
        skipped = self._invoices(2)
        skipped._magento_write({"magento_export_attempts": 3})
        fresh = self._invoices(1)
        self.assertEqual(set(skipped.mapped("magento_export_state")), {"skipped"})

        action = (skipped | fresh).with_user(self.manager).action_magento_bulk_reset_attempts()

        self.assertEqual(
            self._notified(action),
            (
                "warning",
                "2 invoices: failed attempts reset, the scheduled export takes them again. Left as they were: "
                "1 invoice without failed attempts.",
            ),
        )
        self.assertEqual(set(skipped.mapped("magento_export_state")), {"to_export"})
        self.assertIn("attempts reset", skipped[0].message_ids[0].body)

    def test_only_magento_managers_decide_for_a_selection(self):
        moves = self._invoices(2)
        moves._magento_write({"magento_export_attempts": 3})
        for method in (
            "action_magento_bulk_no_export",
            "action_magento_bulk_allow_export",
            "action_magento_bulk_reset_attempts",
        ):
            with self.subTest(method=method), self.assertRaisesRegex(AccessError, "Only a Magento manager"):
                getattr(moves.with_user(self.accountant), method)()
        self.assertEqual(set(moves.mapped("magento_export_state")), {"skipped"}, "nothing changed")
        manager_group = self.env.ref("magento_invoice_export.group_magento_manager")
        for xmlid in ("action_magento_bulk_no_export", "action_magento_bulk_allow_export"):
            action = self.env.ref(f"magento_invoice_export.{xmlid}")
            self.assertEqual((action.groups_id, action.binding_view_types), (manager_group, "list"))
        bound = self.env["ir.actions.actions"].with_user(self.accountant).get_bindings("account.move")["action"]
        names = [action["name"] for action in bound]
        self.assertIn("Export In Magento", names, "an accountant retries the selection")
        self.assertNotIn("Not to Export to Magento", names)
        self.assertNotIn("Reset Magento Export Attempts", names)


@tagged("post_install", "-at_install")
class TestActivities(BulkCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.instance.responsible_user_id = cls.accountant

    def _activities(self, move):
        return move.activity_ids.filtered(lambda a: a.activity_type_id == self.env.ref(ACTIVITY_TYPE))

    def _done(self, move):
        """The chatter's message of the activity marked done."""
        return move.message_ids.filtered(lambda m: m.mail_activity_type_id == self.env.ref(ACTIVITY_TYPE))

    def test_a_refused_invoice_gets_one_activity_closed_once_exported(self):
        sale_order, order = self._magento_order()
        move = self._invoice(sale_order)
        self._failing(order, times=2)
        move.action_magento_export_invoice()
        activity = self._activities(move)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.accountant)
        self.assertEqual(
            activity.summary,
            "An invoice cannot be created when an order has a status of holded",
        )
        self.assertIn(move.magento_advice.split("\n")[0][:40], activity.note)

        self._bulk_export()
        self.assertEqual(self._activities(move), activity, "the same activity, never a second one")

        move.action_magento_export_invoice()
        self.assertTrue(move.magento_invoice_id)
        self.assertFalse(self._activities(move))
        self.assertIn(f"Exported as Magento invoice {move.magento_invoice_ref}", self._done(move).body)

    def test_a_skipped_invoice_says_so_and_a_reset_closes_it(self):
        sale_order, order = self._magento_order()
        move = self._invoice(sale_order)
        self._failing(order, times=3)
        for _attempt in range(3):
            self._bulk_export()
        self.assertEqual(move.magento_export_state, "skipped")
        activity = self._activities(move)
        self.assertEqual(
            activity.summary,
            "Skipped after 3 failed attempts: An invoice cannot be created when an order has a status of holded",
        )

        move.with_user(self.manager).action_magento_bulk_reset_attempts()
        self.assertFalse(self._activities(move), "nothing for a person to do: the export takes it again")
        self.assertEqual(move.magento_status, "to_export", "the badge says so too")

    def test_an_instance_fault_needs_the_responsible_though_it_costs_no_attempt(self):
        [move] = self._invoices(1)
        self.instance.consumer_secret = "0" * 32
        self._bulk_export()
        self.assertEqual((move.magento_status, move.magento_export_attempts), ("needs_action", 0))
        activity = self._activities(move)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.accountant)

    def _refused(self, count):
        moves = self._invoices(count)
        for move in moves:
            self._failing({"entity_id": move.magento_sale_order_id.magento_order_id})
        moves.action_magento_export_selected()
        self.assertEqual(len(moves.activity_ids), count)
        return moves

    def test_skipped_after_passing_faults_says_how_it_is_taken_up_again(self):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
        sale_order, _order = self._magento_order()
        move = self._invoice(sale_order)
        self.instance.url = closed
        for _attempt in range(3):
            self._bulk_export()
        self.assertEqual((move.magento_export_state, move.magento_failure_kind), ("skipped", "retry"))
        note = self._activities(move).note
        self.assertIn("The scheduled export leaves it alone after 3 failed attempts", note)
        self.assertNotIn("tried again", note, "not any more: it is skipped")

    def test_not_to_export_for_a_selection_closes_their_activities(self):
        moves = self._refused(2)
        moves.with_user(self.manager).action_magento_bulk_no_export()
        self.assertFalse(moves.activity_ids)
        self.assertIn("Marked Not to Export: chosen for several invoices at once", self._done(moves[0]).body)

        moves.with_user(self.manager).action_magento_bulk_allow_export()
        self.assertEqual(len(moves.activity_ids), 2, "allowed again, Magento's refusal still needs a person")

    def test_not_to_export_or_link_by_hand_from_the_form_closes_it(self):
        marked, linked = self._refused(2)
        wizard = Form(self.env["magento.invoice.link.wizard"].with_context(default_move_id=marked.id))
        wizard.reason = "Refunded in the shop"
        wizard.save().action_confirm()
        order_id = linked.magento_sale_order_id.magento_order_id
        made_in_admin = self.magento.store.invoice_order(order_id, {})
        self.env["magento.invoice.link.wizard"].create(
            {"move_id": linked.id, "decision": "link", "magento_invoice_id": made_in_admin}
        ).action_confirm()

        self.assertFalse(self._activities(marked))
        self.assertIn("Marked Not to Export: Refunded in the shop", self._done(marked).body)
        self.assertFalse(self._activities(linked))
        self.assertIn(f"Linked to Magento invoice {linked.magento_invoice_ref}", self._done(linked).body)

    def test_a_total_that_differs_after_sending_needs_the_responsible(self):
        self.magento.store.shipping_display_incl_tax = True
        self.addCleanup(setattr, self.magento.store, "shipping_display_incl_tax", False)
        self.pm_checkmo.create_creditmemo_on = "validate"
        tax = self.env["account.tax"].create({"name": "Shipping VAT 20%", "amount": 20, "amount_type": "percent"})
        sale_order, _order = self._magento_order(shipping_tax=tax)
        invoice = self._invoice(sale_order)
        invoice.action_magento_export_invoice()
        credit_note = invoice.with_context(include_business_fields=True)._reverse_moves()
        with Form(credit_note) as form:
            for index in range(len(form.invoice_line_ids)):
                with form.invoice_line_ids.edit(index) as line:
                    if line.product_id != self.product_shipping:
                        line.quantity = 0
        credit_note.action_post()
        credit_note.action_magento_export_invoice()
        self.assertEqual((credit_note.magento_export_state, credit_note.magento_failure_kind), ("exported", "action"))
        activity = self._activities(credit_note)
        self.assertEqual(activity.summary, credit_note.magento_totals_warning)

        credit_note.action_magento_difference_checked()
        self.assertFalse(self._activities(credit_note))

    def test_a_magento_manager_without_accounting_rights_runs_it_for_the_responsible(self):
        magento_manager = self._user("bulk_magento_only", "magento_invoice_export.group_magento_manager")
        sale_order, order = self._magento_order()
        move = self._invoice(sale_order)
        self._failing(order)
        with Form(self.env["magento.operation.wizard"].with_user(magento_manager)) as wizard:
            wizard.operation = "export_invoice"
        wizard.record.action_execute()
        self.assertEqual(self._activities(move).user_id, self.accountant)

    def test_the_run_keeps_its_result_when_the_activities_fail(self):
        sale_order, order = self._magento_order()
        move = self._invoice(sale_order)
        self._failing(order)
        exporter = type(self.env["magento.invoice.exporter"])
        with (
            patch.object(exporter, "_sync_activities", side_effect=RuntimeError("no activities today")),
            self.assertLogs("odoo.addons.magento_invoice_export.export.activities", "ERROR") as logged,
        ):
            log = self._bulk_export()
        self.assertEqual((log.state, log.failed_count, move.magento_export_attempts), ("warning", 1, 1))
        self.assertIn("could not be brought up to date", logged.output[0])
        self.assertFalse(self._activities(move))

    def test_queued_runs_sync_too(self):
        self.env["ir.config_parameter"].set_param("magento_invoice_export.background_threshold", 0)
        sale_order, order = self._magento_order()
        move = self._invoice(sale_order)
        self._failing(order)
        exporter = self.env["magento.invoice.exporter"]
        with patch.object(type(exporter), "_queue_job_ready", return_value=False):
            move.action_magento_export_selected()
            self.assertFalse(self._activities(move), "queued, not run yet")
            exporter._cron_run_queued()
        self.assertEqual(len(self._activities(move)), 1)

    def test_no_responsible_no_activity_and_one_chosen_later_gets_them(self):
        self.instance.responsible_user_id = False
        sale_order, order = self._magento_order()
        move = self._invoice(sale_order)
        self._failing(order)
        move.action_magento_export_invoice()
        self.assertFalse(self._activities(move))
        self.instance.responsible_user_id = self.manager
        self.assertEqual(self._activities(move).user_id, self.manager)

    def test_the_responsible_sees_invoices(self):
        plain = self._user("bulk_plain", "base.group_user")
        with self.assertRaisesRegex(ValidationError, "bulk_plain .* cannot open invoices"):
            self.instance.responsible_user_id = plain
