"""The OpenAPI description of what every operation shares (imported when the app is ready):
the API-key authentication, the one error shape, the errors any request may meet, the size
limits of nested lists, and the ``Idempotency-Key`` every write takes (a postprocessing hook)."""

import copy

from django.core.validators import RegexValidator
from drf_spectacular import openapi
from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerFieldExtension,
)
from rest_framework import serializers


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "network.api_auth.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An organisation's API key, `Authorization: Bearer gumn_…`. "
            "Create keys under Integrations; each key carries scopes.",
        }


IDEMPOTENCY_PARAMETER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "maxLength": 255},
    "description": "Any string up to 255 characters, e.g. a UUID or your own document number. "
    "A retry with the same key and body replays the first successful answer (with "
    "`Idempotent-Replayed: true`) instead of running again. Keys are your organisation's "
    "and kept for 48 hours.",
}
IDEMPOTENCY_ERRORS = {
    "400": "The `Idempotency-Key` is longer than 255 characters (`invalid_idempotency_key`).",
    "409": "A request with the same `Idempotency-Key` is still running "
    "(`idempotency_in_progress`): retry in a moment.",
    "422": "The `Idempotency-Key` was used with another request (`idempotency_key_reused`).",
}
REPLAYED_HEADER = {
    "Idempotent-Replayed": {
        "schema": {"type": "string", "enum": ["true"]},
        "description": "Present on a replayed answer to a request with an `Idempotency-Key`.",
    }
}
ERROR_SCHEMA = {"$ref": "#/components/schemas/Error"}


def document_idempotency_key(result, generator, request, public):
    """drf-spectacular hook: every write made for an organisation (one not open to anonymous
    callers) takes ``Idempotency-Key`` (``network.idempotency``); say so in each operation."""
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in ("post", "put", "patch", "delete") or not path.startswith("/api/"):
                continue
            if {} in operation.get("security", [{}]):
                continue  # callers without an organisation: the key would not apply
            operation.setdefault("parameters", []).append(copy.deepcopy(IDEMPOTENCY_PARAMETER))
            responses = operation.setdefault("responses", {})
            for code, response in responses.items():
                if code.startswith("2"):
                    response.setdefault("headers", {}).update(copy.deepcopy(REPLAYED_HEADER))
            for code, description in IDEMPOTENCY_ERRORS.items():
                _add_error(responses, code, description)
    return result


def _add_error(responses: dict, code: str, description: str) -> None:
    response = responses.get(code)
    if response is None:
        responses[code] = {
            "description": description,
            "content": {"application/json": {"schema": dict(ERROR_SCHEMA)}},
        }
        return
    response["description"] = f"{response.get('description', '')} {description}".strip()
    body = response.setdefault("content", {}).setdefault("application/json", {})
    schema = body.get("schema")
    if schema is None:
        body["schema"] = dict(ERROR_SCHEMA)
    elif schema != ERROR_SCHEMA:
        body["schema"] = {"anyOf": [schema, dict(ERROR_SCHEMA)]}


class ErrorSerializer(serializers.Serializer):
    """The one error shape of the API (see ``network.api.exception_handler``)."""

    code = serializers.CharField(
        help_text="A stable, machine-readable code, e.g. `validation_error`, `not_found`."
    )
    message = serializers.CharField(help_text="A message for people.")
    fields = serializers.DictField(
        help_text="For `validation_error`: the messages per field (a list of messages, or the "
        "same kind of object for a nested field); empty otherwise."
    )


# The answers any operation may give whatever its view does, unless the view describes them
# itself: (status, description, applies to the operation).
COMMON_ERRORS = (
    (
        "400",
        "The request is not valid (`validation_error`, with the messages per field in "
        "`fields`), its JSON cannot be read (`parse_error`), or it contains a NUL character "
        "(`invalid_characters`).",
        lambda operation: True,
    ),
    (
        "401",
        "Not signed in (`not_authenticated`), or the API key is not valid (`invalid_api_key`).",
        lambda operation: True,
    ),
    (
        "403",
        "Not allowed (`permission_denied`): an organisation of another kind, a role too low, or "
        "an API key without the scope this needs; or an operator without two-factor "
        "authentication (`mfa_required`).",
        lambda operation: True,
    ),
    (
        "404",
        "Nothing at this address for the active organisation (`not_found`), or a `cursor` the "
        "API did not hand out (`invalid_cursor`).",
        lambda operation: any(
            parameter.get("in") == "path" or parameter.get("name") == "cursor"
            for parameter in operation.get("parameters", [])
        ),
    ),
    (
        "413",
        "The body is larger than the server accepts (`request_too_large`).",
        lambda operation: "requestBody" in operation,
    ),
    (
        "415",
        "The body is not JSON (`unsupported_media_type`).",
        lambda operation: "requestBody" in operation,
    ),
    (
        "429",
        "Too many requests with this API key (`throttled`); retry after `Retry-After` seconds.",
        lambda operation: True,
    ),
)


class AutoSchema(openapi.AutoSchema):
    """Every operation lists, besides the answers its view describes, the errors any request may
    meet (``COMMON_ERRORS``), in the one error shape: a client can rely on the status codes the
    schema names being all the API answers."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        error = self.resolve_serializer(ErrorSerializer, "response").ref
        responses = operation["responses"]
        for status, description, applies in COMMON_ERRORS:
            if status not in responses and applies(operation):
                responses[status] = {
                    "content": {"application/json": {"schema": error}},
                    "description": description,
                }
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _unwrap_list_serializer(self, serializer, direction):
        # A body that is itself a list (``many=True, max_length=…``) says how long it may be,
        # as nested lists do (``BoundedListSerializer``).
        schema = super()._unwrap_list_serializer(serializer, direction)
        if schema and getattr(serializer, "max_length", None) is not None:
            schema = {**schema, "maxItems": serializer.max_length}
        return schema


class BoundedListSerializer(OpenApiSerializerFieldExtension):
    """A nested ``many=True`` serializer with its ``min_length`` / ``max_length`` as the
    array's ``minItems`` / ``maxItems``, which drf-spectacular leaves out."""

    target_class = "rest_framework.serializers.ListSerializer"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        schema = {
            "type": "array",
            "items": auto_schema.resolve_serializer(field.child, direction).ref,
        }
        if field.min_length is not None:
            schema["minItems"] = field.min_length
        if field.max_length is not None:
            schema["maxItems"] = field.max_length
        return schema


class StrictDecimalPattern(OpenApiSerializerFieldExtension):
    """A decimal's pattern as the field reads it: at least one digit, and no minus sign when
    the field's ``min_value`` is 0 or more (drf-spectacular's pattern also matches ``""``, ``-``
    and ``.``, which the field refuses)."""

    target_class = "rest_framework.serializers.DecimalField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        schema = auto_schema._map_serializer_field(field, direction, bypass_extensions=True)
        whole, places = field.max_whole_digits, field.decimal_places
        if schema.get("type") != "string" or not whole or not places:
            return schema
        minimum = field.min_value
        sign = "" if minimum is not None and minimum >= 0 else "-?"
        number = rf"[0-9]{{1,{whole}}}(?:\.[0-9]{{0,{places}}})?|\.[0-9]{{1,{places}}}"
        schema["pattern"] = f"^{sign}(?:{number})$"
        return schema


# A character Python's str.strip() keeps, which DRF's trimming uses: regular expressions'
# ``\S`` differ between engines on a few of them (U+001C-U+001F, U+0085, U+FEFF).
NOT_WHITESPACE = r"[^\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"


class NonBlankText(OpenApiSerializerFieldExtension):
    """A text field that trims whitespace and refuses blank text needs a character that is not
    whitespace (``minLength: 1`` alone lets ``" "`` through, which the field trims to nothing
    and refuses). A field with its own pattern already says more."""

    target_class = "rest_framework.serializers.CharField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        schema = auto_schema._map_serializer_field(field, direction, bypass_extensions=True)
        if (
            direction == "request"
            and schema.get("type") == "string"
            and field.trim_whitespace
            and not field.allow_blank
            and "pattern" not in schema
            and not any(isinstance(v, RegexValidator) for v in field.validators)
        ):
            schema["pattern"] = NOT_WHITESPACE
        return schema
