"""API conventions shared by every app: one error shape with a machine-readable code."""

from __future__ import annotations

from rest_framework import status
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
    else:
        code = getattr(exc, "default_code", "error")
        detail = getattr(exc, "detail", str(exc))
        response.data = {"code": code, "message": str(detail), "fields": {}}
    return response
