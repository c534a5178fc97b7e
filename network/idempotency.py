"""``Idempotency-Key`` for every write under ``/api/``: a retry never runs a request twice, and a
request that dies half-way never jams its key.

A write (POST, PUT, PATCH, DELETE) made for an organisation with the header runs in one
transaction with the record of its key:

1. ``pg_try_advisory_xact_lock`` on (organisation, key), in the same statement that asks
   whether the key has a record. If another live transaction holds the lock, the same request
   is running right now: ``409 idempotency_in_progress`` at once. The lock belongs to that
   transaction, so it goes when the transaction ends — by commit, by rollback, or because its
   process died and PostgreSQL dropped its connection.
2. A kept answer for the key: the same request replays it (``Idempotent-Replayed: true``);
   another request is ``422 idempotency_key_reused``.
3. Otherwise the request runs, and a successful (2xx) answer is inserted as the key's record
   before the transaction commits. Any other answer rolls back everything the request wrote:
   the request failed, so nothing of it stays and the key is free for a retry.

The question in step 1 reads the snapshot its statement started with, a moment before the lock
is taken: a transaction that held the lock may commit the key's record in that moment. The
record's unique key catches it at step 3, and the request is rolled back and answered from the
record that won, so a request still runs once.

Keys are per organisation: the API key's, or the active one of a signed-in person. Requests
made for no organisation (a carrier's signed callback) are not affected.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
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
        try:
            with transaction.atomic():
                locked, kept = _lock_and_look_up(organization.pk, key)
                if not locked:
                    response = _error(
                        409,
                        "idempotency_in_progress",
                        _("A request with this Idempotency-Key is still being processed; retry."),
                    )
                    response["Retry-After"] = "1"
                    return response
                if kept and (answer := _kept_answer(organization, key, fingerprint)):
                    return answer
                response = self.get_response(request)
                if 200 <= response.status_code < 300:
                    _keep(organization, key, request, fingerprint, response)
                else:
                    transaction.set_rollback(True)
                return response
        except IntegrityError:
            # A twin request committed the key's record between our look-up and our lock (see
            # the module's docstring): ours is rolled back and answered as its repeat.
            with transaction.atomic():
                answer = _kept_answer(organization, key, fingerprint)
            if answer is None:
                raise
            return answer


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


def _lock_and_look_up(organization_id: int, key: str) -> tuple[bool, bool]:
    """Take the transaction's advisory lock on the key, without waiting, and say whether the
    key has a record, in one statement: (locked, has a record)."""
    digest = hashlib.sha256(f"idempotency-key:{organization_id}:{key}".encode()).digest()
    lock_id = int.from_bytes(digest[:8], "big", signed=True)
    records = IdempotencyRecord._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT pg_try_advisory_xact_lock(%s), EXISTS (SELECT 1 FROM {records} "  # noqa: S608
            "WHERE organization_id = %s AND key = %s)",
            [lock_id, organization_id, key],
        )
        locked, kept = cursor.fetchone()
    return locked, kept


def _kept_answer(organization, key: str, fingerprint: str) -> HttpResponse | None:
    """The answer to a repeat of a request whose record is kept: its replay, or 422 for another
    request under the same key. None when there is no record to answer from; a record past its
    time (or never completed) is deleted then, freeing the key."""
    # Read committed: this sees what a transaction that held the lock before committed.
    record = IdempotencyRecord.objects.visible_to(organization).filter(key=key).first()
    if record is None:
        return None
    if not _replayable(record):
        record.delete()
        return None
    if record.request_hash != fingerprint:
        return _error(
            422,
            "idempotency_key_reused",
            _("This Idempotency-Key was used with a different request."),
        )
    return _replay(record)


def _replayable(record: IdempotencyRecord) -> bool:
    """A kept answer within the retention window. (One past it waits for the pruning task; one
    never completed can only be left from before records committed with their request's work.)"""
    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_RETENTION_HOURS)
    return record.completed_at is not None and record.created_at >= cutoff


def _keep(organization, key: str, request, fingerprint: str, response) -> None:
    IdempotencyRecord.objects.create(
        organization=organization,
        key=key,
        method=request.method,
        path=request.path[:300],
        request_hash=fingerprint,
        status_code=response.status_code,
        response_headers=dict(response.headers),
        response_content=response.content,
        completed_at=timezone.now(),
    )


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
