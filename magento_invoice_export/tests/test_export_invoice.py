from lxml import etree

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged
from odoo.tools.safe_eval import safe_eval

from .common import MagentoTestCommon


@tagged("post_install", "-at_install")
class TestExportInvoice(MagentoTestCommon):
    """What Magento receives, what the invoice shows, what the log says."""

    # ------------------------------------------------------------ triggers
    def test_validate_trigger_exports_unpaid_in_payment_and_paid(self):
        for payment in ("not_paid", "in_payment", "paid"):
            with self.subTest(payment=payment):
                sale_order, order = self._magento_order(payment_method=self.pm_checkmo)
                move = self._invoice(sale_order)
                self._set_payment(move, payment)
                self.assertEqual(move.magento_export_state, "to_export")
                move.action_magento_export_invoice()
                self.assertEqual(len(self._invoice_posts(order)), 1)
                self.assertEqual(move.magento_export_state, "exported")

    def test_paid_trigger_waits_for_payment(self):
        sale_order, order = self._magento_order(payment_method=self.pm_banktransfer)
        move = self._invoice(sale_order)
        self.assertEqual(move.magento_export_state, "waiting")
        self.assertEqual(move.magento_export_reason, "not_paid")
        log = self._bulk_export()
        self.assertFalse(self._invoice_posts(order), "an unpaid invoice must not reach Magento")
        self.assertEqual((log.exported_count, log.failed_count), (0, 0))
        with self.assertRaisesRegex(UserError, "Waits for payment"):
            move.action_magento_export_invoice()

        move.payment_state = "in_payment"  # a payment not yet matched with the bank
        self.assertEqual(move.magento_export_state, "to_export")
        log = self._bulk_export()
        self.assertEqual(log.exported_count, 1)
        self.assertEqual(len(self._invoice_posts(order)), 1)

    def test_paid_trigger_exports_paid_invoice(self):
        sale_order, _order = self._magento_order(payment_method=self.pm_banktransfer)
        move = self._invoice(sale_order)
        self._register_payment(move)
        self.assertEqual(move.payment_state, "paid")
        self._bulk_export()
        self.assertTrue(move.magento_invoice_id)

    def test_blank_trigger_never_exports(self):
        for payment in ("not_paid", "in_payment", "paid"):
            with self.subTest(payment=payment):
                sale_order, order = self._magento_order(payment_method=self.pm_cashondelivery)
                move = self._invoice(sale_order)
                self._set_payment(move, payment)
                self.assertEqual(move.magento_export_state, "not_exportable")
                self.assertEqual(move.magento_export_reason, "payment_method_never")
                self._bulk_export()
                self.assertFalse(self._invoice_posts(order))
                with self.assertRaisesRegex(UserError, "never exports invoices"):
                    move.action_magento_export_invoice()

    def test_draft_invoice_waits(self):
        sale_order, order = self._magento_order()
        move = self._invoice(sale_order, post=False)
        self.assertEqual((move.magento_export_state, move.magento_export_reason), ("waiting", "not_posted"))
        self._bulk_export()
        self.assertFalse(self._invoice_posts(order))

    # ------------------------------------------------------ what Magento got
    def test_full_invoice_sends_explicit_items_comment_and_no_shipping(self):
        sale_order, order = self._magento_order()
        move = self._invoice(sale_order)
        move.action_magento_export_invoice()
        [request] = self._invoice_posts(order)
        hoodie_parent = order["items"][1]["item_id"]
        self.assertEqual(
            request["json"],
            {
                "capture": False,
                "notify": False,
                "appendComment": False,
                "items": [
                    {"order_item_id": order["items"][0]["item_id"], "qty": 2.0},
                    {"order_item_id": hoodie_parent, "qty": 3.0},
                ],
                "comment": {"comment": move._magento_comment(), "is_visible_on_front": 0},
            },
        )
        self.assertEqual(request["path"], f"/rest/default/V1/order/{order['entity_id']}/invoice")
        magento_invoice = self.magento.store.invoices[move.magento_invoice_id]
        self.assertEqual(move.magento_invoice_ref, magento_invoice["increment_id"])
        self.assertEqual(magento_invoice["grand_total"], 2 * 34 + 3 * 52 + 5)
        self.assertEqual(self.magento.store.orders[order["entity_id"]]["state"], "processing")

    def test_configurable_product_invoiced_through_parent(self):
        _bag, hoodie = self._products()
        sale_order, order = self._magento_order([(hoodie, 2, 52.0, "configurable")], shipping=0)
        move = self._invoice(sale_order)
        move.action_magento_export_invoice()
        parent, child = order["items"]
        self.assertEqual(
            self._invoice_posts(order)[0]["json"]["items"], [{"order_item_id": parent["item_id"], "qty": 2.0}]
        )
        lines = {
            line["order_item_id"]: line["qty"] for line in self.magento.store.invoices[move.magento_invoice_id]["items"]
        }
        self.assertEqual(lines, {parent["item_id"]: 2, child["item_id"]: 2})

    def test_two_partial_invoices_of_one_order(self):
        bag, hoodie = self._products()
        sale_order, order = self._magento_order()
        first = self._invoice(sale_order, {bag: 1, hoodie: 1})
        second = self._invoice(sale_order)
        self.assertEqual(second.invoice_line_ids.filtered(lambda line: line.product_id == hoodie).quantity, 2)
        log = self._bulk_export()
        self.assertEqual(log.exported_count, 2)
        posts = self._invoice_posts(order)
        self.assertEqual(
            [p["json"]["comment"]["comment"] for p in posts],
            [first._magento_comment(), second._magento_comment()],
        )
        bag_item, hoodie_item = order["items"][0]["item_id"], order["items"][1]["item_id"]
        self.assertEqual(
            posts[0]["json"]["items"],
            [{"order_item_id": bag_item, "qty": 1.0}, {"order_item_id": hoodie_item, "qty": 1.0}],
        )
        self.assertEqual(
            posts[1]["json"]["items"],
            [{"order_item_id": bag_item, "qty": 1.0}, {"order_item_id": hoodie_item, "qty": 2.0}],
        )
        self.assertNotEqual(first.magento_invoice_id, second.magento_invoice_id)
        magento_items = {i["item_id"]: i for i in self.magento.store.orders[order["entity_id"]]["items"]}
        self.assertEqual(magento_items[hoodie_item]["qty_invoiced"], 3)

    def test_quantity_expressed_in_the_sale_line_unit(self):
        bag, _hoodie = self._products()
        sale_order, order = self._magento_order([(bag, 24, 34.0, "simple")], shipping=0)
        move = self._invoice(sale_order, post=False)
        with Form(move) as form, form.invoice_line_ids.edit(0) as line:
            line.product_uom_id = self.env.ref("uom.product_uom_dozen")
            line.quantity = 1
            line.price_unit = 12 * 34.0  # the order's price, by the dozen
            line.tax_ids.clear()  # the unit's change put the product's taxes back
        move.action_post()
        move.action_magento_export_invoice()
        self.assertTrue(self._invoice_posts(order), move.magento_last_error)
        self.assertEqual(self._invoice_posts(order)[0]["json"]["items"][0]["qty"], 12.0)

    def test_same_item_on_two_lines_is_summed(self):
        bag, _hoodie = self._products()
        sale_order, order = self._magento_order([(bag, 3, 34.0, "simple")], shipping=0)
        move = self._invoice(sale_order, post=False)
        line = move.invoice_line_ids
        line.quantity = 1
        second = line.copy({"move_id": move.id, "sale_line_ids": [Command.set(line.sale_line_ids.ids)]})
        second.quantity = 2  # written, not copied: Odoo computes the line's amounts again
        move.action_post()
        self.assertEqual(move.amount_total, 102.0)
        move.action_magento_export_invoice()
        self.assertTrue(self._invoice_posts(order), move.magento_last_error)
        self.assertEqual(
            self._invoice_posts(order)[0]["json"]["items"],
            [{"order_item_id": order["items"][0]["item_id"], "qty": 3.0}],
        )

    # ----------------------------------------------- Magento's quantity rules
    def test_fractional_quantity_magento_would_truncate_is_refused(self):
        """Magento casts 1.5 to 1 for an item without is_qty_decimal (InvoiceService, §5)."""
        bag, _hoodie = self._products()
        sale_order, order = self._magento_order([(bag, 2, 34.0, "simple")], shipping=0)
        self.assertFalse(sale_order.order_line.magento_qty_decimal, "linked by a connector: unknown")
        move = self._invoice(sale_order, {bag: 1.5})
        action = move.action_magento_export_invoice()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("would record 1.5 as 1", action["params"]["message"])
        self.assertFalse(self._invoice_posts(order), "nothing is sent")
        self.assertEqual(
            move.magento_log_line_ids.message,
            "Not sent: Magento counts [24-MB01] Joust Duffle Bag in whole units and would record 1.5 as 1: "
            "invoice whole units of it.",
        )
        self.assertEqual(sale_order.order_line.magento_qty_decimal, "whole", "asked of Magento, then kept")
        self.assertEqual(self.magento.requests("GET", rf"/V1/orders/{order['entity_id']}$")[-1]["status"], 200)

    def test_fractional_quantity_of_a_decimal_item_is_sent(self):
        bag, _hoodie = self._products()
        sale_order, order = self._magento_order([(bag, 2, 34.0, "simple")], shipping=0)
        order["items"][0]["is_qty_decimal"] = 1
        move = self._invoice(sale_order, {bag: 1.5})
        move.action_magento_export_invoice()
        self.assertEqual(self._invoice_posts(order)[0]["json"]["items"][0]["qty"], 1.5)
        self.assertEqual(self.magento.store.invoices[move.magento_invoice_id]["items"][0]["qty"], 1.5)

    def _order_magento_invoiced_itself(self):
        """An order a gateway invoiced at checkout, imported into Odoo."""
        bag, hoodie = self._products()
        order = self.magento.store.add_order(
            [
                {"sku": bag.default_code, "name": bag.name, "qty": 2, "price": 34},
                {
                    "sku": "MH01",
                    "child_sku": hoodie.default_code,
                    "name": hoodie.name,
                    "type": "configurable",
                    "qty": 1,
                    "price": 52,
                },
            ],
            invoiced=True,
        )
        self.env["magento.order.importer"]._import_orders(self.instance, increment_ids=[order["increment_id"]])
        sale_order = self.env["sale.order"].search([("magento_order_id", "=", order["entity_id"])])
        self.assertEqual(sale_order.order_line.mapped("magento_qty_invoiced"), [2, 1])
        return sale_order, order

    def test_order_magento_invoiced_itself_is_linked_not_posted(self):
        sale_order, order = self._order_magento_invoiced_itself()
        move = self._invoice(sale_order)
        move.action_magento_export_invoice()
        self.assertFalse(self._invoice_posts(order), "Magento's own invoice stands for it")
        own = next(iter(i for i in self.magento.store.invoices.values() if i["order_id"] == order["entity_id"]))
        self.assertEqual((move.magento_invoice_id, move.magento_export_state), (own["entity_id"], "exported"))
        self.assertEqual(
            move.magento_log_line_ids.message,
            f"Linked to Magento's own invoice {own['increment_id']}: Magento invoiced these items itself (for "
            "example its payment gateway at checkout), with the same quantities. Nothing was created in Magento.",
        )

    def test_other_quantities_than_magento_invoiced_itself_are_refused_once(self):
        bag, _hoodie = self._products()
        sale_order, order = self._order_magento_invoiced_itself()
        move = self._invoice(sale_order, {bag: 1})
        log = self._bulk_export()
        self.assertFalse(self._invoice_posts(order))
        self.assertEqual((log.failed_count, move.magento_export_attempts), (1, 1))
        self.assertIn("Magento invoiced this order itself", move.magento_log_line_ids.message)
        self.assertFalse(move.magento_export_sent_at, "nothing was sent: nothing to look up")

    def test_order_magento_invoiced_after_the_import_is_linked_when_refused(self):
        # An admin invoiced the order in Magento's back office after the import.
        sale_order, order = self._magento_order()
        own = self.magento.store.get_invoice(self.magento.store.invoice_order(order["entity_id"], {}))
        move = self._invoice(sale_order)
        result = move.action_magento_export_invoice()
        self.assertEqual(len(self._invoice_posts(order)), 1, "one POST, refused by Magento; nothing created")
        self.assertEqual(
            [i["entity_id"] for i in self.magento.store.invoices.values() if i["order_id"] == order["entity_id"]],
            [own["entity_id"]],
        )
        self.assertEqual(
            (move.magento_invoice_id, move.magento_export_state, move.magento_linked, move.magento_export_attempts),
            (own["entity_id"], "exported", True, 0),
        )
        linked = (
            f"Linked to Magento's own invoice {own['increment_id']}: Magento invoiced these items itself (for "
            "example its payment gateway at checkout), with the same quantities. Nothing was created in Magento."
        )
        self.assertEqual(move.magento_log_line_ids.message, linked)
        self.assertEqual((result["params"]["type"], result["params"]["message"]), ("success", linked))

    def test_an_invoice_adopted_after_a_lost_answer_is_announced_as_found_not_created(self):
        self.env["ir.config_parameter"].set_param("magento_invoice_export.lost_answer_grace_seconds", 0)
        sale_order, order = self._magento_order()
        move = self._invoice(sale_order)
        self.magento.inject("drop_after", method="POST")
        lost = move.action_magento_export_invoice()
        self.assertEqual(lost["params"]["type"], "danger")
        result = move.action_magento_export_invoice()
        self.assertEqual(len(self._invoice_posts(order)), 1, "looked up, never posted twice")
        self.assertEqual(result["params"]["type"], "success")
        self.assertEqual(
            result["params"]["message"],
            f"Found in Magento as invoice {move.magento_invoice_ref}, created by an earlier attempt whose answer "
            "was lost: linked without creating another.",
        )

    def test_refused_invoice_names_what_magento_holds_when_nothing_matches(self):
        bag, _hoodie = self._products()
        sale_order, order = self._magento_order()
        bag_item = order["items"][0]["item_id"]
        own_id = self.magento.store.invoice_order(
            order["entity_id"], {"items": [{"order_item_id": bag_item, "qty": 1}]}
        )
        own = self.magento.store.get_invoice(own_id)
        move = self._invoice(sale_order, {bag: 2})
        log = self._bulk_export()
        self.assertEqual((log.failed_count, move.magento_export_attempts, move.magento_invoice_id), (1, 1, 0))
        self.assertIn('We found an invalid quantity to invoice item "Joust Duffle Bag".', move.magento_last_error)
        self.assertEqual(
            move.magento_advice,
            f"Magento holds for order {order['increment_id']}: invoice {own['increment_id']} (Joust Duffle Bag: 1)."
            " None of them has exactly this invoice's items and quantities (invoiced in Magento's admin since the "
            "import?). Make this invoice match one of them, correct it with a credit note, or have a Magento "
            "manager link it by hand (Magento Info tab).",
        )
        self.assertEqual(move.magento_log_line_ids.advice, move.magento_advice)

    def test_notify_customer_as_magento_received_it(self):
        for notify in (False, True):
            with self.subTest(notify=notify):
                self.instance.notify_customer_on_invoice = notify
                sale_order, order = self._magento_order()
                emails_before = len(self.magento.store.emails)
                move = self._invoice(sale_order)
                move.action_magento_export_invoice()
                self.assertIs(self._invoice_posts(order)[0]["json"]["notify"], notify)
                self.assertEqual(len(self.magento.store.emails) - emails_before, 1 if notify else 0)

    def test_capture_follows_the_payment_method(self):
        self.pm_checkmo.capture_on_export = True
        sale_order, order = self._magento_order()
        self._invoice(sale_order).action_magento_export_invoice()
        self.assertIs(self._invoice_posts(order)[0]["json"]["capture"], True)

    def test_credit_note_is_never_sent_as_an_invoice(self):
        sale_order, order = self._magento_order()
        move = self._invoice(sale_order)
        move.action_magento_export_invoice()
        reversal = move._reverse_moves(cancel=True)
        # checkmo's Create Credit Memo on Magento is blank here.
        self.assertEqual(reversal.magento_export_state, "not_exportable")
        self.assertEqual(reversal.magento_export_reason, "payment_method_never_refunds")
        self.assertFalse(reversal.magento_invoice_id, "the reversal must not inherit the Magento id")
        self._bulk_export()
        with self.assertRaisesRegex(UserError, "never exports credit notes"):
            reversal.action_magento_export_invoice()
        self.assertFalse(self.magento.requests("POST", r"/refund$"))
        self.assertEqual(len(self._invoice_posts(order)), 1)

    # ---------------------------------------------------- success & failure
    def test_success_is_shown_on_the_invoice_and_logged(self):
        sale_order, _order = self._magento_order()
        move = self._invoice(sale_order)
        result = move.action_magento_export_invoice()
        ref = move.magento_invoice_ref
        self.assertEqual(result["params"]["type"], "success")
        self.assertIn(ref, result["params"]["message"])
        self.assertIn(f"Exported to Magento as invoice {ref}", move.message_ids[0].body)
        [line] = move.magento_log_line_ids
        self.assertEqual((line.level, line.message), ("info", f"Exported to Magento as invoice {ref}"))
        self.assertEqual(line.log_id.exported_count, 1)
        self.assertEqual(line.log_id.state, "done")
        self.assertFalse(move.magento_export_sent_at)

    def test_failure_logs_magento_message_and_counts_an_attempt(self):
        sale_order, order = self._magento_order()
        move = self._invoice(sale_order)
        # Someone invoiced one bag in Magento's admin meanwhile.
        self.magento.store.invoice_order(
            order["entity_id"], {"items": [{"order_item_id": order["items"][0]["item_id"], "qty": 1}]}
        )
        result = move.action_magento_export_invoice()
        said = 'We found an invalid quantity to invoice item "Joust Duffle Bag".'
        self.assertEqual(result["params"]["type"], "danger")
        self.assertEqual(
            result["params"]["message"].splitlines(), [said, move.magento_advice], "Magento's words, what to do"
        )
        self.assertFalse(move.magento_invoice_id)
        self.assertEqual(move.magento_export_attempts, 1)
        self.assertEqual(move.magento_export_state, "failed")
        self.assertFalse(move.magento_export_sent_at, "a 400 means Magento created nothing")
        [line] = move.magento_log_line_ids
        self.assertEqual((line.level, line.message, line.http_status), ("error", said, 400))
        self.assertIn("%1", line.response, "the raw answer is kept for support")
        self.assertIn(move._magento_comment(), line.request)
        self.assertIn(said, move.message_ids[0].body)
        self.assertIn("attempt 1 of 3", move.message_ids[0].body)
        self.assertEqual(line.log_id.state, "warning")

    def test_three_failures_then_skipped_then_reset(self):
        sale_order, order = self._magento_order()
        move = self._invoice(sale_order)
        body = {"message": "An invoice cannot be created when an order has a status of holded"}
        self.magento.inject(
            "error", status=400, body=body, method="POST", path=f"/order/{order['entity_id']}/", times=3
        )
        for attempt in (1, 2, 3):
            log = self._bulk_export()
            self.assertEqual((log.failed_count, log.skipped_count), (1, 0))
            self.assertEqual(move.magento_export_attempts, attempt)
        self.assertEqual(move.magento_export_state, "skipped")
        log = self._bulk_export()
        self.assertEqual((log.exported_count, log.failed_count, log.skipped_count), (0, 0, 1))
        self.assertEqual(len(self._invoice_posts(order)), 3, "three attempts, not four")

        manager = self._user("mgr_reset", "magento_invoice_export.group_magento_manager,account.group_account_invoice")
        invoicing = self._user("inv_reset", "account.group_account_invoice")
        with self.assertRaises(AccessError):
            move.with_user(invoicing).action_magento_reset_attempts()
        move.with_user(manager).action_magento_reset_attempts()
        self.assertEqual((move.magento_export_attempts, move.magento_export_state), (0, "to_export"))
        log = self._bulk_export()
        self.assertEqual(log.exported_count, 1)
        self.assertTrue(move.magento_invoice_id)

    def test_button_still_exports_after_three_failures(self):
        sale_order, _order = self._magento_order()
        move = self._invoice(sale_order)
        move._magento_write({"magento_export_attempts": 3})
        self.assertEqual(move.magento_export_state, "skipped")
        move.action_magento_export_invoice()
        self.assertEqual(move.magento_export_state, "exported")

    def test_one_failure_does_not_stop_the_others(self):
        orders = [self._magento_order() for _ in range(3)]
        moves = [self._invoice(sale_order) for sale_order, _order in orders]
        bad_order = orders[1][1]
        self.magento.inject(
            "error", status=400, body={"message": "Nope"}, method="POST", path=f"/order/{bad_order['entity_id']}/"
        )
        log = self._bulk_export()
        self.assertEqual((log.exported_count, log.failed_count), (2, 1))
        self.assertEqual([bool(m.magento_invoice_id) for m in moves], [True, False, True])
        self.assertEqual(log.line_ids.filtered(lambda line: line.level == "error").message, "Nope")
        self.assertEqual(log.summary, "2 exported, 1 failed, 0 skipped.")

    # --------------------------------------------------------------- UI
    def _button_visible(self, move):
        """Evaluate the button's ``invisible`` expression from the served form view."""
        arch = etree.fromstring(self.env["account.move"].get_views([(False, "form")])["views"]["form"]["arch"])
        buttons = arch.xpath("//button[@name='action_magento_export_invoice']")
        values = {"magento_export_state": move.magento_export_state, "move_type": move.move_type}
        return any(not safe_eval(button.get("invisible"), values) for button in buttons)

    def test_button_visible_only_while_eligible(self):
        arch = self.env["account.move"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('string="Magento Info"', arch)
        sale_order, order = self._magento_order()
        move = self._invoice(sale_order, post=False)
        self.assertFalse(self._button_visible(move), "draft")
        move.action_post()
        self.assertTrue(self._button_visible(move), "posted, validate trigger")
        move._magento_write({"magento_export_attempts": 3})
        self.assertTrue(self._button_visible(move), "a person may still export after three failures")
        move.action_magento_export_invoice()
        self.assertFalse(self._button_visible(move), "exported")
        self.assertEqual(len(self._invoice_posts(order)), 1)
        never, _order = self._magento_order(payment_method=self.pm_cashondelivery)
        self.assertFalse(self._button_visible(self._invoice(never)), "blank trigger")
        unpaid, _order = self._magento_order(payment_method=self.pm_banktransfer)
        self.assertFalse(self._button_visible(self._invoice(unpaid)), "in-payment/paid trigger, unpaid")

    def test_invoice_of_a_plain_order_has_no_magento_status(self):
        bag, _hoodie = self._products()
        sale_order = self.env["sale.order"].create(
            {"partner_id": self.partner_a.id, "order_line": [(0, 0, {"product_id": bag.id, "product_uom_qty": 1})]}
        )
        sale_order.action_confirm()
        move = self._invoice(sale_order)
        self.assertFalse(move.magento_export_state)
        self.assertFalse(move.magento_instance_id)

    def test_list_action_exports_selection_and_opens_log(self):
        moves = self.env["account.move"]
        for _ in range(2):
            sale_order, _order = self._magento_order()
            moves |= self._invoice(sale_order)
        action = moves.action_magento_export_selected()
        self.assertEqual(action["res_model"], "magento.process.log")
        self.assertEqual(self.env["magento.process.log"].browse(action["res_id"]).exported_count, 2)
        self.assertTrue(all(moves.mapped("magento_invoice_id")))

    def test_wizard_counts_and_opens_log(self):
        sale_order, _order = self._magento_order()
        self._invoice(sale_order)
        wizard = Form(self.env["magento.operation.wizard"])
        self.assertIn(self.instance, wizard.instance_ids)
        self.assertGreaterEqual(wizard.export_invoice_count, 1)
        action = wizard.save().action_execute()
        log = self.env["magento.process.log"].browse(action["res_id"])
        self.assertEqual(action["view_mode"], "form")
        self.assertEqual(log.operation, "export_invoice")
        self.assertGreaterEqual(log.exported_count, 1)
        self.assertTrue(log.end_date)

    def test_scheduled_action_runs_the_export(self):
        cron = self.env.ref("magento_invoice_export.ir_cron_magento_export_invoice")
        self.assertFalse(cron.active, "the scheduled export is off until a manager turns it on")
        sale_order, _order = self._magento_order()
        move = self._invoice(sale_order)
        cron.method_direct_trigger()
        self.assertTrue(move.magento_invoice_id)

    def test_invoicing_user_exports_without_reading_credentials(self):
        user = self._user("accountant", "account.group_account_invoice")
        sale_order, _order = self._magento_order()
        move = self._invoice(sale_order)
        result = move.with_user(user).action_magento_export_invoice()
        self.assertEqual(result["params"]["type"], "success")
        self.assertTrue(move.magento_invoice_id)


@tagged("post_install", "-at_install")
class TestQuietRuns(MagentoTestCommon):
    def test_scheduled_runs_with_nothing_to_do_leave_no_log(self):
        Log = self.env["magento.process.log"]
        before = Log.search_count([])
        self.env["magento.invoice.exporter"]._cron_export_invoices()
        self.assertEqual(Log.search_count([]), before, "nothing to export: no log")

    def test_a_run_that_skipped_invoices_is_not_plain_done_and_recalls_once_a_day(self):
        sale_order, _order = self._magento_order()
        move = self._invoice(sale_order)
        move._magento_write({"magento_export_attempts": 3})
        self.assertEqual(move.magento_export_state, "skipped")
        log = self._bulk_export()
        self.assertEqual((log.state, log.skipped_count), ("warning", 1))
        self.assertIn("a Magento manager resets their attempts", log.summary)
        Log = self.env["magento.process.log"]
        before = Log.search_count([])
        self.env["magento.invoice.exporter"]._cron_export_invoices()
        self.assertEqual(Log.search_count([]), before, "already recalled today")
