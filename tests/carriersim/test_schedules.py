"""Commercial Schedules 1.0.3: weekly point-to-point routes with cut-offs, the same for the same
seed, paginated with Next-Page-Cursor, and changed through the control API."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.carriersim.standards import SCHEDULES, needs_standards, schema_errors

LANE = {
    "placeOfReceipt": "USLAX",
    "placeOfDelivery": "CNSHA",
    "departureStartDate": "2030-01-01",
    "departureEndDate": "2030-03-31",
}


def _routes(api, **params) -> list[dict]:
    response = api.call("GET", "/v1/point-to-point-routes", params=LANE | params)
    assert response.status_code == 200, response.text
    return response.json()


def _departure(route: dict) -> datetime:
    return datetime.fromisoformat(route["legs"][0]["departure"]["dateTime"])


def _voyage(route: dict) -> str:
    return route["legs"][0]["transport"]["servicePartners"][0]["carrierExportVoyageNumber"]


@needs_standards
def test_routes_are_weekly_sailings_with_cut_offs(maersk):
    routes = _routes(maersk)
    assert len(routes) == 13
    for route in routes:
        assert schema_errors(SCHEDULES, "PointToPoint", route) == []
        cut_offs = {
            cut["cutOffDateTimeCode"]: cut["cutOffDateTime"] for cut in route["cutOffTimes"]
        }
        assert set(cut_offs) == {"DCO", "VCO", "FCO"}
        assert all(datetime.fromisoformat(when) < _departure(route) for when in cut_offs.values())
        leg = route["legs"][0]
        assert leg["departure"]["location"]["UNLocationCode"] == "USLAX"
        assert leg["arrival"]["location"]["UNLocationCode"] == "CNSHA"
        assert leg["transport"]["vessel"]["vesselIMONumber"]
    departures = [_departure(route) for route in routes]
    assert all(
        b - a == timedelta(weeks=1) for a, b in zip(departures, departures[1:], strict=False)
    )
    assert len({_voyage(route) for route in routes}) == 13


def test_routes_are_the_same_on_every_call(maersk, carrier_server):
    first = _routes(maersk)
    carrier_server.reset()
    maersk.token = maersk.fetch_token()
    assert _routes(maersk) == first


def test_routes_come_in_pages_linked_by_the_next_page_cursor(maersk):
    everything = _routes(maersk)
    pages, cursor = [], None
    while True:
        params = LANE | {"limit": 5} | ({"cursor": cursor} if cursor else {})
        response = maersk.call("GET", "/v1/point-to-point-routes", params=params)
        pages.append(response.json())
        cursor = response.headers.get("Next-Page-Cursor")
        if not cursor:
            break
    assert [len(page) for page in pages] == [5, 5, 3]
    assert [route for page in pages for route in page] == everything


def test_a_bad_query_is_refused(maersk):
    assert maersk.call("GET", "/v1/point-to-point-routes").status_code == 400
    bad_cursor = maersk.call("GET", "/v1/point-to-point-routes", params=LANE | {"cursor": "x"})
    assert bad_cursor.status_code == 400
    bad_limit = maersk.call("GET", "/v1/point-to-point-routes", params=LANE | {"limit": 0})
    assert bad_limit.status_code == 400


def test_a_voyage_can_be_delayed_or_omitted(maersk, carrier_server):
    routes = _routes(maersk)
    delayed, omitted = _voyage(routes[2]), _voyage(routes[4])
    carrier_server.change_schedule(scac="MAEU", voyage=delayed, etd_shift_hours=30)
    carrier_server.change_schedule(scac="MAEU", omit_voyage=omitted)
    changed = {_voyage(route): route for route in _routes(maersk)}
    assert omitted not in changed
    assert _departure(changed[delayed]) - _departure(routes[2]) == timedelta(hours=30)
    assert len(changed) == 12
