"""The orders the money checks read (money.py), ten to a request.

A document's money is checked against its order as Magento holds it. Reading
each order alone would double the export's requests; a run's orders are read
ten at a time instead (one search, as many filters OR-ed as every Magento
version signs alike), by the worker that first needs one of them, while the
others travel. Each order read is given out once: a second document of the
same order in the run (they go one after the other) reads it again, after
the first one changed it.
"""

import copy
import threading
from dataclasses import dataclass

# Filters in one search: magento_client.calls.MAX_FILTERS (single-digit
# indexes sign alike on every Magento version).
GROUP_SIZE = 10


class OrderReader:
    """Orders for the worker threads, read by groups planned by Odoo's thread."""

    def __init__(self, group_size=GROUP_SIZE):
        self.group_size = group_size
        self._lock = threading.Lock()
        self._group_of = {}  # order id -> its group (a tuple of ids), until given out
        self._group_locks = {}  # group -> the lock its reader holds
        self._read = {}  # order id -> the order as read, until given out
        self._done = set()  # groups read
        self._left = {}  # group -> its orders not given out yet
        self.requests = 0  # searches made (for the benchmark)
        self.failure = None  # the instance's own fault a read ahead met

    def plan(self, order_ids):
        """Group the orders not planned yet (Odoo's thread, as a batch opens);
        a :class:`GroupRead` per new group, to send ahead of the documents."""
        reads = []
        with self._lock:
            new = list(dict.fromkeys(int(i) for i in order_ids if int(i) not in self._group_of))
            for start in range(0, len(new), self.group_size):
                group = tuple(new[start : start + self.group_size])
                self._group_locks[group] = threading.Lock()
                self._left[group] = len(group)
                for order_id in group:
                    self._group_of[order_id] = group
                reads.append(GroupRead(self, group))
        return reads

    def read_ahead(self, client, group):
        """Read a group ahead of its documents, unless a taker did or does.

        Its failure is its documents': a passing one is forgotten (each reads
        its order again); the instance's own (its address, its keys) is kept,
        and the first document to take an order meets it instead of asking
        Magento again, so that the run stops there, said once, on a document."""
        with self._lock:
            lock = self._group_locks.get(group)
        if lock is None:
            return
        with lock:
            if group in self._done or self.failure is not None:
                return
            try:
                self._read_group(client, group)
            except Exception as error:
                if getattr(error, "instance_fault", False):
                    self.failure = error

    def take(self, client, order_id):
        """The order as Magento holds it now, for one document (a worker thread)."""
        order_id = int(order_id)
        if self.failure is not None:
            raise copy.copy(self.failure)  # each document marks its own
        with self._lock:
            group = self._group_of.pop(order_id, None)
        if group is not None:
            with self._group_locks[group]:
                if group not in self._done:
                    self._read_group(client, group)
            with self._lock:
                order = self._read.pop(order_id, None)
                self._left[group] -= 1
                if not self._left[group]:
                    # Every order of the group was given out: forget it.
                    del self._left[group], self._group_locks[group]
                    self._done.discard(group)
            if order is not None:
                return order
        return client.get_order(order_id)

    def _read_group(self, client, group):
        """One search for the group; a failure leaves it to the next taker."""
        result = client.search_orders([[("entity_id", i, "eq") for i in group]], page_size=len(group))
        self.requests += 1
        with self._lock:
            for order in result.get("items") or []:
                if int(order.get("entity_id") or 0) in group:
                    self._read[int(order["entity_id"])] = order
            self._done.add(group)


@dataclass(eq=False)
class GroupRead:
    """A group's search, travelling ahead of its documents' requests among the
    run's others (as the numbers' look-up does): its documents then find
    their orders read."""

    reader: OrderReader
    group: tuple
    may_post = False  # it creates nothing: no outcome-unknown mark

    @property
    def magento_order_id(self):
        return self  # its own key: it waits for no order's requests

    def send(self, client):
        self.reader.read_ahead(client, self.group)
