"""OAuth 1.0a: the client's signatures against the double's own verifier."""

import time

import pytest
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA1, Client

from magento_client import MagentoClient, MagentoError
from magento_double import oauth


def test_base_string_matches_rfc5849_example():
    # RFC 5849 section 3.4.1.1, without the form body (Magento signs no body).
    params = {
        "oauth_consumer_key": "9djdj82h48djs9d2",
        "oauth_token": "kkk9d7dh3k39sjv7",
        "oauth_signature_method": "HMAC-SHA1",
        "oauth_timestamp": "137131201",
        "oauth_nonce": "7d8f3e4a",
    }
    query = oauth.query_params("b5=%3D%253D&a3=a&c%40=&a2=r%20b")
    text = oauth.base_string("POST", "http://example.com/request", {**params, **query})
    assert text == (
        "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D"
        "%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method"
        "%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7"
    )


def test_default_port_dropped_from_base_uri():
    assert oauth.base_string("GET", "https://Shop.Example.com:443/rest/V1/x", {}).startswith(
        "GET&https%3A%2F%2Fshop.example.com%2Frest%2FV1%2Fx&"
    )


def test_client_header_is_hmac_sha256(magento, client):
    client.test_connection()
    header = magento.requests()[-1]
    assert header["auth"] == "OAuth"


def test_signed_query_parameters_verify(magento, client, order):
    found = client.search_orders([[("increment_id", order["increment_id"], "eq")]], page_size=5, current_page=1)
    assert found["total_count"] == 1


def _signed_header(magento, method="HMAC-SHA256", **overrides):
    creds = dict(magento.credentials, **overrides)
    signer = Client(
        creds["consumer_key"],
        client_secret=creds["consumer_secret"],
        resource_owner_key=creds["access_token"],
        resource_owner_secret=creds["access_token_secret"],
        signature_method=method,
    )
    url = f"{magento.url}/rest/default/V1/invoices?searchCriteria%5BpageSize%5D=1"
    _, headers, _ = signer.sign(url, "GET")
    return url, headers


def _verify(magento, url, headers):
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return oauth.verify(
        "GET",
        f"{parts.scheme}://{parts.netloc}{parts.path}",
        parts.query,
        headers["Authorization"],
        magento.integrations,
        magento.seen_nonces,
        int(time.time()),
    )


def test_sha1_is_not_supported(magento):
    url, headers = _signed_header(magento, SIGNATURE_HMAC_SHA1)
    with pytest.raises(oauth.OAuthError) as info:
        _verify(magento, url, headers)
    assert (info.value.message, info.value.parameters) == ("Signature method %1 is not supported", ["HMAC-SHA1"])
    assert info.value.status == 400  # an OauthInputException


def _with_timestamp(magento, offset):
    creds = magento.credentials
    signer = Client(
        creds["consumer_key"],
        client_secret=creds["consumer_secret"],
        resource_owner_key=creds["access_token"],
        resource_owner_secret=creds["access_token_secret"],
        signature_method="HMAC-SHA256",
        timestamp=str(int(time.time()) + offset),
    )
    url = f"{magento.url}/rest/default/V1/invoices?searchCriteria%5BpageSize%5D=1"
    return url, signer.sign(url, "GET")[1]


def test_past_timestamps_are_accepted_future_ones_refused(magento):
    """Nonce\\Generator::validateNonce refuses only timestamps beyond now + 600 s."""
    assert _verify(magento, *_with_timestamp(magento, -86400))["id"] == 1
    with pytest.raises(oauth.OAuthError) as info:
        _verify(magento, *_with_timestamp(magento, 3600))
    assert (info.value.message, info.value.status) == ("An error occurred validating the nonce", 401)


def test_nonce_replay_is_refused(magento):
    url, headers = _signed_header(magento)
    assert _verify(magento, url, headers)["id"] == 1
    with pytest.raises(oauth.OAuthError) as info:
        _verify(magento, url, headers)
    assert info.value.message == "The nonce is already being used by the consumer with ID %1"


@pytest.mark.parametrize(
    ("override", "message", "status"),
    [
        ({"consumer_key": "short"}, "Consumer key is not the correct length", 401),
        ({"access_token": "b" * 33}, "The token length is invalid. Check the length and try again.", 400),
        ({"consumer_key": "f" * 32}, "A consumer having the specified key does not exist", 401),
        ({"access_token": "a" * 32}, "Specified token does not exist", 401),
        ({"consumer_secret": "b" * 32}, "The signature is invalid. Verify and try again.", 401),
    ],
)
def test_wrong_credentials_are_refused_with_magento_text(magento, override, message, status):
    """Token\\Provider and Oauth::_validateProtocolParams: 401, or 400 for an input exception (§2)."""
    with pytest.raises(oauth.OAuthError) as info:
        _verify(magento, *_signed_header(magento, **override))
    assert (info.value.message, info.value.status) == (message, status)


def test_wrong_secret_through_the_client(magento):
    client = MagentoClient(magento.url, **dict(magento.credentials, consumer_secret="b" * 32))
    with pytest.raises(MagentoError) as info:
        client.test_connection()
    assert (info.value.status, info.value.magento_message) == (401, "The signature is invalid. Verify and try again.")


@pytest.mark.parametrize(
    ("override", "words"),
    [
        ({"access_token": "b" * 31}, "The access token has 31 characters where Magento's keys have 32"),
        ({"consumer_key": "a" * 31 + "\n"}, "The consumer key holds a space, a line break"),
    ],
)
def test_client_refuses_keys_magento_never_issues(magento, override, words):
    with pytest.raises(ValueError, match=words):
        MagentoClient(magento.url, **dict(magento.credentials, **override))


def test_tampered_query_breaks_signature(magento):
    url, headers = _signed_header(magento)
    with pytest.raises(oauth.OAuthError, match="signature is invalid"):
        _verify(magento, url.replace("pageSize%5D=1", "pageSize%5D=2"), headers)
