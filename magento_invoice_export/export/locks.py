"""Locks and commits: PostgreSQL session advisory locks that outlive the
run's commits, and commits that never carry a caller's changes or a test's."""

from psycopg2.extensions import TRANSACTION_STATUS_INERROR

from odoo import models
from odoo.modules import module as odoo_module
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY as PG_CONCURRENCY_ERRORS

from .const import LOCK_NAMESPACE


class MagentoExportLocks(models.AbstractModel):
    _inherit = "magento.invoice.exporter"

    def _lock(self, moves):
        """Take this session's advisory lock on each invoice; return the ids taken."""
        if not moves:
            return []
        self.env.cr.execute(
            "SELECT id FROM unnest(%s::int[]) AS id WHERE pg_try_advisory_lock(%s, id)",
            [moves.ids, LOCK_NAMESPACE],
        )
        return [row[0] for row in self.env.cr.fetchall()]

    def _unlock(self, ids):
        if ids and self.env.cr._cnx.get_transaction_status() == TRANSACTION_STATUS_INERROR:
            # An error aborted the transaction: every statement is refused until
            # it is rolled back, and session locks outlive it in a pooled connection.
            self._rollback()
        if ids:
            self.env.cr.execute("SELECT pg_advisory_unlock(%s, id) FROM unnest(%s::int[]) AS id", [LOCK_NAMESPACE, ids])

    def _commit_outcome(self):
        """Commit; False when a concurrent change to the same records (a payment
        registered at that moment) made PostgreSQL refuse it: all since the
        last commit is rolled back, and the invoice's outcome-unknown mark,
        committed before its request left, makes the next run look it up."""
        try:
            self._commit()
        except PG_CONCURRENCY_ERRORS:
            self._rollback()
            return False
        return True

    def _rollback(self):
        """Back to the last commit (outside tests), the cache with it."""
        if not (odoo_module.current_test or self.env.context.get("magento_export_no_commit")):
            self.env.cr.rollback()
        self.env.invalidate_all()

    def _commit(self):
        """Commit outside tests: each outcome must survive what comes after it."""
        if odoo_module.current_test or self.env.context.get("magento_export_no_commit"):
            return
        self.env.cr.commit()  # pylint: disable=invalid-commit
