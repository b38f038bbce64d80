"""Keep several Magento requests in flight; one order's invoices in sequence.

The caller (Odoo's thread) iterates :meth:`InFlight.run` and records each
outcome while other requests are still travelling; only ``send`` runs in the
worker threads, and it must not touch the ORM.
"""

import threading
from collections import OrderedDict, deque
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait


class InFlight:
    """Run ``send(job)`` for many jobs with at most ``max_in_flight`` at once.

    Jobs sharing a ``key`` (a Magento order) run one after the other, in the
    order given: Magento serialises invoices of one order anyway, and partial
    invoices must arrive in invoice order. A freed slot is filled before a
    successful job is yielded, so requests keep travelling while the caller
    records; after a failed one, only once the caller had its say.
    :meth:`cancel` stops new sends (those already sent finish and are
    yielded); jobs never sent are then in :attr:`unsent`.
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

        ``before_send(job)`` runs in the caller's thread just before the job is
        handed to a worker (to record, durably, that its request is leaving);
        when it returns False the job is not sent, nor are the later jobs of its
        key (they stay in :attr:`unsent`).
        """
        queues = OrderedDict()
        for job in jobs:
            queues.setdefault(key(job), deque()).append(job)
        ready = deque(queues)  # keys with a job waiting and none in flight
        running = {}
        with ThreadPoolExecutor(max_workers=self.max_in_flight, thread_name_prefix="magento-export") as pool:

            def fill():
                while ready and len(running) < self.max_in_flight and not self.cancelled:
                    job_key = ready.popleft()
                    job = queues[job_key].popleft()
                    if before_send is not None and before_send(job) is False:
                        self.unsent.append(job)
                        self.unsent.extend(queues[job_key])
                        queues[job_key].clear()
                        continue
                    running[pool.submit(self.send, job)] = (job_key, job)

            fill()
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                finished = []
                for future in done:
                    job_key, job = running.pop(future)
                    error = future.exception()
                    finished.append((job, (None if error else future.result()), error))
                    if queues[job_key]:
                        ready.append(job_key)
                # The freed slots are filled before the outcomes are recorded:
                # requests keep travelling while Odoo writes. Not after an
                # error: the caller may cancel (a refused key stops the run).
                if not any(error for _job, _result, error in finished):
                    fill()
                yield from finished
                fill()  # a cancel() or an unsent job may have changed what can go
        for job_key in queues:
            self.unsent.extend(queues[job_key])
            queues[job_key].clear()
