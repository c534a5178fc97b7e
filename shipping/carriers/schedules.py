"""A carrier's published sailings, read from its DCSA Commercial Schedules 1.0.3 API
(``GET /v1/point-to-point-routes``) for one lane, and parsed into plain values.

Which routes become sailings — the leg data decides, not a filter asked of the carrier:

- every leg is a vessel leg (``transport.modeOfTransport`` VESSEL) — a route with road, rail or
  barge legs is not a port-to-port sailing;
- every leg is carried by the same vessel (IMO number) on the same export voyage — a change of
  vessel or voyage between legs is a transhipment, and such a route is left out (the network
  sells space on one vessel voyage, port to port);
- the first leg departs from the lane's port of loading and the last arrives at its port of
  discharge (UN/LOCODEs).

Several legs of the same vessel voyage (a carrier splitting the voyage at its calls) make one
sailing: the departure of the first leg, the arrival of the last. Cut-offs are read from the
route's ``cutOffTimes`` and, where the route gives none of a kind, from the first leg's:
``DCO`` documentation, ``VCO`` VGM, ``FCO`` cargo (``PCO``, the port cut-off, when no ``FCO``
is given). A route without a documentation or cargo cut-off is left out: booking closes at the
documentation cut-off, so it could not be sold."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError

from shipping.carriers.http import CarrierApi, CarrierClient, client_for
from shipping.errors import CarrierUnavailable
from shipping.validators import validate_imo_number

if TYPE_CHECKING:
    from shipping.models import Carrier

ROUTES_PATH = "/v1/point-to-point-routes"
PAGE_SIZE = 100
# A carrier whose cursors never end is cut off here rather than read forever.
MAX_PAGES = 50


@dataclass(frozen=True)
class PublishedSailing:
    """One direct vessel voyage from a port of loading to a port of discharge, as a carrier's
    schedule publishes it."""

    vessel_imo: str
    vessel_name: str
    service_code: str
    voyage_number: str
    port_of_loading: str
    port_of_discharge: str
    etd: datetime
    eta: datetime
    documentation_cutoff: datetime
    cargo_cutoff: datetime
    vgm_cutoff: datetime | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        """What identifies the sailing at its carrier: vessel, voyage and port of loading."""
        return (self.vessel_imo, self.voyage_number, self.port_of_loading)


@dataclass
class LaneSchedule:
    """The sailings read for one lane, and the routes left out with the reason why."""

    sailings: list[PublishedSailing] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)


class NotASailing(ValueError):
    """A route that does not make one of the network's sailings (the message says why)."""


# --- Parsing -----------------------------------------------------------------------------------


def _datetime(value: Any, what: str) -> datetime:
    if not isinstance(value, str):
        raise NotASailing(f"{what} is missing")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise NotASailing(f"{what} {value!r} is not a date-time") from error
    if moment.tzinfo is None:
        raise NotASailing(f"{what} {value!r} has no UTC offset")
    return moment


def _un_locode(place: Any) -> str:
    location = place.get("location") if isinstance(place, dict) else None
    code = location.get("UNLocationCode") if isinstance(location, dict) else None
    return code if isinstance(code, str) else ""


def _cutoffs(entries: Any) -> dict[str, datetime]:
    found: dict[str, datetime] = {}
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        code = entry.get("cutOffDateTimeCode")
        if isinstance(code, str) and code not in found:
            found[code] = _datetime(entry.get("cutOffDateTime"), f"cut-off {code}")
    return found


def _voyage(transport: dict, scac: str) -> tuple[str, str]:
    """(service code, export voyage number) as ``scac`` names them: its own service partner
    entry, else the first one, else the universal references."""
    partners = [p for p in transport.get("servicePartners") or [] if isinstance(p, dict)]
    own = [p for p in partners if p.get("carrierCode") == scac]
    partner = (own or partners or [{}])[0]
    service = partner.get("carrierServiceCode") or transport.get("universalServiceReference")
    voyage = partner.get("carrierExportVoyageNumber") or transport.get(
        "universalExportVoyageReference"
    )
    return str(service or ""), str(voyage or "")


def parse_route(
    route: Any, *, scac: str, port_of_loading: str, port_of_discharge: str
) -> PublishedSailing:
    """The sailing a ``PointToPoint`` route describes, or ``NotASailing`` with the reason."""
    if not isinstance(route, dict):
        raise NotASailing("the route is not an object")
    legs = route.get("legs")
    if not isinstance(legs, list) or not legs or not all(isinstance(leg, dict) for leg in legs):
        raise NotASailing("the route has no legs")
    legs = sorted(legs, key=lambda leg: leg.get("sequenceNumber") or 0)
    voyages = set()
    for leg in legs:
        transport = leg.get("transport")
        if not isinstance(transport, dict) or transport.get("modeOfTransport") != "VESSEL":
            raise NotASailing("a leg is not carried by a vessel")
        vessel = transport.get("vessel")
        if not isinstance(vessel, dict):
            vessel = {}
        voyages.add((vessel.get("vesselIMONumber") or "", _voyage(transport, scac)[1]))
    if len(voyages) > 1:
        raise NotASailing("the route is transhipped (a change of vessel or voyage)")
    first, last = legs[0], legs[-1]
    loading, discharge = _un_locode(first.get("departure")), _un_locode(last.get("arrival"))
    if (loading, discharge) != (port_of_loading, port_of_discharge):
        raise NotASailing(
            f"the route runs {loading or '?'}→{discharge or '?'}, "
            f"not {port_of_loading}→{port_of_discharge}"
        )
    transport = first["transport"]
    vessel = transport.get("vessel") or {}
    imo = str(vessel.get("vesselIMONumber") or "")
    try:
        validate_imo_number(imo)
    except ValidationError as error:
        raise NotASailing(f"vessel IMO number {imo!r} is not valid") from error
    service_code, voyage_number = _voyage(transport, scac)
    if not voyage_number:
        raise NotASailing("the route names no export voyage")
    etd = _datetime((first.get("departure") or {}).get("dateTime"), "departure")
    eta = _datetime((last.get("arrival") or {}).get("dateTime"), "arrival")
    cutoffs = {**_cutoffs(first.get("cutOffTimes")), **_cutoffs(route.get("cutOffTimes"))}
    documentation = cutoffs.get("DCO")
    cargo = cutoffs.get("FCO") or cutoffs.get("PCO")
    if documentation is None or cargo is None:
        raise NotASailing("the route gives no documentation or cargo cut-off")
    return PublishedSailing(
        vessel_imo=imo,
        vessel_name=str(vessel.get("name") or imo)[:50],
        service_code=service_code[:11],
        voyage_number=voyage_number[:20],
        port_of_loading=loading,
        port_of_discharge=discharge,
        etd=etd,
        eta=eta,
        documentation_cutoff=documentation,
        cargo_cutoff=cargo,
        vgm_cutoff=cutoffs.get("VCO"),
    )


def parse_routes(
    routes: list, *, scac: str, port_of_loading: str, port_of_discharge: str
) -> LaneSchedule:
    """The sailings among ``routes``; a voyage given by several routes (solutions) is kept
    once, as first given."""
    schedule = LaneSchedule()
    seen = set()
    for index, route in enumerate(routes):
        try:
            sailing = parse_route(
                route,
                scac=scac,
                port_of_loading=port_of_loading,
                port_of_discharge=port_of_discharge,
            )
        except NotASailing as reason:
            schedule.left_out.append(f"route {index + 1}: {reason}")
            continue
        if sailing.key not in seen:
            seen.add(sailing.key)
            schedule.sailings.append(sailing)
    return schedule


# --- Fetching ----------------------------------------------------------------------------------


def _header(headers: dict[str, str], name: str) -> str:
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), "")


def point_to_point_routes(
    client: CarrierClient,
    *,
    place_of_receipt: str,
    place_of_delivery: str,
    departure_from: date,
    departure_to: date,
    page_size: int = PAGE_SIZE,
) -> list:
    """Every ``PointToPoint`` route the carrier publishes between the two places for departures
    in the window (both days included), following ``Next-Page-Cursor`` page by page with the
    same filters. Raises ``CarrierUnavailable``/``CarrierRefused`` as the client does, and
    ``CarrierUnavailable`` for a body that is not a list of routes or cursors without end."""
    params: dict[str, Any] = {
        "placeOfReceipt": place_of_receipt,
        "placeOfDelivery": place_of_delivery,
        "departureStartDate": departure_from.isoformat(),
        "departureEndDate": departure_to.isoformat(),
        "limit": page_size,
    }
    routes: list = []
    cursors: set[str] = set()
    scac = client.connection.scac
    for _page in range(MAX_PAGES):
        response = client.request("GET", ROUTES_PATH, api=CarrierApi.SCHEDULES, params=params)
        if not isinstance(response.body, list):
            raise CarrierUnavailable(f"{scac}: {ROUTES_PATH} did not answer a list of routes")
        routes.extend(response.body)
        cursor = _header(response.headers, "Next-Page-Cursor")
        if not cursor:
            return routes
        if cursor in cursors:
            raise CarrierUnavailable(f"{scac}: {ROUTES_PATH} sent the same page cursor twice")
        cursors.add(cursor)
        params = {**params, "cursor": cursor}
    raise CarrierUnavailable(f"{scac}: {ROUTES_PATH} had more than {MAX_PAGES} pages")


def lane_schedule(
    carrier: Carrier | str,
    *,
    port_of_loading: str,
    port_of_discharge: str,
    departure_from: date,
    departure_to: date,
    client: CarrierClient | None = None,
) -> LaneSchedule:
    """The sailings ``carrier`` publishes from ``port_of_loading`` to ``port_of_discharge``
    (UN/LOCODEs) departing in the window."""
    client = client or client_for(carrier)
    routes = point_to_point_routes(
        client,
        place_of_receipt=port_of_loading,
        place_of_delivery=port_of_discharge,
        departure_from=departure_from,
        departure_to=departure_to,
    )
    return parse_routes(
        routes,
        scac=client.connection.scac,
        port_of_loading=port_of_loading,
        port_of_discharge=port_of_discharge,
    )
