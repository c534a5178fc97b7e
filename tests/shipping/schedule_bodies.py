"""Commercial Schedules 1.0.3 ``PointToPoint`` routes as a carrier publishes them, and a
validator for them against the specification in the shared standards folder."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

SPEC_PATH = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "standards"
    / "dcsa-commercial-schedules-1.0.3.yaml"
)
needs_spec = pytest.mark.skipif(
    not SPEC_PATH.exists(),
    reason=f"the DCSA Commercial Schedules 1.0.3 specification is not at {SPEC_PATH}",
)


@cache
def _spec() -> dict:
    import yaml

    return yaml.safe_load(SPEC_PATH.read_text())


def route_errors(route: dict) -> list[str]:
    """Every way ``route`` breaks ``#/components/schemas/PointToPoint``."""
    from openapi_schema_validator import OAS30Validator, oas30_format_checker
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    uri = "urn:dcsa:cs:1.0.3"
    registry = Registry().with_resource(
        uri, Resource.from_contents(_spec(), default_specification=DRAFT4)
    )
    validator = OAS30Validator(
        {"$ref": f"{uri}#/components/schemas/PointToPoint"},
        registry=registry,
        format_checker=oas30_format_checker,
    )
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
        for e in validator.iter_errors(route)
    ]


def place(code: str, moment: str) -> dict:
    return {"facilityTypeCode": "POTE", "location": {"UNLocationCode": code}, "dateTime": moment}


def vessel_leg(
    origin: str,
    destination: str,
    departs: str,
    arrives: str,
    *,
    imo: str = "9778791",
    name: str = "Madrid Maersk",
    voyage: str = "612W",
    service: str = "TP6",
    scac: str = "MAEU",
    sequence: int = 1,
) -> dict:
    return {
        "sequenceNumber": sequence,
        "transport": {
            "modeOfTransport": "VESSEL",
            "servicePartners": [
                {
                    "carrierCode": scac,
                    "carrierCodeListProvider": "NMFTA",
                    "carrierServiceCode": service,
                    "carrierExportVoyageNumber": voyage,
                    "carrierImportVoyageNumber": voyage.replace("W", "E"),
                }
            ],
            "vessel": {"vesselIMONumber": imo, "name": name},
        },
        "departure": place(origin, departs),
        "arrival": place(destination, arrives),
    }


def cutoffs(documentation: str, cargo: str, vgm: str | None = None) -> list[dict]:
    entries = [
        {"cutOffDateTimeCode": "DCO", "cutOffDateTime": documentation},
        {"cutOffDateTimeCode": "FCO", "cutOffDateTime": cargo},
    ]
    if vgm:
        entries.append({"cutOffDateTimeCode": "VCO", "cutOffDateTime": vgm})
    return entries


def direct_route(
    origin: str = "USLAX",
    destination: str = "CNNGB",
    *,
    departs: str = "2027-01-13T18:00:00-08:00",
    arrives: str = "2027-01-30T06:00:00+08:00",
    documentation: str = "2027-01-10T12:00:00-08:00",
    cargo: str = "2027-01-12T12:00:00-08:00",
    vgm: str | None = "2027-01-11T12:00:00-08:00",
    **leg,
) -> dict:
    return {
        "placeOfReceipt": place(origin, departs),
        "placeOfDelivery": place(destination, arrives),
        "receiptTypeAtOrigin": "CY",
        "deliveryTypeAtDestination": "CY",
        "cutOffTimes": cutoffs(documentation, cargo, vgm),
        "solutionNumber": 1,
        "transitTime": 16,
        "legs": [vessel_leg(origin, destination, departs, arrives, **leg)],
    }
