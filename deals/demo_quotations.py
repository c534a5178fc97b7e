"""Demo requests for quotation: the demo buyer asks for a season's maple syrup (open, quoted by
the demo merchant and by another merchant of the category, to compare side by side) and for a
trial lot it has since closed. Keyed by the request's title: a second run changes nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from catalog.models import SKU
from deals.models import QuotationRequest
from deals.services import quotations as services
from network.demo import DEMO_BUYER_SLUG, DEMO_MERCHANT_SLUG, demo_staff
from network.models import Membership, Organization, Role

OPEN_TITLE = "春季备货：500 毫升玻璃瓶装枫糖浆"
CLOSED_TITLE = "宁波门店试销枫糖浆"
CENT = Decimal("0.01")


def _label_drawing() -> ContentFile:
    """The buyer's drawing of the Chinese back label it wants (a PNG, as an upload would be)."""
    import io

    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (360, 480), (250, 246, 236))
    draw = ImageDraw.Draw(picture)
    draw.rectangle((30, 30, 330, 450), outline=(120, 80, 30), width=6)
    for top in range(90, 420, 60):
        draw.line((60, top, 300, top), fill=(160, 120, 60), width=4)
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    return ContentFile(buffer.getvalue(), name="back-label.png")


def _quote(rfq: QuotationRequest, sku: SKU, discount: str, days: int) -> None:
    pack = sku.case_pack
    quantity = -(-rfq.quantity // pack) * pack
    moq = min(max(sku.moq, pack), quantity)
    list_price = sku.tiers.order_by("min_quantity").first()
    base = list_price.unit_price_usd if list_price else Decimal("10.00")
    tiers = [(moq, (base * Decimal(discount)).quantize(CENT, ROUND_HALF_UP))]
    if quantity > moq:
        tiers.append((quantity, (base * Decimal(discount) * Decimal("0.95")).quantize(CENT)))
    services.quotation_submit(
        rfq=rfq,
        merchant=sku.organization,
        lines=[services.QuotedLine(sku_id=sku.pk, quantity=quantity, tiers=tiers)],
        moq=moq,
        lead_time_days=days,
        valid_until=timezone.localdate() + timedelta(days=21),
        note="Price per bottle, FOB; labels in Chinese on request.",
        acting_user=demo_staff(sku.organization),
    )


@transaction.atomic
def seed() -> str:
    buyer = Organization.objects.filter(slug=DEMO_BUYER_SLUG).first()
    merchant_sku = (
        SKU.objects.public()
        .filter(organization__slug=DEMO_MERCHANT_SLUG)
        .select_related("product", "organization")
        .order_by("pk")
        .first()
    )
    if buyer is None or merchant_sku is None:
        return "quotation requests: 0"
    if QuotationRequest.objects.filter(buyer=buyer, title=OPEN_TITLE).exists():
        return "quotation requests: 0"
    person = (
        Membership.objects.filter(organization=buyer, role=Role.OWNER)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if person is None:
        return "quotation requests: 0"
    category = merchant_sku.product.category
    rfq = services.quotation_request_create(
        organization=buyer,
        title=OPEN_TITLE,
        description="A 级琥珀色，500 毫升玻璃瓶，需中文背标，送至宁波。",
        category=category,
        quantity=480,
        target_unit_price_usd=Decimal("7.00"),
        needed_by=timezone.localdate() + timedelta(days=60),
        files=[_label_drawing()],
        acting_user=person.user,
    )
    _quote(rfq, merchant_sku, "0.92", 21)
    rival = (
        SKU.objects.public()
        .filter(product__category=category)
        .exclude(organization=merchant_sku.organization)
        .select_related("organization")
        .order_by("pk")
        .first()
    )
    if rival is not None:
        _quote(rfq, rival, "0.88", 35)
    trial = services.quotation_request_create(
        organization=buyer,
        title=CLOSED_TITLE,
        product=merchant_sku.product,
        quantity=merchant_sku.moq,
        acting_user=person.user,
    )
    _quote(trial, merchant_sku, "0.97", 14)
    services.quotation_request_close(rfq=trial, acting_user=person.user)
    return f"quotation requests: 2, quotations: {3 if rival is not None else 2}"
