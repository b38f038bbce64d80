"""One invoice's trip to Magento, run in a worker thread (no ORM here)."""

import time
from dataclasses import dataclass, field

from .payload import find_existing_invoice
from .policy import retry_delay


@dataclass
class ExportJob:
    """Everything the worker needs, gathered by Odoo's thread beforehand."""

    move_id: int
    name: str
    magento_order_id: int
    items: list
    comment: str
    notify: bool = False
    capture: bool = False
    uncertain: bool = False  # an earlier POST's outcome is unknown: look up first
    may_post: bool = True  # False while that earlier POST may still be running in Magento
    claimed_ids: frozenset = field(default_factory=frozenset)
    # Its quantities reach into what Magento invoiced itself: only one of
    # Magento's own invoices can stand for it, never a new one.
    link_only: bool = False
    # Product lines the Magento invoice will not carry, as a person reads them.
    left_out: tuple = ()

    def request_body(self):
        """The body as the client sends it (for the process log)."""
        return {
            "capture": self.capture,
            "notify": self.notify,
            "appendComment": False,
            "items": [{"order_item_id": item_id, "qty": qty} for item_id, qty in self.items],
            "comment": {"comment": self.comment, "is_visible_on_front": 0},
        }


class OutcomeStillUnknown(Exception):
    """Magento does not show the invoice yet, but an earlier request for it may
    still be running there: posting again now could create a second one."""

    deferred = True
    maybe_applied = True
    retryable = True
    status = None


class NoMatchingMagentoInvoice(Exception):
    """Magento invoiced the order itself and none of its invoices is this one:
    posting would be refused, or invoice the goods twice."""

    deferred = False
    maybe_applied = False
    retryable = False
    status = None

    def __init__(self, refs):
        super().__init__(", ".join(refs))
        self.refs = refs  # the increment ids of Magento's own invoices not yet linked


@dataclass
class ExportResult:
    invoice_id: int
    increment_id: str | None
    adopted: bool  # it already existed in Magento: linked, not created
    waited: float = 0.0  # seconds spent honouring Retry-After
    own: bool = False  # adopted from Magento's own invoices (not one Odoo sent)


def export_invoice(client, job, sleep=time.sleep):
    """Make sure Magento holds exactly one invoice for ``job``; return it.

    When an earlier attempt's outcome is unknown, Magento's invoices of the
    order are looked up first and a match is adopted instead of posting again.
    A 429 is retried once after its Retry-After (bounded). Errors propagate as
    the client's typed errors; a failed look-up is marked ``maybe_applied`` so
    that the invoice stays "look up first".
    """
    if job.uncertain or job.link_only:
        try:
            invoices = client.get_order_invoices(job.magento_order_id)
        except Exception as error:
            error.maybe_applied = job.uncertain
            raise
        existing = find_existing_invoice(invoices, job.comment, job.items, job.claimed_ids, own=job.link_only)
        if existing is not None:
            own = not any((c.get("comment") or "").strip() == job.comment for c in existing.get("comments") or [])
            if isinstance(job.claimed_ids, set):
                # The order's next job (they run one after the other) must not take it too.
                job.claimed_ids.add(int(existing["entity_id"]))
            return ExportResult(int(existing["entity_id"]), existing.get("increment_id"), adopted=True, own=own)
        if not job.may_post:
            raise OutcomeStillUnknown(job.name)
        if job.link_only:
            raise NoMatchingMagentoInvoice(
                [str(i.get("increment_id")) for i in invoices if int(i.get("entity_id") or 0) not in job.claimed_ids]
            )
    waited = 0.0
    while True:
        try:
            invoice_id = client.create_invoice(
                job.magento_order_id,
                job.items,
                notify=job.notify,
                capture=job.capture,
                comment=job.comment,
            )
            break
        except Exception as error:
            delay = retry_delay(error)
            if delay is None or waited:
                raise
            sleep(delay)
            waited = delay or 0.001
    increment_id = None
    try:
        increment_id = client.get_invoice(invoice_id).get("increment_id")
    except Exception:  # the id is what matters; the number is cosmetic
        increment_id = None
    return ExportResult(invoice_id, increment_id, adopted=False, waited=waited)
