"""What an accountant reads of an invoice's Magento status: one badge, the
same words in the sentence beside it, times in their zone (issue 23)."""

import datetime

import pytz
from lxml import etree

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import MagentoTestCommon

HOLD = {
    "message": "Invoice Document Validation Error(s):\n"
    "An invoice cannot be created when an order has a status of holded"
}


@tagged("post_install", "-at_install")
class TestStatusDisplay(MagentoTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.tz = "Europe/Paris"
        cls.pm_checkmo.create_creditmemo_on = "validate"

    # ------------------------------------------------------------ helpers
    def _badge(self, move):
        """The badge's words, as the lists and the form show them."""
        return dict(move._fields["magento_status"]._description_selection(self.env)).get(move.magento_status)

    def _form(self, move):
        return etree.fromstring(move.get_views([(False, "form")])["views"]["form"]["arch"])

    def _shown(self, move, node):
        """Whether ``node`` of the form is shown for ``move``: its own and its parents' ``invisible``."""
        conditions = [n.get("invisible") for n in [node, *node.iterancestors()] if n.get("invisible")]
        names = {name for name in move._fields if any(name in condition for condition in conditions)}
        values = {name: self._client_value(move[name]) for name in names}
        return not any(safe_eval(condition, values) for condition in conditions)

    @staticmethod
    def _client_value(value):
        """A field's value as the web client evaluates it: a record as its id (or ids)."""
        if not hasattr(value, "_name"):
            return value
        return value.id if len(value) == 1 else value.ids or False

    def _shown_nodes(self, move, xpath):
        return [node for node in self._form(move).xpath(xpath) if self._shown(move, node)]

    def _paris(self, moment):
        return pytz.utc.localize(moment).astimezone(pytz.timezone("Europe/Paris"))

    # ------------------------------------------------------------ the badge says what the sentence says
    def test_a_refusal_needs_action_on_the_badge_too(self):
        sale_order, _order = self._magento_order()
        move = self._invoice(sale_order)
        self.magento.inject("error", status=400, method="POST", body=HOLD)
        action = move.action_magento_export_invoice()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertEqual(self._badge(move), "Needs Action")
        self.assertEqual(move.magento_status_text, "Failed, needs action: see What to Do")
        [badge] = self._shown_nodes(move, "//group[@name='magento_invoice']/field[@widget='badge']")
        self.assertEqual(badge.get("name"), "magento_status", "one badge, the one a person reads")
        self.assertIn("needs_action", badge.get("decoration-danger"))

    def test_a_passing_fault_will_retry(self):
        sale_order, _order = self._magento_order()
        move = self._invoice(sale_order)
        self.magento.inject("error", status=503, method="POST", body={"message": "Service Unavailable"})
        move.action_magento_export_invoice()
        move._magento_write({"magento_export_sent_at": False})  # looked up since: not in Magento
        self.assertEqual(self._badge(move), "Will Retry")
        self.assertTrue(move.magento_status_text.startswith("Failed, "), move.magento_status_text)

    def test_a_lost_answer_waits_without_failing_and_says_when_in_the_users_zone(self):
        sale_order, order = self._magento_order()
        move = self._invoice(sale_order)
        sent = fields.Datetime.now().replace(microsecond=0) - datetime.timedelta(minutes=2)
        move._magento_write({"magento_export_sent_at": sent})
        self.assertEqual(self._badge(move), "Waiting for Magento")
        until = self._paris(sent + datetime.timedelta(seconds=600))
        self.assertTrue(move.magento_status_text.startswith("Waiting until "), move.magento_status_text)
        self.assertIn(until.strftime("%H:%M"), move.magento_status_text, "in the user's zone")
        self.assertTrue(move.magento_status_text.endswith(": Magento may still be creating it"))

        action = move.action_magento_export_invoice()
        self.assertFalse(self._invoice_posts(order), "looked up, not sent again")
        params = action["params"]
        self.assertEqual((params["type"], params["title"]), ("info", "Waiting for Magento"), "a wait, not a failure")
        said_sent = self._paris(sent).strftime("%Y-%m-%d %H:%M:%S")
        self.assertIn(f"the request sent at {said_sent} (Europe/Paris)", params["message"])
        self.assertIn(f"from {until.strftime('%Y-%m-%d %H:%M:%S')} (Europe/Paris)", params["message"])
        self.assertIn("(Europe/Paris)", move.magento_log_line_ids.message, "the stored message names its zone")
        self.assertEqual(move.magento_export_attempts, 0)
        self.assertEqual(self._badge(move), "Waiting for Magento")

        # The grace is over: the sentence says what happens now.
        long_ago = sent - datetime.timedelta(hours=1)
        move._magento_write({"magento_export_sent_at": long_ago})
        move.invalidate_recordset(["magento_status_text"])
        self.assertIn("the next export looks it up first", move.magento_status_text)
        self.assertNotIn("Waiting until", move.magento_status_text)

        move.button_draft()
        with self.assertRaisesRegex(UserError, r"\(Europe/Paris\)"):
            move.unlink()

    def test_a_payment_method_that_never_exports_is_a_choice_not_an_error(self):
        sale_order, _order = self._magento_order(payment_method=self.pm_cashondelivery)
        move = self._invoice(sale_order)
        self.assertEqual(self._badge(move), "Not to Export")
        [badge] = self._shown_nodes(move, "//group[@name='magento_invoice']/field[@widget='badge']")
        self.assertIn("not_to_export", badge.get("decoration-muted"))
        self.assertNotIn("not_to_export", badge.get("decoration-danger"))
        action = self.env.ref("magento_invoice_export.action_magento_invoices")
        list_arch = move.get_views([(action.view_ids[0].view_id.id, "list")])["views"]["list"]["arch"]
        [column] = etree.fromstring(list_arch).xpath("//field[@name='magento_status']")
        self.assertIn("not_to_export", column.get("decoration-muted"))
        self.assertNotIn("not_to_export", column.get("decoration-danger"))

    # ------------------------------------------------------------ the Magento Info tab
    def test_waiting_for_payment_says_it_once_and_offers_nothing_to_decide(self):
        sale_order, _order = self._magento_order(payment_method=self.pm_banktransfer)
        move = self._invoice(sale_order)
        self.assertEqual(self._badge(move), "Waiting for Payment")
        self.assertEqual(
            move.magento_status_text,
            "Waits for payment: exported once in payment or paid",
        )
        self.assertFalse(self._shown_nodes(move, "//field[@name='magento_export_reason']"), "said once, not twice")
        self.assertFalse(self._shown_nodes(move, "//button[@name='action_magento_mark']"))

        sale_order, _order = self._magento_order()
        to_export = self._invoice(sale_order)
        self.assertEqual(len(self._shown_nodes(to_export, "//button[@name='action_magento_mark']")), 1)

    def test_an_exported_invoice_shows_its_magento_order_and_no_attempts(self):
        sale_order, order = self._magento_order()
        move = self._invoice(sale_order)
        self.magento.inject("error", status=503, method="POST", body={"message": "Service Unavailable"})
        move.action_magento_export_invoice()
        self.assertEqual(move.magento_export_attempts, 1)
        self.assertTrue(self._shown_nodes(move, "//field[@name='magento_export_attempts']"))
        move._magento_write({"magento_export_sent_at": False})
        move.action_magento_export_invoice()
        self.assertEqual(self._badge(move), "Exported")
        self.assertFalse(
            self._shown_nodes(move, "//field[@name='magento_export_attempts']"), "no failed attempts shown"
        )
        shown = {
            node.get("string"): move[node.get("name")]
            for node in self._shown_nodes(move, "//group[@name='magento_order']/field")
        }
        self.assertEqual(shown["Magento Order"], order["increment_id"])
        self.assertEqual(shown["Sales Order"], sale_order)
        self.instance.admin_path = "backoffice_7x2"
        base = self.instance.url.rstrip("/")
        self.assertEqual(
            move.magento_admin_url,
            f"{base}/backoffice_7x2/sales/invoice/view/invoice_id/{move.magento_invoice_id}/",
            "Open in Magento goes through the shop's own admin path",
        )

    def test_reset_to_draft_warns_before_when_magento_holds_it(self):
        sale_order, _order = self._magento_order()
        move = self._invoice(sale_order)
        [button] = self._shown_nodes(move, "//header/button[@name='button_draft']")
        self.assertFalse(button.get("confirm"), "not in Magento: reset as usual")

        move.action_magento_export_invoice()
        [button] = self._shown_nodes(move, "//header/button[@name='button_draft']")
        self.assertIn("Magento keeps its invoice", button.get("confirm"))
        action = move.button_draft()
        self.assertIn("Magento keeps its invoice", action["params"]["message"], "the guard says the same after")
        move.action_post()

        credit_note = move.with_context(include_business_fields=True)._reverse_moves(cancel=True)
        credit_note.action_magento_export_invoice()
        self.assertEqual(self._badge(credit_note), "Exported")
        [button] = self._shown_nodes(credit_note, "//header/button[@name='button_draft']")
        self.assertIn("Magento keeps its credit memo", button.get("confirm"))

    # ------------------------------------------------------------ the worklists
    def test_the_credit_notes_list_names_credit_memos(self):
        for xmlid, label in (
            ("magento_invoice_export.action_magento_invoices", "Magento Invoice"),
            ("magento_invoice_export.action_magento_credit_notes", "Magento Credit Memo"),
        ):
            action = self.env.ref(xmlid)
            view = action.view_ids.filtered(lambda v: v.view_mode == "list").view_id
            arch = self.env["account.move"].get_views([(view.id, "list")])["views"]["list"]["arch"]
            [column] = etree.fromstring(arch).xpath("//field[@name='magento_invoice_ref']")
            self.assertEqual(column.get("string"), label)
