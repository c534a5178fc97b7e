"""Notifications: a message to one person, rendered in their language, stored, and mailed once
by a Celery task after commit."""

from __future__ import annotations

import base64
import zoneinfo
from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

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
    notification_deliver.delay_on_commit(notification.pk)
    return notification


def notification_mark_read(*, notification: Notification, user: User) -> Notification:
    """Mark one of the user's own notifications read."""
    if notification.recipient_id != user.pk:
        raise PermissionDenied(_("That notification is not yours."))
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@shared_task(
    name="network.tasks.notification_deliver",
    bind=True,
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def notification_deliver(self: Task, notification_id: int) -> bool:
    """Mail one notification; a second run of the same id sends nothing more. Runs inside the
    scope of the organisation it was sent for (a person's own account mail has none)."""
    with row_scope(Notification, notification_id) as organization, transaction.atomic():
        rows = Notification.objects.all() if organization else Notification.objects.personal()
        notification = rows.select_for_update().filter(pk=notification_id).first()
        if notification is None or notification.sent_at is not None:
            return False
        message = EmailMultiAlternatives(
            subject=notification.subject, body=notification.body, to=[notification.email]
        )
        for attachment in notification.attachments:
            message.attach(
                attachment["name"],
                base64.b64decode(attachment["content"]),
                attachment["mimetype"],
            )
        # Sent inside the row lock: a concurrent duplicate waits, then sees sent_at and stops.
        message.send()
        notification.sent_at = timezone.now()
        notification.save(update_fields=["sent_at"])
    return True
