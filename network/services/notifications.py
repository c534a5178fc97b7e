"""Notifications: a message to one person, rendered in their language, stored, and mailed once
by a Celery task after commit.

A person's notifications about one organisation's business are mailed in batches: the first
schedules a task ``NOTIFICATION_MAIL_WINDOW_SECONDS`` ahead (a key in the cache says one is
pending), and that task mails every one still unsent, several as one mail listing them. A
stream of orders so puts one message per person and window on the mail queue, not one per
notification. Account mail (no organisation) and mail with attachments are mailed at once, one
task each, and so is every notification when the window is 0."""

from __future__ import annotations

import base64
import contextlib
import functools
import zoneinfo
from datetime import timedelta
from itertools import groupby
from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled
from redis import RedisError

from network.branding import NETWORK_NAME
from network.errors import PermissionDenied
from network.models import Notification, Organization, User
from network.tenancy import row_scope


def notification_send(
    *,
    email: str,
    kind: str,
    template: str,
    context: dict[str, Any],
    recipient: User | None = None,
    organization: Organization | None = None,
    language: str | None = None,
    link: str = "",
    attachments: list[tuple[str, bytes, str]] | None = None,
) -> Notification:
    """Render ``template`` (``<name>_subject.txt`` / ``<name>_body.txt``) in the recipient's
    language and time zone, store it, and mail it from a Celery task once the transaction
    commits."""
    language = language or (recipient.language if recipient else settings.LANGUAGE_CODE)
    context = {
        "site_name": NETWORK_NAME,
        "site_url": settings.SITE_URL,
        "link": link,
        **context,
    }
    zone = zoneinfo.ZoneInfo(recipient.time_zone_name() if recipient else settings.TIME_ZONE)
    with translation.override(language), timezone.override(zone):
        subject = render_to_string(f"{template}_subject.txt", context).strip()
        body = render_to_string(f"{template}_body.txt", context)
    notification = Notification.objects.create(
        recipient=recipient,
        email=email,
        organization=organization,
        kind=kind,
        subject=" ".join(subject.split())[:200],
        body=body,
        link=link,
        attachments=[
            {"name": name, "mimetype": mimetype, "content": base64.b64encode(content).decode()}
            for name, content, mimetype in attachments or []
        ],
    )
    # A calendar invite or a document goes out on its own: a mail client reads one invite a
    # mail, and a listing would bury the file.
    batched = settings.NOTIFICATION_MAIL_WINDOW_SECONDS > 0 and not attachments
    if batched and organization is not None and recipient is not None:
        transaction.on_commit(
            functools.partial(_mail_batch_schedule, recipient.pk, organization.pk)
        )
    else:
        notification_deliver.delay_on_commit(notification.pk)
    return notification


# How many notifications one mail lists at most; more wait for the next batch, sent at once.
MAIL_BATCH_LIMIT = 50


def _mail_batch_key(recipient_id: int, organization_id: int) -> str:
    return f"notification-mail-batch:{recipient_id}:{organization_id}"


def _mail_batch_schedule(
    recipient_id: int, organization_id: int, *, countdown: int | None = None
) -> None:
    """After commit: schedule the batch of this person and organisation unless one is pending.

    The key is set only after the notification committed and the task deletes it before it
    reads, so a notification is either read by the pending task or schedules the next one."""
    window = settings.NOTIFICATION_MAIL_WINDOW_SECONDS if countdown is None else countdown
    try:
        first = cache.add(_mail_batch_key(recipient_id, organization_id), 1, window + 300)
    except RedisError:
        # A cache that raises: enqueue anyway (a second batch finds nothing left to send).
        # The site's DegradingRedisCache answers False while its Redis is unreachable instead;
        # the periodic re-drive then sends the notifications (REDIS_CACHE_URL may be a Redis of
        # its own, up while the broker is, so this is the one path an outage of it delays).
        first = True
    if first:
        # Past the commit already, so this sends now (a broker outage is logged, not raised).
        notification_mail_batch.apply_async_on_commit(
            (recipient_id, organization_id), countdown=window
        )


def notification_mark_read(*, notification: Notification, user: User) -> Notification:
    """Mark one of the user's own notifications read."""
    if notification.recipient_id != user.pk:
        raise PermissionDenied(_("That notification is not yours."))
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


# Mail tasks retry while the mail server is unreachable, for up to about an hour.
MAIL_TASK_OPTIONS: dict[str, Any] = {
    "bind": True,
    "acks_late": True,
    "autoretry_for": (OSError,),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 8,
}


@shared_task(name="network.tasks.notification_deliver", **MAIL_TASK_OPTIONS)
def notification_deliver(self: Task, notification_id: int) -> bool:
    """Mail one notification; a second run of the same id sends nothing more. Runs inside the
    scope of the organisation it was sent for (a person's own account mail has none)."""
    with row_scope(Notification, notification_id) as organization, transaction.atomic():
        rows = Notification.objects.all() if organization else Notification.objects.personal()
        notification = rows.select_for_update().filter(pk=notification_id).first()
        if notification is None or notification.sent_at is not None:
            return False
        message = _message(
            notification.email, [notification], subject=notification.subject, body=notification.body
        )
        # Sent inside the row lock: a concurrent duplicate waits, then sees sent_at and stops.
        message.send()
        notification.sent_at = timezone.now()
        notification.save(update_fields=["sent_at"])
    return True


@shared_task(name="network.tasks.notification_mail_batch", **MAIL_TASK_OPTIONS)
def notification_mail_batch(self: Task, recipient_id: int, organization_id: int) -> int:
    """Mail a person every notification about one organisation's business not mailed yet: one
    alone as it is, several as one mail listing them. Returns how many were mailed; a second run
    mails nothing more."""
    with contextlib.suppress(RedisError):  # a notification from now on schedules the next batch
        cache.delete(_mail_batch_key(recipient_id, organization_id))
    organization = Organization.objects.filter(pk=organization_id).first()
    recipient = User.objects.filter(pk=recipient_id).first()
    if organization is None or recipient is None:
        return 0
    with scope(organization=organization), transaction.atomic():
        # Locked: a concurrent duplicate waits, then finds them sent and mails nothing.
        notifications = list(
            Notification.objects.filter(
                recipient=recipient, organization=organization, sent_at__isnull=True
            )
            .select_for_update()
            .order_by("created_at", "pk")[: MAIL_BATCH_LIMIT + 1]
        )
        more = len(notifications) > MAIL_BATCH_LIMIT
        notifications = notifications[:MAIL_BATCH_LIMIT]
        # One mail per address: the address a notification was written for, even if the person
        # changed theirs since.
        for email, group in groupby(
            sorted(notifications, key=lambda n: (n.email, n.created_at, n.pk)), lambda n: n.email
        ):
            _mail(email, list(group), recipient=recipient, organization=organization).send()
        Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(
            sent_at=timezone.now()
        )
        if more:
            transaction.on_commit(
                functools.partial(_mail_batch_schedule, recipient_id, organization_id, countdown=0)
            )
    return len(notifications)


def _mail(
    email: str, notifications: list[Notification], *, recipient: User, organization: Organization
) -> EmailMultiAlternatives:
    """One notification as it was written; several as one mail listing each in full, in the
    recipient's language, with every attachment."""
    if len(notifications) == 1:
        subject, body = notifications[0].subject, notifications[0].body
    else:
        with translation.override(recipient.language or settings.LANGUAGE_CODE):
            site_name = str(NETWORK_NAME)
            context = {
                "site_name": site_name,
                "organization": organization.name,
                "count": len(notifications),
                # Each body without its closing line with the network's name: the mail has one.
                "items": [
                    (n.subject, n.body.strip().removesuffix(site_name).rstrip())
                    for n in notifications
                ],
                "link": settings.SITE_URL + reverse("notifications"),
            }
            subject = render_to_string("network/email/digest_subject.txt", context).strip()
            body = render_to_string("network/email/digest_body.txt", context)
    message = _message(email, notifications, subject=" ".join(subject.split()), body=body)
    if len(notifications) > 1:  # mail filters (and tests) can tell a listing from a notification
        message.extra_headers["X-Notification-Count"] = str(len(notifications))
    return message


def _message(
    email: str, notifications: list[Notification], *, subject: str, body: str
) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(subject=subject, body=body, to=[email])
    for notification in notifications:
        for attachment in notification.attachments:
            message.attach(
                attachment["name"],
                base64.b64decode(attachment["content"]),
                attachment["mimetype"],
            )
    return message


@shared_task(name="network.tasks.notification_mail_redrive", acks_late=True)
def notification_mail_redrive() -> int:
    """Beat: schedule again the mail of notifications still unsent well after their batch was
    due (its task lost while Redis was down); the last day's only. Returns how many were found."""
    now = timezone.now()
    window = timedelta(seconds=settings.NOTIFICATION_MAIL_WINDOW_SECONDS)
    # A periodic sweep over every organisation's unsent mail, by age alone.
    with scopes_disabled():
        unsent = list(
            Notification.objects.filter(
                sent_at__isnull=True,
                created_at__lt=now - window - timedelta(minutes=10),
                created_at__gte=now - timedelta(days=1),
            ).values_list("pk", "recipient_id", "organization_id")[:1000]
        )
    batches = {(r, o) for _pk, r, o in unsent if r is not None and o is not None}
    for recipient_id, organization_id in batches:
        notification_mail_batch.delay(recipient_id, organization_id)
    for pk, recipient_id, organization_id in unsent:
        if recipient_id is None or organization_id is None:
            notification_deliver.delay(pk)
    return len(unsent)
