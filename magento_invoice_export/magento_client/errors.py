"""Typed errors raised by :class:`magento_client.MagentoClient`.

Each error carries what a caller needs to decide and to explain:

* ``status``: the HTTP status, or ``None`` when no response came back;
* ``magento_message``: Magento's own text with ``%1``/``%name`` filled in;
* ``retryable``: whether trying again later can help (network, 5xx, 429);
* ``maybe_applied``: whether Magento may have carried out the request although
  we never saw its answer (the request was sent, the response was lost). A
  non-idempotent POST that fails this way must be looked up before retrying.
"""

import re

# What is kept of a response body in an error (process logs show it): a
# Magento answer up to this; anything else (a proxy's page, a server that is
# not Magento) only as a short excerpt without markup.
BODY_EXCERPT = 2000
FOREIGN_EXCERPT = 300


def foreign_excerpt(text):
    """A bounded, readable excerpt of an answer Magento did not write."""
    text = re.sub(r"<[^>]*>", " ", text or "")
    text = "".join(char if char.isprintable() else " " for char in text)
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= FOREIGN_EXCERPT else text[: FOREIGN_EXCERPT - 3] + "..."


_PLACEHOLDER = re.compile(r"%(\d+|[A-Za-z_][A-Za-z0-9_]*)")


def fill_placeholders(message, parameters=None):
    """Render a Magento message the way Magento's ``__()`` phrase would.

    Positional parameters (a JSON list) fill ``%1``, ``%2``...; named ones
    (a JSON object) fill ``%name``. Unknown placeholders are left as they are.
    """
    if not message or not parameters:
        return message or ""
    if isinstance(parameters, list):
        values = {str(index): value for index, value in enumerate(parameters, start=1)}
    elif isinstance(parameters, dict):
        values = {str(key): value for key, value in parameters.items()}
    else:
        return message

    def replace(match):
        key = match.group(1)
        if key not in values:
            return match.group(0)
        value = values[key]
        if isinstance(value, list | tuple):
            return ", ".join(str(item) for item in value)
        return str(value)

    return _PLACEHOLDER.sub(replace, message)


def magento_words(body):
    """``(raw message, parameters, text)`` from any of Magento's error bodies.

    The usual ``message`` (``%1``/``%name`` placeholders) with ``parameters``,
    and the aggregate's ``errors`` list after it; the PHP fatal handler's
    ``{"messages": {"error": [{"message"}]}}``. ``(None, None, None)`` for a
    body Magento would not send (docs/magento-behaviour.md §3).
    """
    if not isinstance(body, dict):
        return None, None, None
    if isinstance(body.get("message"), str):
        raw, parameters = body["message"], body.get("parameters")
        text = fill_placeholders(raw, parameters)
        details = [
            fill_placeholders(error["message"], error.get("parameters"))
            for error in body.get("errors") or []
            if isinstance(error, dict) and isinstance(error.get("message"), str)
        ]
        if details:
            text = " ".join([text, *details])
        return raw, parameters, text
    errors = (body.get("messages") or {}).get("error") if isinstance(body.get("messages"), dict) else None
    texts = [e["message"] for e in errors or [] if isinstance(e, dict) and isinstance(e.get("message"), str)]
    if texts:
        return texts[0], None, " ".join(texts)
    return None, None, None


class MagentoError(Exception):
    """Base of every failure of a Magento call."""

    retryable = False
    maybe_applied = False
    # The fault is the instance's (credentials, address), not the document's:
    # the run stops for the instance and no document spends an attempt.
    instance_fault = False
    # Which credential to fix, when Magento's answer says it (an OAuth field name).
    credential = None

    def __init__(
        self,
        message,
        *,
        status=None,
        magento_message=None,
        parameters=None,
        raw_message=None,
        response_body=None,
        retry_after=None,
        maybe_applied=None,
        retryable=None,
        credential=None,
        method=None,
        url=None,
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.magento_message = magento_message
        self.parameters = parameters
        self.raw_message = raw_message
        self.response_body = response_body
        self.retry_after = retry_after
        self.method = method
        self.url = url
        if maybe_applied is not None:
            self.maybe_applied = maybe_applied
        if retryable is not None:
            self.retryable = retryable
        if credential is not None:
            self.credential = credential

    def __str__(self):
        return self.message


class MagentoConnectionError(MagentoError):
    """No usable answer: host unknown, connection refused or dropped."""

    retryable = True


class MagentoTimeoutError(MagentoConnectionError):
    """Magento did not answer in time (it may still have done the work)."""


class MagentoTLSError(MagentoError):
    """TLS failed: before the request left (handshake, certificate: a
    configuration problem), or while reading the answer (``maybe_applied``)."""


class MagentoAuthError(MagentoError):
    """Wrong, expired or under-privileged credentials: a 401, or one of the
    400s Magento's OAuth check answers (a missing field, an unsupported method)."""

    instance_fault = True


class MagentoStoreCodeError(MagentoError):
    """400 before any route or credential is read: Magento has no store view
    with the REST store code in the URL (docs/magento-behaviour.md §1)."""

    instance_fault = True


class MagentoValidationError(MagentoError):
    """400: Magento refused the request as it stands; retrying will not help."""


class MagentoNotFoundError(MagentoError):
    """404: the order (or route) does not exist in Magento."""


class MagentoRateLimitError(MagentoError):
    """429: too many requests, usually from a CDN or WAF in front of Magento."""

    retryable = True


class MagentoServerError(MagentoError):
    """5xx, or a proxy's error page: Magento may recover, so retry later."""

    retryable = True


class MagentoProtocolError(MagentoError):
    """The server answered, but not as the Magento REST API does."""


class MagentoAnswerTooLargeError(MagentoProtocolError):
    """The answer passed the client's size limit and was cut off while being
    read: no Magento answer the addon asks for comes near it (docs/magento-behaviour.md §9)."""
