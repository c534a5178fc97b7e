"""Input refused before any view reads it, in one place rather than in every view.

- A NUL character in the path, the query string, a form field, an uploaded file's name or a
  string of a JSON body: PostgreSQL cannot store one in a text column or compare one, so a NUL
  would otherwise end as a database error deep in whichever view received it.
- JSON nested deeper than any client needs: Python's parser gives up on nesting of about a
  thousand levels with a RecursionError.
- A body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``.

Under ``/api/`` the answer is the API's error shape (``invalid_characters``,
``request_too_large``); pages get the 400 page. ``bad_request`` and ``not_found`` are the
project's ``handler400`` and ``handler404``, so an unknown address under ``/api/`` answers JSON
too.
"""

from __future__ import annotations

import json

from django.core.exceptions import (
    BadRequest,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import JsonResponse, QueryDict
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import parsers
from rest_framework.exceptions import ParseError

# Far deeper than any request body of the API (the deepest, a carrier's booking notification,
# nests five levels), far shallower than where Python's parser gives up.
MAX_JSON_DEPTH = 32

NUL = "\x00"
JSON_NUL_ESCAPE = b"\\u0000"
API_PREFIX = "/api/"


def is_api_request(request) -> bool:
    return request.path_info.startswith(API_PREFIX)


def api_error(status: int, code: str, message: str, fields: dict | None = None) -> JsonResponse:
    """The API's error shape, for answers given outside a DRF view."""
    return JsonResponse({"code": code, "message": message, "fields": fields or {}}, status=status)


def request_too_large():
    return api_error(
        413,
        "request_too_large",
        _("The request body is larger than the server accepts."),
    )


# --- JSON --------------------------------------------------------------------------------------


class JsonTooDeep(ValueError):
    pass


def json_depth(value) -> int:
    """How deeply arrays and objects nest in ``value`` (a scalar is 0), without recursion: the
    containers of each level in one list, so the 10,000 rows of a bulk stock call cost a list
    comprehension or two rather than a tuple per value."""
    if not isinstance(value, dict | list):
        return 0
    depth, level = 1, [value]
    while True:
        level = [
            child
            for item in level
            for child in (item.values() if isinstance(item, dict) else item)
            if isinstance(child, dict | list)
        ]
        if not level:
            return depth
        depth += 1


def _too_deep() -> JsonTooDeep:
    return JsonTooDeep(
        _("JSON parse error - nested more than %(depth)s levels deep.") % {"depth": MAX_JSON_DEPTH}
    )


def json_loads(text: str | bytes):
    """``json.loads`` that refuses nesting deeper than ``MAX_JSON_DEPTH`` with a ValueError."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise _too_deep() from None
    if json_depth(value) > MAX_JSON_DEPTH:
        raise _too_deep()
    return value


class JSONParser(parsers.JSONParser):
    """The API's only parser: DRF's strict JSON parser with a limit on nesting."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            value = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(str(_too_deep())) from None
        if json_depth(value) > MAX_JSON_DEPTH:
            raise ParseError(str(_too_deep()))
        return value


# --- NUL characters ----------------------------------------------------------------------------


def _printable(name: str) -> str:
    return name.replace(NUL, "\\u0000")


def _nul_in_json(value) -> str | None:
    """The dotted path of the first string (or object key) with a NUL in ``value``."""
    pending = [(value, "")]
    while pending:
        item, where = pending.pop()
        if isinstance(item, str):
            if NUL in item:
                return where or "body"
        elif isinstance(item, dict):
            for key, child in item.items():
                name = f"{where}.{key}" if where else str(key)
                if NUL in str(key):
                    return _printable(name)
                pending.append((child, name))
        elif isinstance(item, list):
            pending.extend(
                (child, f"{where}.{index}" if where else str(index))
                for index, child in enumerate(item)
            )
    return None


def _nul_in_form(data: QueryDict) -> str | None:
    for key, values in data.lists():
        if NUL in key or any(NUL in value for value in values if isinstance(value, str)):
            return _printable(key)
    return None


def _nul_in_body(request, api: bool) -> str | None:
    content_type = request.content_type or ""
    if content_type == "application/json" or content_type.endswith("+json"):
        body = request.body
        if JSON_NUL_ESCAPE not in body:
            return None
        try:
            return _nul_in_json(json_loads(body))
        except ValueError:
            return None  # Not JSON: the view's parser says so.
    if content_type == "application/x-www-form-urlencoded":
        form = request.POST if request.method == "POST" else QueryDict(request.body)
        return _nul_in_form(form)
    # Under /api/ a multipart body is refused as a whole (415: the API reads JSON only), and
    # parsing it here would use up the stream DRF reads to tell.
    if content_type == "multipart/form-data" and request.method == "POST" and not api:
        for key, uploads in request.FILES.lists():
            if NUL in key or any(NUL in (upload.name or "") for upload in uploads):
                return _printable(key)
        return _nul_in_form(request.POST)
    return None


def nul_character_in(request) -> str | None:
    """Where ``request`` carries a NUL character (``path``, a parameter or field name), or
    None. Reading a body may raise Django's ``RequestDataTooBig`` / ``TooManyFieldsSent``."""
    if NUL in request.path:
        return "path"
    where = _nul_in_form(request.GET)
    if where is not None:
        return where
    return _nul_in_body(request, is_api_request(request))


class RequestGuardMiddleware:
    """Refuse a NUL character anywhere in a request, and answer an oversized body under
    ``/api/`` with a JSON 413, before any view runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            where = nul_character_in(request)
        except (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent) as error:
            if is_api_request(request):
                return bad_request(request, error)
            raise
        if where is None:
            return self.get_response(request)
        message = _("The request contains a NUL character, which is not allowed.")
        if is_api_request(request):
            return api_error(400, "invalid_characters", message, {where: [message]})
        raise BadRequest(message)


# --- Error handlers ----------------------------------------------------------------------------


def bad_request(request, exception=None):
    """``handler400``: the API's error shape under ``/api/``, the 400 page elsewhere."""
    if not is_api_request(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return request_too_large()
    if isinstance(exception, TooManyFieldsSent | TooManyFilesSent):
        return api_error(400, "too_many_fields", _("The request has too many fields or files."))
    return api_error(400, "bad_request", _("The request could not be read."))


def not_found(request, exception=None):
    """``handler404``: ``not_found`` in the API's error shape under ``/api/``, the 404 page
    elsewhere."""
    if is_api_request(request):
        return api_error(404, "not_found", _("Not found."))
    return defaults.page_not_found(request, exception)
