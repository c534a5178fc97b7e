"""Demo claims: the demo buyer's damage report on WL-DEMO-05 becomes a claim once that order is
paid (a transfer received), the merchant offers part of it; a second part of the same order,
still at sea, carries a claim for lateness the merchant disputed, waiting in the operators'
queue. Run after the payments demo (``payments.demo.seed`` calls ``seed`` at its end)."""

from __future__ import annotations

import io

from django.db import transaction

from network.demo import DEMO_BUYER_SLUG, demo_staff
from orders.models import MerchantOrder, MerchantOrderStatus, PurchaseOrder, ReceiptProblem
from payments.ledger import network_books
from payments.models import Claim
from payments.services import claims
from payments.services.collection import funds_receive

REFERENCE = "WL-DEMO-05"


def _photo() -> io.BytesIO:
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (480, 360), (150, 170, 190))
    ImageDraw.Draw(picture).ellipse((120, 80, 360, 300), outline=(40, 40, 40), width=8)
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG")
    buffer.name = "eta.jpg"
    buffer.seek(0)
    return buffer


@transaction.atomic
def seed() -> dict[str, int]:
    with network_books():
        purchase_order = PurchaseOrder.objects.filter(
            organization__slug=DEMO_BUYER_SLUG, buyer_reference=REFERENCE
        ).first()
        if (
            purchase_order is None
            or Claim.objects.filter(merchant_order__purchase_order=purchase_order).exists()
        ):
            return {"claims": 0}
        funds_receive(
            purchase_order=purchase_order,
            amount=purchase_order.total_usd,
            key=f"demo:claims:{REFERENCE}",
        )
        parts = list(
            MerchantOrder.objects.filter(purchase_order=purchase_order)
            .select_related("organization", "buyer", "purchase_order")
            .order_by("pk")
        )
        made = 0
        problem = (
            ReceiptProblem.objects.filter(merchant_order__in=parts)
            .select_related("merchant_order", "reported_by")
            .first()
        )
        if problem is not None and problem.reported_by is not None:
            claim = claims.claim_open_from_problem(problem=problem, acting_user=problem.reported_by)
            if claim is not None:
                made += 1
                merchant_user = demo_staff(claim.merchant)
                if merchant_user is not None:
                    claims.claim_respond(
                        claim=claim,
                        action="offer",
                        offer_usd=(claim.amount_usd / 4).quantize(claim.amount_usd),
                        text="Six bottles broken: we refund those, with our apologies.",
                        acting_user=merchant_user,
                    )
        at_sea = next((p for p in parts if p.status == MerchantOrderStatus.SHIPPED), None)
        if at_sea is not None and problem is not None and problem.reported_by is not None:
            claim = claims.claim_open(
                merchant_order=at_sea,
                reason="late",
                description="Two weeks past the promised arrival; our shelves are empty.",
                amount_usd=(at_sea.subtotal_usd / 10).quantize(at_sea.subtotal_usd),
                photos=[_photo()],
                acting_user=problem.reported_by,
            )
            made += 1
            merchant_user = demo_staff(at_sea.organization)
            if merchant_user is not None:
                claims.claim_respond(
                    claim=claim,
                    action="dispute",
                    text="The vessel was delayed by the carrier; we shipped on time.",
                    acting_user=merchant_user,
                )
    return {"claims": made}
