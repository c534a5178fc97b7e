"""The OpenAPI schema: valid OpenAPI 3, describes every endpoint of the catalogue, orders,
shipping, training, merchant registry and webhook endpoint APIs with its methods, bodies and
error answers, and is generated without warnings for those apps (a warning usually means a
view's bodies were guessed or ignored)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

APPS = ("catalog", "orders", "shipping", "training", "merchants", "network")
DESCRIBED_APPS = ("catalog", "orders", "shipping", "training", "merchants", "network")
API_PREFIX = "/api/v1/"
METHODS = ("get", "post", "put", "patch", "delete")
PLACEHOLDER = re.compile(r"<(?:[^>:]+:)?[^>]+>|\{[^}]+\}")
HASHED_ENUM = re.compile(r"[0-9a-f]{3}Enum$")
# Files an endpoint answers with instead of JSON (a trade document's PDF).
FILE_TYPES = {"application/pdf"}


@pytest.fixture(scope="module")
def generated():
    """The schema and the drf-spectacular warnings and errors emitted while generating it."""
    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        schema = SchemaGenerator().get_schema(request=None, public=True)
    messages = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    GENERATOR_STATS.reset()
    return schema, messages


def _app_dir(app: str) -> str:
    return str(Path(settings.BASE_DIR) / app) + "/"


def _api_routes(resolver=None, prefix="/"):
    """(route, view class) for every URL the resolver knows, with Django's own route syntax."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _api_routes(entry, route)
        elif isinstance(entry, URLPattern):
            view_class = getattr(entry.callback, "view_class", None) or getattr(
                entry.callback, "cls", None
            )
            if view_class is not None:
                yield route, view_class


def _normalised(path: str) -> str:
    return PLACEHOLDER.sub("{}", path)


def _described_routes():
    for route, view_class in _api_routes():
        app = view_class.__module__.split(".")[0]
        if route.startswith(API_PREFIX) and app in DESCRIBED_APPS:
            methods = {m for m in METHODS if hasattr(view_class, m)}
            yield route, view_class, methods


def test_the_schema_is_valid_openapi_3(generated):
    schema, _messages = generated
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)


def test_every_endpoint_of_these_apps_is_in_the_schema(generated):
    schema, _messages = generated
    operations = {
        _normalised(path): {method for method in item if method in METHODS}
        for path, item in schema["paths"].items()
    }
    routes = list(_described_routes())
    assert {view.__module__ for _route, view, _methods in routes} >= {
        "catalog.api",
        "orders.api",
        "shipping.api",
        "training.api",
        "merchants.api",
        "network.api_webhooks",
    }
    missing = {
        route: sorted(methods - operations.get(_normalised(route), set()))
        for route, _view, methods in routes
        if methods - operations.get(_normalised(route), set())
    }
    assert missing == {}


def test_every_operation_describes_its_success_body(generated):
    """A view drf-spectacular could not understand still appears, but with no response body."""
    schema, _messages = generated
    described = {_normalised(route) for route, _view, _methods in _described_routes()}
    bodiless = []
    for path, item in schema["paths"].items():
        if _normalised(path) not in described:
            continue
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            success = {code: r for code, r in operation["responses"].items() if code[0] == "2"}
            assert success, f"{method.upper()} {path} has no 2xx response"
            for code, response in success.items():
                content = response.get("content", {})
                if code != "204" and not FILE_TYPES.union(["application/json"]) & set(content):
                    bodiless.append(f"{method.upper()} {path} {code}")
    assert bodiless == []


def _described_operations(schema):
    described = {_normalised(route) for route, _view, _methods in _described_routes()}
    for path, item in schema["paths"].items():
        if _normalised(path) in described:
            for method in METHODS:
                if method in item:
                    yield f"{method.upper()} {path}", item[method]


def test_every_operation_has_an_operation_id_and_a_summary(generated):
    schema, _messages = generated
    missing = [
        name
        for name, operation in _described_operations(schema)
        if not operation.get("operationId")
        or not operation.get("summary", operation.get("description"))
    ]
    assert missing == []


def test_every_catalogue_and_orders_operation_documents_its_errors(generated):
    """Clients branch on the error codes: each operation names its 4xx answers, in the one
    error shape."""
    schema, _messages = generated
    undocumented = []
    for name, operation in _described_operations(schema):
        if "/products" not in name and "/inventory" not in name and "/orders/" not in name:
            continue
        errors = {code: r for code, r in operation["responses"].items() if code[0] == "4"}
        refs = [
            repr(r.get("content", {}).get("application/json", {}).get("schema"))
            for r in errors.values()
        ]
        if "401" not in errors or "403" not in errors or not all("Error" in ref for ref in refs):
            undocumented.append(name)
    assert undocumented == []


def test_operation_ids_are_unique(generated):
    schema, _messages = generated
    ids = [
        item[method]["operationId"]
        for item in schema["paths"].values()
        for method in METHODS
        if method in item
    ]
    assert sorted({i for i in ids if ids.count(i) > 1}) == []


def test_no_schema_warnings_for_these_apps(generated):
    _schema, messages = generated
    directories = [_app_dir(app) for app in APPS]
    paths = sorted({_normalised(route) for route, _view, _methods in _described_routes()})
    ours = [
        message
        for message in messages
        if any(directory in message for directory in directories)
        # Collisions of operation ids name the paths instead of a file.
        or any(f"'{path}'" in _normalised(message) for path in paths)
    ]
    assert ours == []


def test_the_enums_of_these_apps_have_stable_names(generated):
    """A hash-suffixed enum name (``Status62fEnum``) changes whenever another app adds a choice
    set of the same field name; ``ENUM_NAME_OVERRIDES`` names them for good."""
    schema, _messages = generated
    described = {_normalised(route) for route, _view, _methods in _described_routes()}
    text = repr(
        {path: item for path, item in schema["paths"].items() if _normalised(path) in described}
    )
    components = schema["components"]["schemas"]
    seen, pending = set(), set(re.findall(r"#/components/schemas/(\w+)", text))
    while pending:
        name = pending.pop()
        seen.add(name)
        pending |= set(re.findall(r"#/components/schemas/(\w+)", repr(components[name]))) - seen
    assert sorted(name for name in seen if HASHED_ENUM.search(name)) == []


def _request_schemas(schema):
    """(where, schema) for every parameter and request body property, nested ones included."""
    components = schema["components"]["schemas"]

    def walk(where, node, seen):
        if not isinstance(node, dict):
            return
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[1]
            if name not in seen:
                yield from walk(f"{where}<{name}>", components[name], seen | {name})
            return
        yield where, node
        for key in ("properties",):
            for name, child in node.get(key, {}).items():
                yield from walk(f"{where}.{name}", child, seen)
        for key in ("items",):
            if key in node:
                yield from walk(f"{where}[]", node[key], seen)
        for key in ("allOf", "anyOf", "oneOf"):
            for child in node.get(key, []):
                yield from walk(where, child, seen)

    for name, operation in _described_operations(schema):
        for parameter in operation.get("parameters", []):
            where = f"{name} {parameter['in']}:{parameter['name']}"
            yield from walk(where, parameter["schema"], frozenset())
        for media in operation.get("requestBody", {}).get("content", {}).values():
            yield from walk(f"{name} body", media["schema"], frozenset())


def test_every_whole_number_a_client_sends_is_bounded_by_its_column(generated):
    """PostgreSQL refuses a number beyond its column with an error; the API refuses it first,
    and the schema says where the limits are. (An id in the address beyond any id is simply
    not found.)"""
    schema, _messages = generated
    unbounded = [
        where
        for where, node in _request_schemas(schema)
        if node.get("type") == "integer"
        and ("minimum" not in node or "maximum" not in node)
        and " path:" not in where
    ]
    assert unbounded == []


def test_every_list_a_client_sends_says_how_long_it_may_be(generated):
    schema, _messages = generated
    unbounded = [
        where
        for where, node in _request_schemas(schema)
        if node.get("type") == "array" and "maxItems" not in node
    ]
    assert unbounded == []


def test_every_operation_names_the_errors_any_request_may_meet(generated):
    """A bad request, a wrong key, a refusal and the rate limit can answer any operation; an
    operation with an address of its own or pages can answer 404; one with a body 413 and 415."""
    schema, _messages = generated
    missing = []
    for name, operation in _described_operations(schema):
        expected = {"400", "401", "403", "429"}
        if "{" in name or any(p["name"] == "cursor" for p in operation.get("parameters", [])):
            expected.add("404")
        if "requestBody" in operation:
            expected |= {"413", "415"}
        responses = operation["responses"]
        for status in sorted(expected - set(responses)):
            missing.append(f"{name} {status}")
        for status in expected & set(responses):
            content = responses[status].get("content", {}).get("application/json", {})
            if "Error" not in repr(content.get("schema")):
                missing.append(f"{name} {status} (not the error shape)")
    assert missing == []


def test_a_trade_documents_file_may_be_a_redirect_to_a_signed_link(generated):
    """With uploads on object storage the PDF is not in the answer but at a signed link
    (``network.storage.private_file_response``, tested against a real store in
    ``tests/network/test_object_storage.py``): a client must know to follow it."""
    schema, _messages = generated
    operation = schema["paths"]["/api/v1/shipping/shipments/{reference}/documents/{id}/file/"]
    responses = operation["get"]["responses"]
    assert "application/pdf" in responses["200"]["content"]
    assert "Location" in responses["302"]["description"]
