"""Demo conversations of the demo buyer (who reads Chinese) with the demo merchant: a question
about a product answered with a spec sheet, one about an order, and one about a claim, which
the network's operators read too."""

from __future__ import annotations

import io

from django.db import transaction
from django.utils import translation

from catalog.models import Product
from deals.models import Thread
from deals.services import messages
from network.demo import DEMO_BUYER_SLUG, DEMO_MERCHANT_SLUG
from network.models import Membership, Organization, Role
from orders.models import MerchantOrder
from payments.models import Claim


def _png(name: str) -> io.BytesIO:
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (480, 320), (245, 235, 210))
    ImageDraw.Draw(picture).rectangle((40, 40, 440, 280), outline=(120, 70, 20), width=6)
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    buffer.name = name
    buffer.size = buffer.tell()  # type: ignore[attr-defined]
    buffer.seek(0)
    return buffer


def _owner(organization: Organization):
    return (
        Membership.objects.filter(organization=organization, role=Role.OWNER)
        .select_related("user")
        .order_by("pk")
        .first()
        .user
    )


@transaction.atomic
def seed() -> str:
    buyer = Organization.objects.filter(slug=DEMO_BUYER_SLUG).first()
    merchant = Organization.objects.filter(slug=DEMO_MERCHANT_SLUG).first()
    if buyer is None or merchant is None or Thread.objects.filter(buyer=buyer).exists():
        return "messages: 0"
    wang, mark = _owner(buyer), _owner(merchant)
    made = 0

    product = Product.objects.filter(organization=merchant, state="active").order_by("pk").first()
    if product is not None:
        # The demo buyer writes in Chinese: its subjects are what its people would see.
        with translation.override("zh-hans"):
            about = messages.thread_about(organization=buyer, product=product)
        thread, _message = messages.thread_start(
            organization=buyer,
            about=about,
            body="您好，请问这款产品可以提供中文标签吗？我们计划每季度订购 20 箱。",
            acting_user=wang,
        )
        messages.message_post(
            thread=thread,
            organization=merchant,
            body="Yes: we print Chinese back labels for orders of 10 cases or more. "
            "Our label layout is attached.",
            attachments=[_png("label-layout.png")],
            acting_user=mark,
        )
        made += 1

    merchant_order = (
        MerchantOrder.objects.filter(buyer=buyer, organization=merchant).order_by("-pk").first()
    )
    if merchant_order is not None:
        about = messages.thread_about(organization=merchant, merchant_order=merchant_order)
        messages.thread_start(
            organization=merchant,
            about=about,
            body="Your order is packed. Should we ship it with the next shared container "
            "from Chicago?",
            acting_user=mark,
        )
        made += 1

    claim = Claim.objects.filter(organization=buyer).select_related("merchant").first()
    if claim is not None:
        # The demo buyer writes in Chinese: its subjects are what its people would see.
        with translation.override("zh-hans"):
            about = messages.thread_about(organization=buyer, claim=claim)
        messages.thread_start(
            organization=buyer,
            about=about,
            body="箱子到货时有破损，照片已上传到索赔中。",
            acting_user=wang,
        )
        made += 1
    return f"messages: {made} conversations"
