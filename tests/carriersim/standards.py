"""The three DCSA standards the carrier process speaks, read from the shared standards folder
beside the repository, and a validator for any of their schemas (``$ref``s resolved, and
properties a schema does not define reported, since the specs leave additionalProperties
open)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

STANDARDS = Path(__file__).resolve().parents[2].parent / "shared" / "standards"
BOOKING = "dcsa-booking-2.0.5.yaml"
SCHEDULES = "dcsa-commercial-schedules-1.0.3.yaml"
TRACKING = "dcsa-tnt-2.2.0.yaml"

needs_standards = pytest.mark.skipif(
    not all((STANDARDS / name).exists() for name in (BOOKING, SCHEDULES, TRACKING)),
    reason=f"the DCSA specifications are not in {STANDARDS}",
)


@cache
def spec(name: str) -> dict:
    import yaml

    return yaml.safe_load((STANDARDS / name).read_text())


@cache
def _registry(name: str):
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    return Registry().with_resource(
        f"urn:dcsa:{name}", Resource.from_contents(spec(name), default_specification=DRAFT4)
    )


def schema_errors(name: str, schema_name: str, instance) -> list[str]:
    """Every way ``instance`` breaks ``#/components/schemas/<schema_name>`` of ``name``."""
    from openapi_schema_validator import OAS30Validator, oas30_format_checker

    validator = OAS30Validator(
        {"$ref": f"urn:dcsa:{name}#/components/schemas/{schema_name}"},
        registry=_registry(name),
        format_checker=oas30_format_checker,
    )
    errors = [
        f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
        for error in validator.iter_errors(instance)
    ]
    schemas = spec(name)["components"]["schemas"]
    return errors + _unknown(schemas, schemas[schema_name], instance, "")


def _resolve(schemas: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _known(schemas: dict, schema: dict) -> dict:
    schema = _resolve(schemas, schema)
    properties = dict(schema.get("properties", {}))
    for key in ("allOf", "oneOf", "anyOf"):
        for part in schema.get(key, []):
            properties.update(_known(schemas, part))
    return properties


def _unknown(schemas: dict, schema: dict, instance, path: str) -> list[str]:
    schema = _resolve(schemas, schema)
    problems = []
    if isinstance(instance, dict):
        known = _known(schemas, schema)
        for key, value in instance.items():
            if key not in known:
                problems.append(f"{path or '(root)'}: unknown property {key!r}")
            else:
                problems += _unknown(schemas, known[key], value, f"{path}/{key}")
    elif isinstance(instance, list) and "items" in schema:
        for index, item in enumerate(instance):
            problems += _unknown(schemas, schema["items"], item, f"{path}/{index}")
    return problems


EVENT_SCHEMAS = {"TRANSPORT": "TransportEvent", "EQUIPMENT": "EquipmentEvent"}


def event_errors(event: dict) -> list[str]:
    return schema_errors(TRACKING, EVENT_SCHEMAS[event["eventType"]], event)
