"""What each document sends: one :class:`ExportJob` per Odoo document,
with everything the worker thread needs (no ORM there)."""

import json

from odoo import fields, models

from ..magento_export.payload import creditmemo_comment, invoice_comment
from ..magento_export.policy import may_post_again
from ..magento_export.sender import ExportJob


class MagentoExportJobs(models.AbstractModel):
    _inherit = "magento.invoice.exporter"

    def _prepare_jobs(self, instance, moves, claimed=None):
        """One :class:`ExportJob` per move of the batch (all of one document).

        ``claimed`` (order id -> Magento invoice ids linked already) is the
        run's, shared by an order's jobs in every batch."""
        if moves[:1].move_type == "out_refund":
            return self._prepare_creditmemo_jobs(instance, moves)
        # Any order's Magento invoices may be looked up (after a lost answer,
        # or a refusal: Magento may have invoiced the goods itself): those
        # linked to other Odoo invoices must not be adopted by items.
        claimed = {} if claimed is None else claimed
        for move in self._exported(moves.magento_sale_order_id, ("out_invoice",)):
            claimed.setdefault(move.magento_sale_order_id.id, set()).add(move.magento_invoice_id)
        jobs = []
        for move, common in self._job_basics(moves):
            order = move.magento_sale_order_id
            jobs.append(
                ExportJob(
                    **common,
                    notify=instance.notify_customer_on_invoice,
                    capture=order.magento_payment_method_id.capture_on_export,
                    # Shared by the order's jobs, which run one after the other.
                    claimed_ids=claimed.setdefault(order.id, set()),
                    # Read here, with the batch's lines at hand, not once per outcome.
                    left_out=tuple(move._magento_left_out_lines()),
                    money=move._magento_money(instance),
                )
            )
        return jobs

    def _prepare_creditmemo_jobs(self, instance, moves):
        jobs = []
        for move, common in self._job_basics(moves):
            order = move.magento_sale_order_id
            shipping, positive, negative = move._magento_refund_amounts()
            if not common["items"]:
                # No item means "refund everything" to Magento: an amount-only
                # credit memo names one item with nothing to refund.
                first = order.order_line.filtered("magento_item_id")[:1]
                common["items"] = [(first.magento_item_id, 0.0)]
            refunded = move._magento_refunded_invoice() if order.magento_payment_method_id.refund_online else None
            jobs.append(
                ExportJob(
                    **common,
                    document="creditmemo",
                    notify=instance.notify_customer_on_creditmemo,
                    shipping_amount=shipping,
                    adjustment_positive=positive,
                    adjustment_negative=negative,
                    refund_invoice_id=refunded.magento_invoice_id if refunded else 0,
                    refund_move_id=refunded.id if refunded else 0,
                    return_to_stock=instance.return_to_stock,
                    money=move._magento_money(instance),
                )
            )
        return jobs

    def _job_basics(self, moves):
        """``(move, fields every job has)`` for each move."""
        grace = self._lost_answer_grace()
        now = fields.Datetime.now()
        db_tag = self.env["account.move"]._magento_db_tag()
        for move in moves:
            comment = creditmemo_comment if move.move_type == "out_refund" else invoice_comment
            yield (
                move,
                {
                    "move_id": move.id,
                    "name": move.name,
                    "magento_order_id": move.magento_sale_order_id.magento_order_id,
                    "items": move._magento_invoice_items(),
                    "comment": comment(move.name, f"{db_tag}-{move.id}"),
                    "uncertain": bool(move.magento_export_sent_at),
                    "may_post": may_post_again(move.magento_export_sent_at or None, now, grace),
                },
            )

    @staticmethod
    def _request_text(job):
        return f"POST {job.request_path()}\n{json.dumps(job.request_body(), indent=2)}"
