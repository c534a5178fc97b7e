"""``Idempotency-Key`` for every write under ``/api/``: a retry never runs a request twice, and a
request that dies half-way never jams its key.

A write (POST, PUT, PATCH, DELETE) made for an organisation with the header runs in one
transaction with the record of its key:

1. ``pg_try_advisory_xact_lock`` on (organisation, key). If another live transaction holds it,
   the same request is running right now: ``409 idempotency_in_progress`` at once. The lock
   belongs to that transaction, so it goes when the transaction ends — by commit, by rollback,
   or because its process died and PostgreSQL dropped its connection.
2. A kept answer for the key: the same request replays it (``Idempotent-Replayed: true``);
   another request is ``422 idempotency_key_reused``.
3. Otherwise the request runs, and a successful (2xx) answer is inserted as the key's record
   before the transaction commits. Any other answer rolls back everything the request wrote:
   the request failed, so nothing of it stays and the key is free for a retry.

Keys are per organisation: the API key's, or the active one of a signed-in person. Requests
made for no organisation (a carrier's signed callback) are not affected.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from network.models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
API_PREFIX = "/api/"


class IdempotencyMiddleware:
    """Runs an ``/api/`` write that carries an ``Idempotency-Key`` in one transaction with its
    key's record (see the module's docstring). Placed after ``ActiveOrganizationMiddleware``,
    which names the organisation the key belongs to."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.headers.get(HEADER, "").strip()
        organization = getattr(request, "organization", None)
        if (
            not key
            or organization is None
            or request.method not in WRITE_METHODS
            or not request.path.startswith(API_PREFIX)
        ):
            return self.get_response(request)
        if len(key) > MAX_KEY_LENGTH:
            return _error(
                400,
                "invalid_idempotency_key",
                _("An Idempotency-Key is at most 255 characters."),
            )
        fingerprint = request_fingerprint(request)
        with transaction.atomic():
            if not _lock(organization.pk, key):
                response = _error(
                    409,
                    "idempotency_in_progress",
                    _("A request with this Idempotency-Key is still being processed; retry."),
                )
                response["Retry-After"] = "1"
                return response
            # Read committed: this sees what a transaction that held the lock before committed.
            record = IdempotencyRecord.objects.visible_to(organization).filter(key=key).first()
            if record is not None and _replayable(record):
                if record.request_hash != fingerprint:
                    return _error(
                        422,
                        "idempotency_key_reused",
                        _("This Idempotency-Key was used with a different request."),
                    )
                return _replay(record)
            if record is not None:
                record.delete()
            response = self.get_response(request)
            if 200 <= response.status_code < 300:
                # Written once, with its answer: the lock keeps the key to this request until
                # the transaction ends, so no other request looks for the record meanwhile.
                _keep(
                    IdempotencyRecord(
                        organization=organization,
                        key=key,
                        method=request.method,
                        path=request.path[:300],
                        request_hash=fingerprint,
                    ),
                    response,
                )
            else:
                transaction.set_rollback(True)
            return response


def request_fingerprint(request) -> str:
    """What makes two requests the same: method, path with query, and body (JSON compared by
    value, so key order and spacing do not matter)."""
    body = request.body
    with contextlib.suppress(ValueError, RecursionError):  # not JSON: compared byte for byte
        body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.get_full_path()}\n".encode())
    digest.update(body)
    return digest.hexdigest()


def _lock(organization_id: int, key: str) -> bool:
    """Take the transaction's advisory lock on the key, without waiting; False if taken."""
    digest = hashlib.sha256(f"idempotency-key:{organization_id}:{key}".encode()).digest()
    lock_id = int.from_bytes(digest[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [lock_id])
        return cursor.fetchone()[0]


def _replayable(record: IdempotencyRecord) -> bool:
    """A kept answer within the retention window. (One past it waits for the pruning task; one
    never completed can only be left from before records committed with their request's work.)"""
    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_RETENTION_HOURS)
    return record.completed_at is not None and record.created_at >= cutoff


def _keep(record: IdempotencyRecord, response) -> None:
    record.status_code = response.status_code
    record.response_headers = dict(response.headers)
    record.response_content = response.content
    record.completed_at = timezone.now()
    record.save(force_insert=True)


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(
        bytes(record.response_content or b""),
        status=record.status_code,
        headers=record.response_headers,
    )
    if not any(name.lower() == "content-type" for name in record.response_headers or {}):
        # The first answer had none (a 204); HttpResponse would add text/html.
        del response["Content-Type"]
    response[REPLAYED_HEADER] = "true"
    return response


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(
        {"code": code, "message": message, "fields": {}},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )
