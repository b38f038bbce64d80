"""Issue 19: Test Connection's calls. Every resource the runs use is asked by a
call that changes nothing, and an unknown store code is told from a token of
the wrong length, though Magento answers both with a 400 without parameters."""

import pytest

from magento_client import MagentoAuthError, MagentoClient, MagentoStoreCodeError
from magento_client.client import RESOURCE_PROBES
from magento_double import MagentoDouble

KEYS = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")


@pytest.fixture
def magento():
    with MagentoDouble() as double:
        yield double


def _client(magento, integration=None, **kwargs):
    keys = {key: integration[key] for key in KEYS} if integration else magento.credentials
    return MagentoClient(magento.url, timeout=5, **keys, **kwargs)


def test_every_resource_is_asked_and_nothing_is_created(magento):
    magento.store.add_order([{"sku": "24-MB01", "name": "Bag", "qty": 1, "price": 34}])
    assert _client(magento).check_resources() == (0, [])
    assert [(e["method"], e["path"].removeprefix("/rest/default/"), e["status"]) for e in magento.requests()] == [
        ("GET", "V1/invoices", 200),
        ("GET", "V1/orders", 200),
        ("POST", "V1/order/0/invoice", 400),
        ("POST", "V1/order/0/refund", 400),
        ("GET", "V1/creditmemos", 200),
        ("GET", "V1/store/storeViews", 200),
    ]
    assert not magento.store.invoices and not magento.store.creditmemos


def test_each_missing_resource_is_named(magento):
    for resource, _method, _path in RESOURCE_PROBES:
        allowed = [r for r, _m, _p in RESOURCE_PROBES if r != resource]
        client = _client(magento, magento.add_integration(resources=allowed, name=resource))
        assert client.check_resources()[1] == [resource]


def test_a_token_refused_everywhere_is_the_credentials(magento):
    client = _client(magento, magento.add_integration(resources=()))
    with pytest.raises(MagentoAuthError, match="isn't authorized to access Magento_Sales::sales_invoice"):
        client.check_resources()


def test_unknown_store_code_is_not_read_as_a_truncated_token(magento):
    with pytest.raises(MagentoStoreCodeError, match="no store view with the REST store code 'nl'"):
        _client(magento, store_code="nl").test_connection()


def test_a_token_of_the_wrong_length_is_still_the_token(magento):
    client = _client(magento)
    # The client refuses such a key on its own; signed anyway, as a proxy could mangle it.
    client._auth.client.resource_owner_key = magento.credentials["access_token"][:31]
    with pytest.raises(MagentoAuthError) as info:
        client.test_connection()
    assert info.value.credential == "oauth_token"
    assert [e["path"] for e in magento.requests()] == ["/rest/default/V1/invoices", "/rest/all/V1/invoices"]
