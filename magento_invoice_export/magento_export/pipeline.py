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

    def add(self, jobs):
        """Hand more jobs to a run under way (from the caller's thread).

        A job whose key already has jobs waiting, cleared or in flight goes
        after them; a key that stopped (its job not sent) takes no more."""
        with self._lock:
            for job in jobs:
                job_key = self._key(job)
                if job_key in self._stopped:
                    self._not_sent(job)
                    continue
                waiting = self._queues.setdefault(job_key, deque())
                if not waiting and job_key not in self._busy:
                    self._ready.append(job_key)
                waiting.append(job)
                self._waiting += 1

    def _not_sent(self, job):
        self.unsent.append(job)
        if self._report_unsent:
            self._unsent_news.append(job)

    def _stop_key(self, job_key):
        """Its job was not sent: neither are the key's later jobs (they must
        not overtake it)."""
        self._stopped.add(job_key)
        self._busy.discard(job_key)
        waiting = self._queues.get(job_key) or ()
        self._waiting -= len(waiting)
        for job in waiting:
            self._not_sent(job)
        if waiting:
            waiting.clear()

    def run(self, jobs, key, before_send=None, more=None, idle=None, report_unsent=False):
        """Yield ``(job, result, error)`` in completion order.

        ``before_send(job)`` runs in the caller's thread before the job is
        handed to the workers (to record, durably, that its request may
        leave); when it returns False the job is not sent, nor are the later
        jobs of its key (they go to :attr:`unsent`).

        ``more()``, in the caller's thread, is asked for further jobs whenever
        few are left to clear, so that the workers never run dry between the
        caller's batches; it returns ``None`` when there are no more.
        ``idle()``, in the caller's thread, is called while no outcome is
        waiting; it does a little of the caller's own work and returns True,
        or False when it has none. With ``report_unsent``, jobs not sent are
        yielded too, as ``(job, None, NotSent())``, as soon as they are known
        (those left when the run ends are only in :attr:`unsent`).
        """
        self._start(key, before_send, report_unsent)
        self._exhausted = more is None
        self.add(jobs)
        workers = [
            threading.Thread(target=self._work, name=f"magento-export-{n}", daemon=True)
            for n in range(self.max_in_flight)
        ]
        for thread in workers:
            thread.start()
        low_water = 4 * self.max_in_flight
        try:
            while True:
                self._supply()
                # The next jobs are asked for while those cleared travel.
                while not self._exhausted and self._waiting < low_water and not self.cancelled:
                    self._ask_more(more)
                while self._unsent_news:
                    yield self._unsent_news.popleft(), None, NotSent()
                if not self._outstanding:
                    if self._exhausted or self.cancelled:
                        break
                    continue
                job, result, error = self._next_result(idle)
                if job is None:
                    continue
                yield job, result, error
        finally:
            self._finish(workers)

    def _start(self, key, before_send, report_unsent):
        """The state of one run, shared with its workers under ``_lock``."""
        self._key = key
        self._before_send = before_send
        self._lock = threading.Lock()
        self._queues = OrderedDict()
        self._ready = deque()  # keys with a job waiting and none cleared or in flight
        self._busy = set()  # keys with a job cleared or in flight
        self._stopped = set()
        self._waiting = 0
        self._report_unsent = report_unsent
        self._unsent_news = deque()
        self._cleared = queue.Queue()  # jobs the workers may send, in order
        self._results = queue.Queue()
        self._outstanding = 0  # cleared and not yet reported back

    def _work(self):
        """A worker thread: send the cleared jobs, report each outcome."""
        while True:
            job = self._cleared.get()
            if job is None:
                return
            job_key = self._key(job)
            if self.cancelled:
                self._results.put((job, None, NotSent()))
                continue
            try:
                self._results.put((job, self.send(job), None))
            except Exception as error:  # reported to the caller, who decides
                self._results.put((job, None, error))
            with self._lock:
                self._busy.discard(job_key)
                if self._queues[job_key]:
                    self._ready.append(job_key)
                else:
                    # Nothing waits under this key: forget it, so that a
                    # long run keeps no answered job (a look-up is its own key).
                    del self._queues[job_key]

    def _supply(self):
        """Keep the workers supplied: up to max_in_flight cleared ahead of
        those in flight."""
        while self._outstanding < 2 * self.max_in_flight and not self.cancelled:
            with self._lock:
                if not self._ready:
                    return
                job_key = self._ready.popleft()
                job = self._queues[job_key].popleft()
                self._waiting -= 1
                self._busy.add(job_key)
            if self._before_send is not None and self._before_send(job) is False:
                with self._lock:
                    self._not_sent(job)
                    self._stop_key(job_key)
                continue
            self._cleared.put(job)
            self._outstanding += 1

    def _ask_more(self, more):
        added = more()
        if added is None:
            self._exhausted = True
        else:
            self.add(added)
            self._supply()

    def _next_result(self, idle):
        """The next outcome, doing the caller's idle work while none is in;
        ``(None, None, None)`` for a job the workers did not send."""
        try:
            job, result, error = self._results.get_nowait()
        except queue.Empty:
            if idle is not None and idle():
                return None, None, None
            job, result, error = self._results.get()
        self._outstanding -= 1
        if isinstance(error, NotSent):
            with self._lock:
                self._not_sent(job)
                self._stop_key(self._key(job))
            return None, None, None
        return job, result, error

    def _finish(self, workers):
        if self._outstanding:
            # The caller stopped listening (an error of its own): nothing more leaves.
            self.cancel()
        for _thread in workers:
            self._cleared.put(None)
        for thread in workers:
            thread.join()
        while not self._results.empty():
            job, _result, error = self._results.get()
            if isinstance(error, NotSent):
                self.unsent.append(job)
        with self._lock:
            for job_key in self._queues:
                self.unsent.extend(self._queues[job_key])
                self._queues[job_key].clear()
