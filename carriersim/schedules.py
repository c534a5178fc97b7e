"""Commercial Schedules 1.0.3: weekly point-to-point routes for any pair of ports, the same for
the same seed, with vessels, voyages, ETD/ETA and cut-off times."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

# Container ships the simulated carriers deploy (names as registered; IMO numbers with a valid
# check digit, as the network validates them).
VESSELS = [
    ("Maersk Elba", "9456771"),
    ("Maersk Essen", "9456783"),
    ("Gerd Maersk", "9632179"),
    ("Ebba Maersk", "9321495"),
    ("CMA CGM Marco Polo", "9454436"),
    ("CMA CGM Jacques Saade", "9839131"),
    ("CMA CGM Alexander von Humboldt", "9454448"),
    ("CMA CGM Tage", "9454412"),
]

# Cut-offs before departure: documentation, verified gross mass, full container delivery.
CUT_OFFS = (("DCO", timedelta(days=4)), ("VCO", timedelta(days=3)), ("FCO", timedelta(days=2)))

DEFAULT_WEEKS = 6
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


def imo_check_digit(first_six: str) -> int:
    return sum(int(digit) * (7 - position) for position, digit in enumerate(first_six)) % 10


def _digest(*parts: object) -> int:
    return int(hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:12], 16)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Sailing:
    scac: str
    service_code: str
    voyage: str
    vessel_name: str
    vessel_imo: str
    port_of_loading: str
    port_of_discharge: str
    etd: datetime
    eta: datetime
    shifted_from: datetime | None = None

    def cut_offs(self) -> list[dict]:
        return [
            {"cutOffDateTimeCode": code, "cutOffDateTime": iso(self.etd - before)}
            for code, before in CUT_OFFS
        ]

    def point_to_point(self) -> dict:
        """The sailing as a DCSA ``PointToPoint`` route with one vessel leg."""
        departure = {
            "facilityTypeCode": "POTE",
            "location": {"UNLocationCode": self.port_of_loading},
            "dateTime": iso(self.etd),
        }
        arrival = {
            "facilityTypeCode": "POTE",
            "location": {"UNLocationCode": self.port_of_discharge},
            "dateTime": iso(self.eta),
        }
        return {
            "placeOfReceipt": dict(departure, facilityTypeCode="POTE"),
            "placeOfDelivery": dict(arrival, facilityTypeCode="POTE"),
            "receiptTypeAtOrigin": "CY",
            "deliveryTypeAtDestination": "CY",
            "cutOffTimes": self.cut_offs(),
            "transitTime": max((self.eta - self.etd).days, 1),
            "legs": [
                {
                    "sequenceNumber": 1,
                    "transport": {
                        "modeOfTransport": "VESSEL",
                        "vessel": {"vesselIMONumber": self.vessel_imo, "name": self.vessel_name},
                        "servicePartners": [
                            {
                                "carrierCode": self.scac,
                                "carrierCodeListProvider": "NMFTA",
                                "carrierServiceCode": self.service_code,
                                "carrierExportVoyageNumber": self.voyage,
                                "carrierImportVoyageNumber": self.voyage,
                            }
                        ],
                    },
                    "departure": departure,
                    "arrival": arrival,
                }
            ],
        }


class ScheduleBook:
    """Weekly sailings per carrier and lane, derived from the seed; ETD shifts and omitted
    voyages set through the control API apply on top."""

    def __init__(self, seed: str) -> None:
        self.seed = seed
        self.etd_shifts: dict[tuple[str, str], float] = {}
        self.omitted: set[tuple[str, str]] = set()

    def reset(self) -> None:
        self.etd_shifts.clear()
        self.omitted.clear()

    def shift(self, scac: str, voyage: str, hours: float) -> None:
        self.etd_shifts[(scac, voyage)] = hours

    def omit(self, scac: str, voyage: str) -> None:
        self.omitted.add((scac, voyage))

    def sailings(self, scac: str, origin: str, destination: str, start: date, end: date):
        """Every sailing of ``scac`` from ``origin`` to ``destination`` leaving between
        ``start`` and ``end`` (inclusive), earliest first."""
        lane = _digest(self.seed, scac, origin, destination)
        weekday = lane % 7
        transit = timedelta(days=12 + lane % 24)
        service_code = f"{chr(65 + lane % 26)}{chr(65 + lane // 26 % 26)}{lane % 9 + 1}"
        lane_letter = chr(65 + lane // 676 % 26)
        direction = "E" if lane % 2 else "W"
        fleet = VESSELS[4:] if scac.startswith("CM") else VESSELS[:4]
        day = start - timedelta(days=(start.weekday() - weekday) % 7 + 7)
        found = []
        while day <= end + timedelta(days=14):
            year, week, _weekday = day.isocalendar()
            voyage = f"{year % 10}{week:02d}{lane_letter}{direction}"
            scheduled = datetime.combine(day, time(18, 0), tzinfo=UTC)
            shift = self.etd_shifts.get((scac, voyage))
            etd = scheduled + timedelta(hours=shift) if shift else scheduled
            vessel_name, vessel_imo = fleet[(week + lane) % len(fleet)]
            if (scac, voyage) not in self.omitted and start <= etd.date() <= end:
                found.append(
                    Sailing(
                        scac=scac,
                        service_code=service_code,
                        voyage=voyage,
                        vessel_name=vessel_name,
                        vessel_imo=vessel_imo,
                        port_of_loading=origin,
                        port_of_discharge=destination,
                        etd=etd,
                        eta=etd + transit,
                        shifted_from=scheduled if shift else None,
                    )
                )
            day += timedelta(days=7)
        return sorted(found, key=lambda sailing: sailing.etd)

    def transit(self, scac: str, origin: str, destination: str) -> timedelta:
        return timedelta(days=12 + _digest(self.seed, scac, origin, destination) % 24)


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset={offset}".encode()).decode()


def decode_cursor(cursor: str) -> int | None:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except ValueError:
        return None
    name, _, value = text.partition("=")
    if name != "offset" or not value.isdigit():
        return None
    return int(value)
