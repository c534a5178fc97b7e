"""Integration clients: API keys, webhook endpoints and deliveries."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from datetime import timedelta
from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, FilteredRelation, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from network import outbound
from network.errors import DomainError
from network.models import (
    ApiKey,
    ApiScope,
    Membership,
    Organization,
    Role,
    User,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from network.prepared import PreparedQuery
from network.services.core import _require_admin, audit
from network.services.notifications import notification_send
from network.tenancy import row_scope

__all__ = [
    "WebhookEndpointDisabled",
    "WebhookUrlRefused",
    "api_key_authenticate",
    "api_key_create",
    "api_key_revoke",
    "webhook_attempt",
    "webhook_endpoint_create",
    "webhook_endpoint_delete",
    "webhook_endpoint_enable",
    "webhook_endpoint_rotate_secret",
    "webhook_endpoint_update",
    "webhook_emit",
    "webhook_redeliver",
    "webhook_deliver",
    "webhook_retry_due",
    "webhook_signature",
]

KEY_PREFIX = "gumn"


# --- API keys ----------------------------------------------------------------------------------


@transaction.atomic
def api_key_create(
    *, organization: Organization, name: str, scopes: list[str], acting_user: User
) -> tuple[ApiKey, str]:
    """Create a key with ``scopes``; returns it and the full key, which is never shown again."""
    _require_admin(organization=organization, acting_user=acting_user)
    unknown = sorted(set(scopes) - set(ApiScope.values))
    if unknown or not scopes:
        raise DomainError(_("Choose one or more scopes from the list."), code="invalid_scopes")
    if not name.strip():
        raise DomainError(
            _("Give the key a name, e.g. the system that uses it."), code="invalid_name"
        )
    prefix = secrets.token_hex(4)
    raw_key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey(
        organization=organization,
        name=name.strip()[:100],
        prefix=prefix,
        key_hash=ApiKey.hash_key(raw_key),
        scopes=sorted(set(scopes)),
        created_by=acting_user,
    )
    api_key.save()
    audit(
        actor=acting_user,
        organization=organization,
        action="api_key.created",
        target=api_key,
        changes={"scopes": api_key.scopes, "prefix": prefix},
    )
    return api_key, raw_key


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, acting_user: User) -> ApiKey:
    """Revoke a key: every request made with it is refused from now on."""
    _require_admin(organization=api_key.organization, acting_user=acting_user)
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        audit(
            actor=acting_user,
            organization=api_key.organization,
            action="api_key.revoked",
            target=api_key,
        )
    return api_key


def _key_by_hash(_shape: object, *, key_hash: str) -> QuerySet[ApiKey]:
    return (
        ApiKey.objects.opened_by(key_hash)
        .select_related("organization", "created_by")
        .filter(revoked_at__isnull=True)
        .annotate(
            creator=FilteredRelation(
                "organization__memberships",
                condition=Q(organization__memberships__user=F("created_by")),
            ),
            creator_membership_id=F("creator__id"),
            creator_role=F("creator__role"),
            creator_joined_at=F("creator__created_at"),
        )
        .order_by("pk")[:1]
    )


# Every API call made with a key reads it: compiled once, not on each call.
_KEY_BY_HASH = PreparedQuery(_key_by_hash, key_hash=str)


def api_key_authenticate(raw_key: str) -> ApiKey | None:
    """The active key for ``raw_key``, or None. Records its last use (at most once a minute).

    The key comes with ``creator_membership``: its creator's membership of the key's
    organisation (the role the key acts with), or None if the creator has left it; read in
    the same query, since every request made with a key needs both."""
    if not raw_key.startswith(f"{KEY_PREFIX}_"):
        return None
    # Rows with the creator's membership annotated (``_key_by_hash``).
    found: list[Any] = _KEY_BY_HASH.run(key_hash=ApiKey.hash_key(raw_key))
    api_key = found[0] if found else None
    if api_key is None:
        return None
    api_key.creator_membership = (
        Membership(
            pk=api_key.creator_membership_id,
            user=api_key.created_by,
            organization=api_key.organization,
            role=api_key.creator_role,
            created_at=api_key.creator_joined_at,
        )
        if api_key.creator_membership_id is not None
        else None
    )
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at > timedelta(minutes=1):
        ApiKey.objects.visible_to(api_key.organization).filter(pk=api_key.pk).update(
            last_used_at=now
        )
        api_key.last_used_at = now
    return api_key


# --- Webhooks ----------------------------------------------------------------------------------


class WebhookUrlRefused(DomainError):
    """Not http(s), http in production, or a host that is not on the public internet; the code
    says which (``url_invalid``, ``url_scheme_not_allowed``, ``url_not_public``)."""

    code = "url_invalid"


class WebhookEndpointDisabled(DomainError):
    code = "endpoint_disabled"
    status = 409


def _check_events(events: list[str]) -> list[str]:
    unknown = sorted(set(events) - set(WebhookEvent.values))
    if unknown or not events:
        raise DomainError(_("Choose one or more events from the list."), code="invalid_events")
    return sorted(set(events))


def _check_url(url: str) -> str:
    try:
        return outbound.check_url_to_register(url)
    except outbound.Refused as refusal:
        raise WebhookUrlRefused(refusal.message, code=refusal.code) from None


def _new_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


@transaction.atomic
def webhook_endpoint_create(
    *,
    organization: Organization,
    url: str,
    events: list[str],
    acting_user: User,
    description: str = "",
) -> WebhookEndpoint:
    """Register an endpoint with a fresh signing secret. Raises ``WebhookUrlRefused`` for a URL
    that is not http(s) — https only in production — or whose host is not on the public
    internet."""
    _require_admin(organization=organization, acting_user=acting_user)
    endpoint = WebhookEndpoint(
        organization=organization,
        url=_check_url(url),
        events=_check_events(events),
        description=description.strip(),
        secret=_new_secret(),
        created_by=acting_user,
    )
    endpoint.full_clean()
    endpoint.save()
    audit(
        actor=acting_user,
        organization=organization,
        action="webhook_endpoint.created",
        target=endpoint,
        changes={"url": endpoint.url, "events": endpoint.events},
    )
    return endpoint


@transaction.atomic
def webhook_endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    acting_user: User,
    url: str | None = None,
    events: list[str] | None = None,
    description: str | None = None,
    enabled: bool | None = None,
) -> WebhookEndpoint:
    """Change what is given (None leaves a field as it is); a new URL is checked as on
    creation. Enabling an endpoint clears its failure count, as ``webhook_endpoint_enable``."""
    _require_admin(organization=endpoint.organization, acting_user=acting_user)
    changes: dict[str, Any] = {}
    if url is not None and url.strip() != endpoint.url:
        endpoint.url = changes["url"] = _check_url(url)
    if events is not None and _check_events(events) != endpoint.events:
        endpoint.events = changes["events"] = _check_events(events)
    if description is not None and description.strip() != endpoint.description:
        endpoint.description = changes["description"] = description.strip()
    if enabled is not None and enabled != endpoint.is_active:
        endpoint.is_active = changes["enabled"] = enabled
        endpoint.consecutive_failures = 0
        endpoint.disabled_reason = ""
    if not changes:
        return endpoint
    endpoint.full_clean()
    endpoint.save()
    audit(
        actor=acting_user,
        organization=endpoint.organization,
        action="webhook_endpoint.updated",
        target=endpoint,
        changes=changes,
    )
    return endpoint


@transaction.atomic
def webhook_endpoint_rotate_secret(
    *, endpoint: WebhookEndpoint, acting_user: User
) -> WebhookEndpoint:
    """Give the endpoint a new signing secret, used from the next attempt on; the old one
    signs nothing more."""
    _require_admin(organization=endpoint.organization, acting_user=acting_user)
    endpoint.secret = _new_secret()
    endpoint.save(update_fields=["secret"])
    audit(
        actor=acting_user,
        organization=endpoint.organization,
        action="webhook_endpoint.secret_rotated",
        target=endpoint,
    )
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, acting_user: User) -> None:
    _require_admin(organization=endpoint.organization, acting_user=acting_user)
    audit(
        actor=acting_user,
        organization=endpoint.organization,
        action="webhook_endpoint.deleted",
        target=endpoint,
        changes={"url": endpoint.url},
    )
    endpoint.delete()


@transaction.atomic
def webhook_endpoint_enable(*, endpoint: WebhookEndpoint, acting_user: User) -> WebhookEndpoint:
    """Turn a disabled endpoint back on (after its owner fixed it)."""
    _require_admin(organization=endpoint.organization, acting_user=acting_user)
    endpoint.is_active = True
    endpoint.consecutive_failures = 0
    endpoint.disabled_reason = ""
    endpoint.save(update_fields=["is_active", "consecutive_failures", "disabled_reason"])
    audit(
        actor=acting_user,
        organization=endpoint.organization,
        action="webhook_endpoint.enabled",
        target=endpoint,
    )
    return endpoint


def webhook_emit(
    *, organization: Organization, event: str, payload: dict[str, Any]
) -> list[WebhookDelivery]:
    """Queue ``event`` for every active endpoint of ``organization`` that subscribed to it.

    Called by services inside their transaction; deliveries start after commit."""
    event = WebhookEvent(event)
    body = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    endpoints = list(
        WebhookEndpoint.objects.visible_to(organization).filter(
            organization=organization, is_active=True, events__contains=[event]
        )
    )
    deliveries = WebhookDelivery.objects.visible_to(organization).bulk_create(
        [
            WebhookDelivery(
                endpoint=endpoint,
                organization=organization,
                event=event,
                payload=body,
                next_attempt_at=timezone.now(),
            )
            for endpoint in endpoints
        ]
    )
    for delivery in deliveries:
        webhook_deliver.delay_on_commit(delivery.pk)
    return deliveries


def webhook_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """``t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`` — the Network-Signature header."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 2 * 3600))


def webhook_attempt(*, delivery_id: int) -> WebhookDelivery | None:
    """Make one delivery attempt (the task's logic). Returns the delivery, or None if there is
    nothing to do (already delivered, given up, or its endpoint is off). Schedules the retry by
    setting ``next_attempt_at``; the task reads it.

    The request goes only to a public address its host resolves to now (``network.outbound``);
    a refused address, a redirect or any other answer than 2xx is a failed attempt. Only the
    status code, the time and the error class are kept, never the answer's body. Runs inside
    the scope of the delivery's organisation."""
    with row_scope(WebhookDelivery, delivery_id), transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .select_related("endpoint", "organization")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
            return None
        endpoint = delivery.endpoint
        if not endpoint.is_active:
            return None
        body = json.dumps(
            {
                "id": str(delivery.event_id),
                "type": delivery.event,
                "created": delivery.created_at.isoformat(),
                "data": delivery.payload,
            },
            separators=(",", ":"),
        ).encode()
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "GlobalUSMerchantsNetwork-Webhooks/1",
            "Network-Event": delivery.event,
            "Network-Delivery": str(delivery.event_id),
            "Network-Signature": webhook_signature(
                secret=endpoint.secret, timestamp=timestamp, body=body
            ),
        }
        code, elapsed_ms, error = None, None, ""
        try:
            answer = outbound.post(
                endpoint.url,
                content=body,
                headers=headers,
                timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
            )
        except outbound.Refused as refusal:
            error = (
                WebhookDelivery.Error.REFUSED_ADDRESS
                if refusal.code == "url_not_public"
                else WebhookDelivery.Error.REFUSED_URL
            )
        except outbound.Failure as failure:
            error, elapsed_ms = WebhookDelivery.Error(failure.kind), failure.elapsed_ms
        else:
            code, elapsed_ms = answer.status_code, answer.elapsed_ms
            if not 200 <= code < 300:
                error = WebhookDelivery.Error.HTTP_STATUS
        now = timezone.now()
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.response_code = code
        delivery.response_ms = elapsed_ms
        delivery.error = error
        if not error:
            delivery.status = WebhookDelivery.Status.DELIVERED
            delivery.delivered_at = now
            delivery.next_attempt_at = None
            endpoint.consecutive_failures = 0
        else:
            endpoint.consecutive_failures += 1
            retry_at = now + _backoff(delivery.attempts)
            if retry_at - delivery.created_at > timedelta(hours=settings.WEBHOOK_RETRY_HOURS):
                delivery.status = WebhookDelivery.Status.FAILED
                delivery.next_attempt_at = None
            else:
                delivery.next_attempt_at = retry_at
            if (
                endpoint.is_active
                and endpoint.consecutive_failures >= settings.WEBHOOK_DISABLE_AFTER_FAILURES
            ):
                _disable_endpoint(endpoint)
        delivery.save()
        endpoint.save(update_fields=["consecutive_failures", "is_active", "disabled_reason"])
    return delivery


def _disable_endpoint(endpoint: WebhookEndpoint) -> None:
    endpoint.is_active = False
    endpoint.disabled_reason = _("Disabled after %(n)s failed deliveries in a row.") % {
        "n": endpoint.consecutive_failures
    }
    audit(
        actor=None,
        organization=endpoint.organization,
        action="webhook_endpoint.disabled",
        target=endpoint,
        changes={"failures": endpoint.consecutive_failures},
    )
    for membership in Membership.objects.filter(
        organization=endpoint.organization, role__in=[Role.OWNER, Role.ADMIN]
    ).select_related("user"):
        notification_send(
            email=membership.user.email,
            recipient=membership.user,
            organization=endpoint.organization,
            kind="webhook_endpoint.disabled",
            template="network/email/webhook_disabled",
            context={"url": endpoint.url, "failures": endpoint.consecutive_failures},
            link=settings.SITE_URL + reverse("webhooks"),
        )


@transaction.atomic
def webhook_redeliver(*, delivery: WebhookDelivery, acting_user: User) -> WebhookDelivery:
    """Send an event again as a new delivery (the old one stays in the log). Refused while the
    endpoint is disabled: enable it first."""
    _require_admin(organization=delivery.organization, acting_user=acting_user)
    if not delivery.endpoint.is_active:
        raise WebhookEndpointDisabled(
            _("This endpoint is disabled; enable it before sending events to it again.")
        )
    copy = WebhookDelivery.objects.visible_to(delivery.organization).create(
        endpoint=delivery.endpoint,
        organization=delivery.organization,
        event=delivery.event,
        event_id=delivery.event_id,
        payload=delivery.payload,
        next_attempt_at=timezone.now(),
    )
    audit(
        actor=acting_user,
        organization=delivery.organization,
        action="webhook.redelivered",
        target=copy,
        changes={"event_id": str(delivery.event_id)},
    )
    webhook_deliver.delay_on_commit(copy.pk)
    return copy


# --- The tasks ---------------------------------------------------------------------------------


@shared_task(name="network.tasks.webhook_deliver", bind=True, acks_late=True)
def webhook_deliver(self: Task, delivery_id: int) -> str:
    """One attempt at one webhook delivery. Failed attempts are retried by ``webhook_retry_due``
    when their backoff has passed; a delivered one is never sent again by this task."""
    delivery = webhook_attempt(delivery_id=delivery_id)
    return delivery.status if delivery else "skipped"


@shared_task(name="network.tasks.webhook_retry_due", acks_late=True)
def webhook_retry_due() -> int:
    """Beat: queue every pending delivery whose backoff has passed."""
    # A periodic sweep over every organisation's deliveries: it lists ids only, and each
    # attempt runs inside its delivery's row scope.
    with scopes_disabled():
        due = list(
            WebhookDelivery.objects.filter(
                status=WebhookDelivery.Status.PENDING,
                next_attempt_at__lte=timezone.now(),
                attempts__gt=0,
                endpoint__is_active=True,
            ).values_list("pk", flat=True)[:500]
        )
    for delivery_id in due:
        webhook_deliver.delay(delivery_id)
    return len(due)
