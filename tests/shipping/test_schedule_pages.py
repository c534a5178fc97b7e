"""Operators' part of schedule sailings: allocation and prices only, lanes, pulling schedules
now; and the badges of moved and omitted sailings."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from network.models import AuditEvent, Role
from shipping.models import Lane, Sailing
from tests.factories import member, sign_in
from tests.shipping.factories import PortFactory, SailingFactory

pytestmark = pytest.mark.django_db

FMT = "%Y-%m-%dT%H:%M"


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def scheduled(db):
    """A sailing from a carrier's schedule, not yet opened by the operators."""
    return SailingFactory(
        source=Sailing.Source.SCHEDULE,
        capacity_teu=0,
        capacity_weight_kg=0,
        is_published=False,
        rates=[],
    )


def _form(sailing, **overrides) -> dict:
    return {
        "carrier": sailing.carrier_id,
        "service_code": "XXX",
        "vessel_name": "Somebody Else",
        "vessel_imo": "9302877",
        "voyage_number": "999X",
        "port_of_loading": sailing.port_of_loading_id,
        "port_of_discharge": sailing.port_of_discharge_id,
        "etd": (sailing.etd + timedelta(days=5)).strftime(FMT),
        "eta": (sailing.eta + timedelta(days=5)).strftime(FMT),
        "documentation_cutoff": (sailing.documentation_cutoff + timedelta(days=5)).strftime(FMT),
        "cargo_cutoff": (sailing.cargo_cutoff + timedelta(days=5)).strftime(FMT),
        "capacity_teu": "120",
        "capacity_weight_kg": "1800000",
        "booking_opens_at": timezone.localtime().strftime(FMT),
        "booking_closes_at": (sailing.documentation_cutoff - timedelta(hours=2)).strftime(FMT),
        "is_published": "on",
        "price_45G1": "850.00",
        "forwarder_45G1": "1250.00",
        **overrides,
    }


def test_the_form_of_a_schedule_sailing_shows_the_carriers_part_read_only(
    client, operator, scheduled
):
    sign_in(client, operator)
    page = text(client.get(reverse("shipping:operations_sailing_edit", args=[scheduled.pk])))
    assert "Vessel, voyage, dates and cut-offs come from the carrier" in page
    assert scheduled.vessel_imo in page  # in the summary
    assert 'name="etd"' not in page and 'name="vessel_imo"' not in page
    assert 'name="capacity_teu"' in page and 'name="booking_closes_at"' in page
    assert 'name="is_published"' in page and 'name="price_45G1"' in page


def test_an_operator_sets_allocation_window_and_prices_but_never_the_schedule(
    client, operator, scheduled
):
    sign_in(client, operator)
    before = Sailing.objects.values().get(pk=scheduled.pk)
    response = client.post(
        reverse("shipping:operations_sailing_edit", args=[scheduled.pk]),
        _form(scheduled),
        follow=True,
    )
    assert "saved." in text(response)
    sailing = Sailing.objects.get(pk=scheduled.pk)
    assert (sailing.capacity_teu, sailing.capacity_weight_kg, sailing.is_published) == (
        120,
        1_800_000,
        True,
    )
    assert sailing.booking_closes_at < before["documentation_cutoff"]
    assert [(r.equipment_code, str(r.price)) for r in sailing.rates.all()] == [("45G1", "850.00")]
    for field in ("etd", "eta", "documentation_cutoff", "cargo_cutoff", "vessel_imo"):
        assert getattr(sailing, field) == before[field], field
    assert (sailing.voyage_number, sailing.vessel_name, sailing.source) == (
        before["voyage_number"],
        before["vessel_name"],
        "schedule",
    )


def test_booking_cannot_close_after_the_carriers_documentation_cutoff(client, operator, scheduled):
    sign_in(client, operator)
    late = (scheduled.documentation_cutoff + timedelta(hours=5)).strftime(FMT)
    response = client.post(
        reverse("shipping:operations_sailing_edit", args=[scheduled.pk]),
        _form(scheduled, booking_closes_at=late),
    )
    assert "Booking must close by the documentation cut-off." in text(response)
    assert Sailing.objects.get(pk=scheduled.pk).capacity_teu == 0


def test_a_manual_sailing_keeps_every_field_editable(client, operator, sailing):
    sign_in(client, operator)
    page = text(client.get(reverse("shipping:operations_sailing_edit", args=[sailing.pk])))
    assert 'name="etd"' in page and 'name="vessel_imo"' in page
    assert "published schedule" not in page


def test_an_operator_adds_and_switches_off_a_lane(client, operator):
    PortFactory(un_locode="USLAX")
    PortFactory(un_locode="CNSHA", name="Shanghai", time_zone="Asia/Shanghai")
    sign_in(client, operator)
    url = reverse("shipping:operations_lanes")
    loading, discharge = PortFactory(un_locode="USLAX"), PortFactory(un_locode="CNSHA")
    response = client.post(
        url, {"port_of_loading": loading.pk, "port_of_discharge": discharge.pk}, follow=True
    )
    assert "Lane USLAX→CNSHA added." in text(response)
    lane = Lane.objects.get()
    assert lane.is_active
    again = client.post(url, {"port_of_loading": loading.pk, "port_of_discharge": discharge.pk})
    assert "already exists" in text(again)
    assert Lane.objects.count() == 1
    # Only US ports load, and they do not discharge.
    wrong = client.post(url, {"port_of_loading": discharge.pk, "port_of_discharge": loading.pk})
    assert "Select a valid choice." in text(wrong)
    response = client.post(reverse("shipping:operations_lane_toggle", args=[lane.pk]), follow=True)
    assert "Lane USLAX→CNSHA switched off." in text(response)
    assert not Lane.objects.get().is_active
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="lane.updated").count() == 1


def test_a_viewer_sees_lanes_but_changes_nothing_and_merchants_are_refused(client, operator, owner):
    lane = Lane.objects.create(
        port_of_loading=PortFactory(un_locode="USLAX"),
        port_of_discharge=PortFactory(un_locode="CNNGB", name="Ningbo"),
    )
    viewer = member(operator.memberships.get().organization, Role.VIEWER, full_name="Val Viewer")
    sign_in(client, viewer)
    page = text(client.get(reverse("shipping:operations_lanes")))
    assert "USLAX" in page and "Pull schedules now" not in page
    assert (
        client.post(reverse("shipping:operations_lane_toggle", args=[lane.pk])).status_code == 403
    )
    assert Lane.objects.get().is_active
    assert client.post(reverse("shipping:operations_schedules_pull")).status_code == 403
    client.force_login(owner)
    assert client.get(reverse("shipping:operations_lanes")).status_code == 403


def test_pull_now_with_no_carrier_connected_says_so_and_changes_nothing(client, operator):
    sign_in(client, operator)
    response = client.post(reverse("shipping:operations_schedules_pull"), follow=True)
    assert "published schedules are being pulled" in text(response)
    assert not Sailing.objects.exists()


def test_lists_show_moved_and_omitted_badges_in_english_and_chinese(client, operator):
    moved = SailingFactory(etd_changed_from=timezone.now() + timedelta(days=19))
    SailingFactory(is_omitted=True)
    sign_in(client, operator)
    page = text(client.get(reverse("shipping:operations")))
    assert page.count('data-schedule="moved"') == 1
    assert page.count('data-schedule="omitted"') == 1
    assert "Departure moved from" in page and "Call omitted" in page
    operator.language = "zh-hans"
    operator.save(update_fields=["language"])
    page = text(client.get(reverse("shipping:operations_sailing", args=[moved.pk])))
    assert "出发时间已由" in page


def test_an_omitted_sailing_is_not_offered_to_merchants(client, owner):
    SailingFactory(is_omitted=True)
    shown = SailingFactory(etd_changed_from=timezone.now() + timedelta(days=19))
    client.force_login(owner)
    page = text(client.get(reverse("shipping:sailing_search"), {"equipment": "45G1"}))
    assert "1 sailing" in page
    assert f'data-sailing="{shown.pk}"' in page and 'data-schedule="moved"' in page
    with scopes_disabled():
        assert Sailing.objects.count() == 2


def test_the_lanes_page_query_count_does_not_grow_with_lanes(
    client, operator, django_assert_num_queries
):
    ports = [PortFactory(un_locode=code) for code in ("USLAX", "USLGB", "USOAK")]
    abroad = [PortFactory(un_locode=code) for code in ("CNNGB", "CNSHA")]
    sign_in(client, operator)
    url = reverse("shipping:operations_lanes")
    client.get(url)  # the session learns the active organisation
    Lane.objects.create(port_of_loading=ports[0], port_of_discharge=abroad[0])
    # session, user, memberships, second factor, lanes with their ports, ports of loading and
    # of discharge for the form's choices, carriers with their sailing counts
    with django_assert_num_queries(8) as first:
        client.get(url)
    for loading in ports[1:]:
        for discharge in abroad:
            Lane.objects.create(port_of_loading=loading, port_of_discharge=discharge)
    with django_assert_num_queries(len(first.captured_queries)):
        page = text(client.get(url))
    assert page.count("data-lane=") == 5


def test_the_demo_seeds_the_lanes_of_its_services_once(no_scopes):
    from shipping import demo

    demo.seed()
    summary = demo.seed()
    lanes = {
        str(lane) for lane in Lane.objects.select_related("port_of_loading", "port_of_discharge")
    }
    assert lanes == {
        "USLAX→CNNGB",
        "USLGB→CNSHA",
        "USOAK→CNYTN",
        "USSAV→CNNGB",
        "USSEA→CNSHA",
        "USNYC→CNYTN",
    }
    assert summary["lanes"] == 6
    assert Lane.objects.filter(is_active=True).count() == 6
