"""Messages between a buyer organisation and a merchant organisation.

A thread is started by either side, optionally about a product, a purchase or merchant order, a
quotation request, a claim or a listing report; asking again about the same thing continues the
same thread. Attachments are checked by their content (PDF, PNG or JPEG) like every upload.
Each new message is sent as the webhook ``message.received`` to the other side and mailed to its
people, at most once per thread, side and hour (``buyer_mailed_at`` / ``merchant_mailed_at``).
The network's operators read — and may write in — a thread only when it is attached to a claim
or a report."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Product
from deals.models import (
    Message,
    MessageAttachment,
    Quotation,
    QuotationRequest,
    Thread,
    ThreadRead,
)
from merchants.errors import DocumentRejected
from merchants.services.documents import document_check
from moderation.models import ListingReport
from network.errors import DomainError, PermissionDenied
from network.models import Membership, Organization, Role, User
from network.permissions import require_member
from network.selectors import user_is_operator
from network.services import audit, notification_send, webhook_emit
from network.tenancy import row_scope
from orders.models import MerchantOrder, PurchaseOrder
from payments.models import Claim

MAX_ATTACHMENTS = 5
MAX_BODY = 5000
MAIL_INTERVAL = timedelta(hours=1)


class MessageInvalid(DomainError):
    """A message without text, too long, with too many or unreadable attachments, or a thread
    between organisations that cannot talk (not a buyer and a merchant)."""

    code = "message_invalid"
    status = 400


class MessagePermissionDenied(PermissionDenied):
    """The acting person's organisation is not a side of the thread, or its role only reads."""


# --- Who is who --------------------------------------------------------------------------------


def thread_side(thread: Thread, organization: Organization | None) -> str:
    """``buyer``, ``merchant`` or ``operator``: which side of the thread ``organization`` is
    ("" when none: operators are a side only of threads about a claim or a report)."""
    if organization is None:
        return ""
    if organization.pk == thread.buyer_id:
        return "buyer"
    if organization.pk == thread.merchant_id:
        return "merchant"
    attached = thread.claim_id is not None or thread.report_id is not None
    if attached and organization.kind == Organization.Kind.OPERATOR:
        return "operator"
    return ""


def _writer_required(thread: Thread, organization: Organization, user: User | None) -> str:
    side = thread_side(thread, organization)
    if not side:
        raise MessagePermissionDenied(_("Only the two sides of a conversation write in it."))
    if side == "operator" and not user_is_operator(user):
        raise MessagePermissionDenied(_("Only the network's operators write for them."))
    # Staff (merchants, operators) and buyers write; viewers only read.
    require_member(
        organization=organization,
        user=user,
        role=Role.STAFF,
        error=MessagePermissionDenied,
        message=_("Viewers read conversations; staff, buyers, admins and owners write in them."),
    )
    return side


# --- Attachments -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedFile:
    upload: UploadedFile
    name: str
    content_type: str
    size: int


def attachments_checked(files: Sequence[UploadedFile]) -> list[CheckedFile]:
    """The files, if there are at most ``MAX_ATTACHMENTS`` and each is a PDF, PNG or JPEG by
    its content (whatever its name says); ``message_invalid`` otherwise."""
    if len(files) > MAX_ATTACHMENTS:
        raise MessageInvalid(
            _("Attach at most %(n)s files.") % {"n": MAX_ATTACHMENTS}, field="attachments"
        )
    checked = []
    for upload in files:
        name = (getattr(upload, "name", "") or "file")[-200:]
        try:
            content_type = document_check(upload)
        except DocumentRejected as error:
            raise MessageInvalid(f"{name}: {error.message}", field="attachments") from None
        checked.append(CheckedFile(upload, name, content_type, upload.size or 0))
    return checked


def _store_attachments(message: Message, files: list[CheckedFile]) -> None:
    for checked in files:
        attachment = MessageAttachment(
            message=message,
            original_name=checked.name,
            content_type=checked.content_type,
            size=checked.size,
        )
        checked.upload.seek(0)
        attachment.file.save("attachment", checked.upload, save=False)
        attachment.save()


# --- Writing -----------------------------------------------------------------------------------


def _body_checked(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise MessageInvalid(_("Write a message."), field="body")
    if len(body) > MAX_BODY:
        raise MessageInvalid(
            _("A message is at most %(n)s characters.") % {"n": MAX_BODY}, field="body"
        )
    return body


@dataclass(frozen=True)
class About:
    """What a new thread is about, and so who its two sides are."""

    buyer: Organization
    merchant: Organization
    subject: str
    lookup: dict[str, Any]


def thread_about(
    *,
    organization: Organization,
    product: Product | None = None,
    purchase_order: PurchaseOrder | None = None,
    merchant_order: MerchantOrder | None = None,
    claim: Claim | None = None,
    report: ListingReport | None = None,
    quotation_request: QuotationRequest | None = None,
    counterpart: Organization | None = None,
) -> About:
    """The two sides and a default subject of a thread ``organization`` starts about one of the
    given records (already fetched through ``access_*``/public reads for ``organization``), or
    with ``counterpart`` alone. ``message_invalid`` when the two cannot talk."""
    lookup: dict[str, Any] = {}
    subject = ""
    buyer = merchant = None
    if claim is not None:
        buyer, merchant = claim.organization, claim.merchant
        lookup = {"claim": claim}
        subject = _("Claim %(number)s") % {"number": claim.number}
    elif report is not None:
        buyer, merchant = report.reporter_organization, report.merchant
        lookup = {"report": report}
        subject = _("Report on %(product)s") % {"product": report.product}
    elif merchant_order is not None:
        buyer, merchant = merchant_order.buyer, merchant_order.organization
        lookup = {"merchant_order": merchant_order}
        subject = _("Order %(number)s") % {"number": merchant_order.number}
    elif quotation_request is not None:
        buyer = quotation_request.buyer
        merchant = organization if organization.pk != buyer.pk else counterpart
        lookup = {"quotation_request": quotation_request}
        subject = _("Request for quotation %(number)s") % {"number": quotation_request.number}
    elif purchase_order is not None:
        buyer = purchase_order.organization
        merchant = counterpart
        lookup = {"purchase_order": purchase_order}
        subject = _("Purchase order %(number)s") % {"number": purchase_order.number}
    elif product is not None:
        merchant = product.organization
        buyer = organization if organization.pk != merchant.pk else counterpart
        lookup = {"product": product}
        subject = product.title
    elif counterpart is not None:
        if organization.kind == Organization.Kind.MERCHANT:
            buyer, merchant = counterpart, organization
        else:
            buyer, merchant = organization, counterpart
    if buyer is None or merchant is None:
        raise MessageInvalid(_("Choose whom to write to."), field="counterpart")
    if organization.pk not in (buyer.pk, merchant.pk):
        raise MessagePermissionDenied(_("Only the two sides of a conversation write in it."))
    if (
        buyer.pk == merchant.pk
        or merchant.kind != Organization.Kind.MERCHANT
        or buyer.kind == Organization.Kind.OPERATOR
    ):
        raise MessageInvalid(
            _("Conversations are between a buyer and a merchant."), field="counterpart"
        )
    if (
        purchase_order is not None
        and not purchase_order.merchant_orders.filter(organization=merchant).exists()
    ):
        raise MessageInvalid(
            _("%(merchant)s has no part in this purchase order.") % {"merchant": merchant.name},
            field="counterpart",
        )
    if (
        quotation_request is not None
        and organization.pk == buyer.pk
        and not Quotation.objects.visible_to(buyer)
        .filter(request=quotation_request, merchant=merchant)
        .exists()
    ):
        raise MessageInvalid(
            _("%(merchant)s has not quoted on this request.") % {"merchant": merchant.name},
            field="counterpart",
        )
    return About(buyer=buyer, merchant=merchant, subject=str(subject)[:200], lookup=lookup)


@transaction.atomic
def thread_start(
    *,
    organization: Organization,
    about: About,
    body: str,
    acting_user: User,
    subject: str = "",
    attachments: Sequence[UploadedFile] = (),
) -> tuple[Thread, Message]:
    """A first message to the other side. Asking again about the same record continues that
    record's thread. Refused with ``message_invalid`` or ``permission_denied``."""
    body = _body_checked(body)
    subject = (subject or about.subject or body.splitlines()[0]).strip()[:200]
    thread = None
    if about.lookup:
        thread = (
            Thread.objects.visible_to(organization)
            .filter(buyer=about.buyer, merchant=about.merchant, **about.lookup)
            .order_by("pk")
            .first()
        )
    if thread is None:
        thread = Thread(
            buyer=about.buyer,
            merchant=about.merchant,
            subject=subject,
            started_by=acting_user,
            **about.lookup,
        )
        _writer_required(thread, organization, acting_user)
        thread.full_clean()
        thread.save()
        audit(
            actor=acting_user,
            organization=organization,
            action="thread.started",
            target=thread,
            changes={"buyer": about.buyer.pk, "merchant": about.merchant.pk},
        )
    message = message_post(
        thread=thread,
        organization=organization,
        body=body,
        attachments=attachments,
        acting_user=acting_user,
    )
    return thread, message


def message_payload(message: Message) -> dict[str, Any]:
    thread = message.thread
    return {
        "thread": thread.pk,
        "subject": thread.subject,
        "buyer": thread.buyer.name,
        "merchant": thread.merchant.name,
        "message": message.pk,
        "author_organization": message.author_organization.name,
        "body": message.body,
        "created_at": message.created_at,
        "attachments": [a.original_name for a in message.attachments.all()],
        "url": settings.SITE_URL + reverse("deals:thread", args=[thread.pk]),
    }


def _recipients(thread: Thread, side: str) -> list[Organization]:
    """The sides told about a message written by ``side`` (an operator's: both)."""
    return {
        "buyer": [thread.merchant],
        "merchant": [thread.buyer],
        "operator": [thread.buyer, thread.merchant],
    }[side]


@transaction.atomic
def message_post(
    *,
    thread: Thread,
    organization: Organization,
    body: str,
    acting_user: User,
    attachments: Sequence[UploadedFile] = (),
) -> Message:
    """Add a message (with checked attachments) to a thread ``organization`` is a side of; the
    other side gets the webhook ``message.received`` and, at most hourly, a mail."""
    side = _writer_required(thread, organization, acting_user)
    body = _body_checked(body)
    files = attachments_checked(list(attachments))
    thread = Thread.objects.visible_to(organization).select_for_update().get(pk=thread.pk)
    now = timezone.now()
    message = Message(
        thread=thread,
        author_organization=organization,
        author=acting_user,
        body=body,
        created_at=now,
    )
    message.full_clean()
    message.save()
    _store_attachments(message, files)
    thread.last_message_at = now
    thread.save(update_fields=["last_message_at"])
    # Through the buyer, a side of every thread (operators have no rows of their own here).
    ThreadRead.objects.visible_to(thread.buyer).update_or_create(
        thread=thread, user=acting_user, defaults={"read_at": now}
    )
    audit(
        actor=acting_user,
        organization=organization,
        action="message.posted",
        target=thread,
        changes={"message": message.pk, "attachments": len(files)},
    )
    payload = message_payload(message)
    for recipient in _recipients(thread, side):
        webhook_emit(organization=recipient, event="message.received", payload=payload)
    organization_ids = [thread.buyer_id, thread.merchant_id]
    unread_changed(organization_ids)
    transaction.on_commit(lambda: unread_changed(organization_ids))
    message_mail.delay_on_commit(message.pk)
    return message


@transaction.atomic
def thread_mark_read(*, thread: Thread, organization: Organization, user: User) -> None:
    """The person has read the thread up to now (their unread count drops)."""
    if not user.is_authenticated or not thread_side(thread, organization):
        return
    ThreadRead.objects.visible_to(thread.buyer).update_or_create(
        thread=thread, user=user, defaults={"read_at": timezone.now()}
    )
    # Now (for this request) and again on commit (a page rendered meanwhile is not kept).
    key = _unread_key(organization.pk, user.pk)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


# --- The header's unread count -----------------------------------------------------------------


def _version_key(organization_id: int) -> str:
    return f"deals:unread-version:{organization_id}"


def _unread_key(organization_id: int, user_id: int) -> str:
    return f"deals:unread:{organization_id}:{user_id}"


def unread_changed(organization_ids: Sequence[int]) -> None:
    """A new message: every member's cached unread count of these organisations is stale."""
    for organization_id in organization_ids:
        cache.set(_version_key(organization_id), secrets.randbits(62), timeout=None)


def unread_count_cached(*, organization: Organization, user: User) -> int:
    """The person's number of threads with unread messages, kept in the cache until a new
    message or their reading changes it (so the header costs no query on most pages)."""
    from deals.selectors import unread_thread_count

    version_key, count_key = _version_key(organization.pk), _unread_key(organization.pk, user.pk)
    cached = cache.get_many([version_key, count_key])
    version = cached.get(version_key, 0)
    entry = cached.get(count_key)
    if entry is not None and entry[0] == version:
        return int(entry[1])
    count = unread_thread_count(organization=organization, user=user)
    cache.set(count_key, (version, count), timeout=60 * 60)
    return count


# --- Mail --------------------------------------------------------------------------------------


def _mailed_field(organization: Organization, thread: Thread) -> str:
    return "buyer_mailed_at" if organization.pk == thread.buyer_id else "merchant_mailed_at"


def _people(organization: Organization) -> list[User]:
    """Who reads a side's messages: its owners, admins, staff and buyers (not viewers)."""
    return [
        m.user
        for m in Membership.objects.filter(
            organization=organization, role__in=[Role.OWNER, Role.ADMIN, Role.STAFF, Role.BUYER]
        )
        .select_related("user")
        .order_by("pk")
    ]


def message_mail_send(*, message_id: int, now: datetime | None = None) -> int:
    """Mail the other side(s) of a new message, unless that side was mailed about the thread
    in the last hour. Returns how many people were mailed; safe to run twice."""
    now = now or timezone.now()
    sent = 0
    # The task reads as the thread's buyer, a side of every thread.
    with row_scope(Message, message_id, party="thread__buyer"), transaction.atomic():
        message = (
            Message.objects.all()
            .select_related("thread__buyer", "thread__merchant", "author_organization")
            .filter(pk=message_id)
            .first()
        )
        if message is None:
            return 0
        thread = Thread.objects.all().select_for_update().get(pk=message.thread_id)
        side = thread_side(thread, message.author_organization)
        for recipient in _recipients(thread, side) if side else []:
            field = _mailed_field(recipient, thread)
            last = getattr(thread, field)
            if last is not None and (now - last < MAIL_INTERVAL or last >= message.created_at):
                continue
            setattr(thread, field, now)
            thread.save(update_fields=[field])
            for person in _people(recipient):
                if message.author_id == person.pk:
                    continue
                notification_send(
                    email=person.email,
                    recipient=person,
                    organization=recipient,
                    kind="deals.message_received",
                    template="deals/messages/email/message_received",
                    context={
                        "subject": thread.subject,
                        "sender": message.author_organization.name,
                        "body": message.body[:1000],
                    },
                    link=settings.SITE_URL + reverse("deals:thread", args=[thread.pk]),
                )
                sent += 1
    return sent


@shared_task(name="deals.tasks.message_mail", acks_late=True)
def message_mail(message_id: int) -> int:
    """Mail the other side of a new message (at most once per thread, side and hour)."""
    return message_mail_send(message_id=message_id)
