"""Process logs and Operations tell the truth (issue 23): a wait is not a
failure, the wizard counts what the run will try, a log's problems are found
at once and read resolved once their document is exported."""

from odoo import fields
from odoo.tests import Form, tagged

from .common import MagentoTestCommon


@tagged("post_install", "-at_install")
class TestProcessLogs(MagentoTestCommon):
    def _waiting(self, move):
        """``move``'s last request got no answer a moment ago: Magento may still be creating it."""
        move._magento_write({"magento_export_sent_at": fields.Datetime.now()})
        return move

    def _wizard(self, operation="export_invoice"):
        form = Form(self.env["magento.operation.wizard"])
        form.operation = operation
        return form

    # ------------------------------------------------------------- waits
    def test_a_wait_is_not_a_failure(self):
        sale_order, order = self._magento_order()
        waiting = self._waiting(self._invoice(sale_order))
        log = self._bulk_export()
        self.assertFalse(self._invoice_posts(order), "looked up, not posted again within the grace period")
        self.assertEqual((log.exported_count, log.waiting_count, log.failed_count), (0, 1, 0))
        self.assertEqual(log.state, "done", "a run whose only non-exports are waits is Done")
        self.assertTrue(log.summary.startswith("0 exported, 1 waiting, 0 failed, 0 skipped."), log.summary)
        self.assertIn("Magento may still be creating", log.summary)
        self.assertEqual(waiting.magento_export_attempts, 0)

    def test_a_wait_among_failures_is_counted_apart(self):
        (sale_a, _a), (sale_b, order_b), (sale_c, _c) = (self._magento_order() for _ in range(3))
        self._invoice(sale_a)
        failing = self._invoice(sale_b)
        self._waiting(self._invoice(sale_c))
        self.magento.inject(
            "error", status=400, body={"message": "Nope"}, method="POST", path=f"/order/{order_b['entity_id']}/"
        )
        log = self._bulk_export()
        self.assertEqual((log.exported_count, log.waiting_count, log.failed_count), (1, 1, 1))
        self.assertEqual(log.state, "warning", "the failure still makes it Done with Errors")
        self.assertTrue(log.summary.startswith("1 exported, 1 waiting, 1 failed, 0 skipped."), log.summary)
        self.assertEqual(failing.magento_export_attempts, 1)

    def test_goods_magento_holds_already_are_not_exportable_not_failed(self):
        sale_order, order = self._magento_order()
        first = self._invoice(sale_order)
        first.action_magento_export_invoice()
        first.with_context(include_business_fields=True)._reverse_moves(cancel=True)
        second = self._invoice(sale_order)
        log = self._bulk_export()
        self.assertEqual(len(self._invoice_posts(order)), 1, "nothing sent for the corrected invoice")
        self.assertEqual(second.magento_export_state, "not_exportable")
        self.assertEqual((log.exported_count, log.failed_count, log.not_exportable_count), (0, 0, 1))
        self.assertEqual(log.state, "warning", "a person decides")
        self.assertIn("1 not exportable: Magento invoiced their goods already", log.summary)

    # -------------------------------------------------------- Operations
    def test_operations_count_what_the_run_will_try(self):
        self.assertEqual(self._wizard().export_text, "No invoice to export.")
        moves = [self._invoice(self._magento_order()[0]) for _ in range(5)]
        self.assertEqual(self._wizard().export_text, "5 invoices will be exported to Magento.")
        self._waiting(moves[1])
        moves[2]._magento_write({"magento_export_attempts": 3})
        moves[3]._magento_write({"magento_payment_check": True, "magento_export_attempts": 1})
        moves[4].button_draft()  # not exportable: never counted
        wizard = self._wizard()
        self.assertEqual(
            wizard.export_text,
            "1 invoice will be exported to Magento. "
            "1 invoice will be looked up, not sent again: an earlier request whose answer was lost may still be "
            "running in Magento. "
            "1 invoice failed three times and will be skipped (a Magento manager resets the attempts; Export from "
            "the document itself still works). "
            "1 invoice will be left for a person: the payment must be checked in Magento first (then Export from "
            "the document itself).",
        )
        log = self.env["magento.process.log"].browse(wizard.save().action_execute()["res_id"])
        self.assertEqual(
            (log.exported_count, log.waiting_count, log.failed_count, log.skipped_count, log.state),
            (1, 1, 0, 1, "warning"),
        )

    def test_operations_count_credit_notes_in_their_words(self):
        self.assertEqual(self._wizard("export_creditmemo").export_text, "No credit note to export.")
        self.pm_checkmo.create_creditmemo_on = "validate"
        (self.product_bag | self.product_hoodie).taxes_id = False
        sale_order, _order = self._magento_order()
        invoice = self._invoice(sale_order)
        invoice.action_magento_export_invoice()
        credit_note = invoice.with_context(include_business_fields=True)._reverse_moves(cancel=True)
        self.assertEqual(credit_note.magento_export_state, "to_export")
        self.assertEqual(
            self._wizard("export_creditmemo").export_text,
            "1 credit note will be exported to Magento as a credit memo.",
        )

    # ------------------------------------------------------------ lines
    def test_a_logs_problems_and_their_resolution(self):
        sale_a, _a = self._magento_order()
        sale_b, _b = self._magento_order()
        self._invoice(sale_a)
        waiting = self._waiting(self._invoice(sale_b))
        log = self._bulk_export()
        Line = self.env["magento.process.log.line"]
        problems = Line.search([("log_id", "=", log.id), ("problem", "=", True)])
        self.assertEqual(problems.move_id, waiting)
        self.assertEqual((log.problem_count, log.problem_line_ids), (1, problems))
        self.assertEqual(problems.sale_order_id, sale_b, "the line leads to the sales order")
        action = self.env["ir.actions.act_window"]._for_xml_id("magento_invoice_export.action_magento_process_log_line")
        self.assertIn("'search_default_problems': 1", action["context"])
        # The grace period is over: the next run finds nothing in Magento and creates it.
        waiting._magento_write({"magento_export_sent_at": "2000-01-01 00:00:00"})
        self._bulk_export()
        self.assertTrue(waiting.magento_invoice_id)
        problems.invalidate_recordset()
        self.assertEqual((problems.level, problems.resolved, problems.problem), ("warning", True, False))
        self.assertEqual(problems.level_shown, "resolved", "its badge reads Resolved")
        self.assertFalse(Line.search([("log_id", "=", log.id), ("problem", "=", True)]))
        log.invalidate_recordset()
        self.assertEqual((log.problem_count, log.problem_line_ids.ids), (0, []))

    def test_an_exported_invoice_whose_total_differs_stays_a_problem(self):
        sale_order, _order = self._magento_order()
        move = self._invoice(sale_order)
        log = self._bulk_export()
        line = log.line_ids
        line.sudo().level = "warning"  # as the totals' warning after sending is
        move._magento_write({"magento_failure_kind": "action"})
        self.assertEqual((line.resolved, line.problem), (False, True))

    def test_an_imported_orders_line_leads_to_its_sales_order(self):
        order = self.magento.store.add_order(
            [{"sku": self.product_bag.default_code, "name": self.product_bag.name, "qty": 1, "price": 34}]
        )
        form = self._wizard("import_orders")
        form.import_by = "increment_id"
        form.order_refs = order["increment_id"]
        log = self.env["magento.process.log"].browse(form.save().action_execute()["res_id"])
        line = log.line_ids.filtered(lambda rec: rec.res_model == "sale.order")
        sale_order = self.env["sale.order"].browse(line.res_id)
        self.assertIn(f"Imported as {sale_order.name}", line.message)
        self.assertEqual(line.sale_order_id, sale_order)
        arch = self.env["magento.process.log.line"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="sale_order_id"', arch)

    # ------------------------------------------------------------- form
    def test_the_log_shows_its_state_once_and_refreshes_while_running(self):
        arch = self.env["magento.process.log"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertNotIn("statusbar", arch, "Queued > Running > Done > Done with Errors are no steps")
        self.assertRegex(arch, r'name="state"[^>]*widget="badge"')
        self.assertRegex(arch, r'name="action_refresh"[^>]*invisible="state not in \(\'queued\', \'running\'\)"')
        log = (
            self.env["magento.process.log"]
            .sudo()
            .create({"operation": "export_invoice", "instance_id": self.instance.id, "state": "running"})
        )
        self.assertIs(log.action_refresh(), True, "the web client reads the record again")
