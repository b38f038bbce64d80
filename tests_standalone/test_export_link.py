"""Issue 24: Magento invoiced the order itself after the import. The refused
POST leads to the order's invoices, and one of Magento's own with exactly the
job's goods stands for the Odoo invoice; otherwise the refusal stays, with
what Magento holds. On the double and on a real Magento alike (conftest)."""

import pytest
from conftest import double_only

from magento_client import MagentoValidationError
from magento_export.payload import invoice_comment
from magento_export.sender import ExportJob, export_document


def _job(order, items, **kwargs):
    return ExportJob(
        move_id=1,
        name="INV/1",
        magento_order_id=order["entity_id"],
        items=items,
        comment=invoice_comment("INV/1", f"db-{order['entity_id']}"),
        **kwargs,
    )


def _item(order, sku):
    return next(i["item_id"] for i in order["items"] if i["sku"] == sku)


def _invoices(client, order):
    return [int(i["entity_id"]) for i in client.get_order_invoices(order["entity_id"])]


def test_refused_post_links_magento_own_invoice_of_the_same_goods(shop, client):
    order = shop.add_order([("RM-BAG", 2), ("RM-MUG", 3)])
    own = int(shop.invoice(order["entity_id"]))  # Magento's admin, after the import
    job = _job(order, [(_item(order, "RM-BAG"), 2.0), (_item(order, "RM-MUG"), 3.0)], claimed_ids=set())
    result = export_document(client, job)
    assert (result.invoice_id, result.adopted, result.own) == (own, True, True)
    assert job.claimed_ids == {own}, "the order's next job must not take it too"
    assert _invoices(client, order) == [own], "nothing created"


def test_refusal_stays_when_no_own_invoice_matches_and_names_what_magento_holds(shop, client):
    order = shop.add_order([("RM-BAG", 2), ("RM-MUG", 3)])
    own = shop.invoice(order["entity_id"], [(_item(order, "RM-BAG"), 1)])
    with pytest.raises(MagentoValidationError) as info:
        export_document(client, _job(order, [(_item(order, "RM-BAG"), 2.0)]))
    number = client.get_invoice(own)["increment_id"]
    assert info.value.magento_holds == [(number, "Joust Duffle Bag: 1")]
    assert not info.value.maybe_applied
    assert _invoices(client, order) == [int(own)]


def test_an_own_invoice_another_odoo_invoice_holds_is_never_taken(shop, client):
    order = shop.add_order([("RM-BAG", 2)])
    own = int(shop.invoice(order["entity_id"]))
    with pytest.raises(MagentoValidationError) as info:
        export_document(client, _job(order, [(_item(order, "RM-BAG"), 2.0)], claimed_ids={own}))
    assert len(info.value.magento_holds) == 1


@double_only("needs fault injection")
def test_failed_look_up_after_a_refusal_keeps_the_refusal(magento, shop, client):
    order = shop.add_order([("RM-BAG", 2)])
    shop.invoice(order["entity_id"])
    magento.inject("html", status=503, method="GET")
    with pytest.raises(MagentoValidationError) as info:
        export_document(client, _job(order, [(_item(order, "RM-BAG"), 2.0)]))
    assert not info.value.maybe_applied, "a 400 rolled everything back: nothing to look up later"
    assert not hasattr(info.value, "magento_holds")
