import socket
import time

from psycopg2 import IntegrityError

from odoo.exceptions import UserError, ValidationError
from odoo.modules.neutralize import get_neutralization_queries
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from ..export.const import LOCK_NAMESPACE
from .common import MagentoTestCommon


@tagged("post_install", "-at_install")
class TestMagentoInstance(MagentoTestCommon):
    def test_instance_form_defaults_and_save(self):
        with Form(self.env["magento.instance"]) as form:
            form.name = "Second Shop"
            form.url = "https://shop.example.com/"
            self.assertEqual(form.store_code, "default")
            self.assertEqual(form.auth_method, "oauth")
            self.assertTrue(form.verify_tls, "TLS verification must be on by default")
            self.assertEqual(form.timeout, 30)
            form.consumer_key = "k" * 32
            form.consumer_secret = "s" * 32
            form.access_token = "t" * 32
            form.access_token_secret = "u" * 32
            form.notify_customer_on_invoice = True
        instance = form.record
        self.assertEqual(instance.company_id, self.env.company)
        self.assertTrue(instance.notify_customer_on_invoice)

    def test_bearer_form_requires_only_the_token(self):
        with Form(self.env["magento.instance"]) as form:
            form.name = "Bearer Shop"
            form.url = "https://shop.example.com"
            form.auth_method = "bearer"
            form.bearer_token = "token"
        self.assertEqual(form.record.auth_method, "bearer")

    def test_url_must_be_a_base_url(self):
        for url in ("shop.example.com", "https://shop.example.com/rest/V1"):
            with self.subTest(url=url), self.assertRaises(ValidationError):
                self.instance.copy({"url": url})

    def test_every_url_the_client_cannot_use_is_refused_in_words(self):
        """Issue 22: accepted before, or refused with a raw ValueError; a
        password in the URL is never repeated."""
        for url, words in (
            ("https://shop.example.com/REST", "must stop before /rest"),
            ("https://shop.example.com/?a=/rest", "must not hold a query"),
            ("https://shop example.com", "has no valid host name"),
            ("http://[::1", "is not a well-formed address"),
            ("http://admin:s3cret@shop.example.com", "must not hold a user name or password"),
        ):
            with self.subTest(url=url), self.assertRaises(ValidationError) as error:
                self.instance.copy({"url": url})
            self.assertIn(words, str(error.exception))
            self.assertNotIn("s3cret", str(error.exception))
        self.instance.copy({"url": "http://[::1]:8280"})

    def test_payment_method_form_and_unique_code(self):
        with Form(self.env["magento.payment.method"]) as form:
            form.instance_id = self.instance
            form.code = "paypal_express"
            form.name = "PayPal Express"
            self.assertEqual(form.invoice_trigger, "never", "a new method must never export until configured")
            self.assertFalse(form.capture_on_export)
        self.assertEqual(self.instance.payment_method_count, 4)
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            self._payment_method("checkmo", "Duplicate", "validate")

    def test_test_connection_oauth(self):
        result = self.instance.action_test_connection()
        self.assertEqual(result["params"]["type"], "success")
        self.assertIn(self.magento.url, result["params"]["message"])
        request = self.magento.requests("GET", "/V1/invoices")[-1]
        self.assertEqual(request["auth"], "OAuth")
        self.assertEqual(request["path"], "/rest/default/V1/invoices")

    def test_test_connection_bearer(self):
        self.instance.write({"auth_method": "bearer", "bearer_token": self.magento.credentials["access_token"]})
        with self.assertRaises(UserError) as error:
            self.instance.action_test_connection()
        # Magento 2.4.4+ refuses an integration token as bearer by default.
        self.assertIn("isn't authorized to access Magento_Sales::sales_invoice", str(error.exception))
        self.magento.integration_as_bearer = True
        self.addCleanup(setattr, self.magento, "integration_as_bearer", False)
        result = self.instance.action_test_connection()
        self.assertEqual(result["params"]["type"], "success")
        self.assertEqual(self.magento.requests()[-1]["auth"], "Bearer")

    def test_test_connection_wrong_password(self):
        self.instance.access_token_secret = "wrong-secret" + "w" * 20
        with self.assertRaises(UserError) as error:
            self.instance.action_test_connection()
        message = str(error.exception)
        self.assertIn("Magento refused the credentials: The signature is invalid. Verify and try again.", message)
        self.assertIn("System > Extensions > Integrations", message)
        self.assertNotIn("wrong-secret", message)

    def test_test_connection_dead_port(self):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.instance.url = f"http://127.0.0.1:{port}"
        with self.assertRaises(UserError) as error:
            self.instance.action_test_connection()
        self.assertIn("connection refused", str(error.exception))
        self.assertIn("Check the shop base URL and port", str(error.exception))

    def test_test_connection_wrong_store_code(self):
        self.instance.store_code = "nl"
        with self.assertRaises(UserError) as error:
            self.instance.action_test_connection()
        message = str(error.exception)
        self.assertIn("Magento has no store view with the REST store code 'nl'.", message)
        self.assertIn("Enter in Luma Shop the code of the store view you invoice through", message)
        self.assertNotIn("Access Token", message, "a store code is not a credential")

    def test_test_connection_names_every_resource_the_integration_lacks(self):
        # The README's old list: no credit memo resource, no store views.
        integration = self.magento.add_integration(
            resources=("Magento_Sales::sales_invoice", "Magento_Sales::actions_view", "Magento_Sales::invoice")
        )
        self.instance.write({key: integration[key] for key in ("consumer_key", "consumer_secret", "access_token")})
        self.instance.write({"access_token_secret": integration["access_token_secret"], "magento_store_id": 0})
        before = len(self.magento.requests())
        documents = (len(self.magento.store.invoices), len(self.magento.store.creditmemos))
        result = self.instance.action_test_connection()
        self.assertEqual(
            (result["params"]["type"], result["params"]["title"]),
            ("warning", "Connection works, with something to set"),
        )
        self.assertIn(
            "But the integration is not allowed Sales > Operations > Orders > Actions > Credit Memos; Sales > "
            "Operations > Credit Memos; Stores > Settings > All Stores, which the runs need",
            result["params"]["message"],
        )
        self.assertIn("Until then, enter the Store View ID of Luma Shop by hand.", result["params"]["message"])
        posts = [(r["path"], r["status"]) for r in self.magento.requests()[before:] if r["method"] == "POST"]
        self.assertEqual(posts, [("/rest/default/V1/order/0/invoice", 400), ("/rest/default/V1/order/0/refund", 401)])
        self.assertEqual(
            (len(self.magento.store.invoices), len(self.magento.store.creditmemos)), documents, "nothing was created"
        )

    def test_every_resource_allowed_is_plain_success(self):
        self.instance.magento_store_id = 0  # learned again: from the probe's answer, not a second request
        before = len(self.magento.requests())
        result = self.instance.action_test_connection()
        views = [r for r in self.magento.requests()[before:] if r["path"].endswith("/V1/store/storeViews")]
        self.assertEqual((len(views), self.instance.magento_store_id), (1, 1))
        self.assertEqual((result["params"]["type"], result["params"]["title"]), ("success", "Connection successful"))
        self.assertEqual(
            {r["path"] for r in self.magento.requests()[before:]},
            {
                "/rest/default/V1/invoices",
                "/rest/default/V1/orders",
                "/rest/default/V1/order/0/invoice",
                "/rest/default/V1/order/0/refund",
                "/rest/default/V1/creditmemos",
                "/rest/default/V1/store/storeViews",
            },
        )

    def test_test_connection_to_something_that_is_not_magento(self):
        self.magento.inject("error", status=404, method="GET", body={"error": "Not Found"})
        with self.assertRaises(UserError) as error:
            self.instance.action_test_connection()
        self.assertIn("this does not look like Magento. Check the shop base URL.", str(error.exception))
        self.assertNotIn("no such order", str(error.exception))

    def test_keys_magento_never_issues_are_refused_on_save(self):
        for value, words in (("a" * 31, "has 31 characters"), ("a" * 31 + "\n", "a line break")):
            with self.subTest(value=value), self.assertRaisesRegex(ValidationError, f"Access Token .*{words}"):
                self.instance.access_token = value

    def test_test_connection_reads_the_store_view(self):
        result = self.instance.action_test_connection()
        self.assertIn("Store view default has the id 1.", result["params"]["message"])
        self.assertEqual(self.instance.magento_store_id, 1)

    def test_payment_method_form_warns_when_a_gateway_payment_is_not_captured(self):
        with Form(self.env["magento.payment.method"]) as form:
            form.instance_id = self.instance
            form.code = "braintree"
            form.name = "Braintree"
            self.assertTrue(form.uncaptured_risk, "a gateway, exported without capture")
            form.capture_on_export = True
            self.assertFalse(form.uncaptured_risk)
            form.code = "free"
            form.capture_on_export = False
            self.assertFalse(form.uncaptured_risk, "an offline method has nothing to capture")
        arch = self.env["magento.payment.method"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("The money may never be captured.", arch)

    def test_incomplete_instance_says_what_is_missing(self):
        self.instance.consumer_secret = False
        with self.assertRaises(UserError) as error:
            self.instance.action_test_connection()
        self.assertIn("is not fully configured: OAuth needs the consumer secret.", str(error.exception))

    def test_neutralize_blanks_credentials(self):
        queries = list(get_neutralization_queries(["magento_invoice_export"]))
        self.assertEqual(len(queries), 1)
        self.env.flush_all()
        self.cr.execute(queries[0])
        self.instance.invalidate_recordset()
        self.assertFalse(self.instance.consumer_key)
        self.assertFalse(self.instance.access_token_secret)
        self.assertEqual(self.instance.url, self.magento.url, "only credentials are blanked")

    def test_settings_that_decide_what_reaches_magento_are_tracked(self):
        """Odoo's chatter records who changed them and when (tracking on the fields, a chatter on the forms)."""
        tracked = {
            "magento.instance": {
                "url",
                "store_code",
                "magento_store_id",
                "auth_method",
                "verify_tls",
                "timeout",
                "notify_customer_on_invoice",
                "export_concurrency",
                "active",
            },
            "magento.payment.method": {"code", "create_invoice_on", "capture_on_export", "active"},
        }
        for model, names in tracked.items():
            with self.subTest(model=model):
                self.assertLessEqual(names, self.env[model]._track_get_fields())
                arch = self.env[model].get_views([(False, "form")])["views"]["form"]["arch"]
                self.assertIn("chatter", arch)

    def test_instance_form_reads_as_sentences_and_leads_to_its_records(self):
        self.assertEqual(
            self.instance.settings_summary,
            f"Invoices go to {self.magento.url} (store view default), signed with OAuth 1.0a. "
            "Magento does not email the customer. Credit notes become credit memos, not emailed.",
        )
        self.instance.write({"notify_customer_on_creditmemo": True, "return_to_stock": True})
        self.assertTrue(
            self.instance.settings_summary.endswith(
                "Credit notes become credit memos, emailed to the customer. Their items return to stock."
            )
        )
        sale_order, _order = self._magento_order()
        self._invoice(sale_order)
        self.assertEqual((self.instance.order_count, self.instance.invoice_count), (1, 1))
        action = self.instance.action_view_invoices()
        self.assertEqual(self.env["account.move"].search(action["domain"]).magento_sale_order_id, sale_order)


@tagged("post_install", "-at_install")
class TestHostileServer(MagentoTestCommon):
    """Issue 22: a server that is not Magento, or that will not stop answering,
    stops the run as the address's problem, spends no attempt and holds no lock."""

    def _held_locks(self):
        self.env.cr.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND classid = %s",
            [LOCK_NAMESPACE],
        )
        return self.env.cr.fetchone()[0]

    def _two_invoices(self):
        self.instance.export_concurrency = 1
        orders, moves = [], self.env["account.move"]
        for _ in range(2):
            sale_order, order = self._magento_order()
            orders.append(order)
            moves |= self._invoice(sale_order)
        return moves, orders

    def test_a_site_answering_html_200_to_everything_is_the_address(self):
        moves, _orders = self._two_invoices()
        self.magento.inject("html", status=200, times=None)
        received = len(self.magento.requests())
        log = self._bulk_export()
        self.assertEqual(log.state, "failed")
        self.assertIn("answered HTTP 200 with an HTML page", log.summary)
        self.assertIn("Check the shop base URL", log.summary)
        self.assertEqual(len(self.magento.requests()) - received, 1, "the run stopped at the first answer")
        self.assertEqual(moves.mapped("magento_export_attempts"), [0, 0])
        self.assertFalse(any(moves.mapped("magento_export_sent_at")), "no document left waiting")
        self.assertEqual(self._held_locks(), 0)
        self.magento.clear_faults()
        self._bulk_export()
        self.assertTrue(all(moves.mapped("magento_invoice_id")), "exported once the address answers")

    def test_a_post_to_no_route_is_the_address_not_a_missing_order(self):
        moves, _orders = self._two_invoices()
        self.magento.inject("error", status=404, method="POST", body={"message": "Request does not match any route."})
        log = self._bulk_export()
        self.assertEqual(log.state, "failed")
        self.assertIn("Magento has no REST route at", log.summary)
        self.assertNotIn("Magento Order ID", log.summary)
        self.assertEqual(moves.mapped("magento_export_attempts"), [0, 0])
        self.assertFalse(any(moves.mapped("magento_export_sent_at")))
        self.assertEqual(self._held_locks(), 0)

    def test_a_trickling_answer_is_given_up_at_the_timeout_and_looked_up(self):
        self.instance.timeout = 1
        moves, orders = self._two_invoices()
        self.magento.inject("trickle", method="POST", seconds=0.2)
        self.addCleanup(self.magento.release_hangs)
        started = time.monotonic()
        log = self._bulk_export()
        self.assertLess(time.monotonic() - started, 8, "not held by a server that never stops")
        self.assertIn("Magento did not finish answering within 1 seconds", "\n".join(log.line_ids.mapped("message")))
        waiting = moves.filtered("magento_export_sent_at")
        self.assertEqual(len(waiting), 1, "Magento may hold it: outcome unknown, looked up next time")
        self.assertEqual(self._held_locks(), 0)
        self.magento.release_hangs()
        self._bulk_export()
        for order in orders:
            self.assertEqual(len(self.magento.store.order_invoices(order["entity_id"])), 1)
        self.assertTrue(all(moves.mapped("magento_invoice_id")))
        self.assertFalse(moves.filtered("magento_export_sent_at"))

    def test_a_huge_answer_is_cut_off_and_said(self):
        moves, orders = self._two_invoices()
        self.magento.inject("huge", method="POST", size=100 * 1024 * 1024)
        log = self._bulk_export()
        self.assertIn("Magento's answer exceeded 64 MB", log.summary)
        self.assertEqual(moves.mapped("magento_export_attempts"), [0, 0])
        self.assertEqual(
            len(moves.filtered("magento_export_sent_at")), 1, "Magento may hold it: looked up before it is sent again"
        )
        self.assertEqual(self._held_locks(), 0)
        self._bulk_export()
        for order in orders:
            self.assertEqual(len(self.magento.store.order_invoices(order["entity_id"])), 1)
        self.assertTrue(all(moves.mapped("magento_invoice_id")))
        self.assertFalse(moves.filtered("magento_export_sent_at"))
