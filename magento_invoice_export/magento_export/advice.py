"""What kind of failure an export met, decided by the error's status, the
structure of Magento's answer and what the client knows of the request, never
by Magento's words (it translates them). The Odoo side turns each kind into
advice in the user's language."""

# Kinds a person must act on before anything changes; the others pass by
# themselves and are tried again.
NEEDS_ACTION = frozenset(
    {
        "credentials",
        "no_route",
        "order_missing",
        "quantity",
        "document",
        "array_limit",
        "tls",
        "plain_http",
        "not_magento",
        "too_large",
    }
)


def failure_kind(error):
    """A key of the advice table: credentials, no_route, order_missing,
    quantity, document, array_limit, transient, network, tls, plain_http, not_magento,
    too_large, or unexpected."""
    status = getattr(error, "status", None)
    parameters = getattr(error, "parameters", None)
    name = type(error).__name__
    if name == "MagentoAnswerTooLargeError":
        return "too_large"
    if name == "MagentoProtocolError":
        # Not Magento's answer (an HTML page, a JSON of another shape): the
        # address's problem, which stops the run (docs/magento-behaviour.md §9).
        if getattr(error, "instance_fault", False) or not getattr(error, "maybe_applied", False):
            return "not_magento"
        return "transient"
    if name == "MagentoAuthError" or status == 401:
        return "credentials"
    if status == 404:
        return "no_route" if getattr(error, "instance_fault", False) else "order_missing"
    if status == 400:
        if isinstance(parameters, dict) and {"type", "max"} <= set(parameters):
            return "array_limit"
        # 'We found an invalid quantity to invoice item "%1".' names the item; the
        # document validators' merged message has no parameters (docs §5).
        return "quantity" if isinstance(parameters, list) and parameters else "document"
    if status == 429 or (status or 0) >= 500:
        return "transient"
    if name == "MagentoTLSError":
        if getattr(error, "plain_http", False):
            # The shop answers on http://: the URL's scheme is wrong, not its certificate.
            return "plain_http"
        return "transient" if getattr(error, "retryable", False) else "tls"
    if name in ("MagentoConnectionError", "MagentoTimeoutError"):
        return "transient" if getattr(error, "maybe_applied", False) else "network"
    return "unexpected"
