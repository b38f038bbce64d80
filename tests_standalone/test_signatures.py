"""Every request the addon signs verifies as Magento verifies it, 2.4.4-2.4.6 and 2.4.7+.

The double rebuilds the signed request as Magento's ``Helper\\Request`` does
(docs/magento-behaviour.md §2); ``magento_version`` switches on 2.4.7's extra
encoding of query values. The requests are made with the real client.
"""

import pytest

from magento_client import MagentoClient
from magento_client.calls import search_criteria
from magento_double import MagentoDouble, oauth

VERSIONS = ("2.4.6", "2.4.7")
STORE_VIEWS = ({"id": 1, "code": "default", "name": "Default"}, {"id": 2, "code": "fr", "name": "French"})


@pytest.fixture(params=VERSIONS)
def shop(request):
    with MagentoDouble(magento_version=request.param, store_views=STORE_VIEWS) as double:
        for number in range(1, 13):
            double.store.add_order(
                [{"sku": "24-MB01", "name": "Bag", "qty": 2, "price": 34}],
                increment_id=f"{number:09d}",
                store_id=1 + number % 2,
                created_at=f"2025-01-{number:02d} 10:30:00",
            )
        yield double


@pytest.fixture
def signed(shop):
    return MagentoClient(shop.url, store_code="fr", timeout=5, **shop.credentials)


def _pages(iterator):
    return [order["increment_id"] for page in iterator for order in page]


def test_every_kind_of_request_the_addon_sends_verifies(shop, signed):
    """The calls of Test Connection, the import, the export and the look-ups."""
    assert signed.test_connection() == 0
    assert {view["code"] for view in signed.get_store_views()} == {"admin", "default", "fr"}
    orders = _pages(signed.iter_orders(numbers=[f"{n:09d}" for n in range(1, 13)], store_id=2, page_size=5))
    assert orders == [f"{n:09d}" for n in range(1, 13, 2)]
    since = _pages(signed.iter_orders(created_since="2025-01-05 11:00:00", store_id=1, page_size=2))
    assert since == [f"{n:09d}" for n in (6, 8, 10, 12)]
    order = signed.get_order(1)
    invoice_id = signed.create_invoice(order["entity_id"], [(order["items"][0]["item_id"], 1)], comment="INV/1")
    assert signed.get_invoice(invoice_id)["entity_id"] == invoice_id
    assert [i["entity_id"] for i in signed.get_order_invoices(order["entity_id"])] == [invoice_id]
    assert [i["entity_id"] for i in signed.documents_between("invoices", invoice_id, invoice_id + 5)] == [invoice_id]
    memo_id = signed.create_creditmemo([(order["items"][0]["item_id"], 1)], order_id=order["entity_id"], comment="R/1")
    assert [m["entity_id"] for m in signed.get_order_creditmemos(order["entity_id"])] == [memo_id]
    assert [m["entity_id"] for m in signed.documents_between("creditmemos", memo_id, memo_id)] == [memo_id]
    assert all(entry["status"] == 200 for entry in shop.requests())


@pytest.mark.parametrize(
    ("value", "refused_by"),
    [
        ("2025-01-01 00:00:00", {"2.4.6", "2.4.7"}),  # requests' "+" for the space
        ("000000001,000000002", {"2.4.7"}),  # a reserved character, encoded twice by 2.4.7
    ],
)
def test_a_standard_client_fails_where_magento_reads_the_query_its_own_way(shop, value, refused_by):
    """What the addon sent before: requests' own query encoding, values with reserved characters."""
    import requests
    from requests_oauthlib import OAuth1

    creds = shop.credentials
    auth = OAuth1(
        creds["consumer_key"],
        client_secret=creds["consumer_secret"],
        resource_owner_key=creds["access_token"],
        resource_owner_secret=creds["access_token_secret"],
        signature_method="HMAC-SHA256",
    )
    params = {
        "searchCriteria[filterGroups][0][filters][0][field]": "increment_id",
        "searchCriteria[filterGroups][0][filters][0][value]": value,
        "searchCriteria[filterGroups][0][filters][0][conditionType]": "gteq",
    }
    response = requests.get(f"{shop.url}/rest/default/V1/orders", params=params, auth=auth, timeout=5)
    if shop.magento_version in refused_by:
        assert response.status_code == 401
        assert response.json() == {"message": "The signature is invalid. Verify and try again."}
    else:
        assert response.status_code == 200


def test_natural_key_order_differs_from_byte_order_past_nine_filters():
    """Magento sorts the encoded keys with strnatcmp: index 2 before 10."""
    keys = ["k%5B10%5D", "k%5B2%5D"]
    assert sorted(keys, key=oauth.strnatcmp_key) == ["k%5B2%5D", "k%5B10%5D"]
    assert sorted(keys) == ["k%5B10%5D", "k%5B2%5D"]
    # Anything but two digit runs compares by byte, as in PHP: "%" (0x25) before "1".
    assert sorted(["a1", "a%"], key=oauth.strnatcmp_key) == ["a%", "a1"]
    assert oauth.strnatcmp("a", "ab") == -1


@pytest.mark.parametrize(
    "filters",
    [
        [[("created_at", "2025-01-01 00:00:00", "gteq")]],
        [[("increment_id", "1,2", "in")]],
        [[("increment_id", str(n), "eq") for n in range(11)]],
    ],
)
def test_the_client_refuses_to_sign_what_some_magento_would_refuse(filters):
    with pytest.raises(ValueError):
        search_criteria(filters)


def test_plus_in_a_query_stays_a_plus():
    """Helper\\Request::_extractQueryStringParams uses rawurldecode."""
    assert oauth.query_params("a=1+2&b=1%202") == {"a": "1+2", "b": "1 2"}
    assert oauth.query_params("a=b=c&d=e") == {"d": "e"}
