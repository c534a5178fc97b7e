"""The shipping pages, for an owner, a teammate, a viewer, an outsider and an operator."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from network.models import Organization, Role
from shipping.models import Booking, Carrier, Sailing
from tests.factories import OrganizationFactory, member, sign_in
from tests.shipping.factories import SailingFactory, request_booking
from tests.shipping.helpers import put_in_state, reload

pytestmark = pytest.mark.django_db

FORM = {
    "units": "2",
    "commodity_description": "Pure maple syrup in glass bottles",
    "hs_codes": "170220, 2106.90",
    "gross_weight_kg": "36000",
    "shipper_name": "Great Lakes Maple Co. LLC",
    "shipper_address": "2150 Trowbridge Road\nMarquette, MI 49855",
    "consignee_name": "Hangzhou Westlake Global Trading Co., Ltd.",
    "consignee_address": "88 Wensan Road\nHangzhou",
    "order_references": "MO-1001, MO-1002",
}


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- Search ------------------------------------------------------------------------------------


def test_search_shows_transit_space_price_saving_and_cutoffs(client, owner, sailing):
    SailingFactory(
        port_of_discharge=sailing.port_of_loading, port_of_loading=sailing.port_of_discharge
    )
    client.force_login(owner)
    response = client.get(
        reverse("shipping:sailing_search"),
        {"origin": "USLAX", "destination": "CNNGB", "equipment": "40HC"},
    )
    assert response.status_code == 200
    page = text(response)
    assert "1 sailing" in page
    assert "Madrid Maersk" in page
    assert "16 days" in page
    assert "100 TEU" in page
    assert "USD 840.00" in page
    assert "save USD 427.00 vs. forwarder" in page  # 840 × 1.3 + 175 − 840
    assert sailing.documentation_cutoff.strftime("%b %-d, %Y, %-I:%M %p UTC") in page
    assert reverse("shipping:booking_create", args=[sailing.pk, "45G1"]) in page


def test_search_respects_the_date_window(client, owner, sailing):
    client.force_login(owner)
    later = (timezone.localdate() + timedelta(days=60)).isoformat()
    response = client.get(
        reverse("shipping:sailing_search"), {"departure_from": later, "equipment": "45G1"}
    )
    assert "0 sailings" in text(response)


def test_search_page_query_count_does_not_grow_with_results(
    client, owner, django_assert_num_queries
):
    for _ in range(5):
        SailingFactory()
    client.force_login(owner)
    client.get(reverse("shipping:sailing_search"))  # the session learns the active organisation
    # session, user, memberships, merchant standing, ports of loading, ports of discharge,
    # offers (with sailing, carrier and ports joined)
    with django_assert_num_queries(7):
        response = client.get(reverse("shipping:sailing_search"), {"equipment": "45G1"})
    assert "5 sailings" in text(response)


def test_a_merchant_not_yet_approved_sees_the_schedule_but_no_book_button(client, sailing):
    newcomer = OrganizationFactory()
    client.force_login(member(newcomer))
    response = client.get(reverse("shipping:sailing_search"))
    assert "Madrid Maersk" in text(response)
    assert "booking opens once the network has approved it" in text(response)
    assert reverse("shipping:booking_create", args=[sailing.pk, "45G1"]) not in text(response)


def test_buyers_cannot_see_shipping_and_anonymous_people_log_in(client, sailing):
    buyer_org = OrganizationFactory(kind=Organization.Kind.BUYER)
    assert client.get(reverse("shipping:sailing_search")).status_code == 302
    client.force_login(member(buyer_org, Role.BUYER))
    assert client.get(reverse("shipping:sailing_search")).status_code == 403


# --- Booking form ------------------------------------------------------------------------------


def test_the_review_shows_price_and_cancellation_terms_before_anything_is_held(
    client, owner, sailing
):
    client.force_login(owner)
    url = reverse("shipping:booking_create", args=[sailing.pk, "45G1"])
    form_page = text(client.get(url))
    assert "Great Lakes Maple Co. LLC" in form_page  # the shipper is filled in
    assert "Cancellation terms" in form_page
    response = client.post(url, FORM)
    page = text(response)
    assert "Review your booking" in page
    assert "USD 1,680.00" in page
    assert "Cancelling is free until" in page
    assert "USD 150.00 per container" in page
    assert "For this booking: USD 300.00" in page
    assert 'name="confirm"' in page
    sailing.refresh_from_db()
    assert sailing.booked_teu == 0
    with scopes_disabled():
        assert not Booking.objects.exists()


def test_confirming_requests_the_booking_and_shows_it(
    client, owner, maple, sailing, carrier_server, django_capture_on_commit_callbacks
):
    carrier_server.config(delay=3600)
    client.force_login(owner)
    url = reverse("shipping:booking_create", args=[sailing.pk, "45G1"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {**FORM, "confirm": "1"}, follow=True)
    with scopes_disabled():
        booking = Booking.objects.get()
    assert response.redirect_chain[-1][0] == reverse(
        "shipping:booking_detail", args=[booking.reference]
    )
    page = text(response)
    assert f"Booking {booking.reference} requested" in page
    assert 'data-status="RECEIVED"' in page
    assert 'hx-trigger="every 2s"' in page  # the page follows the carrier's answer
    assert booking.hs_codes == ["170220", "210690"]
    assert booking.order_references == ["MO-1001", "MO-1002"]
    assert booking.organization == maple


def test_a_form_error_is_shown_next_to_its_field(client, owner, sailing):
    client.force_login(owner)
    url = reverse("shipping:booking_create", args=[sailing.pk, "45G1"])
    page = text(client.post(url, {**FORM, "hs_codes": "17.02", "units": "0"}))
    assert "An HS code has 6 to 10 digits" in page
    assert "Ensure this value is greater than or equal to 1." in page


def test_a_full_sailing_says_so_clearly(client, owner):
    sailing = SailingFactory(capacity_teu=3)
    client.force_login(owner)
    url = reverse("shipping:booking_create", args=[sailing.pk, "45G1"])
    page = text(client.post(url, {**FORM, "confirm": "1"}))
    assert "Not enough space on this sailing: 4 TEU requested, 3 TEU left." in page


def test_a_viewer_cannot_book(client, viewer, sailing):
    client.force_login(viewer)
    url = reverse("shipping:booking_create", args=[sailing.pk, "45G1"])
    assert client.get(url).status_code == 403
    assert client.post(url, {**FORM, "confirm": "1"}).status_code == 403


# --- My bookings and their pages ---------------------------------------------------------------


@pytest.fixture
def booking(maple, owner, sailing):
    return request_booking(maple, sailing, owner, units=2)


def test_my_bookings_lists_the_organisations_bookings_only(
    client, teammate, booking, rival, outsider, sailing, django_assert_num_queries
):
    theirs = request_booking(rival, sailing, outsider, units=1)
    for _ in range(3):
        request_booking(booking.organization, sailing, teammate, units=1)
    client.force_login(teammate)
    client.get(reverse("shipping:booking_list"))  # the session learns the active organisation
    # session, user, memberships, count for the pager, bookings with sailing, carrier and ports
    with django_assert_num_queries(5):
        response = client.get(reverse("shipping:booking_list"))
    page = text(response)
    assert booking.reference in page
    assert theirs.reference not in page
    assert page.count('data-status="RECEIVED"') == 4


def test_the_booking_page_shows_the_timeline(client, viewer, booking):
    booking = put_in_state(booking, "CONFIRMED")
    client.force_login(viewer)
    page = text(client.get(reverse("shipping:booking_detail", args=[booking.reference])))
    assert 'data-status="CONFIRMED"' in page
    assert "requested the space" in page
    assert booking.carrier_booking_reference in page
    assert "Change containers or weight" not in page  # a viewer only looks
    assert "hx-trigger" not in page  # nothing to wait for


@pytest.mark.parametrize(
    "name", ["booking_detail", "booking_amend", "booking_cancel", "booking_withdraw_amendment"]
)
def test_an_outsider_gets_404_for_another_merchants_booking(client, outsider, booking, name):
    client.force_login(outsider)
    url = reverse(f"shipping:{name}", args=[booking.reference])
    assert client.get(url).status_code in (404, 405)
    assert client.post(url, {"units": 1, "gross_weight_kg": 18000}).status_code == 404
    after = reload(booking)
    assert (after.status, after.units) == ("RECEIVED", 2)


def test_the_owner_amends_from_the_page(client, owner, booking, sailing):
    client.force_login(owner)
    url = reverse("shipping:booking_amend", args=[booking.reference])
    assert "The carrier has not confirmed yet" in text(client.get(url))
    response = client.post(url, {"units": 3, "gross_weight_kg": 54000}, follow=True)
    assert "Your change was sent to the carrier." in text(response)
    assert reload(booking).units == 3
    sailing.refresh_from_db()
    assert sailing.booked_teu == 6


def test_the_cancel_page_shows_the_fee_before_cancelling(client, owner, maple):
    sailing = SailingFactory(etd=timezone.now() + timedelta(days=4))
    booking = put_in_state(request_booking(maple, sailing, owner, units=2), "CONFIRMED")
    client.force_login(owner)
    url = reverse("shipping:booking_cancel", args=[booking.reference])
    assert "cancelling now costs USD 300.00" in text(client.get(url))
    response = client.post(url, {"reason": "Order postponed"}, follow=True)
    assert "Cancellation requested" in text(response)
    after = reload(booking)
    assert (after.cancellation_status, str(after.cancellation_fee)) == (
        "CANCELLATION_RECEIVED",
        "300.00",
    )


def test_an_illegal_change_is_explained(client, owner, booking):
    put_in_state(booking, "REJECTED")
    client.force_login(owner)
    response = client.post(
        reverse("shipping:booking_cancel", args=[booking.reference]), follow=True
    )
    assert "it is not possible to cancel it now" in text(response)


def test_a_teammate_withdraws_an_amendment(client, teammate, booking):
    put_in_state(booking, "CONFIRMED", amendment="AMENDMENT_RECEIVED", amended_units=2)
    client.force_login(teammate)
    response = client.post(
        reverse("shipping:booking_withdraw_amendment", args=[booking.reference]), follow=True
    )
    assert "Amendment withdrawn." in text(response)
    assert reload(booking).amendment_status == "AMENDMENT_CANCELLED"


def test_the_panel_fragment_is_what_the_page_polls(client, owner, booking):
    client.force_login(owner)
    url = reverse("shipping:booking_detail", args=[booking.reference])
    fragment = client.get(url, {"fragment": "panel"}).content.decode()
    assert fragment.lstrip().startswith('<div id="booking-panel"')
    assert "<html" not in fragment


# --- Operators ---------------------------------------------------------------------------------


def test_operators_see_utilisation_as_an_svg_chart(client, operator, booking, sailing):
    sign_in(client, operator)
    response = client.get(reverse("shipping:operations"))
    page = text(response)
    assert "<svg" in page
    assert "4 / 100 TEU · 4%" in page
    assert 'class="booked"' in page
    detail = text(client.get(reverse("shipping:operations_sailing", args=[sailing.pk])))
    assert booking.reference in detail
    assert "Great Lakes Maple Co." in detail


def test_operations_query_count_does_not_grow(client, operator, django_assert_num_queries):
    for _ in range(4):
        SailingFactory()
    sign_in(client, operator)
    client.get(reverse("shipping:operations"))  # the session learns the active organisation
    # session, user, memberships, second factor, sailings with live bookings counted
    with django_assert_num_queries(5):
        client.get(reverse("shipping:operations"))


def test_merchants_cannot_reach_operator_pages(client, owner, sailing):
    client.force_login(owner)
    for url in (
        reverse("shipping:operations"),
        reverse("shipping:operations_carriers"),
        reverse("shipping:operations_sailing", args=[sailing.pk]),
        reverse("shipping:operations_sailing_new"),
    ):
        assert client.get(url).status_code == 403


def test_an_operator_manages_carriers(client, operator):
    sign_in(client, operator)
    response = client.post(
        reverse("shipping:operations_carrier_new"),
        {
            "scac": "CMDU",
            "name": "CMA CGM",
            "adapter": "cma_cgm",
            "service_contract_reference": "GUMN-CMDU-1",
            "free_cancellation_days": "10",
            "cancellation_fee_per_container": "175.00",
            "tracking_url_template": "https://www.cma-cgm.com/tracking?Reference={number}",
            "is_active": "on",
        },
        follow=True,
    )
    assert "Carrier CMA CGM (CMDU) saved." in text(response)
    carrier = Carrier.objects.get(scac="CMDU")
    assert carrier.free_cancellation_days == 10
    assert len(carrier.notification_secret) >= 32
    assert carrier.tracking_url_template == "https://www.cma-cgm.com/tracking?Reference={number}"
    bad = client.post(
        reverse("shipping:operations_carrier_new"),
        {"scac": "cma", "name": "X", "tracking_url_template": "http://example.com/track"},
    )
    assert "A SCAC is two to four capital letters" in text(bad)
    assert "Give the https address of the carrier&#x27;s tracking page with {number}" in text(bad)


def test_an_operator_publishes_a_sailing_with_prices(client, operator, sailing):
    sign_in(client, operator)
    etd = timezone.localtime() + timedelta(days=30)
    fmt = "%Y-%m-%dT%H:%M"
    form = {
        "carrier": sailing.carrier_id,
        "service_code": "TP6",
        "vessel_name": "Gerd Maersk",
        "vessel_imo": "9302877",
        "voyage_number": "2612W",
        "port_of_loading": sailing.port_of_loading_id,
        "port_of_discharge": sailing.port_of_discharge_id,
        "etd": etd.strftime(fmt),
        "eta": (etd + timedelta(days=16)).strftime(fmt),
        "documentation_cutoff": (etd - timedelta(days=3)).strftime(fmt),
        "cargo_cutoff": (etd - timedelta(days=2)).strftime(fmt),
        "capacity_teu": "150",
        "capacity_weight_kg": "2100000",
        "booking_opens_at": timezone.localtime().strftime(fmt),
        "booking_closes_at": (etd - timedelta(days=3)).strftime(fmt),
        "is_published": "on",
        "price_45G1": "850.00",
        "forwarder_45G1": "1250.00",
        "price_22G1": "600.00",
    }
    response = client.post(reverse("shipping:operations_sailing_new"), form, follow=True)
    page = text(response)
    assert "Give both prices, or neither." in page
    assert not Sailing.objects.filter(voyage_number="2612W").exists()
    form["forwarder_22G1"] = "900.00"
    response = client.post(reverse("shipping:operations_sailing_new"), form, follow=True)
    created = Sailing.objects.get(voyage_number="2612W")
    assert "Sailing Gerd Maersk 2612W USLAX→CNNGB saved." in text(response)
    assert sorted(created.rates.values_list("equipment_code", flat=True)) == ["22G1", "45G1"]
    assert created.capacity_teu == 150


def test_an_operator_cannot_cut_an_allocation_below_bookings(client, operator, booking, sailing):
    sign_in(client, operator)
    url = reverse("shipping:operations_sailing_edit", args=[sailing.pk])
    page = text(client.get(url))
    assert 'value="840.00"' in page
    response = client.post(
        url,
        {
            **{
                field: (getattr(sailing, field).strftime("%Y-%m-%dT%H:%M"))
                for field in (
                    "etd",
                    "eta",
                    "documentation_cutoff",
                    "cargo_cutoff",
                    "booking_opens_at",
                    "booking_closes_at",
                )
            },
            "carrier": sailing.carrier_id,
            "service_code": sailing.service_code,
            "vessel_name": sailing.vessel_name,
            "vessel_imo": sailing.vessel_imo,
            "voyage_number": sailing.voyage_number,
            "port_of_loading": sailing.port_of_loading_id,
            "port_of_discharge": sailing.port_of_discharge_id,
            "capacity_teu": "3",
            "capacity_weight_kg": sailing.capacity_weight_kg,
            "is_published": "on",
            "price_45G1": "900.00",
            "forwarder_45G1": "1300.00",
        },
    )
    assert "4 TEU are already booked" in text(response)
    sailing.refresh_from_db()
    assert sailing.capacity_teu == 100
