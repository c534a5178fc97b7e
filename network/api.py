"""API conventions shared by every app: one error shape with a machine-readable code."""

from __future__ import annotations

import hashlib
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import pagination, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from network.errors import DomainError


def exception_handler(exc, context):
    """Every error answers ``{"code": ..., "message": ..., "fields": {...}}``."""
    if isinstance(exc, DomainError):
        return Response(
            {"code": exc.code, "message": exc.message, "fields": {}},
            status=getattr(exc, "status", status.HTTP_400_BAD_REQUEST),
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ValidationError):
        fields = (
            response.data
            if isinstance(response.data, dict)
            else {"non_field_errors": response.data}
        )
        response.data = {
            "code": "validation_error",
            "message": "The request is not valid.",
            "fields": fields,
        }
    elif isinstance(exc, Http404):
        # DRF answers Django's Http404 as its own NotFound; name it the same way.
        response.data = {"code": "not_found", "message": _("Not found."), "fields": {}}
    else:
        code = getattr(exc, "default_code", "error")
        detail = getattr(exc, "detail", str(exc))
        response.data = {"code": code, "message": str(detail), "fields": {}}
    return response


class ErrorSerializer(serializers.Serializer):
    """The one error shape of the API (see ``exception_handler``)."""

    code = serializers.CharField(
        help_text="A stable, machine-readable code, e.g. `validation_error`, `not_found`."
    )
    message = serializers.CharField(help_text="A message for people.")
    fields = serializers.DictField(
        help_text="For `validation_error`: the messages per field (a list of messages, or the "
        "same kind of object for a nested field); empty otherwise."
    )


def inline_choice_field(choices, **kwargs) -> serializers.ChoiceField:
    """A choice field whose values the schema lists in place, rather than as a shared enum
    component named after the field (``status``, ``mode``): a name other apps' fields take too,
    which drf-spectacular then suffixes with a hash that changes as the API grows. (Its enum
    extraction only looks at a property's own ``enum``, hence the one-item ``allOf``.)"""
    field_class = extend_schema_field(
        {"allOf": [{"type": "string", "enum": [value for value, _label in choices]}]}
    )(type("InlineChoiceField", (serializers.ChoiceField,), {}))
    return field_class(choices=choices, **kwargs)


class CursorPagination(pagination.CursorPagination):
    """Stable pages however rows are added: newest first by primary key, unless the view names
    its own order in ``cursor_ordering`` (unique in the end, e.g. ``("start_at", "pk")``)."""

    ordering = "-pk"
    page_size = 50
    max_page_size = 500
    page_size_query_param = "page_size"

    def get_ordering(self, request, queryset, view):
        return getattr(view, "cursor_ordering", None) or super().get_ordering(
            request, queryset, view
        )


# --- Idempotent writes ------------------------------------------------------------------------


def idempotent(view_method):
    """Deprecated, and does nothing: every write under ``/api/`` honours ``Idempotency-Key``
    (``network.idempotency.IdempotencyMiddleware``). Kept so views that still carry it import."""
    return view_method


def _error(status_code: int, code: str, message: str) -> Response:
    return Response({"code": code, "message": message, "fields": {}}, status=status_code)


def etag_for(instance, *fields: str) -> str:
    """A strong ETag from the fields a client may have seen (for ``If-Match`` on updates)."""
    values = [str(getattr(instance, name)) for name in fields]
    return '"' + hashlib.sha256("|".join(values).encode()).hexdigest()[:32] + '"'


def etag_for_data(data) -> str:
    """A strong ETag from a representation as the client receives it (JSON-serialisable)."""
    text = json.dumps(data, sort_keys=True, cls=DjangoJSONEncoder)
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def precondition_failed() -> Response:
    """The 412 of a failed ``If-Match``."""
    return _error(
        412,
        "precondition_failed",
        "The resource changed since you read it; read it again and retry.",
    )


def check_if_match(request, current_etag: str) -> Response | None:
    """412 when ``If-Match`` names another version than ``current_etag``; None to go on."""
    wanted = request.headers.get("If-Match")
    if wanted and wanted != "*" and current_etag not in [t.strip() for t in wanted.split(",")]:
        return precondition_failed()
    return None
