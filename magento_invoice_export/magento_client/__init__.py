"""Plain-Python client for the Magento 2 REST API (no Odoo import).

Odoo models only call this package; it owns the HTTP session, the base URL,
authentication, timeouts and the translation of every failure into a typed
:class:`MagentoError` that says whether a retry can help.
"""

from .client import MagentoClient
from .errors import (
    MagentoAnswerTooLargeError,
    MagentoAuthError,
    MagentoConnectionError,
    MagentoError,
    MagentoNotFoundError,
    MagentoProtocolError,
    MagentoRateLimitError,
    MagentoServerError,
    MagentoStoreCodeError,
    MagentoTimeoutError,
    MagentoTLSError,
    MagentoValidationError,
    fill_placeholders,
    magento_words,
)

__all__ = [
    "MagentoAnswerTooLargeError",
    "MagentoAuthError",
    "MagentoClient",
    "MagentoConnectionError",
    "MagentoError",
    "MagentoNotFoundError",
    "MagentoProtocolError",
    "MagentoRateLimitError",
    "MagentoServerError",
    "MagentoStoreCodeError",
    "MagentoTLSError",
    "MagentoTimeoutError",
    "MagentoValidationError",
    "fill_placeholders",
    "magento_words",
]
