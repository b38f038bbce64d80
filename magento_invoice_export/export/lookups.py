"""Look-ups: the numbers of documents just created (one request per batch),
those an earlier run could not learn, and how long a lost answer is waited
out before posting again."""

import logging

from odoo import models

from ..magento_client import MagentoError
from ..magento_export.policy import DEFAULT_LOST_ANSWER_GRACE
from . import const

_logger = logging.getLogger(__name__)


class MagentoExportLookups(models.AbstractModel):
    _inherit = "magento.invoice.exporter"

    def _fill_numbers(self, instance, log, client_factory):
        """Numbers an earlier run could not learn (Magento did not tell then)."""
        Move = self.env["account.move"].sudo()
        document_type = "out_refund" if log.operation == "export_creditmemo" else "out_invoice"
        missing = Move.search(
            [
                ("magento_instance_id", "=", instance.id),
                ("move_type", "=", document_type),
                ("magento_invoice_id", "!=", 0),
                ("magento_invoice_ref", "=", False),
            ],
            limit=const.BATCH_SIZE,
        )
        # Not those of a run still busy with them (it learns their numbers itself).
        locked = self._lock(missing)
        try:
            self._fill_locked_numbers(missing.browse(locked), document_type, client_factory)
        finally:
            self._unlock(locked)

    def _fill_locked_numbers(self, missing, document_type, client_factory):
        if not missing:
            return
        ids = missing.mapped("magento_invoice_id")
        kind = "creditmemos" if document_type == "out_refund" else "invoices"
        try:
            documents = client_factory().documents_between(kind, min(ids), max(ids))
        except MagentoError:
            return
        numbers = {int(d["entity_id"]): d.get("increment_id") for d in documents}
        for move in missing:
            if numbers.get(move.magento_invoice_id):
                move._magento_write({"magento_invoice_ref": numbers[move.magento_invoice_id]})
        self._commit_outcome()

    def _learn_numbers(self, exported, client_factory):
        """Magento's documents holding the numbers of ``exported``'s new ones
        (one look-up, client.documents_between), [] if Magento cannot tell now."""
        unknown = [result.invoice_id for _job, result in exported if not result.increment_id]
        if not unknown:
            return []
        kind = "creditmemos" if exported[0][0].is_creditmemo else "invoices"
        try:
            return client_factory().documents_between(kind, min(unknown), max(unknown))
        except MagentoError as error:
            _logger.info("Magento: numbers of new %s not learned now (%s)", kind, error)
            return []

    def _lost_answer_grace(self):
        """Seconds after a lost request during which Magento may still be running it."""
        return int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("magento_invoice_export.lost_answer_grace_seconds", DEFAULT_LOST_ANSWER_GRACE)
        )
