"""The buyer at the goods' arrival: it confirms receipt of a merchant order (which closes it), or
reports a problem (short, damaged, not as described) with photos for the merchant and the
network's operators.

A merchant order travelling on a shipment is received once the shipment has arrived; one
without a shipment (the merchant's own carrier) once delivered to consolidation. An open
problem does not stop the confirmation: the goods are there, and the problem stays open for
its claim."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import IO, Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from network.models import User
from network.selectors import operator_memberships, organization_staff
from network.services import audit, notification_send, webhook_emit
from network.shipments import order_shipments
from orders import payment_hooks
from orders.errors import IllegalOrderTransition, ReceiptProblemInvalid
from orders.models import (
    MerchantOrder,
    MerchantOrderStatus,
    ReceiptProblem,
    ReceiptProblemPhoto,
)
from orders.selectors import arrived
from orders.services.common import _link, buyer_required
from orders.services.fulfilment import _advance
from orders.services.status import _locked, _notify_merchant, merchant_order_payload

MAX_PHOTOS = 6
MAX_PHOTO_BYTES = 8 * 2**20
MAX_PIXELS = 40_000_000  # also guards against decompression bombs
PHOTO_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# Where the goods may be for the buyer to speak of their receipt.
ARRIVED_STATUSES = (
    MerchantOrderStatus.SHIPPED,
    MerchantOrderStatus.DELIVERED,
    MerchantOrderStatus.CLOSED,
)


def goods_arrived(merchant_order: MerchantOrder) -> bool:
    """Whether the buyer may confirm receipt or report a problem: a merchant order on a
    shipment once the shipment arrived; one without once delivered to consolidation (or
    closed)."""
    if merchant_order.status not in ARRIVED_STATUSES:
        return False
    shipments = order_shipments(
        organization=merchant_order.buyer, merchant_order_ids=[merchant_order.pk]
    ).get(merchant_order.pk, [])
    return arrived(merchant_order, shipments)


def _not_arrived() -> IllegalOrderTransition:
    return IllegalOrderTransition(
        _(
            "The goods of this merchant order have not arrived yet: confirm receipt once its "
            "shipment has arrived."
        )
    )


@transaction.atomic
def merchant_order_confirm_receipt(
    *, merchant_order: MerchantOrder, acting_user: User
) -> MerchantOrder:
    """The buyer (owner, admin or buyer role) confirms the goods arrived: the merchant order is
    closed, the merchant told, ``merchant_order.received`` sent to both. Confirming a closed
    merchant order again changes nothing. Refused (``illegal_transition``) before arrival."""
    buyer_required(organization=merchant_order.buyer, user=acting_user)
    _purchase_order, merchant_order = _locked(merchant_order)
    if merchant_order.status == MerchantOrderStatus.CLOSED:
        return merchant_order  # confirmed before: nothing more happens
    if merchant_order.status in ARRIVED_STATUSES and not goods_arrived(merchant_order):
        raise _not_arrived()
    merchant_order = _advance(
        merchant_order,
        stamp="closed_at",
        verb="receive",
        action="merchant_order.received",
        acting_user=acting_user,
    )
    payment_hooks.merchant_order_event(
        merchant_order=merchant_order, event="received", acting_user=acting_user
    )
    payload = merchant_order_payload(merchant_order)
    for organization in (merchant_order.organization, merchant_order.buyer):
        webhook_emit(organization=organization, event="merchant_order.received", payload=payload)
    _notify_merchant(merchant_order, "closed")
    return merchant_order


def _photo_checked(photo: IO[bytes], position: int) -> tuple[bytes, str]:
    """The photo's bytes and content type, if it is a JPEG, PNG or WebP image (by its content,
    whatever its name says) of at most 8 MB."""
    name = getattr(photo, "name", "") or _("photo %(n)s") % {"n": position}
    size = getattr(photo, "size", None)
    too_big = _("%(name)s is larger than %(mb)s MB.") % {
        "name": name,
        "mb": MAX_PHOTO_BYTES // 2**20,
    }
    if size is not None and size > MAX_PHOTO_BYTES:
        raise ReceiptProblemInvalid(too_big, field="photos")
    data = photo.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise ReceiptProblemInvalid(too_big, field="photos")
    not_a_photo = _("%(name)s is not a JPEG, PNG or WebP photo.") % {"name": name}
    try:
        with Image.open(io.BytesIO(data)) as probe:
            image_format = probe.format or ""
            width, height = probe.size
            if width * height > MAX_PIXELS:
                raise ReceiptProblemInvalid(not_a_photo, field="photos")
            probe.verify()
    except ReceiptProblemInvalid:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ReceiptProblemInvalid(not_a_photo, field="photos") from None
    if image_format not in PHOTO_TYPES:
        raise ReceiptProblemInvalid(not_a_photo, field="photos")
    return data, PHOTO_TYPES[image_format]


@transaction.atomic
def receipt_problem_report(
    *,
    merchant_order: MerchantOrder,
    kind: str,
    description: str,
    photos: Sequence[IO[bytes]],
    acting_user: User,
) -> ReceiptProblem:
    """The buyer reports the goods arrived short, damaged or not as described, with 1 to 6
    photos (JPEG, PNG or WebP, at most 8 MB each, kept in private storage); the merchant and
    the operators are told, ``merchant_order.problem_reported`` sent to buyer and merchant.
    The same open report sent again is returned as it is. Refused with
    ``receipt_problem_invalid`` (bad input) or ``illegal_transition`` (goods not arrived)."""
    buyer_required(organization=merchant_order.buyer, user=acting_user)
    if kind not in ReceiptProblem.Kind.values:
        raise ReceiptProblemInvalid(_("Choose what is wrong with the goods."), field="kind")
    description = (description or "").strip()
    if not description:
        raise ReceiptProblemInvalid(_("Describe what is wrong with the goods."))
    if len(description) > 2000:
        raise ReceiptProblemInvalid(_("Describe the problem in at most 2000 characters."))
    if not photos:
        raise ReceiptProblemInvalid(_("Add at least one photo of the goods."), field="photos")
    if len(photos) > MAX_PHOTOS:
        raise ReceiptProblemInvalid(
            _("Add at most %(n)s photos.") % {"n": MAX_PHOTOS}, field="photos"
        )
    if not goods_arrived(merchant_order):
        raise IllegalOrderTransition(
            _("You can report a problem once the goods of this merchant order have arrived.")
        )
    checked = [_photo_checked(photo, n) for n, photo in enumerate(photos, start=1)]
    # One report per problem: a repeated submit finds the open report it made.
    same = (
        ReceiptProblem.objects.visible_to(merchant_order.buyer)
        .select_for_update()
        .filter(
            merchant_order=merchant_order,
            kind=kind,
            description=description,
            status=ReceiptProblem.Status.OPEN,
        )
        .first()
    )
    if same is not None:
        return same
    problem = ReceiptProblem(
        organization=merchant_order.buyer,
        merchant=merchant_order.organization,
        merchant_order=merchant_order,
        kind=kind,
        description=description,
        reported_by=acting_user,
    )
    problem.full_clean()
    problem.save()
    for data, content_type in checked:
        photo = ReceiptProblemPhoto(
            organization=merchant_order.buyer,
            merchant=merchant_order.organization,
            problem=problem,
            content_type=content_type,
        )
        photo.image.save("photo", ContentFile(data), save=False)
        photo.save()
    audit(
        actor=acting_user,
        organization=merchant_order.buyer,
        action="merchant_order.problem_reported",
        target=merchant_order,
        changes={"problem": problem.pk, "kind": kind, "photos": len(checked)},
    )
    payment_hooks.problem_reported(problem=problem, acting_user=acting_user)
    payload = {
        **merchant_order_payload(merchant_order),
        "problem": receipt_problem_payload(problem, photo_count=len(checked)),
    }
    for organization in (merchant_order.organization, merchant_order.buyer):
        webhook_emit(
            organization=organization, event="merchant_order.problem_reported", payload=payload
        )
    _notify_problem(merchant_order, problem)
    return problem


def receipt_problem_payload(problem: ReceiptProblem, *, photo_count: int) -> dict[str, Any]:
    return {
        "id": problem.pk,
        "kind": problem.kind,
        "description": problem.description,
        "status": problem.status,
        "photos": photo_count,
        "reported_at": problem.created_at,
    }


def _notify_problem(merchant_order: MerchantOrder, problem: ReceiptProblem) -> None:
    context = {
        "number": merchant_order.number,
        "purchase_order": merchant_order.purchase_order.number,
        "buyer": merchant_order.buyer.name,
        "merchant": merchant_order.organization.name,
        "kind": ReceiptProblem.Kind(problem.kind).label,  # lazy: in the recipient's language
        "description": problem.description,
    }
    for user in organization_staff(organization=merchant_order.organization):
        notification_send(
            email=user.email,
            recipient=user,
            organization=merchant_order.organization,
            kind="orders.receipt_problem",
            template="orders/email/receipt_problem",
            context=context,
            link=_link("orders:merchant_order_detail", merchant_order.number),
        )
    for membership in operator_memberships().select_related("user", "organization"):
        notification_send(
            email=membership.user.email,
            recipient=membership.user,
            organization=membership.organization,
            kind="orders.receipt_problem",
            template="orders/email/receipt_problem",
            context=context,
            link=_link("orders:operator_order_detail", merchant_order.purchase_order.number),
        )
