"""OAuth 1.0a verification as Magento rebuilds and checks a signed request.

Written by hand from Magento's code (docs/magento-behaviour.md §2), not with
the client's library, so that a mistake in how the client signs cannot hide
behind the same mistake here:

* ``framework/Oauth/Helper/Request.php``: the header's ``oauth_*`` pairs and
  the *raw* query, split on ``&`` and ``=`` and ``rawurldecode``-d (a ``+``
  stays a ``+``; a pair with a second ``=`` is dropped; a repeated key keeps
  its last value);
* ``framework/Oauth/Oauth.php`` and ``module-integration/Model/Oauth/...``:
  the order of the checks, their messages, 400 (``OauthInputException``)
  against 401 (``Oauth\\Exception``);
* ``laminas-oauth/src/Signature/AbstractSignature.php``: the base string,
  with the encoded keys in PHP's *natural* order (``strnatcmp``), not byte order.

``magento_version`` "2.4.7" adds 2.4.7's change: each decoded query value is
``rawurlencode``-d once more before Laminas encodes it again.
"""

import base64
import functools
import hashlib
import hmac
import re
from urllib.parse import quote, unquote_to_bytes, urlsplit

SUPPORTED_METHODS = ("HMAC-SHA256",)
TOKEN_LENGTH = 32  # framework/Oauth/Helper/Oauth.php LENGTH_TOKEN, LENGTH_CONSUMER_KEY
TIME_DEVIATION = 600  # module-integration/Model/Oauth/Nonce/Generator.php
REQUIRED = (
    "oauth_consumer_key",
    "oauth_signature",
    "oauth_signature_method",
    "oauth_nonce",
    "oauth_timestamp",
    "oauth_token",
)
_PROTOCOL = re.compile(r"oauth_[a-z_-]+")


class OAuthError(Exception):
    """``status`` 401 for ``Oauth\\Exception``, 400 for ``OauthInputException``."""

    def __init__(self, message, parameters=None, status=401, errors=None):
        super().__init__(message)
        self.message = message
        self.parameters = parameters
        self.status = status
        self.errors = errors


def rawurldecode(value):
    """PHP's rawurldecode: ``%XX`` only; ``+`` stays ``+``."""
    return unquote_to_bytes(value).decode("utf-8", "replace")


def enc(value):
    """PHP's rawurlencode as Laminas' ``Utility::urlEncode`` uses it (RFC 3986)."""
    return quote(str(value), safe="-._~")


def strnatcmp(left, right):
    """PHP's ``strnatcmp`` for what a signed request holds: runs of digits
    compare as numbers, any other character by its byte value."""
    i = j = 0
    while i < len(left) and j < len(right):
        if left[i].isdigit() and right[j].isdigit():
            i_end, j_end = i, j
            while i_end < len(left) and left[i_end].isdigit():
                i_end += 1
            while j_end < len(right) and right[j_end].isdigit():
                j_end += 1
            a, b = int(left[i:i_end]), int(right[j:j_end])
            if a != b:
                return -1 if a < b else 1
            i, j = i_end, j_end
        else:
            if left[i] != right[j]:
                return -1 if left[i] < right[j] else 1
            i, j = i + 1, j + 1
    return (len(left) - i > 0) - (len(right) - j > 0)


strnatcmp_key = functools.cmp_to_key(strnatcmp)


def php_int(value):
    """PHP's ``(int)`` cast of a string: its leading digits, else 0."""
    match = re.match(r"\s*([+-]?\d+)", str(value))
    return int(match.group(1)) if match else 0


def version_tuple(version):
    return tuple(int(part) for part in re.findall(r"\d+", str(version))[:3])


def parse_authorization(header):
    """``Helper\\Request::_processHeader``: the ``oauth_*`` pairs, or None if not OAuth."""
    position = (header or "").lower().find("oauth ")
    if not header or position < 0:
        return None
    params = {}
    for part in header[position + 6 :].split(","):
        name, sep, value = part.strip().partition("=")
        if sep and _PROTOCOL.search(name):
            params[rawurldecode(name)] = rawurldecode(value.strip('"'))
    return params


def query_params(query):
    """``Helper\\Request::_extractQueryStringParams``."""
    params = {}
    for pair in (query or "").split("&") if query else []:
        parts = pair.split("=")
        if len(parts) != 2 or _PROTOCOL.search(parts[0]):
            continue
        params[rawurldecode(parts[0])] = rawurldecode(parts[1])
    return params


def base_string(method, url, params):
    """Laminas ``AbstractSignature::getBaseSignatureString``."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if parts.netloc.rpartition("@")[2].startswith("["):
        # Laminas Uri::parse keeps an IPv6 literal's brackets in the host, and
        # toString writes it back as it came in the Host header, not shortened:
        # vendor/laminas/laminas-uri/src/Uri.php:308-338 (parse: the authority
        # less its ":port" is the host), :394-399 (toString), :1281-1284
        # (normalizeHost only lower-cases).
        host = f"[{host}]"
    port = parts.port
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    encoded = {enc(k): enc(v) for k, v in params.items() if k != "oauth_signature"}
    normalized = "&".join(f"{k}={encoded[k]}" for k in sorted(encoded, key=strnatcmp_key))
    return "&".join((method.upper(), enc(f"{scheme}://{host}{parts.path or '/'}"), enc(normalized)))


def sign(method, url, params, consumer_secret, token_secret):
    key = f"{enc(consumer_secret)}&{enc(token_secret)}".encode()
    text = base_string(method, url, params).encode()
    return base64.b64encode(hmac.new(key, text, hashlib.sha256).digest()).decode()


def verify(method, url, query, header, integrations, seen_nonces, now, magento_version="2.4.6"):
    """Return the integration a signed request belongs to, or raise OAuthError.

    ``url`` is what Magento signs (``getScheme()://getHttpHost()getRequestUri()``,
    query left out here); ``integrations`` maps consumer keys to dicts with
    ``consumer_secret``, ``access_token``, ``access_token_secret``, ``id`` and
    optionally ``revoked``. Checks run in ``Oauth::validateAccessTokenRequest``'s order.
    """
    header_params = parse_authorization(header)
    if header_params is None:
        return None
    params = {**header_params, **query_params(query)}
    if version_tuple(magento_version) >= (2, 4, 7):
        # 2.4.7's Helper\\Request encodes every value but the signature once
        # more before Laminas encodes it again (upstream fix of issue #37278).
        params = {k: v if k == "oauth_signature" else enc(v) for k, v in params.items()}
    # Oauth::_validateProtocolParams
    if "oauth_version" in params and params["oauth_version"] != "1.0":
        raise OAuthError('The "%1" Oauth version isn\'t supported.', [params["oauth_version"]], status=400)
    missing = [name for name in REQUIRED if name not in params]
    if missing:
        errors = [
            {"message": '"%fieldName" is required. Enter and try again.', "parameters": {"fieldName": name}}
            for name in missing
        ]
        if len(errors) == 1:
            raise OAuthError(errors[0]["message"], errors[0]["parameters"], status=400)
        raise OAuthError("One or more input exceptions have occurred.", status=400, errors=errors)
    if len(params["oauth_token"]) != TOKEN_LENGTH:
        raise OAuthError("The token length is invalid. Check the length and try again.", status=400)
    if params["oauth_signature_method"] not in SUPPORTED_METHODS:
        raise OAuthError("Signature method %1 is not supported", [params["oauth_signature_method"]], status=400)
    # Token\Provider::getConsumerByKey
    consumer_key = params["oauth_consumer_key"]
    if consumer_key and len(consumer_key) != TOKEN_LENGTH:
        raise OAuthError("Consumer key is not the correct length")
    integration = integrations.get(consumer_key)
    if integration is None:
        raise OAuthError("A consumer having the specified key does not exist")
    # Nonce\Generator::validateNonce: only a future timestamp is refused, and
    # its input exception is caught and re-thrown as this 401.
    timestamp = php_int(params["oauth_timestamp"])
    if timestamp <= 0 or timestamp > now + TIME_DEVIATION:
        raise OAuthError("An error occurred validating the nonce")
    nonce_key = (integration["id"], params["oauth_nonce"])
    if nonce_key in seen_nonces:
        raise OAuthError("The nonce is already being used by the consumer with ID %1", [integration["id"]])
    seen_nonces.add(nonce_key)
    # Token\Provider::validateAccessTokenRequest
    owners = [i for i in integrations.values() if i["access_token"] == params["oauth_token"]]
    if not owners:
        raise OAuthError("Specified token does not exist")
    if owners[0] is not integration:
        raise OAuthError("Token is not associated with the specified consumer")
    if integration.get("revoked"):
        raise OAuthError("Access token has been revoked")
    expected = sign(method, url, params, integration["consumer_secret"], integration["access_token_secret"])
    if not hmac.compare_digest(expected, params["oauth_signature"]):
        raise OAuthError("The signature is invalid. Verify and try again.")
    return integration
