"""Reading a carrier's published point-to-point routes: which become sailings, and with what."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shipping.carriers.schedules import NotASailing, parse_route, parse_routes
from tests.shipping.schedule_bodies import (
    cutoffs,
    direct_route,
    needs_spec,
    place,
    route_errors,
    vessel_leg,
)

LANE = {"scac": "MAEU", "port_of_loading": "USLAX", "port_of_discharge": "CNNGB"}


def transhipped_route() -> dict:
    """Los Angeles to Ningbo by way of Busan, changing vessel there."""
    return {
        "placeOfReceipt": place("USLAX", "2027-01-13T18:00:00-08:00"),
        "placeOfDelivery": place("CNNGB", "2027-02-02T06:00:00+08:00"),
        "cutOffTimes": cutoffs("2027-01-10T12:00:00-08:00", "2027-01-12T12:00:00-08:00"),
        "legs": [
            vessel_leg("USLAX", "KRPUS", "2027-01-13T18:00:00-08:00", "2027-01-27T06:00:00+09:00"),
            vessel_leg(
                "KRPUS",
                "CNNGB",
                "2027-01-29T18:00:00+09:00",
                "2027-02-02T06:00:00+08:00",
                imo="9456783",
                name="Maersk Essen",
                voyage="705S",
                sequence=2,
            ),
        ],
    }


@needs_spec
def test_the_bodies_used_here_are_valid_point_to_point_routes():
    assert route_errors(direct_route()) == []
    assert route_errors(transhipped_route()) == []


def test_a_direct_route_becomes_a_sailing_with_its_vessel_voyage_dates_and_cutoffs():
    sailing = parse_route(direct_route(), **LANE)
    assert (sailing.vessel_imo, sailing.vessel_name) == ("9778791", "Madrid Maersk")
    assert (sailing.service_code, sailing.voyage_number) == ("TP6", "612W")
    assert (sailing.port_of_loading, sailing.port_of_discharge) == ("USLAX", "CNNGB")
    assert sailing.etd == datetime(2027, 1, 14, 2, 0, tzinfo=UTC)
    assert sailing.eta == datetime(2027, 1, 29, 22, 0, tzinfo=UTC)
    assert sailing.documentation_cutoff == datetime(2027, 1, 10, 20, 0, tzinfo=UTC)
    assert sailing.cargo_cutoff == datetime(2027, 1, 12, 20, 0, tzinfo=UTC)
    assert sailing.vgm_cutoff == datetime(2027, 1, 11, 20, 0, tzinfo=UTC)


def test_a_transhipment_is_left_out_because_the_vessel_changes_between_legs():
    with pytest.raises(NotASailing, match="transhipped"):
        parse_route(transhipped_route(), **LANE)


def test_legs_of_one_vessel_voyage_make_one_sailing_from_first_departure_to_last_arrival():
    route = transhipped_route()
    route["legs"][1] = vessel_leg(
        "KRPUS", "CNNGB", "2027-01-28T18:00:00+09:00", "2027-02-01T06:00:00+08:00", sequence=2
    )
    sailing = parse_route(route, **LANE)
    assert sailing.voyage_number == "612W"
    assert sailing.etd == datetime(2027, 1, 14, 2, 0, tzinfo=UTC)
    assert sailing.eta == datetime(2027, 1, 31, 22, 0, tzinfo=UTC)


def test_a_route_with_an_inland_leg_is_not_a_port_to_port_sailing():
    route = direct_route()
    route["legs"].insert(
        0,
        {
            "sequenceNumber": 0,
            "transport": {"modeOfTransport": "RAIL"},
            "departure": place("USDET", "2027-01-08T08:00:00-05:00"),
            "arrival": place("USLAX", "2027-01-11T08:00:00-08:00"),
        },
    )
    with pytest.raises(NotASailing, match="not carried by a vessel"):
        parse_route(route, **LANE)


def test_a_route_between_other_ports_is_left_out():
    with pytest.raises(NotASailing, match="USLGB→CNNGB"):
        parse_route(direct_route("USLGB", "CNNGB"), **LANE)


def test_the_voyage_is_read_from_the_carriers_own_service_partner_entry():
    route = direct_route()
    partners = route["legs"][0]["transport"]["servicePartners"]
    partners.insert(
        0, {**partners[0], "carrierCode": "CMDU", "carrierExportVoyageNumber": "0MA3RW1"}
    )
    assert parse_route(route, **LANE).voyage_number == "612W"


def test_the_cargo_cutoff_falls_back_to_the_port_cutoff_and_a_route_without_one_is_left_out():
    route = direct_route(vgm=None)
    route["cutOffTimes"][1]["cutOffDateTimeCode"] = "PCO"
    assert parse_route(route, **LANE).cargo_cutoff == datetime(2027, 1, 12, 20, tzinfo=UTC)
    del route["cutOffTimes"][1]
    with pytest.raises(NotASailing, match="cut-off"):
        parse_route(route, **LANE)


def test_leg_cutoffs_count_where_the_route_gives_none():
    route = direct_route()
    route["legs"][0]["cutOffTimes"] = route.pop("cutOffTimes")
    assert parse_route(route, **LANE).documentation_cutoff == datetime(2027, 1, 10, 20, tzinfo=UTC)


def test_an_invalid_imo_number_or_date_leaves_the_route_out_with_the_reason():
    with pytest.raises(NotASailing, match="IMO"):
        parse_route(direct_route(imo="9778792"), **LANE)
    with pytest.raises(NotASailing, match="date-time"):
        parse_route(direct_route(departs="next Tuesday"), **LANE)


def test_a_page_of_routes_keeps_each_voyage_once_and_says_what_it_left_out():
    schedule = parse_routes(
        [direct_route(), {**direct_route(), "solutionNumber": 2}, transhipped_route(), "x"],
        **LANE,
    )
    assert [s.voyage_number for s in schedule.sailings] == ["612W"]
    assert len(schedule.left_out) == 2
    assert "route 3: the route is transhipped" in schedule.left_out[0]
