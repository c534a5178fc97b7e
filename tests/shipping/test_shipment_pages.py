"""The shipment pages: a merchant ships a packed order from its order page, sees the cargo and
dispatches it; an operator records it received; the buyer reads its own orders' shipments;
another merchant and another buyer are told it does not exist; the list's queries stay few."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from network.models import Role
from orders.models import MerchantOrder, MerchantOrderStatus
from shipping.models import Shipment, ShipmentStatus
from shipping.services.shipments import shipment_create
from tests.factories import member, sign_in
from tests.orders.factories import buyer, merchant
from tests.shipping.shipment_world import (
    build_world,
    network_operator,
    own_booking,
    packed_order,
    shared_container,
    space_in,
)

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def world(db):
    return build_world()


def _shipment(world, **choice):
    merchant_order = packed_order(world, buyer_reference="HZ-PO-77")
    if not choice:
        choice = {"booking": own_booking(world)}
    return shipment_create(
        organization=world.maple,
        merchant_orders=[merchant_order],
        acting_user=world.owner,
        **choice,
    )


def test_a_merchant_ships_a_packed_order_from_its_page_and_dispatches_it(client, world):
    merchant_order = packed_order(world)
    booking = own_booking(world)
    sign_in(client, world.owner)
    order_page = client.get(reverse("orders:merchant_order_detail", args=[merchant_order.number]))
    new_url = reverse("shipping:shipment_create") + f"?order={merchant_order.number}"
    assert new_url in order_page.content.decode()
    form = client.get(new_url)
    assert form.status_code == 200
    page = text(form)
    assert merchant_order.number in page and booking.reference in page
    assert f'value="{merchant_order.pk}" id="id_merchant_orders_0" checked' in page
    response = client.post(
        reverse("shipping:shipment_create"),
        {"merchant_orders": [merchant_order.pk], "carried_on": f"booking:{booking.reference}"},
    )
    with scopes_disabled():
        shipment = Shipment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("shipping:shipment_detail", args=[shipment.reference])
    detail = text(client.get(response["Location"]))
    assert "MAPLE-500" in detail and "1702200000" in detail
    assert "8 × 6" in detail and "41.60 kg" in detail and "0.120 m³" in detail
    assert "50.60 kg" in detail and "0.135 m³" in detail  # the totals
    assert "MADE IN USA" in detail
    client.post(reverse("shipping:shipment_dispatch", args=[shipment.reference]))
    with scopes_disabled():
        assert Shipment.objects.get().status == ShipmentStatus.DISPATCHED
        assert MerchantOrder.objects.get(pk=merchant_order.pk).status == "shipped"
    listing = text(client.get(reverse("shipping:shipment_list")))
    assert shipment.reference in listing and "On its way to the port" in listing


def test_the_form_says_what_is_wrong(client, world):
    merchant_order = packed_order(world)
    operator_org, _operator = network_operator()
    container = shared_container(world.sailing, operator_org)
    sign_in(client, world.owner)
    response = client.post(
        reverse("shipping:shipment_create"),
        {"merchant_orders": [merchant_order.pk], "carried_on": f"container:{container.reference}"},
    )
    assert response.status_code == 200
    assert "Confirm the goods contain no dangerous goods" in text(response)
    space = space_in(container, world.maple, volume="1.0", weight=10)
    response = client.post(
        reverse("shipping:shipment_create"),
        {"merchant_orders": [merchant_order.pk], "carried_on": f"space:{space.reference}"},
    )
    assert response.status_code == 200
    assert "your space" in text(response)
    with scopes_disabled():
        assert not Shipment.objects.exists()


def test_travelling_together_preselects_the_container_holding_the_order(client, world):
    operator_org, _operator = network_operator()
    container = shared_container(world.sailing, operator_org)
    birch, birch_owner = merchant("Northwoods Birch Co.")
    from tests.orders.factories import sku

    birch_syrup = sku(birch, birch_owner, code="BIRCH-250", on_hand=1000)
    from orders import services as order_services
    from tests.orders.factories import fan_out, merchant_order_of, place

    purchase_order = place(
        world.store, world.wang, [(world.syrup, 12), (birch_syrup, 12)], travel_together=True
    )
    fan_out(purchase_order)
    parts = {}
    for organization, owner in ((world.maple, world.owner), (birch, birch_owner)):
        part = merchant_order_of(purchase_order, organization)
        part = order_services.merchant_order_accept(merchant_order=part, acting_user=owner)
        parts[organization.pk] = order_services.merchant_order_pack(
            merchant_order=part, acting_user=owner
        )
    shipment_create(
        organization=world.maple,
        merchant_orders=[parts[world.maple.pk]],
        space_request=space_in(container, world.maple),
        acting_user=world.owner,
    )
    sign_in(client, birch_owner)
    page = text(
        client.get(reverse("shipping:shipment_create") + f"?order={parts[birch.pk].number}")
    )
    assert f'value="container:{container.reference}"' in page
    assert re.search(rf'value="container:{container.reference}"[^>]*checked', page)
    assert "travel together" in page


def test_an_operator_records_the_goods_received(client, world):
    operator_org, operator_user = network_operator()
    container = shared_container(world.sailing, operator_org)
    shipment = _shipment(world, space_request=space_in(container, world.maple))
    from shipping.services.shipments import shipment_dispatch

    shipment_dispatch(shipment=shipment, acting_user=world.owner)
    sign_in(client, operator_user)
    detail = text(client.get(reverse("shipping:shipment_detail", args=[shipment.reference])))
    assert "Received at the warehouse" in detail and container.reference in detail
    client.post(reverse("shipping:shipment_receive", args=[shipment.reference]))
    with scopes_disabled():
        assert Shipment.objects.get().status == ShipmentStatus.RECEIVED
        assert set(MerchantOrder.objects.values_list("status", flat=True)) == {
            MerchantOrderStatus.DELIVERED
        }
    # The merchant cannot record it.
    sign_in(client, world.owner)
    response = client.post(reverse("shipping:shipment_receive", args=[shipment.reference]))
    assert response.status_code == 403


def test_the_buyer_reads_its_shipment_and_others_are_told_it_does_not_exist(
    client, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        shipment = _shipment(world)
    url = reverse("shipping:shipment_detail", args=[shipment.reference])
    sign_in(client, world.wang)
    page = text(client.get(url))
    assert shipment.reference in page and "MAPLE-500" in page
    # The buyer downloads the invoice, packing list and labels issued when it was planned.
    with scopes_disabled():
        documents = list(shipment.documents.order_by("kind"))
    assert [document.kind for document in documents] == [
        "case_labels",
        "commercial_invoice",
        "packing_list",
    ]
    for document in documents:
        download = reverse(
            "shipping:trade_document_download", args=[shipment.reference, document.pk]
        )
        assert download in page
        assert client.get(download)["Content-Type"] == "application/pdf"
    assert "dispatch" not in page.lower().split("shipping marks")[0].split("next step")[-1]
    assert shipment.reference in text(client.get(reverse("shipping:shipment_list")))
    rival, rival_owner = merchant("Cascadia Botanicals")
    other_store, other_buyer = buyer("Shenzhen Harbour Imports")
    for user in (rival_owner, other_buyer):
        client.logout()
        sign_in(client, user)
        assert client.get(url).status_code == 404
        assert shipment.reference not in text(client.get(reverse("shipping:shipment_list")))
        assert client.post(
            reverse("shipping:shipment_dispatch", args=[shipment.reference])
        ).status_code in (403, 404)
    viewer = member(world.maple, Role.VIEWER)
    client.logout()
    sign_in(client, viewer)
    assert client.get(url).status_code == 200
    assert (
        client.post(reverse("shipping:shipment_cancel", args=[shipment.reference])).status_code
        == 403
    )
    with scopes_disabled():
        assert Shipment.objects.get().status == ShipmentStatus.PLANNED


def test_the_list_query_count_does_not_grow(client, world, django_assert_num_queries):
    booking = own_booking(world)
    sign_in(client, world.owner)
    url = reverse("shipping:shipment_list")
    for _ in range(4):
        shipment_create(
            organization=world.maple,
            merchant_orders=[packed_order(world)],
            booking=booking,
            acting_user=world.owner,
        )
    client.get(url)  # the session's first read of the organisation is cached
    # Session, user, membership and organisation, the count, the page of shipments with their
    # buyer and sailing.
    with django_assert_num_queries(5):
        response = client.get(url)
    assert text(response).count(booking.reference) == 4
