"""Every advice text of the export: what a person can do about a failure."""

from odoo import models

from ..magento_client import (
    MagentoAuthError,
    MagentoNotFoundError,
    MagentoStoreCodeError,
    MagentoValidationError,
)
from ..magento_client.calls import refused_resource
from ..magento_client.client import is_array_limit
from .const import CREDENTIAL_NAMES, RESOURCE_NAMES


class MagentoExportAdvice(models.AbstractModel):
    _inherit = "magento.invoice.exporter"

    def _advice(self, kind, job=None):
        """What a person can do about a failure of this kind (magento_export.advice);
        the credentials' advice is the instance's (``_credentials_advice``)."""
        if job is not None and job.is_creditmemo and kind in ("quantity", "document"):
            return self._creditmemo_advice(kind, job)
        return {
            "no_route": self.env._("Check the shop base URL and the REST store code of the instance."),
            "order_missing": self.env._(
                "Check the Magento Order ID on the sales order: it is the order's entity id, not its number."
            ),
            "quantity": self.env._(
                "Magento has less of this item left to invoice than this invoice asks (invoiced in Magento's "
                "admin?). Compare with the order in Magento: correct with a credit note and a new invoice, or have "
                "a Magento manager link this invoice by hand to Magento's."
            ),
            "document": self.env._(
                "Magento refused the invoice as a whole: the order's status forbids it (on hold, canceled, "
                "complete...) or nothing is left to invoice. Check the order in Magento, release a hold, then "
                "export again."
            ),
            "array_limit": self.env._(
                "In Magento, Stores > Configuration > Services > Magento Web API > Web Api Input Limits: raise "
                "Input List Limit, then export again."
            ),
            "transient": self.env._(
                "Nothing: Magento or the network failed for a moment. The invoice is tried again, and looked up "
                "first when Magento may hold it."
            ),
            "network": self.env._("Check the shop base URL and that the shop is up; the invoice is tried again."),
            "tls": self.env._(
                "Check the shop's TLS certificate; only for a test shop, turn off TLS verification on the instance."
            ),
            "plain_http": self.env._(
                "The shop answers on http://, not https://: correct the shop base URL of the instance."
            ),
            "not_magento": self.env._("The address does not answer like Magento: check the shop base URL."),
            "too_large": self.env._(
                "Check the shop base URL: the answer was far larger than any Magento answer the export asks for. "
                "If it is the shop's, report it with the server log."
            ),
        }.get(kind, self.env._("Export again; if it persists, report it with the server log."))

    def _holds_advice(self, move, holds):
        """Advice after Magento refused an invoice and none of the invoices it
        holds for the order matched: what they are, and the ways out."""
        order = move.magento_sale_order_id.magento_order_ref or move.magento_sale_order_id.name
        return self.env._(
            "Magento holds for order %(order)s: %(held)s. None of them has exactly this invoice's items and "
            "quantities (invoiced in Magento's admin since the import?). Make this invoice match one of them, "
            "correct it with a credit note, or have a Magento manager link it by hand (Magento Info tab).",
            order=order,
            held="; ".join(
                self.env._("invoice %(ref)s (%(goods)s)", ref=ref, goods=goods or "-") for ref, goods in holds
            ),
        )

    def _money_problem(self, move, job, error):
        """``(message, advice)`` for a document not sent because Magento's money
        would differ (magento_export/money.AmountMismatch), with both figures."""
        words = {
            "currency": self._money_currency,
            "unsupported": self._money_unsupported,
            "refused": self._money_refused,
            "bundle": self._money_bundle,
            "rate": self._money_rate,
        }.get(error.reason, self._money_total)
        return words(move, job, error)

    def _money_currency(self, move, job, error):
        return (
            self.env._(
                "this document is in %(odoo)s and the Magento order in %(magento)s: Magento records only the "
                "order's currency.",
                odoo=error.currency,
                magento=error.detail,
            ),
            self.env._("Make the document in the order's currency, or correct it with a credit note."),
        )

    def _money_unsupported(self, move, job, error):
        return (
            self.env._(
                "the Magento order uses %(features)s, and the export cannot check such amounts to the cent.",
                features=error.detail,
            ),
            self.env._(
                "Create the document in Magento's admin, then have a Magento manager link it by hand "
                "(Magento Info tab)."
            ),
        )

    def _money_refused(self, move, job, error):
        return (
            self.env._("Magento would refuse its amounts: %(words)s", words=error.detail),
            self.env._(
                "Correct the credit note's shipping line to at most what Magento has left to refund, then export again."
            ),
        )

    def _money_bundle(self, move, job, error):
        return (
            self.env._(
                "it refunds amounts only, and the Magento order has a dynamic-price bundle: Magento would "
                "record that bundle as returned."
            ),
            self.env._(
                "Create this credit memo in Magento's admin, then have a Magento manager link it by hand; or "
                "add the goods it refunds to the credit note."
            ),
        )

    def _money_rate(self, move, job, error):
        return (
            self.env._(
                "Magento takes refunded amounts in the order's base currency, and no such amount converts "
                "to exactly %(odoo)s at the order's rate.",
                odoo=move.currency_id.format(error.odoo),
            ),
            self.env._("Change the credit note's shipping or extra lines by a cent, then export again."),
        )

    def _money_total(self, move, job, error):
        """Magento's figure is not Odoo's: both, and Magento's parts."""
        currency = move.currency_id
        parts = ", ".join(f"{name} {currency.format(amount)}" for name, amount in error.parts) or "-"
        figures = {"magento": currency.format(error.magento), "odoo": currency.format(error.odoo), "parts": parts}
        if job.is_creditmemo:
            return (
                self.env._(
                    "Magento would refund %(magento)s where this credit note says %(odoo)s (Magento: %(parts)s).",
                    **figures,
                ),
                self.env._("Correct the credit note's quantities or amounts, then export again."),
            )
        problem = self.env._(
            "Magento would invoice %(magento)s where this invoice says %(odoo)s, a difference of %(diff)s "
            "(Magento: %(parts)s). Magento invoices at the order's prices, taxes and discounts.",
            diff=currency.format(abs(error.magento - error.odoo)),
            **figures,
        )
        if job.left_out:
            problem += " " + self.env._("Magento's invoice would not carry: %(lines)s.", lines="; ".join(job.left_out))
        return (
            problem,
            self.env._(
                "Correct the invoice's prices, discounts or taxes to the order's; or a Magento manager may export "
                "it at Magento's amounts (Magento Info tab)."
            ),
        )

    def _creditmemo_advice(self, kind, job):
        if kind == "quantity":
            return self.env._(
                "Magento has less of this item left to refund than this credit note gives back (refunded in "
                "Magento's admin?). Compare with the order in Magento and correct the credit note."
            )
        if job.refund_invoice_id:
            return self.env._(
                "Magento refused the credit memo as a whole. Refunded online, the payment gateway may have refused "
                "(Magento's exception log says why), or the invoice was not captured online: to refund offline, "
                "turn off Refund Online in Magento on the payment method and export again. Also check the order's "
                "status (on hold, canceled, closed) and what is left to refund."
            )
        return self.env._(
            "Magento refused the credit memo as a whole: the order's status forbids it (on hold, canceled, "
            "closed), or the refund exceeds what was paid and not yet refunded. Check the order in Magento, then "
            "export again."
        )

    def _explain_error(self, instance, error):
        """A Magento error in plain words, with what to do about it.

        Decided by the error's type and structure, never by Magento's words,
        which come in the store view's language.
        """
        if isinstance(error, MagentoAuthError) and refused_resource(error):
            return f"{error} {self._credentials_advice(instance, error)}"
        # Keys that do not match the integration's: said as Test Connection says it.
        refused_keys = isinstance(error, MagentoAuthError) and instance._refused_keys_advice(error)
        if refused_keys:
            return refused_keys
        if isinstance(error, MagentoAuthError):
            key = CREDENTIAL_NAMES.get(error.credential)
            if key:
                return self.env._(
                    "%(error)s Magento's OAuth check refused the %(key)s of %(name)s: a Settings administrator "
                    "copies it again, whole, from the integration (System > Extensions > Integrations).",
                    error=error,
                    key=key,
                    name=instance.name,
                )
            if error.credential == "oauth_signature_method":
                return self.env._(
                    "%(error)s This Magento does not accept HMAC-SHA256 signatures, which every Magento from 2.4 "
                    "on does: check the shop base URL of %(name)s.",
                    error=error,
                    name=instance.name,
                )
            return self.env._(
                "%(error)s Check the credentials of %(name)s: in Magento, System > Extensions > "
                "Integrations, the integration must be active and allowed these resources: %(resources)s.",
                error=error,
                name=instance.name,
                resources=instance._resources_sentence(),
            )
        if isinstance(error, MagentoStoreCodeError):
            return self.env._(
                "%(error)s Enter in %(name)s the code of the store view you invoice through (in Magento, Stores "
                "> Settings > All Stores: default unless the shop has several).",
                error=error,
                name=instance.name,
            )
        if isinstance(error, MagentoValidationError) and is_array_limit(error):
            return self.env._(
                "%(error)s Magento's Web API input limits are on and take at most %(max)s items in one invoice. "
                "In Magento, Stores > Configuration > Services > Magento Web API > Web Api Input Limits: raise "
                "Input List Limit (or turn the limits off), then export again.",
                error=error,
                max=error.parameters.get("max"),
            )
        if isinstance(error, MagentoNotFoundError) and error.instance_fault:
            return self.env._(
                "%(error)s Magento has no REST route at %(url)s: check the shop base URL and the REST "
                "store code (%(code)s) of %(name)s.",
                error=error,
                url=error.url or instance.url,
                code=instance.store_code,
                name=instance.name,
            )
        if isinstance(error, MagentoNotFoundError):
            return self.env._(
                "%(error)s Magento has no such order: check the Magento order ID on the sales order.",
                error=error,
            )
        return str(error)

    def _credentials_advice(self, instance, error=None):
        """What to do when Magento refused the credentials, or one resource of them."""
        resources = getattr(error, "parameters", None)
        if error is not None and refused_resource(error):
            return self.env._(
                "In Magento, System > Extensions > Integrations, allow the integration of %(name)s %(resources)s "
                "(Magento refused %(refused)s), save, then Reauthorize it; a Settings administrator copies its "
                "keys again if Magento shows new ones. Test Connection checks every resource the runs use.",
                name=instance.name,
                resources=instance._resources_sentence([r for r in RESOURCE_NAMES if r in resources["resources"]])
                or resources["resources"],
                refused=resources["resources"],
            )
        advice = self.env._(
            "A Settings administrator copies the instance's four keys again from the integration in Magento "
            "(System > Extensions > Integrations), which must be active and allowed these resources: %(resources)s.",
            resources=instance._resources_sentence(),
        )
        if instance.auth_method != "oauth":
            return advice
        # Magento verifies the signature against the scheme it saw and the Host
        # header as received (docs/magento-behaviour.md §2): a proxy in front of
        # it that terminates TLS or rewrites the port breaks every signature.
        proxy = self.env._(
            "If the keys are right and Magento still says the signature is invalid, a proxy in front of Magento "
            "may change the address it sees: one that terminates TLS must tell Magento with the X-Forwarded-Proto "
            "header (Magento's offloader header), and it must pass the Host header as Odoo sent it, port "
            "included. Odoo signs %(url)s.",
            url=instance.url,
        )
        return f"{advice} {proxy}"
