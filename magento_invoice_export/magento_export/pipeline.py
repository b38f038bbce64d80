"""Keep several Magento requests in flight; one order's invoices in sequence.

The caller (Odoo's thread) iterates :meth:`InFlight.run` and records each
outcome while other requests are still travelling; only ``send`` runs in the
worker threads, and it must not touch the ORM.

The workers do not wait for the caller between requests: the caller clears
jobs a little ahead (``before_send``, which marks them durably), and a worker
that finishes takes the next cleared job at once. Recording outcomes in Odoo
then never leaves a slot idle.
"""

import queue
import threading
from collections import OrderedDict, deque


class NotSent(Exception):
    """Raised by ``send`` for a job it decided not to send (the run stops):
    the job goes to :attr:`InFlight.unsent`, not to the caller."""


class InFlight:
    """Run ``send(job)`` for many jobs with at most ``max_in_flight`` at once.

    Jobs sharing a ``key`` (a Magento order) run one after the other, in the
    order given: Magento serialises invoices of one order anyway, and partial
    invoices must arrive in invoice order. At most ``max_in_flight`` jobs are
    cleared ahead of the workers. :meth:`cancel` (from any thread) stops new
    sends: jobs not yet sent then end in :attr:`unsent`; a ``send`` that meets
    a fault of the whole run cancels before raising, so no other request
    leaves after it.
    """

    def __init__(self, send, max_in_flight=8):
        self.send = send
        self.max_in_flight = max(1, int(max_in_flight or 1))
        self.unsent = []
        self._cancelled = threading.Event()

    def cancel(self):
        self._cancelled.set()

    @property
    def cancelled(self):
        return self._cancelled.is_set()

    def run(self, jobs, key, before_send=None):
        """Yield ``(job, result, error)`` in completion order.

        ``before_send(job)`` runs in the caller's thread before the job is
        handed to the workers (to record, durably, that its request may
        leave); when it returns False the job is not sent, nor are the later
        jobs of its key (they stay in :attr:`unsent`).
        """
        queues = OrderedDict()
        for job in jobs:
            queues.setdefault(key(job), deque()).append(job)
        lock = threading.Lock()
        ready = deque(queues)  # keys with a job waiting and none cleared or in flight
        cleared = queue.Queue()  # jobs the workers may send, in order
        results = queue.Queue()
        outstanding = 0  # cleared and not yet reported back

        def worker():
            while True:
                job = cleared.get()
                if job is None:
                    return
                job_key = key(job)
                if self.cancelled:
                    results.put((job, None, NotSent()))
                    continue
                try:
                    results.put((job, self.send(job), None))
                except Exception as error:  # reported to the caller, who decides
                    results.put((job, None, error))
                with lock:
                    if queues[job_key]:
                        ready.append(job_key)

        workers = [
            threading.Thread(target=worker, name=f"magento-export-{n}", daemon=True) for n in range(self.max_in_flight)
        ]
        for thread in workers:
            thread.start()
        try:
            while True:
                # Keep the workers supplied: up to max_in_flight cleared ahead
                # of those in flight.
                while outstanding < 2 * self.max_in_flight and not self.cancelled:
                    with lock:
                        if not ready:
                            break
                        job_key = ready.popleft()
                        job = queues[job_key].popleft()
                    if before_send is not None and before_send(job) is False:
                        with lock:
                            self.unsent.append(job)
                            self.unsent.extend(queues[job_key])
                            queues[job_key].clear()
                        continue
                    cleared.put(job)
                    outstanding += 1
                if not outstanding:
                    break
                job, result, error = results.get()
                outstanding -= 1
                if isinstance(error, NotSent):
                    with lock:
                        self.unsent.append(job)
                        self.unsent.extend(queues[key(job)])
                        queues[key(job)].clear()
                    continue
                yield job, result, error
        finally:
            if outstanding:
                # The caller stopped listening (an error of its own): nothing more leaves.
                self.cancel()
            for _thread in workers:
                cleared.put(None)
            for thread in workers:
                thread.join()
            while not results.empty():
                job, _result, error = results.get()
                if isinstance(error, NotSent):
                    self.unsent.append(job)
            with lock:
                for job_key in queues:
                    self.unsent.extend(queues[job_key])
                    queues[job_key].clear()
