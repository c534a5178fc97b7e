"""OpenAPI description of the API-key authentication (imported when the app is ready) and of
the ``Idempotency-Key`` every write takes (a postprocessing hook)."""

import copy

from drf_spectacular.extensions import OpenApiAuthenticationExtension


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
