"""When an invoice or a credit note may go to Magento, and what a failed call means.

Statuses (``account.move.magento_export_state``), the same for both documents:

* ``to_export``: eligible, never tried;
* ``failed``: eligible, tried and failed fewer than :data:`MAX_ATTEMPTS` times;
* ``skipped``: eligible, but failed :data:`MAX_ATTEMPTS` times: the bulk export
  leaves it alone until a manager resets the attempts (the button still works);
* ``waiting``: the payment method exports it later (once in payment or paid);
* ``exported``: Magento holds its invoice;
* ``not_exportable``: never, or not as it stands; the reason code says why.

These decide what a run takes (domains, the dashboard). What a person reads is
``account.move.magento_status``, one badge made of this status, its reason and
the last failure (a lost answer waits for Magento, a refusal needs action).
"""

from dataclasses import dataclass

MAX_ATTEMPTS = 3
# Retry-After values above this are not waited for within a run.
MAX_RETRY_AFTER = 30.0
DEFAULT_RETRY_AFTER = 2.0
# After a request whose answer was lost, how long Magento may still be working
# on it: until then the invoice is looked up, never posted again.
DEFAULT_LOST_ANSWER_GRACE = 600

TRIGGER_VALIDATE = "validate"
TRIGGER_PAID = "in_payment_paid"
TRIGGER_REFUNDED = "refunded"
PAID_STATES = ("in_payment", "paid")
# A credit note is refunded once paid back, or matched with its invoice.
REFUNDED_STATES = ("in_payment", "paid", "reversed")
EXPORTABLE = ("to_export", "failed", "skipped")
# Odoo's move types and the Magento document each becomes.
DOCUMENTS = {"out_invoice": "invoice", "out_refund": "creditmemo"}


def export_status(
    *,
    move_type,
    state,
    payment_state,
    magento_invoice_id,
    attempts,
    order_count,
    has_order_id,
    method_code,
    method_configured,
    trigger,
    instance_active,
    currency_matches,
    has_items,
    no_export=False,
    invoiced_in_magento=False,
    invoice_exported=True,
):
    """Return ``(status, reason_code)``; the code is None unless not exportable/waiting.

    For a credit note, ``trigger`` is its payment method's credit memo trigger
    and ``invoice_exported`` whether Magento holds the invoice it refunds.
    """
    if magento_invoice_id:
        return "exported", None
    if no_export:
        return "not_exportable", "marked_not_to_export"
    if invoiced_in_magento:
        return "not_exportable", "invoiced_in_magento"
    if move_type not in DOCUMENTS:
        return "not_exportable", "not_customer_invoice"
    if order_count > 1:
        return "not_exportable", "several_orders"
    if not has_order_id:
        return "not_exportable", "no_magento_order_id"
    if not instance_active:
        return "not_exportable", "instance_archived"
    if not method_code:
        return "not_exportable", "no_payment_method"
    if not method_configured:
        return "not_exportable", "payment_method_not_configured"
    if not trigger:
        return "not_exportable", "payment_method_never"
    if not currency_matches:
        return "not_exportable", "currency_mismatch"
    if not has_items:
        return "not_exportable", "no_magento_items"
    if state != "posted":
        return "waiting", "not_posted"
    if trigger == TRIGGER_PAID and payment_state not in PAID_STATES:
        return "waiting", "not_paid"
    if trigger == TRIGGER_REFUNDED and payment_state not in REFUNDED_STATES:
        return "waiting", "not_refunded"
    if not invoice_exported:
        return "waiting", "invoice_not_exported"
    if attempts >= MAX_ATTEMPTS:
        return "skipped", None
    if attempts:
        return "failed", None
    return "to_export", None


@dataclass(frozen=True)
class FailureOutcome:
    counts_attempt: bool  # magento_export_attempts + 1
    uncertain: bool  # Magento may hold the invoice: look it up before any new POST
    stops_run: bool  # no further call to this instance in this run


def failure_outcome(error):
    """What a failed export means for the invoice and for the run.

    Each invoice is tried once per run, so a transient fault counts as at most
    one attempt per run; a permanent refusal counts every time. Refused
    credentials (401) stop the run for the instance without spending the
    invoices' attempts: the fault is the configuration's, not theirs. The
    same goes for Magento's OAuth 400s and an address without a REST route.
    """
    if getattr(error, "deferred", False):
        # Not a failure of the invoice: we wait for Magento to settle.
        return FailureOutcome(counts_attempt=False, uncertain=True, stops_run=False)
    if getattr(error, "instance_fault", False):
        # Credentials (a 401, or an OAuth 400) or an address without a REST route.
        return FailureOutcome(counts_attempt=False, uncertain=bool(error.maybe_applied), stops_run=True)
    return FailureOutcome(counts_attempt=True, uncertain=bool(getattr(error, "maybe_applied", False)), stops_run=False)


def retry_delay(error):
    """Seconds to wait before one more try after a 429, or None to give up."""
    if getattr(error, "status", None) != 429:
        return None
    delay = error.retry_after if error.retry_after is not None else DEFAULT_RETRY_AFTER
    return delay if delay <= MAX_RETRY_AFTER else None


def may_post_again(sent_at, now, grace_seconds):
    """Whether an invoice whose last request's outcome is unknown may be posted again."""
    return sent_at is None or (now - sent_at).total_seconds() >= grace_seconds
