"""OAuth 1.0a verification as Magento's ``Framework\\Oauth\\Oauth`` does it.

Written by hand from RFC 5849 and the reference (not with the client's
library), so that a mistake in how the client signs cannot hide behind the
same mistake here. Magento 2.4 supports only HMAC-SHA256.
"""

import base64
import hashlib
import hmac
from urllib.parse import parse_qsl, quote, unquote, urlsplit

SUPPORTED_METHODS = ("HMAC-SHA256",)


class OAuthError(Exception):
    def __init__(self, message, parameters=None):
        super().__init__(message)
        self.message = message
        self.parameters = parameters


def enc(value):
    """RFC 3986 percent-encoding (RFC 5849 section 3.6)."""
    return quote(str(value), safe="-._~")


def parse_authorization(header):
    """``OAuth a="1", b="2"`` -> ``{"a": "1", "b": "2"}``; None if not OAuth."""
    if not header or not header[:6].lower() == "oauth ":
        return None
    params = {}
    for part in header[6:].split(","):
        if "=" not in part:
            continue
        key, _, value = part.strip().partition("=")
        params[unquote(key.strip())] = unquote(value.strip().strip('"'))
    params.pop("realm", None)
    return params


def base_string(method, url, oauth_params, query):
    """``METHOD&enc(scheme://host/path)&enc(sorted params)``; a JSON body is not signed."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    base_uri = f"{scheme}://{host}{parts.path or '/'}"
    pairs = [(k, v) for k, v in oauth_params.items() if k != "oauth_signature"]
    pairs += parse_qsl(query, keep_blank_values=True)
    normalized = "&".join(f"{k}={v}" for k, v in sorted((enc(k), enc(v)) for k, v in pairs))
    return "&".join((method.upper(), enc(base_uri), enc(normalized)))


def sign(method, url, oauth_params, query, consumer_secret, token_secret):
    key = f"{enc(consumer_secret)}&{enc(token_secret)}".encode()
    text = base_string(method, url, oauth_params, query).encode()
    return base64.b64encode(hmac.new(key, text, hashlib.sha256).digest()).decode()


def verify(method, url, query, header, integrations, seen_nonces, now):
    """Return the integration a signed request belongs to, or raise OAuthError.

    ``integrations`` maps consumer keys to dicts with ``consumer_secret``,
    ``access_token``, ``access_token_secret`` and ``id``.
    """
    params = parse_authorization(header)
    if params is None:
        return None
    for required in (
        "oauth_consumer_key",
        "oauth_signature_method",
        "oauth_signature",
        "oauth_nonce",
        "oauth_timestamp",
        "oauth_token",
    ):
        if not params.get(required):
            raise OAuthError('"%1" is required. Enter and try again.', [required])
    method_name = params["oauth_signature_method"]
    if method_name not in SUPPORTED_METHODS:
        raise OAuthError("Signature method %1 is not supported", [method_name])
    consumer_key = params["oauth_consumer_key"]
    if len(consumer_key) != 32:
        raise OAuthError("Consumer key is not the correct length")
    integration = integrations.get(consumer_key)
    if integration is None:
        raise OAuthError("A consumer having the specified key does not exist")
    try:
        timestamp = int(params["oauth_timestamp"])
    except ValueError:
        raise OAuthError("Incorrect timestamp value in the oauth_timestamp parameter") from None
    if timestamp <= 0 or abs(now - timestamp) > 600:
        raise OAuthError("Incorrect timestamp value in the oauth_timestamp parameter")
    nonce_key = (integration["id"], params["oauth_nonce"])
    if nonce_key in seen_nonces:
        raise OAuthError("The nonce is already being used by the consumer with ID %1", [integration["id"]])
    if params["oauth_token"] != integration["access_token"]:
        raise OAuthError("Specified token does not exist")
    expected = sign(method, url, params, query, integration["consumer_secret"], integration["access_token_secret"])
    if not hmac.compare_digest(expected, params["oauth_signature"]):
        raise OAuthError("The signature is invalid. Verify and try again.")
    seen_nonces.add(nonce_key)
    return integration
