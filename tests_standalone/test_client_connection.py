"""Issue 19: Test Connection's calls. Every resource the runs use is asked by a
call that changes nothing, and an unknown store code is told from a token of
the wrong length, though Magento answers both with a 400 without parameters.
On the double and on a real Magento alike (conftest)."""

import pytest
from conftest import double_only

from magento_client import MagentoAuthError, MagentoStoreCodeError
from magento_client.calls import RESOURCE_PROBES

ALL = [resource for resource, _method, _path in RESOURCE_PROBES]


@double_only("reads the requests the double received")
def test_every_resource_is_asked_and_nothing_is_created(magento, shop):
    shop.add_order([("RM-BAG", 1)])
    assert shop.client().check_resources() == (0, [])
    assert [(e["method"], e["path"].removeprefix("/rest/default/"), e["status"]) for e in magento.requests()] == [
        ("GET", "V1/invoices", 200),
        ("GET", "V1/orders", 200),
        ("POST", "V1/order/0/invoice", 400),
        ("POST", "V1/order/0/refund", 400),
        ("GET", "V1/creditmemos", 200),
        ("GET", "V1/store/storeViews", 200),
    ]
    assert not magento.store.invoices and not magento.store.creditmemos


@pytest.mark.parametrize("resource", ALL)
def test_each_missing_resource_is_named_and_nothing_is_created(shop, resource):
    client = shop.integration_client([r for r in ALL if r != resource], name=resource.replace("::", "-"))
    before = client.search_invoices(page_size=1)["total_count"] if resource != ALL[0] else None
    assert client.check_resources()[1] == [resource]
    if before is not None:
        assert client.search_invoices(page_size=1)["total_count"] == before


def test_a_token_refused_everywhere_is_the_credentials(shop):
    client = shop.integration_client(["Magento_Sales::shipment"], name="shipments-only")
    with pytest.raises(MagentoAuthError, match="isn't authorized to access Magento_Sales::sales_invoice"):
        client.check_resources()


def test_unknown_store_code_is_not_read_as_a_truncated_token(shop):
    with pytest.raises(MagentoStoreCodeError, match="no store view with the REST store code 'nl'"):
        shop.client(store_code="nl").test_connection()


def test_a_token_of_the_wrong_length_is_still_the_token(shop):
    client = shop.client()
    # The client refuses such a key on its own; signed anyway, as a proxy could mangle it.
    client._auth.client.resource_owner_key = shop.credentials["access_token"][:31]
    with pytest.raises(MagentoAuthError) as info:
        client.test_connection()
    assert info.value.credential == "oauth_token"
