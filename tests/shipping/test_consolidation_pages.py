"""The shared-container pages: merchants see open containers and book and cancel their own
space; operators plan, open, merge and release containers. A merchant never sees another
merchant's cargo, and the container detail page is for operators only."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from network.models import Notification
from shipping.models import BookingStatus, ConsolidationContainer, ContainerStatus, SpaceRequest
from tests.factories import sign_in
from tests.shipping.containers import book_space, open_container, reload_container, reload_space

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def container(sailing, operator):
    return open_container(sailing, operator)


# --- Merchants ---------------------------------------------------------------------------------


def test_the_list_shows_sailing_cutoff_fill_and_both_prices(
    client, owner, rival, outsider, container
):
    book_space(rival, container, outsider, volume="29.0", weight_kg=2600)
    client.force_login(owner)
    page = text(client.get(reverse("shipping:container_list")))
    assert container.reference in page
    assert "Madrid Maersk" in page and "USLAX → CNNGB" in page
    assert "Gateway CFS Carson" in page
    assert 'value="50"' in page  # half full by volume
    assert 'value="10"' in page  # a tenth by weight
    assert "USD 48.00" in page and "USD 95.00" in page
    assert "29.0 m³ · 23,400 kg" in page  # what is left, not whose it is
    assert "Cascadia" not in page


def test_booking_space_reviews_the_price_then_books(client, owner, container):
    client.force_login(owner)
    url = reverse("shipping:space_book", args=[container.reference])
    form = {"volume_m3": "2.5", "weight_kg": "3100", "no_dangerous_goods": "on"}
    review = text(client.post(url, form))
    assert "3.100" in review
    assert "USD 148.80" in review and "USD 294.50" in review and "USD 145.70" in review
    assert not SpaceRequest.objects.visible_to(owner.memberships.get().organization).exists()
    response = client.post(url, {**form, "confirm": "1"})
    assert response.status_code == 302
    assert response["Location"] == reverse("shipping:space_list")
    page = text(client.get(response["Location"]))
    assert "2.5 m³ · 3,100 kg" in page and "USD 148.80" in page
    assert reload_container(container).booked_m3 == Decimal("2.5")


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"volume_m3": "0.5", "weight_kg": "100", "no_dangerous_goods": "on"}, "1.0"),
        ({"volume_m3": "2.55", "weight_kg": "100", "no_dangerous_goods": "on"}, "1 decimal"),
        ({"volume_m3": "2.0", "weight_kg": "100"}, "no dangerous goods"),
    ],
)
def test_a_bad_form_says_why(client, owner, container, form, message):
    client.force_login(owner)
    response = client.post(reverse("shipping:space_book", args=[container.reference]), form)
    assert response.status_code == 200
    assert message in text(response)
    assert reload_container(container).booked_m3 == 0


def test_a_full_container_says_so(client, owner, sailing, operator):
    small = open_container(sailing, operator, capacity_m3=Decimal("2.0"))
    client.force_login(owner)
    response = client.post(
        reverse("shipping:space_book", args=[small.reference]),
        {"volume_m3": "2.1", "weight_kg": "100", "no_dangerous_goods": "on", "confirm": "1"},
    )
    assert response.status_code == 200
    assert "Not enough space left" in text(response)


def test_my_space_lists_only_my_own_and_cancels(
    client, owner, maple, rival, outsider, container, django_assert_num_queries
):
    mine = [book_space(maple, container, owner, volume="1.0") for _ in range(3)]
    theirs = book_space(rival, container, outsider, volume="4.0")
    client.force_login(owner)
    client.get(reverse("shipping:space_list"))
    # session, user, memberships, count, space with container, sailing, carrier and ports
    with django_assert_num_queries(5):
        page = text(client.get(reverse("shipping:space_list")))
    assert all(space.reference in page for space in mine)
    assert theirs.reference not in page
    cancel = reverse("shipping:space_cancel", args=[mine[0].reference])
    assert "Cancel space" in text(client.get(cancel))
    response = client.post(cancel, {"confirm": "on"})
    assert response.status_code == 302
    assert reload_space(mine[0]).status == SpaceRequest.Status.CANCELLED


def test_merchant_b_gets_404_for_merchant_as_space(client, outsider, owner, maple, container):
    space = book_space(maple, container, owner)
    client.force_login(outsider)
    url = reverse("shipping:space_cancel", args=[space.reference])
    assert client.get(url).status_code == 404
    assert client.post(url, {"confirm": "on"}).status_code == 404
    assert reload_space(space).status == SpaceRequest.Status.HELD


def test_the_container_detail_page_is_for_operators_only(client, owner, maple, container):
    book_space(maple, container, owner)
    client.force_login(owner)
    for name in (
        "operations_container",
        "operations_container_merge",
        "operations_container_release",
    ):
        assert (
            client.get(reverse(f"shipping:{name}", args=[container.reference])).status_code == 403
        )
    assert client.get(reverse("shipping:operations_containers")).status_code == 403


def test_merchant_list_query_count_does_not_grow(
    client, owner, sailing, operator, django_assert_num_queries
):
    for _ in range(3):
        open_container(sailing, operator)
    client.force_login(owner)
    client.get(reverse("shipping:container_list"))
    # session, user, memberships, containers with sailing, carrier and ports, approval check
    with django_assert_num_queries(5):
        client.get(reverse("shipping:container_list"))


# --- Operators ---------------------------------------------------------------------------------


def test_planning_shows_fill_cutoffs_and_the_decide_by_date(
    client, operator, owner, maple, container, django_assert_num_queries
):
    book_space(maple, container, owner, volume="5.8", weight_kg=13_000)
    sign_in(client, operator)
    client.get(reverse("shipping:operations_containers"))
    # session, user, memberships, second factor, containers with sailing and booking
    with django_assert_num_queries(5):
        response = client.get(reverse("shipping:operations_containers"))
    page = text(response)
    assert container.reference in page
    assert 'value="10"' in page and 'value="50"' in page
    assert "under 60%" in page
    assert "Decide by" in page and "Cancellation deadline" in page


def test_the_detail_lists_space_by_merchant(
    client, operator, owner, maple, outsider, rival, container
):
    book_space(maple, container, owner, volume="3.0")
    book_space(rival, container, outsider, volume="4.0")
    sign_in(client, operator)
    page = text(client.get(reverse("shipping:operations_container", args=[container.reference])))
    assert "Great Lakes Maple Co." in page and "Cascadia Botanicals" in page
    assert container.booking.reference in page


def test_an_operator_opens_a_container(client, operator, sailing):
    sign_in(client, operator)
    new_url = reverse("shipping:operations_container_new")
    sailing_page = client.get(reverse("shipping:operations_sailing", args=[sailing.pk]))
    assert f'href="{new_url}?sailing={sailing.pk}"' in sailing_page.content.decode()
    form_page = text(client.get(f"{new_url}?sailing={sailing.pk}"))
    assert 'value="58.0"' in form_page and 'value="26460"' in form_page
    assert f'<option value="{sailing.pk}" selected>' in form_page
    cutoff = timezone.localtime(sailing.cargo_cutoff - timedelta(days=1))
    response = client.post(
        reverse("shipping:operations_container_new"),
        {
            "sailing": sailing.pk,
            "equipment_code": "45G1",
            "capacity_m3": "58.0",
            "capacity_kg": "26460",
            "price_per_wm": "52.00",
            "forwarder_price_per_wm": "98.00",
            "warehouse_name": "Gateway CFS Carson",
            "warehouse_address": "1200 E Sepulveda Blvd",
            "receiving_cutoff": cutoff.strftime("%Y-%m-%dT%H:%M"),
            "fill_threshold_percent": "60",
            "decide_days_before_deadline": "2",
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        container = ConsolidationContainer.objects.get()
    assert response["Location"] == reverse(
        "shipping:operations_container", args=[container.reference]
    )
    assert container.booking.units == 1


def test_opening_after_the_cargo_cutoff_is_refused_on_the_form(client, operator, sailing):
    sign_in(client, operator)
    cutoff = timezone.localtime(sailing.cargo_cutoff + timedelta(hours=2))
    response = client.post(
        reverse("shipping:operations_container_new"),
        {
            "sailing": sailing.pk,
            "equipment_code": "45G1",
            "capacity_m3": "58.0",
            "capacity_kg": "26000",
            "price_per_wm": "52.00",
            "forwarder_price_per_wm": "98.00",
            "warehouse_name": "Gateway CFS Carson",
            "warehouse_address": "1200 E Sepulveda Blvd",
            "receiving_cutoff": cutoff.strftime("%Y-%m-%dT%H:%M"),
            "fill_threshold_percent": "60",
            "decide_days_before_deadline": "2",
        },
    )
    assert response.status_code == 200
    assert "before the carrier&#x27;s cargo cut-off" in text(response)


def test_merge_and_release_from_the_pages_tell_the_merchants(
    client, operator, owner, maple, sailing, container
):
    other = open_container(sailing, operator)
    space = book_space(maple, container, owner, volume="3.0")
    sign_in(client, operator)
    url = reverse("shipping:operations_container_merge", args=[container.reference])
    assert other.reference in text(client.get(url))
    refused = client.post(url, {"into": other.reference})  # not confirmed
    assert refused.status_code == 200
    response = client.post(url, {"into": other.reference, "confirm": "on"})
    assert response.status_code == 302
    assert reload_container(container).status == ContainerStatus.MERGED
    assert reload_space(space).container_id == other.pk
    release = reverse("shipping:operations_container_release", args=[other.reference])
    response = client.post(release, {"reason": "Vessel withdrawn", "confirm": "on"})
    assert response.status_code == 302
    other = reload_container(other)
    assert other.status == ContainerStatus.RELEASED
    assert other.booking.status == BookingStatus.CANCELLED
    with scopes_disabled():
        assert Notification.objects.filter(recipient=owner, kind="space.replanned").count() == 2
        assert any(
            "Vessel withdrawn" in n.body for n in Notification.objects.filter(recipient=owner)
        )
