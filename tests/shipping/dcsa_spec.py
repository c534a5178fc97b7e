"""The DCSA standards (Booking 2.0.5 unless another is named), read from the shared standards
folder beside the repository, and validators for their schemas (OpenAPI 3.0 dialect, ``$ref``s
resolved, patterns read as JavaScript reads them)."""

from __future__ import annotations

import re
from functools import cache

import pytest

from tests.prism import BOOKING_SPEC, STANDARDS_DIR

SPEC_PATH = STANDARDS_DIR / BOOKING_SPEC

needs_spec = pytest.mark.skipif(
    not SPEC_PATH.exists(),
    reason=f"the DCSA Booking 2.0.5 specification is not at {SPEC_PATH}",
)


@cache
def spec(spec_name: str = BOOKING_SPEC) -> dict:
    import yaml

    return yaml.safe_load((STANDARDS_DIR / spec_name).read_text())


@cache
def _registry(spec_name: str):
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    return Registry().with_resource(
        f"urn:dcsa:{spec_name}",
        Resource.from_contents(spec(spec_name), default_specification=DRAFT4),
    )


# ECMAScript's whitespace (``\s``) and line terminators (what ``.`` does not match), as
# character-class contents for Python's ``re``.
_ECMA_WHITESPACE = r"\t\n\x0b\x0c\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_ECMA_LINE_TERMINATORS = r"\n\r\u2028\u2029"
_ECMA_ESCAPES = {
    "d": ("[0-9]", "0-9"),
    "D": ("[^0-9]", None),
    "w": ("[A-Za-z0-9_]", "A-Za-z0-9_"),
    "W": ("[^A-Za-z0-9_]", None),
    "s": (f"[{_ECMA_WHITESPACE}]", _ECMA_WHITESPACE),
    "S": (f"[^{_ECMA_WHITESPACE}]", None),
}


@cache
def ecma_pattern(pattern: str) -> re.Pattern:
    r"""``pattern`` as a JavaScript validator reads it (Prism's, and the carriers'): ``\d``,
    ``\w`` and ``\s`` are ASCII digits, word characters and ECMAScript's whitespace, ``.``
    stops at every line terminator (``\r`` and U+2028 too) and ``$`` only at the very end.
    Python's ``re`` would let "12345６" pass ``^\d{6}$`` and "name" + newline pass
    ``^\S(?:.*\S)?$``."""
    translated, in_class, index = [], False, 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            escaped = pattern[index + 1]
            outside, inside = _ECMA_ESCAPES.get(escaped, (None, None))
            if in_class and inside is None and outside is not None:
                raise ValueError(f"cannot translate \\{escaped} inside a class in {pattern!r}")
            translated.append((inside if in_class else outside) or char + escaped)
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == ".":
            char = f"[^{_ECMA_LINE_TERMINATORS}]"
        elif char == "$":
            char = r"\Z"
        translated.append(char)
        index += 1
    return re.compile("".join(translated))


def _ecma_pattern_keyword(validator, pattern, instance, schema):
    from jsonschema.exceptions import ValidationError

    if validator.is_type(instance, "string") and not ecma_pattern(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@cache
def _validator_class():
    from jsonschema.validators import extend
    from openapi_schema_validator import OAS30Validator

    return extend(OAS30Validator, {"pattern": _ecma_pattern_keyword})


def schema_errors(schema_name: str, instance, *, spec_name: str = BOOKING_SPEC) -> list[str]:
    """Every way ``instance`` breaks ``#/components/schemas/<schema_name>`` of ``spec_name``,
    including properties the schema does not define (the spec leaves additionalProperties open,
    so a misspelt property would otherwise pass)."""
    from openapi_schema_validator import oas30_format_checker

    validator = _validator_class()(
        {"$ref": f"urn:dcsa:{spec_name}#/components/schemas/{schema_name}"},
        registry=_registry(spec_name),
        format_checker=oas30_format_checker,
    )
    errors = [
        f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
        for error in validator.iter_errors(instance)
    ]
    schemas = spec(spec_name)["components"]["schemas"]
    errors += _unknown_properties(schemas, schemas[schema_name], instance, "")
    return errors


def _resolve(schemas: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _known(schemas: dict, schema: dict) -> dict:
    """Properties a schema defines, through allOf/oneOf/anyOf."""
    schema = _resolve(schemas, schema)
    properties = dict(schema.get("properties", {}))
    for key in ("allOf", "oneOf", "anyOf"):
        for part in schema.get(key, []):
            properties.update(_known(schemas, part))
    return properties


def _unknown_properties(schemas: dict, schema: dict, instance, path: str) -> list[str]:
    schema = _resolve(schemas, schema)
    problems = []
    if isinstance(instance, dict):
        known = _known(schemas, schema)
        for key, value in instance.items():
            if key not in known:
                problems.append(f"{path or '(root)'}: unknown property {key!r}")
            else:
                problems += _unknown_properties(schemas, known[key], value, f"{path}/{key}")
    elif isinstance(instance, list) and "items" in schema:
        for index, item in enumerate(instance):
            problems += _unknown_properties(schemas, schema["items"], item, f"{path}/{index}")
    return problems


def notification_examples() -> dict[str, dict]:
    operation = spec()["paths"]["/v2/booking-notifications"]["post"]
    examples = operation["requestBody"]["content"]["application/json"]["examples"]
    return {name: example["value"] for name, example in examples.items()}
