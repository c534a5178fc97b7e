"""The DCSA Booking API 2.0.5 specification, read from the shared standards folder beside the
repository, and validators for its schemas (OpenAPI 3.0 dialect, ``$ref``s resolved)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

SPEC_PATH = (
    Path(__file__).resolve().parents[2].parent / "shared" / "standards" / "dcsa-booking-2.0.5.yaml"
)
SPEC_URI = "urn:dcsa:booking:2.0.5"

needs_spec = pytest.mark.skipif(
    not SPEC_PATH.exists(),
    reason=f"the DCSA Booking 2.0.5 specification is not at {SPEC_PATH}",
)


@cache
def spec() -> dict:
    import yaml

    return yaml.safe_load(SPEC_PATH.read_text())


@cache
def _registry():
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    return Registry().with_resource(
        SPEC_URI, Resource.from_contents(spec(), default_specification=DRAFT4)
    )


def schema_errors(schema_name: str, instance) -> list[str]:
    """Every way ``instance`` breaks ``#/components/schemas/<schema_name>``, including
    properties the schema does not define (the spec leaves additionalProperties open, so a
    misspelt property would otherwise pass)."""
    from openapi_schema_validator import OAS30Validator, oas30_format_checker

    validator = OAS30Validator(
        {"$ref": f"{SPEC_URI}#/components/schemas/{schema_name}"},
        registry=_registry(),
        format_checker=oas30_format_checker,
    )
    errors = [
        f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
        for error in validator.iter_errors(instance)
    ]
    errors += _unknown_properties(spec()["components"]["schemas"][schema_name], instance, "")
    return errors


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _known(schema: dict) -> dict:
    """Properties a schema defines, through allOf/oneOf/anyOf."""
    schema = _resolve(schema)
    properties = dict(schema.get("properties", {}))
    for key in ("allOf", "oneOf", "anyOf"):
        for part in schema.get(key, []):
            properties.update(_known(part))
    return properties


def _unknown_properties(schema: dict, instance, path: str) -> list[str]:
    schema = _resolve(schema)
    problems = []
    if isinstance(instance, dict):
        known = _known(schema)
        for key, value in instance.items():
            if key not in known:
                problems.append(f"{path or '(root)'}: unknown property {key!r}")
            else:
                problems += _unknown_properties(known[key], value, f"{path}/{key}")
    elif isinstance(instance, list) and "items" in schema:
        for index, item in enumerate(instance):
            problems += _unknown_properties(schema["items"], item, f"{path}/{index}")
    return problems


def notification_examples() -> dict[str, dict]:
    operation = spec()["paths"]["/v2/booking-notifications"]["post"]
    examples = operation["requestBody"]["content"]["application/json"]["examples"]
    return {name: example["value"] for name, example in examples.items()}
