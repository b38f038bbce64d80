"""Issue 24: Magento invoiced the order itself after the import. The refused
POST leads to the order's invoices, and one of Magento's own with exactly the
job's goods stands for the Odoo invoice; otherwise the refusal stays, with
what Magento holds."""

import pytest

from magento_client import MagentoClient, MagentoValidationError
from magento_double import MagentoDouble
from magento_export.payload import invoice_comment
from magento_export.sender import ExportJob, export_document

BAG = {"sku": "24-MB01", "name": "Joust Duffle Bag", "qty": 2, "price": 34}
MUG = {"sku": "24-UG01", "name": "Coffee Mug", "qty": 1, "price": 7.5}


@pytest.fixture
def magento():
    with MagentoDouble() as double:
        yield double


@pytest.fixture
def client(magento):
    return MagentoClient(magento.url, timeout=5, **magento.credentials)


def _job(order, items, **kwargs):
    return ExportJob(
        move_id=1,
        name="INV/1",
        magento_order_id=order["entity_id"],
        items=items,
        comment=invoice_comment("INV/1", "db-1"),
        **kwargs,
    )


def _item(order, sku):
    return next(i["item_id"] for i in order["items"] if i["sku"] == sku)


def test_refused_post_links_magento_own_invoice_of_the_same_goods(magento, client):
    order = magento.store.add_order([BAG, MUG])
    own = magento.store.invoice_order(order["entity_id"], {})  # Magento's admin, after the import
    job = _job(order, [(_item(order, "24-MB01"), 2.0), (_item(order, "24-UG01"), 1.0)], claimed_ids=set())
    result = export_document(client, job)
    assert (result.invoice_id, result.adopted, result.own) == (own, True, True)
    assert [(e["method"], e["status"]) for e in magento.requests()] == [("POST", 400), ("GET", 200)]
    assert job.claimed_ids == {own}, "the order's next job must not take it too"
    assert len(magento.store.invoices) == 1


def test_refusal_stays_when_no_own_invoice_matches_and_names_what_magento_holds(magento, client):
    order = magento.store.add_order([BAG, MUG])
    own = magento.store.invoice_order(
        order["entity_id"], {"items": [{"order_item_id": _item(order, "24-MB01"), "qty": 1}]}
    )
    with pytest.raises(MagentoValidationError) as info:
        export_document(client, _job(order, [(_item(order, "24-MB01"), 2.0)]))
    assert info.value.magento_holds == [(magento.store.get_invoice(own)["increment_id"], "Joust Duffle Bag: 1")]
    assert not info.value.maybe_applied


def test_an_own_invoice_another_odoo_invoice_holds_is_never_taken(magento, client):
    order = magento.store.add_order([BAG])
    own = magento.store.invoice_order(order["entity_id"], {})
    with pytest.raises(MagentoValidationError) as info:
        export_document(client, _job(order, [(_item(order, "24-MB01"), 2.0)], claimed_ids={own}))
    assert len(info.value.magento_holds) == 1


def test_failed_look_up_after_a_refusal_keeps_the_refusal(magento, client):
    order = magento.store.add_order([BAG])
    magento.store.invoice_order(order["entity_id"], {})
    magento.inject("html", status=503, method="GET")
    with pytest.raises(MagentoValidationError) as info:
        export_document(client, _job(order, [(_item(order, "24-MB01"), 2.0)]))
    assert not info.value.maybe_applied, "a 400 rolled everything back: nothing to look up later"
    assert not hasattr(info.value, "magento_holds")
