"""Request ids, JSON log lines and their journey from a web request into Celery tasks.

Every request gets an id: the incoming ``X-Request-ID`` when it is well formed, else a new one.
It is echoed in the response, written on every log line of the request, and carried in the
headers of each task the request enqueues (``before_task_publish``), so the worker's log lines
of that task (``task_prerun``) carry the same id, with the acting user and organisation.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader
from django.utils.functional import empty

REQUEST_ID_HEADER = "X-Request-ID"
# Letters, digits and a few separators only: the id goes into log lines and response headers.
WELL_FORMED_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$")
TASK_HEADER_REQUEST_ID = "network_request_id"
TASK_HEADER_USER_ID = "network_user_id"
TASK_HEADER_ORGANIZATION_ID = "network_organization_id"

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)
# The ids of a Celery task's request; in a web request they are read from the request itself.
task_context_var: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "task_context", default=None
)
_current_request: contextvars.ContextVar = contextvars.ContextVar("current_request", default=None)

request_logger = logging.getLogger("network.request")


def request_id_from(header_value: str | None) -> str:
    """The caller's id when it is well formed, else a fresh one."""
    if header_value and WELL_FORMED_REQUEST_ID.match(header_value):
        return header_value
    return uuid.uuid4().hex


def current_ids() -> dict:
    """The request id, user id and organisation id known at this point (``None`` if not)."""
    ids = {"request_id": request_id_var.get(), "user_id": None, "organization_id": None}
    task_context = task_context_var.get()
    if task_context:
        ids.update({key: value for key, value in task_context.items() if value is not None})
    request = _current_request.get()
    if request is not None:
        ids["user_id"] = _resolved_user_id(request)
        organization = request.__dict__.get("organization")
        ids["organization_id"] = organization.pk if organization is not None else None
    return ids


def _resolved_user_id(request) -> int | None:
    """The user's id if authentication has already run; logging never queries the database."""
    user = request.__dict__.get("user")
    if user is None:
        return None
    wrapped = getattr(user, "_wrapped", user)
    if wrapped is empty or wrapped is None:
        return None
    return wrapped.pk if getattr(wrapped, "is_authenticated", False) else None


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, ids, and any ``extra`` fields."""

    EXTRA_FIELDS = (
        "method",
        "path",
        "route",
        "status",
        "duration_ms",
        "task_name",
        "task_id",
        "state",
    )

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(current_ids())
        for field in self.EXTRA_FIELDS:
            if hasattr(record, field):
                entry[field] = getattr(record, field)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class RequestIdMiddleware:
    """Outermost middleware: sets the request id, logs one line per request, counts it for
    ``/metrics`` and echoes the id in the ``X-Request-ID`` response header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from network import metrics

        request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        id_token = request_id_var.set(request_id)
        request_token = _current_request.set(request)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            duration = time.perf_counter() - started
            route = _route_of(request)
            metrics.observe_request(
                method=request.method, route=route, status=response.status_code, seconds=duration
            )
            request_logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "route": route,
                    "status": response.status_code,
                    "duration_ms": round(duration * 1000, 1),
                },
            )
            response[REQUEST_ID_HEADER] = request_id
            return response
        finally:
            _current_request.reset(request_token)
            request_id_var.reset(id_token)


def _route_of(request) -> str:
    """The URL pattern, not the path: ``orders/<str:number>/`` keeps the metric labels few."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return "/" + (match.route or match.view_name or "unmatched")


# --- 503 when the database is unreachable ------------------------------------------------------


def server_error(request, *args, **kwargs):
    """``handler500``: a lost database connection is a 503 (try again shortly) with its own
    page, rendered without touching the database; anything else is the plain 500 page."""
    import sys

    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError) or _caused_by_database(error):
        body = loader.get_template("503.html").render({})
        return HttpResponse(body, status=503, headers={"Retry-After": "30"})
    return HttpResponse(loader.get_template("500.html").render({}), status=500)


def _caused_by_database(error: BaseException | None) -> bool:
    seen = 0
    while error is not None and seen < 5:
        if isinstance(error, OperationalError | InterfaceError):
            return True
        error = error.__cause__ or error.__context__
        seen += 1
    return False


# --- Celery ----------------------------------------------------------------------------------


def task_headers_for_publish(headers: dict) -> None:
    """Add the current ids to an outgoing task's headers (kept when already there)."""
    ids = current_ids()
    for header, key in (
        (TASK_HEADER_REQUEST_ID, "request_id"),
        (TASK_HEADER_USER_ID, "user_id"),
        (TASK_HEADER_ORGANIZATION_ID, "organization_id"),
    ):
        if ids.get(key) is not None and header not in headers:
            headers[header] = ids[key]


def task_context_from(task_request) -> dict:
    """The ids carried by a task's message headers (custom headers become request fields;
    older senders nest them under ``headers``)."""
    nested = getattr(task_request, "headers", None) or {}

    def read(name):
        value = getattr(task_request, name, None)
        return value if value is not None else nested.get(name)

    return {
        "request_id": read(TASK_HEADER_REQUEST_ID),
        "user_id": read(TASK_HEADER_USER_ID),
        "organization_id": read(TASK_HEADER_ORGANIZATION_ID),
    }
