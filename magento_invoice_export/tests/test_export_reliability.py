"""Never a duplicate, never a lost id: faults, crashes, concurrency, bad input.

Commits are emulated with savepoints (a test may not commit), so "Odoo was
killed" is reproduced exactly: the database goes back to the last commit
while the Magento double keeps whatever it did.
"""

import itertools
import logging
import socket
import tempfile
from unittest.mock import patch
from urllib.parse import urlsplit

import psycopg2

from odoo import Command, sql_db
from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tests.common import _super_send

from ..export import const
from ..export.const import LOCK_NAMESPACE
from .common import MagentoTestCommon


class ReliabilityCommon(MagentoTestCommon):
    def setUp(self):
        super().setUp()
        self.commits = 0
        self.kill_after_commit = None
        test = self

        def emulated_commit(exporter):
            exporter.env.flush_all()
            exporter.env.cr.execute("SAVEPOINT magento_commit")
            test.commits += 1
            if test.commits == test.kill_after_commit:
                raise KeyboardInterrupt("killed right after a commit")

        def emulated_rollback(exporter):
            exporter.env.cr.execute("ROLLBACK TO SAVEPOINT magento_commit")
            exporter.env.invalidate_all()

        for name, method in (("_commit", emulated_commit), ("_rollback", emulated_rollback)):
            patcher = patch.object(type(self.env["magento.invoice.exporter"]), name, method)
            patcher.start()
            self.addCleanup(patcher.stop)
        # Most tests may post again at once after a lost answer; the grace
        # period has tests of its own.
        self.env["ir.config_parameter"].set_param("magento_invoice_export.lost_answer_grace_seconds", 0)
        self.env.flush_all()
        self.env.cr.execute("SAVEPOINT magento_commit")

    def _crash(self):
        """What a killed Odoo leaves behind: the database as of the last commit."""
        self.env.cr.execute("ROLLBACK TO SAVEPOINT magento_commit")
        self.env.clear()

    def _export_until_killed(self):
        # Not assertRaises: Odoo's wraps the block in a savepoint and rolls it
        # back, emulated commits included.
        try:
            self._bulk_export()
        except KeyboardInterrupt:
            return
        self.fail("the run was expected to be killed")

    def _magento_invoices(self, order):
        return self.magento.store.order_invoices(order["entity_id"])

    def _assert_exactly_one(self, move, order):
        invoices = self._magento_invoices(order)
        self.assertEqual(len(invoices), 1, "Magento must hold exactly one invoice")
        self.assertEqual(move.magento_invoice_id, invoices[0]["entity_id"], "Odoo must know its id")
        self.assertFalse(move.magento_export_sent_at)


@tagged("post_install", "-at_install")
class TestLostResponses(ReliabilityCommon):
    def test_dropped_connection_after_create_is_adopted(self):
        sale_order, order = self._magento_order()
        move = self._invoice(sale_order)
        self.magento.inject("drop_after", method="POST")
        log = self._bulk_export()
        self.assertEqual(log.failed_count, 1)
        self.assertTrue(move.magento_export_sent_at, "the outcome is unknown")
        self.assertEqual(move.magento_export_attempts, 1)
        self.assertIn("broke before Magento answered", log.line_ids.message)
        self.assertIn("may have created the invoice anyway", move.message_ids[0].body)

        log = self._bulk_export()
        self.assertEqual(log.exported_count, 1)
        self._assert_exactly_one(move, order)
        self.assertEqual(len(self._invoice_posts(order)), 1, "found, not posted again")
        self.assertIn("created by an earlier attempt whose answer was lost", log.line_ids.message)

    def test_server_error_after_commit_is_adopted(self):
        sale_order, order = self._magento_order()
        move = self._invoice(sale_order)
        self.magento.inject("error_after", status=500, method="POST")
        log = self._bulk_export()
        self.assertRegex(log.line_ids.message, r"Report ID: webapi-\w+")
        self._bulk_export()
        self._assert_exactly_one(move, order)

    def test_malformed_json_and_unexpected_id_type_are_adopted(self):
        for kind, extra in (("malformed", {}), ("body", {"body": {"id": 7}})):
            with self.subTest(kind=kind):
                sale_order, order = self._magento_order()
                move = self._invoice(sale_order)
                self.magento.inject(kind, method="POST", **extra)
                log = self._bulk_export()
                self.assertEqual(log.failed_count, 1)
                self.assertTrue(move.magento_export_sent_at)
                self._bulk_export()
                self._assert_exactly_one(move, order)

    def test_slow_magento_finishing_after_timeout_is_adopted(self):
        self.instance.timeout = 1
        sale_order, order = self._magento_order()
        move = self._invoice(sale_order)
        self.magento.inject("latency", seconds=2, method="POST")
        log = self._bulk_export()
        self.assertIn("did not answer within 1 seconds", log.line_ids.message)
        self.assertTrue(self.magento.wait_idle(10), "Magento finishes the slow request")
        self._bulk_export()
        self._assert_exactly_one(move, order)

    def test_hang_without_create_is_posted_again(self):
        self.instance.timeout = 1
        sale_order, order = self._magento_order()
        move = self._invoice(sale_order)
        self.magento.inject("hang", method="POST", seconds=5)
        self._bulk_export()
        self.assertTrue(move.magento_export_sent_at)
        self.magento.release_hangs()
        self.assertTrue(self.magento.wait_idle(10))
        self._bulk_export()
        self._assert_exactly_one(move, order)
        self.assertEqual(len(self._invoice_posts(order)), 2)

    def test_killed_after_magento_answered(self):
        sale_order, order = self._magento_order()
        move = self._invoice(sale_order)
        exporter = type(self.env["magento.invoice.exporter"])
        with patch.object(exporter, "_record_success", side_effect=KeyboardInterrupt("killed")):
            self._export_until_killed()
        self._crash()
        self.assertFalse(move.magento_invoice_id, "the id was never committed")
        self.assertTrue(move.magento_export_sent_at, "but the outcome-unknown mark was")
        self._bulk_export()
        self._assert_exactly_one(move, order)
        self.assertEqual(len(self._invoice_posts(order)), 1)

    def test_killed_before_the_request_left(self):
        sale_order, order = self._magento_order()
        move = self._invoice(sale_order)
        # Commit 1: the run's log; 2: the new transaction after the lock; 3: the outcome-unknown mark.
        self.kill_after_commit = 3
        self._export_until_killed()
        self._crash()
        self.assertFalse(self._invoice_posts(order), "killed before the request left")
        self.assertTrue(move.magento_export_sent_at)
        self.kill_after_commit = None
        self._bulk_export()
        self._assert_exactly_one(move, order)

    def test_rollback_after_the_call_keeps_nothing_half_done(self):
        sale_order, order = self._magento_order()
        move = self._invoice(sale_order)
        exporter = type(self.env["magento.invoice.exporter"])
        original = exporter._record_success

        def record_then_fail(this, *args, **kwargs):
            original(this, *args, **kwargs)
            raise RuntimeError("a later step failed")

        with patch.object(exporter, "_record_success", record_then_fail):
            try:
                self._bulk_export()
            except RuntimeError:
                self._crash()
            else:
                self.fail("the later step was expected to fail")
        self._bulk_export()
        self._assert_exactly_one(move, order)

    def test_outcomes_committed_together_lose_nothing_in_a_crash(self):
        """Outcomes are committed a group at a time (issue 13): killed before the
        group's commit, the marks made before the requests stay, and the next
        run finds each invoice in Magento and links it, posting none again."""
        pairs = [self._magento_order() for _ in range(3)]
        moves = [self._invoice(sale_order) for sale_order, _order in pairs]
        exporter = type(self.env["magento.invoice.exporter"])
        original = exporter._record_success
        seen = []

        def crash_on_third(this, move, *args, **kwargs):
            seen.append(move.id)
            if len(seen) == 3:
                raise KeyboardInterrupt("killed")
            return original(this, move, *args, **kwargs)

        self.instance.export_concurrency = 1
        with patch.object(exporter, "_record_success", crash_on_third):
            self._export_until_killed()
        self._crash()
        uncommitted = [m for m in moves if not m.magento_invoice_id]
        self.assertTrue(uncommitted, "the last outcomes were not committed yet")
        self.assertTrue(all(m.magento_export_sent_at for m in uncommitted), "but each was marked before its request")
        log = self._bulk_export()
        for move, (_sale_order, order) in zip(moves, pairs, strict=True):
            self._assert_exactly_one(move, order)
            self.assertEqual(len(self._invoice_posts(order)), 1)
        self.assertEqual(log.exported_count, len(uncommitted))
        adopted = log.line_ids.filtered(lambda li: "earlier attempt" in li.message)
        self.assertEqual(len(adopted), len(uncommitted), "found in Magento and linked")

    def test_a_run_makes_one_request_per_invoice_and_learns_numbers_at_once(self):
        pairs = [self._magento_order() for _ in range(5)]
        moves = [self._invoice(sale_order) for sale_order, _order in pairs]
        before = len(self.magento.requests())
        log = self._bulk_export()
        requests = self.magento.requests()[before:]
        self.assertEqual(len([r for r in requests if r["method"] == "POST"]), 5)
        gets = [r["path"] for r in requests if r["method"] == "GET"]
        orders = [path for path in gets if "/V1/orders" in path]
        self.assertEqual(len(orders), 1, "the orders read at once (ten to a request), for Magento's money")
        self.assertEqual(len(gets) - len(orders), 1, "one look-up for the numbers")
        for move in moves:
            invoice = self.magento.store.get_invoice(move.magento_invoice_id)
            self.assertEqual(move.magento_invoice_ref, invoice["increment_id"])
            exported = f"Exported to Magento as invoice {invoice['increment_id']}"
            self.assertIn(exported, move.magento_log_line_ids.message)
        self.assertEqual((log.exported_count, log.remaining_count), (5, 0))

    def test_numbers_magento_cannot_tell_now_come_later(self):
        sale_order, _order = self._magento_order()
        move = self._invoice(sale_order)
        self.magento.inject("html", status=503, method="GET", path=r"/V1/invoices$")
        self._bulk_export()
        self.assertTrue(move.magento_invoice_id)
        self.assertFalse(move.magento_invoice_ref)
        self.assertIn(f"Exported to Magento as invoice #{move.magento_invoice_id}", move.magento_log_line_ids.message)
        self.assertEqual(move.magento_status_text, f"Exported as Magento invoice #{move.magento_invoice_id}")
        self._bulk_export()
        invoice = self.magento.store.get_invoice(move.magento_invoice_id)
        self.assertEqual(move.magento_invoice_ref, invoice["increment_id"], "filled by the next run")

    def test_grace_period_defers_posting_again(self):
        self.env["ir.config_parameter"].set_param("magento_invoice_export.lost_answer_grace_seconds", 600)
        self.instance.timeout = 1
        sale_order, order = self._magento_order()
        move = self._invoice(sale_order)
        self.magento.inject("hang", method="POST", seconds=5)
        self._bulk_export()
        self.magento.release_hangs()
        log = self._bulk_export()
        self.assertEqual(len(self._invoice_posts(order)), 1, "not posted again within the grace period")
        self.assertEqual(move.magento_export_attempts, 1, "waiting costs no attempt")
        line = log.line_ids
        self.assertEqual(line.level, "warning")
        self.assertIn("may still be running there. Not sent again", line.message)
        result = move.action_magento_export_invoice()
        self.assertIn("may still be running there", result["params"]["message"], "the button says why it waits")
        move._magento_write({"magento_export_sent_at": "2000-01-01 00:00:00"})
        self._bulk_export()
        self._assert_exactly_one(move, order)


@tagged("post_install", "-at_install")
class TestFaults(ReliabilityCommon):
    @classmethod
    def _request_handler(cls, s, r, /, **kw):
        # Let requests to reserved .invalid names reach the (patched) resolver.
        if (urlsplit(r.url).hostname or "").endswith(".invalid"):
            return _super_send(s, r, **kw)
        return super()._request_handler(s, r, **kw)

    def _failing_export(self, **instance_values):
        sale_order, order = self._magento_order()
        move = self._invoice(sale_order)
        self.instance.write(instance_values)
        log = self._bulk_export()
        return move, order, log

    def test_connection_refused(self):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        move, order, log = self._failing_export(url=f"http://127.0.0.1:{port}")
        self.assertIn("connection refused", log.line_ids.message)
        self.assertFalse(move.magento_export_sent_at, "nothing reached Magento")
        self.assertEqual(move.magento_export_attempts, 1)
        self.instance.url = self.magento.url
        self._bulk_export()
        self._assert_exactly_one(move, order)

    def test_unknown_host(self):
        def refuse(host, *args, **kwargs):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

        with patch("socket.getaddrinfo", refuse):
            move, _order, log = self._failing_export(url="https://shop.invalid")
        self.assertIn("'shop.invalid' could not be found. Check the shop base URL.", log.line_ids.message)
        self.assertFalse(move.magento_export_sent_at)

    def test_tls_failure(self):
        move, _order, log = self._failing_export(url=self.magento.url.replace("http://", "https://"))
        self.assertIn("The TLS connection to 127.0.0.1", log.line_ids.message)
        self.assertFalse(move.magento_export_sent_at)
        self.assertTrue(self.instance.verify_tls, "TLS verification is on by default")

    def test_proxy_pages(self):
        for status in (502, 503):
            with self.subTest(status=status):
                sale_order, order = self._magento_order()
                move = self._invoice(sale_order)
                self.magento.inject("html", status=status, method="POST")
                log = self._bulk_export()
                line = log.line_ids
                self.assertIn(f"HTTP {status}", line.message)
                self.assertIn("probably a proxy", line.message)
                self.assertIn(f"{status} ", line.response)
                self.assertNotIn("<", line.response, "a proxy's page, kept short and without markup")
                self.assertTrue(line.retryable)
                self._bulk_export()
                self._assert_exactly_one(move, order)

    def test_rate_limit_retry_after_is_honoured(self):
        sale_order, order = self._magento_order()
        move = self._invoice(sale_order)
        self.magento.inject("rate_limit", retry_after=1, method="POST")
        log = self._bulk_export()
        self.assertEqual(log.exported_count, 1)
        first, second = self._invoice_posts(order)
        self.assertGreaterEqual(second["time"] - first["done"], 1.0, "Retry-After: 1 was honoured")
        self._assert_exactly_one(move, order)

    def test_rate_limit_beyond_bound_counts_one_attempt(self):
        move, _order, log = self._failing_export()
        self.assertTrue(move.magento_invoice_id)
        sale_order, _order = self._magento_order()
        move = self._invoice(sale_order)
        self.magento.inject("rate_limit", retry_after=3600, method="POST", times=5)
        log = self._bulk_export()
        self.assertIn("asks to slow down: Too Many Requests", log.line_ids.message)
        self.assertEqual(move.magento_export_attempts, 1, "a transient fault costs one attempt per run")
        self.magento.clear_faults()

    def test_401_stops_the_run_without_spending_attempts(self):
        moves = self.env["account.move"]
        for _ in range(3):
            sale_order, _order = self._magento_order()
            moves |= self._invoice(sale_order)
        self.instance.export_concurrency = 1
        self.instance.access_token_secret = "r" * 32  # rotated in Magento
        log = self._bulk_export()
        self.assertEqual(log.state, "failed")
        self.assertIn("The run stopped: Magento refused the credentials: The signature is invalid.", log.summary)
        self.assertIn("System > Extensions > Integrations", log.summary)
        self.assertEqual(len(log.line_ids), 1, "one clear message, not one per invoice")
        self.assertEqual(moves.mapped("magento_export_attempts"), [0, 0, 0])
        result = moves[0].action_magento_export_invoice()
        self.assertEqual(result["params"]["type"], "danger")
        self.assertIn("System > Extensions > Integrations", result["params"]["message"], "the button says what to do")
        self.assertFalse(any(moves.mapped("magento_export_sent_at")))

    def test_oauth_400_stops_the_run_without_spending_attempts(self):
        """Magento answers a missing OAuth field with 400, in the store's language (§2)."""
        moves = self.env["account.move"]
        for _ in range(2):
            sale_order, _order = self._magento_order()
            moves |= self._invoice(sale_order)
        self.instance.export_concurrency = 1
        body = {"message": '"%fieldName" est obligatoire.', "parameters": {"fieldName": "oauth_token"}}
        self.magento.inject("error", status=400, method="POST", body=body)
        posts_before = len(self.magento.requests("POST"))
        log = self._bulk_export()
        self.assertEqual(log.state, "failed")
        self.assertIn('Magento refused the credentials: "oauth_token" est obligatoire.', log.summary)
        self.assertIn("refused the Access Token of Luma Shop", log.summary)
        self.assertEqual(moves.mapped("magento_export_attempts"), [0, 0])
        self.assertEqual(len(self.magento.requests("POST")) - posts_before, 1, "the run stopped at the first refusal")

    def test_key_of_a_length_magento_never_issues_stops_before_sending(self):
        sale_order, _order = self._magento_order()
        move = self._invoice(sale_order)
        # Saved before keys were checked on save (the form now refuses it).
        self.env.flush_all()
        self.env.cr.execute("UPDATE magento_instance SET access_token = %s WHERE id = %s", ["a" * 31, self.instance.id])
        self.instance.invalidate_recordset()
        posts_before = len(self.magento.requests("POST"))
        log = self._bulk_export()
        self.assertIn("The access token has 31 characters where Magento's keys have 32", log.summary)
        self.assertEqual(len(self.magento.requests("POST")), posts_before, "nothing sent")
        self.assertEqual(move.magento_export_attempts, 0)

    def test_tls_broken_after_the_request_is_looked_up_not_posted_again(self):
        from magento_double import MagentoDouble
        from magento_double.tls import self_signed

        with tempfile.TemporaryDirectory() as folder, MagentoDouble(tls=self_signed(folder)) as tls_magento:
            self.patch(self, "magento", tls_magento)
            self.instance.write({"url": tls_magento.url, "verify_tls": False, **tls_magento.credentials})
            sale_order, order = self._magento_order()
            move = self._invoice(sale_order)
            tls_magento.inject("tls_break_after", method="POST")
            log = self._bulk_export()
            self.assertIn("broke while Magento's answer was read", log.line_ids.message)
            self.assertTrue(move.magento_export_sent_at, "Magento may hold it: look it up first")
            self._bulk_export()
            self._assert_exactly_one(move, order)
            self.assertEqual(len(self._invoice_posts(order)), 1, "found, not posted again")

    def test_more_items_than_magento_input_limits_allow(self):
        self.patch(self.magento, "input_limits", {"array": 1})
        sale_order, order = self._magento_order()
        move = self._invoice(sale_order)
        log = self._bulk_export()
        self.assertEqual(
            log.line_ids.message,
            'Maximum items of type "\\Magento\\Sales\\Api\\Data\\InvoiceItemCreationInterface" is 1 '
            "Magento's Web API input limits are on and take at most 1 items in one invoice. In Magento, Stores > "
            "Configuration > Services > Magento Web API > Web Api Input Limits: raise Input List Limit (or turn "
            "the limits off), then export again.",
        )
        self.assertEqual((move.magento_export_attempts, len(self._invoice_posts(order))), (1, 1))
        self.assertFalse(move.magento_export_sent_at, "a refusal: nothing to look up")

    def test_404_order(self):
        sale_order, _order = self._magento_order()
        sale_order.sudo().magento_order_id = 999999  # as the import would set it (it alone may)
        move = self._invoice(sale_order)
        log = self._bulk_export()
        self.assertEqual(
            log.line_ids.message, "The entity that was requested doesn't exist. Verify the entity and try again."
        )
        self.assertIn("check the Magento order ID on the sales order", move.message_ids[0].body)
        self.assertEqual(move.magento_export_attempts, 1)
        self.assertFalse(move.magento_export_sent_at)

    def test_validation_error_counts_every_run(self):
        sale_order, order = self._magento_order()
        move = self._invoice(sale_order)
        self.magento.store.orders[order["entity_id"]]["state"] = "holded"
        self.magento.store.orders[order["entity_id"]]["status"] = "holded"
        for attempt in (1, 2):
            log = self._bulk_export()
            self.assertEqual(
                log.line_ids.message,
                "Invoice Document Validation Error(s):\n"
                "An invoice cannot be created when an order has a status of holded",
            )
            self.assertEqual(move.magento_export_attempts, attempt)


@tagged("post_install", "-at_install")
class TestConcurrency(ReliabilityCommon):
    def _hold_locks(self, moves):
        """Another Odoo worker exporting these invoices (its own connection)."""
        cursor = sql_db.db_connect(self.env.cr.dbname).cursor()
        self.addCleanup(cursor.close)
        cursor.execute("SELECT pg_advisory_lock(%s, id) FROM unnest(%s::int[]) AS id", [LOCK_NAMESPACE, moves.ids])
        return cursor

    def test_concurrent_change_costs_one_retry_not_the_run(self):
        """A payment registered while the outcome is recorded: PostgreSQL refuses the commit."""
        first_so, first_order = self._magento_order()
        first = self._invoice(first_so)
        second_so, _second_order = self._magento_order()
        second = self._invoice(second_so)
        exporter = type(self.env["magento.invoice.exporter"])
        original = exporter._record_success

        def concurrent_payment(this, move, job, result):
            if move == first:
                raise psycopg2.errors.SerializationFailure("could not serialize access due to concurrent update")
            return original(this, move, job, result)

        with patch.object(exporter, "_record_success", concurrent_payment):
            log = self._bulk_export()
        self.assertEqual((log.state, log.exported_count, log.failed_count), ("done", 1, 0))
        self.assertIn("1 changed by someone else meanwhile: the next run takes them up.", log.summary)
        self.assertTrue(second.magento_invoice_id)
        self.assertFalse(first.magento_invoice_id)
        self.assertTrue(first.magento_export_sent_at, "its mark, committed before the request, stays")
        self.assertEqual(first.magento_export_attempts, 0)
        self.assertIn("was changed by someone else while its export was recorded", first.magento_log_line_ids.message)
        self.env.cr.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %s", [LOCK_NAMESPACE]
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0, "every invoice lock released")
        self._bulk_export()
        self._assert_exactly_one(first, first_order)

    def test_concurrent_change_refused_at_commit_costs_one_retry(self):
        """PostgreSQL refuses the commit of the outcome itself (where a real serialization failure comes)."""
        sale_order, order = self._magento_order()
        move = self._invoice(sale_order)
        exporter = type(self.env["magento.invoice.exporter"])
        emulated = exporter._commit
        calls = []

        def refused_third_commit(this):
            calls.append(1)
            if len(calls) == 3:  # the log, the mark before the request, then the outcome
                raise psycopg2.errors.SerializationFailure("could not serialize access due to concurrent update")
            return emulated(this)

        with patch.object(exporter, "_commit", refused_third_commit):
            log = self._bulk_export()
        self.assertEqual(log.state, "done")
        self.assertIn("1 changed by someone else meanwhile", log.summary)
        self.assertFalse(move.magento_invoice_id)
        self.assertTrue(move.magento_export_sent_at, "the mark committed before the request stays")
        self._bulk_export()
        self._assert_exactly_one(move, order)
        self.assertEqual(len(self._invoice_posts(order)), 1, "looked up and linked, not posted again")

    def test_invoice_held_by_another_run_is_left_alone(self):
        pairs = [self._magento_order() for _ in range(2)]
        held, free = (self._invoice(sale_order) for sale_order, _order in pairs)
        other = self._hold_locks(held)
        log = self._bulk_export()
        self.assertEqual(log.exported_count, 1)
        self.assertIn("1 left alone: another run was exporting them.", log.summary)
        self.assertTrue(free.magento_invoice_id)
        self.assertFalse(held.magento_invoice_id)
        self.assertFalse(self._invoice_posts(pairs[0][1]))

        result = held.action_magento_export_invoice()
        self.assertEqual(result["params"]["type"], "warning")
        self.assertIn("Another run is exporting", result["params"]["message"])
        self.assertFalse(self._invoice_posts(pairs[0][1]))

        other.execute("SELECT pg_advisory_unlock_all()")
        self._bulk_export()
        self._assert_exactly_one(held, pairs[0][1])

    def test_locks_are_released_after_a_run(self):
        sale_order, _order = self._magento_order()
        move = self._invoice(sale_order)
        self._bulk_export()
        other = sql_db.db_connect(self.env.cr.dbname).cursor()
        self.addCleanup(other.close)
        other.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, move.id])
        self.assertTrue(other.fetchone()[0])

    def test_partial_invoices_of_one_order_go_in_sequence(self):
        bag, hoodie = self._products()
        sale_order, order = self._magento_order()
        first = self._invoice(sale_order, {bag: 1, hoodie: 1})
        second = self._invoice(sale_order, {bag: 1, hoodie: 1})
        third = self._invoice(sale_order)
        others = [self._invoice(self._magento_order()[0]) for _ in range(3)]
        self.magento.latency = 0.2
        self.addCleanup(setattr, self.magento, "latency", 0.0)
        self.instance.export_concurrency = 8
        log = self._bulk_export()
        self.assertEqual(log.exported_count, 6)
        posts = self._invoice_posts(order)
        self.assertEqual(
            [p["json"]["comment"]["comment"] for p in posts],
            [m._magento_comment() for m in (first, second, third)],
        )
        for earlier, later in itertools.pairwise(posts):
            self.assertGreaterEqual(later["time"], earlier["done"], "one order's invoices never overlap")
        self.assertGreater(self.magento.max_in_flight, 1, "different orders do travel together")
        self.assertTrue(all(m.magento_invoice_id for m in others))


@tagged("post_install", "-at_install")
class TestBadInput(ReliabilityCommon):
    def _assert_not_exportable(self, move, reason, order):
        self.assertEqual((move.magento_export_state, move.magento_export_reason), ("not_exportable", reason))
        log = self._bulk_export()
        self.assertFalse(self._invoice_posts(order), "nothing is sent")
        self.assertEqual(log.failed_count, 0)
        with self.assertRaises(Exception) as error:
            move.action_magento_export_invoice()
        self.assertIn("cannot be exported to Magento", str(error.exception))

    def test_invoice_mixing_two_orders(self):
        first, order = self._magento_order()
        second, _other = self._magento_order()
        # "Create Invoices" makes one per Magento order: a line of the second order added by hand.
        move = first._create_invoices()
        line = move.invoice_line_ids[0]
        line.copy({"move_id": move.id, "sale_line_ids": [Command.set(second.order_line[:1].ids)]})
        move.action_post()
        self.assertEqual(move.magento_order_count, 2)
        self.assertIn(order["increment_id"], move.magento_order_refs)
        self._assert_not_exportable(move, "several_orders", order)

    def test_quantity_above_what_the_order_has_left(self):
        bag, _hoodie = self._products()
        sale_order, order = self._magento_order()
        move = self._invoice(sale_order, {bag: 3})
        log = self._bulk_export()
        self.assertFalse(self._invoice_posts(order), "nothing is sent")
        self.assertIn(
            "Not sent: The invoice asks Magento for more than the order has left to invoice "
            "([24-MB01] Joust Duffle Bag: 3.0 on this invoice, 2.0 left of 2.0 ordered)",
            log.line_ids.message,
        )
        self.assertEqual(move.magento_export_attempts, 1)

    def _second_invoice_beyond_the_first(self):
        bag, _hoodie = self._products()
        sale_order, order = self._magento_order()
        first = self._invoice(sale_order)
        bag_line = sale_order.order_line.filtered(lambda line: line.product_id == bag)
        second = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.partner_a.id,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": bag.id,
                            "quantity": 1,
                            "price_unit": 34,
                            "sale_line_ids": [Command.set(bag_line.ids)],
                        }
                    )
                ],
            }
        )
        second.action_post()
        return first, second, order

    def test_second_invoice_beyond_what_the_first_left(self):
        first, second, order = self._second_invoice_beyond_the_first()
        self._bulk_export()
        self.assertTrue(first.magento_invoice_id)
        self.assertFalse(second.magento_invoice_id)
        self.assertEqual(len(self._invoice_posts(order)), 1)
        self.assertIn("0.0 left of 2.0 ordered", second.magento_log_line_ids.message)

    def test_second_invoice_beyond_the_first_in_the_next_batch(self):
        """The next batch is checked while the first one's request travels:
        what that request asks for counts as invoiced already."""
        first, second, order = self._second_invoice_beyond_the_first()
        with patch.object(const, "BATCH_SIZE", 1), patch.object(const, "EDGE_BATCH_SIZE", 1):
            self._bulk_export()
        self.assertTrue(first.magento_invoice_id)
        self.assertFalse(second.magento_invoice_id)
        self.assertEqual(len(self._invoice_posts(order)), 1)
        self.assertIn("0.0 left of 2.0 ordered", second.magento_log_line_ids.message)

    def test_currency_other_than_the_order(self):
        sale_order, order = self._magento_order()
        move = self._invoice(sale_order, post=False)
        move.currency_id = self.setup_other_currency("EUR")
        move.action_post()
        self._assert_not_exportable(move, "currency_mismatch", order)

    def test_order_whose_payment_method_is_not_configured(self):
        sale_order, order = self._magento_order()
        sale_order.sudo().magento_payment_method_id = False  # as the import leaves it
        self._assert_not_exportable(self._invoice(sale_order), "no_payment_method", order)

    def test_archived_instance(self):
        sale_order, order = self._magento_order()
        move = self._invoice(sale_order)
        self.instance.active = False
        self._assert_not_exportable(move, "instance_archived", order)

    def test_order_without_magento_order_id(self):
        sale_order, order = self._magento_order()
        sale_order.sudo().magento_order_id = 0  # as the import leaves it
        self._assert_not_exportable(self._invoice(sale_order), "no_magento_order_id", order)


@tagged("post_install", "-at_install")
class TestSecrets(ReliabilityCommon):
    def test_credentials_never_shown(self):
        secrets = list(self.magento.credentials.values())
        shown = []
        # A wrong secret (401), a validation error, a 500, a lost answer, a timeout.
        self.instance.access_token_secret = "not-the-secret-" + "x" * 17
        secrets.append(self.instance.access_token_secret)
        sale_order, _order = self._magento_order()
        move = self._invoice(sale_order)
        shown.append(move.action_magento_export_invoice()["params"]["message"])
        self.instance.access_token_secret = self.magento.credentials["access_token_secret"]
        for fault in (
            {"kind": "error", "status": 400, "body": {"message": "Nope"}},
            {"kind": "error", "status": 500},
            {"kind": "drop_after"},
        ):
            self.magento.inject(method="POST", **fault)
            sale_order, _order = self._magento_order()
            shown.append(self._invoice(sale_order).action_magento_export_invoice()["params"]["message"])
        lines = self.env["magento.process.log.line"].search([])
        logs = self.env["magento.process.log"].search([])
        messages = self.env["mail.message"].search([("model", "=", "account.move")])
        texts = shown + lines.mapped("message") + lines.mapped("request") + lines.mapped("response")
        texts += logs.mapped("summary") + messages.mapped("body")
        blob = "\n".join(str(t) for t in texts if t)
        self.assertIn("signature is invalid", blob)
        for secret in secrets:
            self.assertNotIn(secret, blob)
        for entry in self.magento.requests():
            self.assertNotIn("Authorization", str(entry["json"]))

    def test_credentials_never_reach_the_server_log_at_any_level(self):
        records = []

        class Keep(logging.Handler):
            def emit(self, record):
                records.append(self.format(record))

        handler = Keep(level=logging.DEBUG)
        loggers = [logging.getLogger(name) for name in ("odoo.addons.magento_invoice_export", "urllib3", "requests")]
        for logger in loggers:
            self.addCleanup(logger.setLevel, logger.level)
            self.addCleanup(setattr, logger, "propagate", logger.propagate)
            logger.setLevel(logging.DEBUG)
            logger.addHandler(handler)
            # Kept here, not in the server log: the unexpected error below is logged on purpose.
            logger.propagate = False
            self.addCleanup(logger.removeHandler, handler)
        secrets = list(self.magento.credentials.values())
        self.magento.inject("error", status=500, method="POST")
        sale_order, _order = self._magento_order()
        self._invoice(sale_order).action_magento_export_invoice()
        with patch(
            "odoo.addons.magento_invoice_export.export.stream.export_document",
            side_effect=RuntimeError,
        ):
            sale_order, _order = self._magento_order()
            self._invoice(sale_order).action_magento_export_invoice()
        self.instance.access_token_secret = "w" * 32
        sale_order, _order = self._magento_order()
        self._invoice(sale_order).action_magento_export_invoice()
        self.assertTrue(records, "the loggers were listened to")
        blob = "\n".join(records)
        for secret in [*secrets, "w" * 32]:
            self.assertNotIn(secret, blob)

    def test_a_token_with_a_line_break_is_refused_on_save(self):
        with self.assertRaisesRegex(ValidationError, "Bearer Token of Luma Shop holds a space, a line break"):
            self.instance.write({"auth_method": "bearer", "bearer_token": "abc\r\nX-Injected: 1"})

    def test_logs_and_exports_are_isolated_per_company(self):
        other_company = self.setup_other_company()["company"]
        other_instance = self.instance.copy({"name": "Other Shop", "company_id": other_company.id})
        other_instance.write(self.magento.credentials)
        sale_order, _order = self._magento_order()
        move = self._invoice(sale_order)
        log = self._bulk_export(self.instance | other_instance)
        self.assertEqual(len(log), 2)
        other_log = log.filtered(lambda entry: entry.instance_id == other_instance)
        self.assertEqual(other_log.exported_count, 0, "the other company's instance never takes our invoices")
        self.assertTrue(move.magento_invoice_id)
        user = self._user("mgr_company_a", "magento_invoice_export.group_magento_manager,account.group_account_invoice")
        visible = self.env["magento.process.log"].with_user(user).search([])
        self.assertIn(log - other_log, visible)
        self.assertNotIn(other_log, visible)
        wizard = self.env["magento.operation.wizard"].with_user(user).create({})
        self.assertNotIn(other_instance, wizard.instance_ids)
