"""The export's rules without Odoo: payload, eligibility, failures, in-flight runner."""

import gc
import threading
import weakref

import pytest
from conftest import CONFIGURABLE, SIMPLE

from magento_client import (
    MagentoAuthError,
    MagentoConnectionError,
    MagentoNotFoundError,
    MagentoProtocolError,
    MagentoRateLimitError,
    MagentoServerError,
    MagentoValidationError,
)
from magento_export.advice import failure_kind
from magento_export.payload import build_items, find_existing_invoice, invoice_comment
from magento_export.pipeline import InFlight, NotSent
from magento_export.policy import MAX_ATTEMPTS, export_status, failure_outcome, retry_delay
from magento_export.sender import ExportJob, export_document

ELIGIBLE = {
    "move_type": "out_invoice",
    "state": "posted",
    "payment_state": "not_paid",
    "magento_invoice_id": 0,
    "attempts": 0,
    "order_count": 1,
    "has_order_id": True,
    "method_code": "checkmo",
    "method_configured": True,
    "trigger": "validate",
    "instance_active": True,
    "currency_matches": True,
    "has_items": True,
}


# ------------------------------------------------------------------ payload
def test_build_items_sums_per_item_and_drops_unlinked_lines():
    lines = [(11, 1), (0, 1), (12, 2), (11, 2.5), (None, 4), (13, 1), (13, -1)]
    assert build_items(lines) == [(11, 3.5), (12, 2.0)]


def test_invoice_comment_is_unique_to_the_odoo_invoice():
    assert invoice_comment("INV/2026/00042", "3f9c2a1b-42") == "Odoo invoice INV/2026/00042 [3f9c2a1b-42]"


def _magento_invoice(entity_id, comment=None, items=()):
    return {
        "entity_id": entity_id,
        "comments": [{"comment": comment}] if comment else [],
        "items": [{"order_item_id": i, "qty": q, "price": p} for i, q, p in items],
    }


def test_existing_invoice_found_by_comment_first():
    invoices = [
        _magento_invoice(1, None, [(5, 1, 10)]),
        _magento_invoice(2, "Odoo invoice INV/2", [(5, 1, 10)]),
    ]
    assert find_existing_invoice(invoices, "Odoo invoice INV/2", [(5, 1.0)], own=True)["entity_id"] == 2


def test_after_a_lost_answer_only_our_own_comment_matches():
    """Magento saves the comment with the invoice: no comment, not ours (§5)."""
    invoices = [
        _magento_invoice(7, None, [(5, 2, 52)]),
        _magento_invoice(8, "Odoo invoice INV/3", [(5, 2, 52)]),  # same number, another Odoo invoice
    ]
    assert find_existing_invoice(invoices, "Odoo invoice INV/3 [db-3]", [(5, 2.0)]) is None


def test_magento_own_invoice_found_by_items():
    invoices = [_magento_invoice(7, None, [(5, 2, 52), (6, 2, 0)])]  # 6: configurable child
    assert find_existing_invoice(invoices, "Odoo invoice INV/3 [db-3]", [(5, 2.0)], own=True)["entity_id"] == 7


def test_magento_own_invoice_not_adopted_when_claimed_or_ours():
    invoices = [_magento_invoice(7, None, [(5, 2, 52)]), _magento_invoice(8, "Odoo invoice INV/9 [db-9]", [(5, 2, 52)])]
    assert find_existing_invoice(invoices, "Odoo invoice INV/3 [db-3]", [(5, 2.0)], {7}, own=True) is None


def test_magento_own_invoice_not_adopted_with_other_quantities():
    invoices = [_magento_invoice(7, None, [(5, 1, 52)]), _magento_invoice(8, None, [(5, 2, 52), (9, 1, 3)])]
    assert find_existing_invoice(invoices, "Odoo invoice INV/3 [db-3]", [(5, 2.0)], own=True) is None


# ------------------------------------------------------------------- policy
@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, ("to_export", None)),
        ({"payment_state": "paid"}, ("to_export", None)),
        ({"trigger": "in_payment_paid"}, ("waiting", "not_paid")),
        ({"trigger": "in_payment_paid", "payment_state": "partial"}, ("waiting", "not_paid")),
        ({"trigger": "in_payment_paid", "payment_state": "in_payment"}, ("to_export", None)),
        ({"trigger": "in_payment_paid", "payment_state": "paid"}, ("to_export", None)),
        ({"trigger": False, "payment_state": "paid"}, ("not_exportable", "payment_method_never")),
        ({"state": "draft"}, ("waiting", "not_posted")),
        ({"move_type": "in_invoice"}, ("not_exportable", "not_customer_invoice")),
        # Credit notes: their own trigger, and the invoice they refund in Magento first.
        ({"move_type": "out_refund"}, ("to_export", None)),
        ({"move_type": "out_refund", "invoice_exported": False}, ("waiting", "invoice_not_exported")),
        ({"move_type": "out_refund", "trigger": "refunded"}, ("waiting", "not_refunded")),
        ({"move_type": "out_refund", "trigger": "refunded", "payment_state": "reversed"}, ("to_export", None)),
        ({"move_type": "out_refund", "trigger": "refunded", "payment_state": "paid"}, ("to_export", None)),
        ({"move_type": "out_refund", "state": "draft", "invoice_exported": False}, ("waiting", "not_posted")),
        ({"magento_invoice_id": 42}, ("exported", None)),
        ({"attempts": 1}, ("failed", None)),
        ({"attempts": MAX_ATTEMPTS}, ("skipped", None)),
        ({"order_count": 2}, ("not_exportable", "several_orders")),
        ({"has_order_id": False}, ("not_exportable", "no_magento_order_id")),
        ({"instance_active": False}, ("not_exportable", "instance_archived")),
        ({"method_code": False}, ("not_exportable", "no_payment_method")),
        ({"method_configured": False}, ("not_exportable", "payment_method_not_configured")),
        ({"currency_matches": False}, ("not_exportable", "currency_mismatch")),
        ({"has_items": False}, ("not_exportable", "no_magento_items")),
    ],
)
def test_export_status(changes, expected):
    assert export_status(**{**ELIGIBLE, **changes}) == expected


def test_failure_outcomes():
    refused = failure_outcome(MagentoAuthError("no", status=401))
    assert (refused.counts_attempt, refused.stops_run) == (False, True)
    invalid = failure_outcome(MagentoValidationError("no", status=400))
    assert (invalid.counts_attempt, invalid.uncertain, invalid.stops_run) == (True, False, False)
    lost = failure_outcome(MagentoServerError("boom", status=500, maybe_applied=True))
    assert (lost.counts_attempt, lost.uncertain) == (True, True)
    refused_conn = failure_outcome(MagentoConnectionError("refused", maybe_applied=False))
    assert not refused_conn.uncertain


def test_retry_delay_is_bounded():
    assert retry_delay(MagentoRateLimitError("slow", status=429, retry_after=3)) == 3
    assert retry_delay(MagentoRateLimitError("slow", status=429)) == 2.0
    assert retry_delay(MagentoRateLimitError("slow", status=429, retry_after=3600)) is None
    assert retry_delay(MagentoServerError("x", status=503)) is None


# ----------------------------------------------------------------- pipeline
def test_in_flight_limit_and_per_key_order():
    started, lock = [], threading.Lock()
    in_flight = {"now": 0, "max": 0}
    gate = threading.Event()

    def send(job):
        with lock:
            in_flight["now"] += 1
            in_flight["max"] = max(in_flight["max"], in_flight["now"])
            started.append(job)
            if in_flight["now"] >= 3:
                gate.set()
        gate.wait(5)
        with lock:
            in_flight["now"] -= 1
        return job

    jobs = [("a", 1), ("a", 2), ("b", 1), ("c", 1), ("d", 1), ("a", 3)]
    runner = InFlight(send, max_in_flight=3)
    done = [job for job, result, error in runner.run(jobs, key=lambda j: j[0])]
    assert sorted(done) == sorted(jobs)
    assert in_flight["max"] == 3
    assert [j for j in started if j[0] == "a"] == [("a", 1), ("a", 2), ("a", 3)]


def test_in_flight_errors_are_yielded_and_cancel_stops_sending():
    runner = None

    def send(job):
        if job == 2:
            runner.cancel()  # what the exporter's send does on a fault of the whole run
            raise ValueError("bad")
        return job * 10

    runner = InFlight(send, max_in_flight=1)
    outcomes = []
    for job, result, error in runner.run([1, 2, 3, 4], key=lambda j: j):
        outcomes.append((job, result, type(error).__name__ if error else None))
    assert outcomes == [(1, 10, None), (2, None, "ValueError")]
    assert sorted(runner.unsent) == [3, 4]


def test_in_flight_workers_do_not_wait_for_the_caller():
    """Requests keep travelling while Odoo records an outcome (issue 13): while
    the caller is still busy with 1, the worker has taken 2 on its own."""
    two_sent = threading.Event()

    def send(job):
        if job == 2:
            two_sent.set()
        return job

    runner = InFlight(send, max_in_flight=1)
    for job, _result, _error in runner.run([1, 2, 3], key=lambda j: j):
        if job == 1:
            assert two_sent.wait(5), "2 left while the caller recorded 1"


# ------------------------------------------------------------------- sender
def _job(order, **kwargs):
    return ExportJob(
        move_id=1,
        name="INV/1",
        magento_order_id=order["entity_id"],
        items=[(1, 1.0)],
        comment=invoice_comment("INV/1", "db-1"),
        **kwargs,
    )


def test_sender_makes_one_request_per_invoice(magento, client, order):
    """Issue 13: the POST only; the number is learned for a whole batch at once."""
    result = export_document(client, _job(order))
    assert (result.invoice_id, result.increment_id, result.adopted) == (1, None, False)
    assert [e["method"] for e in magento.requests()] == ["POST"]


def test_numbers_of_a_batch_in_one_request_among_others(magento, client):
    """One look-up by entity id range tells every number, pages included,
    whoever else (Magento's admin, another database) invoiced in between."""
    ids = []
    for _ in range(5):
        other = magento.store.add_order([SIMPLE])
        ids.append(client.create_invoice(other["entity_id"], [(other["items"][0]["item_id"], 1)]))
    before = len(magento.requests("GET"))
    found = client.documents_between("invoices", ids[1], ids[3], page_size=2)
    assert [int(d["entity_id"]) for d in found] == ids[1:4]
    assert all(d["increment_id"] for d in found)
    assert len(magento.requests("GET")) - before == 2, "two pages of two"


def test_sender_adopts_lost_invoice_instead_of_posting(magento, client, order):
    magento.inject("drop_after", method="POST")
    with pytest.raises(MagentoConnectionError) as info:
        export_document(client, _job(order))
    assert info.value.maybe_applied
    result = export_document(client, _job(order, uncertain=True))
    assert result.adopted and result.invoice_id == 1
    assert len(magento.store.invoices) == 1
    assert len(magento.requests("POST")) == 1


def test_sender_posts_when_lookup_finds_nothing(magento, client, order):
    result = export_document(client, _job(order, uncertain=True))
    assert not result.adopted
    assert [e["method"] for e in magento.requests()] == ["GET", "POST"]


def test_sender_failed_lookup_stays_uncertain(magento, client, order):
    magento.inject("html", status=503, method="GET")
    with pytest.raises(MagentoServerError) as info:
        export_document(client, _job(order, uncertain=True))
    assert info.value.maybe_applied
    assert not magento.requests("POST"), "never post while the outcome of the last post is unknown"


def test_sender_honours_retry_after_once(magento, client, order):
    magento.inject("rate_limit", retry_after=0.2, method="POST")
    waits = []
    result = export_document(client, _job(order), sleep=waits.append)
    assert waits == [0.2] and result.waited == 0.2
    magento.inject("rate_limit", retry_after=0.2, method="POST", times=2)
    other = magento.store.add_order([SIMPLE, CONFIGURABLE])
    with pytest.raises(MagentoRateLimitError, match="slow down"):
        export_document(client, _job(other), sleep=lambda s: None)


def test_before_send_runs_in_the_caller_thread_before_each_send():
    caller = threading.get_ident()
    events = []

    def before_send(job):
        assert threading.get_ident() == caller
        events.append(("mark", job))

    def send(job):
        events.append(("send", job))
        return job

    runner = InFlight(send, max_in_flight=2)
    list(runner.run([1, 2, 3], key=lambda j: j, before_send=before_send))
    for job in (1, 2, 3):
        assert events.index(("mark", job)) < events.index(("send", job))


# ------------------------------------------------------------------- advice
@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (MagentoAuthError("x", status=400, credential="oauth_token"), "credentials"),
        (MagentoValidationError("x", status=400, parameters=["Bag"]), "quantity"),
        (MagentoValidationError("x", status=400), "document"),
        (MagentoValidationError("x", status=400, parameters={"type": "t", "max": 20}), "array_limit"),
        (MagentoServerError("x", status=503), "transient"),
        (MagentoConnectionError("x", maybe_applied=False), "network"),
        (MagentoProtocolError("x", status=404), "not_magento"),
    ],
)
def test_failure_kind_by_structure(error, kind):
    assert failure_kind(error) == kind


def test_no_route_and_missing_order_are_told_apart_by_the_route():
    missing = MagentoNotFoundError("x", status=404)
    no_route = MagentoNotFoundError("x", status=404)
    no_route.instance_fault = True
    assert (failure_kind(missing), failure_kind(no_route)) == ("order_missing", "no_route")


def test_a_job_whose_mark_did_not_hold_is_not_sent_nor_are_its_orders_next():
    sent = []
    runner = InFlight(lambda job: sent.append(job) or job, max_in_flight=2)
    jobs = [("A", 1), ("A", 2), ("B", 3)]
    results = list(runner.run(jobs, key=lambda j: j[0], before_send=lambda job: job != ("A", 1)))
    assert [job for job, _result, _error in results] == [("B", 3)]
    assert sorted(runner.unsent) == [("A", 1), ("A", 2)]


def test_more_jobs_join_the_stream_before_it_runs_dry():
    """Batches follow one another without the workers waiting for the caller
    (issue 13): more() is asked, in the caller's thread, before the earlier
    jobs are answered; an order spanning two batches keeps its order."""
    caller = threading.get_ident()
    batches = [[("a", 1), ("b", 1)], [("a", 2), ("c", 1)], []]
    asked = []
    started = []
    done = []

    def more():
        assert threading.get_ident() == caller
        asked.append(len(done))
        return batches.pop(0) if batches else None

    def send(job):
        started.append(job)
        return job

    runner = InFlight(send, max_in_flight=2)
    for job, _result, _error in runner.run([], key=lambda j: j[0], more=more):
        done.append(job)
    assert sorted(done) == [("a", 1), ("a", 2), ("b", 1), ("c", 1)]
    assert started.index(("a", 1)) < started.index(("a", 2))
    assert asked[:2] == [0, 0], "the second batch is asked for before any answer of the first"
    assert len(asked) == 4, "asked until it says there are no more"


def test_a_long_run_keeps_no_answered_job():
    """Memory stays flat however long the run (issue 13): once answered, a
    job is the caller's alone, even one that is its own key (the numbers'
    look-up, which carries its whole batch)."""

    class Job:
        def __init__(self, key):
            self.key = key if key is not None else self
            self.payload = bytearray(1000)

    def more():
        batches.append(None)
        return [Job(None), Job(len(batches))] if len(batches) <= 100 else None

    batches, gone = [], []
    runner = InFlight(lambda job: None, max_in_flight=4)
    for job, _result, _error in runner.run([], key=lambda j: j.key, more=more):
        gone.append(weakref.ref(job))
    del job
    gc.collect()
    kept = [ref for ref in gone if ref() is not None]
    assert len(gone) == 200 and not kept, f"{len(kept)} answered jobs still held by the runner"


def test_idle_work_is_done_while_no_answer_waits():
    """The caller's own work (closing a batch) goes in the gaps between
    answers, a step at a time, never holding an answer back for long."""
    gate = threading.Event()
    steps = []

    def send(job):
        gate.wait(5)
        return job

    def idle():
        if len(steps) < 3:
            steps.append(len(steps))
            if len(steps) == 3:
                gate.set()  # the answers come once the caller is done
            return True
        return False

    runner = InFlight(send, max_in_flight=2)
    assert sorted(job for job, _r, _e in runner.run([1, 2], key=lambda j: j, idle=idle)) == [1, 2]
    assert steps == [0, 1, 2]


def test_jobs_not_sent_are_reported_when_asked():
    """A job whose mark did not hold, its order's later jobs, and a job of that
    order added afterwards: each comes back once, as not sent."""
    sent = []
    runner = InFlight(lambda job: sent.append(job) or job, max_in_flight=1)
    batches = [[("A", 3), ("B", 2)]]
    outcomes = list(
        runner.run(
            [("A", 1), ("A", 2), ("B", 1)],
            key=lambda j: j[0],
            before_send=lambda job: job != ("A", 1),
            more=lambda: batches.pop(0) if batches else None,
            report_unsent=True,
        )
    )
    not_sent = sorted(job for job, _result, error in outcomes if isinstance(error, NotSent))
    assert not_sent == [("A", 1), ("A", 2), ("A", 3)]
    assert sorted(sent) == [("B", 1), ("B", 2)]
    assert len(outcomes) == 5
