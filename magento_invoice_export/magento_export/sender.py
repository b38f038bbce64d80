"""One document's trip to Magento, run in a worker thread (no ORM here).

Invoices and credit memos take the same trip (look up first when an earlier
attempt's outcome is unknown, then post once); only the routes differ, and the
job knows them.
"""

import time
from dataclasses import dataclass, field

from .advice import failure_kind
from .money import quantities_fit, settle_invoice, settle_refund, wire_items
from .payload import find_existing_invoice, goods_of
from .policy import retry_delay


@dataclass
class ExportJob:
    """Everything the worker needs, gathered by Odoo's thread beforehand."""

    move_id: int
    name: str
    magento_order_id: int
    items: list
    comment: str
    document: str = "invoice"  # or "creditmemo"
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
    # Credit memos: amounts in the order's base currency; the Magento invoice
    # refunded online (0: offline, through the order); items back to stock.
    shipping_amount: float = 0.0
    adjustment_positive: float = 0.0
    adjustment_negative: float = 0.0
    refund_invoice_id: int = 0
    refund_move_id: int = 0  # the Odoo invoice behind refund_invoice_id, for Odoo's checks
    return_to_stock: bool = False
    # What the Odoo document says about money (money.Money): checked against
    # Magento's figure before the request leaves; None: not checked.
    money: object = None
    orders: object = None  # the run's order_reader.OrderReader (else each order is read alone)
    # Set by the worker: the items the request names (a dynamic bundle's
    # children for its parent) and Magento's totals as computed beforehand.
    wire_items: list = None
    magento_totals: object = None

    @property
    def is_creditmemo(self):
        return self.document == "creditmemo"

    def request_path(self):
        if not self.is_creditmemo:
            return f"V1/order/{self.magento_order_id}/invoice"
        if self.refund_invoice_id:
            return f"V1/invoice/{self.refund_invoice_id}/refund"
        return f"V1/order/{self.magento_order_id}/refund"

    def lookup_path(self):
        return f"V1/{'creditmemos' if self.is_creditmemo else 'invoices'}?order_id={self.magento_order_id}"

    def request_body(self):
        """The body as the client sends it (for the process log)."""
        items = [{"order_item_id": item_id, "qty": qty} for item_id, qty in self.sent_items]
        comment = {"comment": self.comment, "is_visible_on_front": 0}
        if not self.is_creditmemo:
            return {
                "capture": self.capture,
                "notify": self.notify,
                "appendComment": False,
                "items": items,
                "comment": comment,
            }
        arguments = {
            "shipping_amount": self.shipping_amount,
            "adjustment_positive": self.adjustment_positive,
            "adjustment_negative": self.adjustment_negative,
        }
        if self.return_to_stock:
            arguments["extension_attributes"] = {"return_to_stock_items": [i for i, _qty in self.sent_items]}
        body = {"items": items, "notify": self.notify, "appendComment": False, "arguments": arguments}
        body["comment"] = comment
        if self.refund_invoice_id:
            body["isOnline"] = True
        return body

    @property
    def sent_items(self):
        return self.items if self.wire_items is None else self.wire_items

    def settle(self, client, order):
        """Magento's money for this document, from ``order`` as it stands: raises
        money.AmountMismatch when it would differ from Odoo's; for a credit
        memo, sets the shipping and adjustments that make it equal."""
        if not self.is_creditmemo:
            self.magento_totals = settle_invoice(order, self.items, self.money)
            return
        wire = self.wire_items = wire_items(order, self.items)
        if not quantities_fit(order, wire, refund=True):
            return  # Magento refuses its quantities, in its own words
        invoice = refunded = incl_refunded = None
        memos = None
        if self.refund_invoice_id:
            invoice = client.get_invoice(self.refund_invoice_id)
            memos = client.get_order_creditmemos(self.magento_order_id)
            refunded = refunded_of_invoice(memos, self.refund_invoice_id)
        if self.money.shipping_incl_tax and float(order.get("base_shipping_refunded") or 0):
            memos = memos if memos is not None else client.get_order_creditmemos(self.magento_order_id)
            incl_refunded = sum(float(m.get("base_shipping_incl_tax") or 0) for m in memos)
        request, self.magento_totals = settle_refund(order, wire, self.money, invoice, refunded, incl_refunded)
        self.shipping_amount = request.base_shipping
        self.adjustment_positive = request.base_adjustment_positive
        self.adjustment_negative = request.base_adjustment_negative

    def look_up(self, client):
        """Magento's documents of this kind for the order."""
        if self.is_creditmemo:
            return client.get_order_creditmemos(self.magento_order_id)
        return client.get_order_invoices(self.magento_order_id)

    def post(self, client):
        """Create the document; its entity id."""
        if not self.is_creditmemo:
            return client.create_invoice(
                self.magento_order_id, self.sent_items, notify=self.notify, capture=self.capture, comment=self.comment
            )
        return client.create_creditmemo(
            self.sent_items,
            order_id=self.magento_order_id,
            invoice_id=self.refund_invoice_id or None,
            online=bool(self.refund_invoice_id),
            notify=self.notify,
            comment=self.comment,
            shipping_amount=self.shipping_amount,
            adjustment_positive=self.adjustment_positive,
            adjustment_negative=self.adjustment_negative,
            return_to_stock_items=[item_id for item_id, _qty in self.sent_items] if self.return_to_stock else (),
        )


@dataclass(eq=False)
class NumbersLookup:
    """One request for the numbers (and totals) of the documents a batch just
    created: Magento's documents of ``kind`` with an entity id from ``low`` to
    ``high`` (client.documents_between). It travels among the batch's
    neighbours' requests; ``batch`` is the caller's, untouched here."""

    kind: str  # "invoices" or "creditmemos"
    low: int
    high: int
    batch: object = None
    may_post = False  # it creates nothing: no outcome-unknown mark

    @property
    def magento_order_id(self):
        # Its own key: it waits for no order's requests.
        return self

    def send(self, client):
        return client.documents_between(self.kind, self.low, self.high)


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
    invoice_id: int  # the Magento document's entity id (an invoice's or a credit memo's)
    increment_id: str | None
    adopted: bool  # it already existed in Magento: linked, not created
    waited: float = 0.0  # seconds spent honouring Retry-After
    own: bool = False  # adopted from Magento's own invoices (not one Odoo sent)
    document: dict | None = None  # Magento's document as it reads it back (number, totals), when known


def export_document(client, job, sleep=time.sleep):
    """Make sure Magento holds exactly one document for ``job``; return it.

    When an earlier attempt's outcome is unknown, Magento's documents of the
    order are looked up first and a match is adopted instead of posting again.
    A 429 is retried once after its Retry-After (bounded). Errors propagate as
    the client's typed errors; a failed look-up is marked ``maybe_applied`` so
    that the document stays "look up first".
    """
    if job.uncertain or job.link_only:
        try:
            documents = job.look_up(client)
        except Exception as error:
            error.maybe_applied = job.uncertain
            raise
        existing = find_existing_invoice(documents, job.comment, job.items, job.claimed_ids, own=job.link_only)
        if existing is not None:
            return _adopt(job, existing)
        if not job.may_post:
            raise OutcomeStillUnknown(job.name)
        if job.link_only:
            raise NoMatchingMagentoInvoice(
                [str(i.get("increment_id")) for i in documents if int(i.get("entity_id") or 0) not in job.claimed_ids]
            )
    if job.money is not None:
        _settle(client, job)
    waited = 0.0
    while True:
        try:
            entity_id = job.post(client)
            break
        except Exception as error:
            if refused_for_its_goods(job, error):
                return _own_invoice_after_refusal(client, job, error)
            delay = retry_delay(error)
            if delay is None or waited:
                raise
            sleep(delay)
            waited = delay or 0.001
    # One request per document: its number (and totals) are learned for the
    # whole batch at once afterwards (client.documents_between).
    return ExportResult(entity_id, None, adopted=False, waited=waited)


def _settle(client, job):
    """Magento's money, known before the request leaves (money.py). A failed
    read keeps an earlier lost answer's "look up first"."""
    try:
        if job.orders is not None:
            order = job.orders.take(client, job.magento_order_id)
        else:
            order = client.get_order(job.magento_order_id)
        job.settle(client, order)
    except Exception as error:
        if not hasattr(error, "reason"):  # not an AmountMismatch: a failed read
            error.maybe_applied = job.uncertain
        raise


def refunded_of_invoice(memos, invoice_id):
    """What the credit memos of one invoice refunded: tax fields summed, and
    quantities by order item (``qtys``), for Magento's refund limits."""
    fields = (
        "tax_amount",
        "base_tax_amount",
        "discount_tax_compensation_amount",
        "base_discount_tax_compensation_amount",
        "shipping_discount_tax_compensation_amount",
        "base_shipping_discount_tax_compensation_amnt",
    )
    refunded = dict.fromkeys(fields, 0.0)
    refunded["qtys"] = {}
    for memo in memos:
        if int(memo.get("invoice_id") or 0) != int(invoice_id) or int(memo.get("state") or 0) == 3:
            continue  # another invoice's, or canceled
        for name in fields:
            refunded[name] += float(memo.get(name) or 0)
        for line in memo.get("items") or []:
            item_id = int(line.get("order_item_id") or 0)
            refunded["qtys"][item_id] = refunded["qtys"].get(item_id, 0.0) + float(line.get("qty") or 0)
    return refunded


def refused_for_its_goods(job, error):
    """Magento refused this invoice for its goods or the order's state (400:
    nothing left to invoice, an invalid quantity): perhaps because Magento
    invoiced them itself since the order was imported."""
    return not job.is_creditmemo and failure_kind(error) in ("quantity", "document")


def _own_invoice_after_refusal(client, job, error):
    """After such a refusal, the order's invoices are read again and the
    import's rule applies: one of Magento's own invoices with exactly these
    items and quantities stands for this invoice. Otherwise the refusal
    stands, carrying what Magento holds for the order (``error.magento_holds``:
    ``[(number, goods)]``) for the advice."""
    try:
        documents = job.look_up(client)
    except Exception:
        # The refusal is certain (a 400 rolls everything back); the look-up only helped.
        raise error from None
    existing = find_existing_invoice(documents, job.comment, job.items, job.claimed_ids, own=True)
    if existing is None:
        error.magento_holds = [(str(d.get("increment_id") or d.get("entity_id")), goods_of(d)) for d in documents]
        raise error
    return _adopt(job, existing)


def _adopt(job, existing):
    """Link the Magento document found for ``job`` instead of creating one."""
    own = not any((c.get("comment") or "").strip() == job.comment for c in existing.get("comments") or [])
    if isinstance(job.claimed_ids, set):
        # The order's next job (they run one after the other) must not take it too.
        job.claimed_ids.add(int(existing["entity_id"]))
    return ExportResult(
        int(existing["entity_id"]), existing.get("increment_id"), adopted=True, own=own, document=existing
    )
