"""The three DCSA standards the carrier process speaks, checked with the shared validators of
``tests.shipping.dcsa_spec`` (``$ref``s resolved, patterns read as JavaScript reads them, and
properties a schema does not define reported)."""

from __future__ import annotations

import pytest

from tests.prism import BOOKING_SPEC, SCHEDULES_SPEC, STANDARDS_DIR, TRACKING_SPEC
from tests.shipping import dcsa_spec

BOOKING, SCHEDULES, TRACKING = BOOKING_SPEC, SCHEDULES_SPEC, TRACKING_SPEC

needs_standards = pytest.mark.skipif(
    not all((STANDARDS_DIR / name).exists() for name in (BOOKING, SCHEDULES, TRACKING)),
    reason=f"the DCSA specifications are not in {STANDARDS_DIR}",
)


def schema_errors(name: str, schema_name: str, instance) -> list[str]:
    """Every way ``instance`` breaks ``#/components/schemas/<schema_name>`` of ``name``."""
    return dcsa_spec.schema_errors(schema_name, instance, spec_name=name)


EVENT_SCHEMAS = {"TRANSPORT": "TransportEvent", "EQUIPMENT": "EquipmentEvent"}


def event_errors(event: dict) -> list[str]:
    return schema_errors(TRACKING, EVENT_SCHEMAS[event["eventType"]], event)
