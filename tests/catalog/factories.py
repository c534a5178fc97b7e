"""Catalogue test data, made through the services so derived columns (search vector, price
range, MOQ) are what production would hold."""

from __future__ import annotations

import io
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scopes_disabled

from catalog import services
from catalog.images import demo_png
from catalog.models import Category, Product
from merchants.models import ApplicationStatus
from network.models import Role
from tests.factories import OrganizationFactory, member
from tests.merchants.conftest import make_application


def png_upload(name: str = "photo.png", text: str = "Photo", side: int = 600):
    return SimpleUploadedFile(name, demo_png(text, side=side), content_type="image/png")


def jpeg_bytes(width: int = 400, height: int = 300) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "#884400").save(buffer, "JPEG")
    return buffer.getvalue()


def merchant(
    name: str = "Great Lakes Maple Co.",
    *,
    slug: str | None = None,
    state: str = "MI",
    status: str = ApplicationStatus.APPROVED,
    email: str | None = None,
):
    """A merchant organisation with an application in ``status`` and its owner."""
    organization = OrganizationFactory(name=name, **({"slug": slug} if slug else {}))
    owner = member(organization, Role.OWNER, **({"email": email} if email else {}))
    make_application(
        organization, status=status, with_documents=False, state=state, dba=name, legal_name=name
    )
    return organization, owner


def product(
    organization,
    user,
    *,
    title_en: str = "Pure Michigan Maple Syrup 500 ml",
    title_zh_hans: str = "纯正密歇根枫糖浆 500毫升",
    brand: str = "Great Lakes",
    category: str = "maple-syrup",
    hs_code: str = "1702200000",
    code: str | None = None,
    moq: int = 12,
    case_pack: int = 6,
    tiers=((12, "8.50"), (48, "7.90"), (144, "7.25")),
    on_hand: int = 500,
    image: bool = True,
    publish: bool = True,
    **extra,
) -> Product:
    with scopes_disabled():
        created = services.product_create(
            organization=organization,
            values={
                "title_en": title_en,
                "title_zh_hans": title_zh_hans,
                "description_en": extra.pop("description_en", "Grade A amber, from Michigan."),
                "brand": brand,
                "category": Category.objects.get(slug=category),
                "hs_code": hs_code,
                "country_of_origin": "US",
                "weight_kg": Decimal("0.750"),
                "length_cm": Decimal("8"),
                "width_cm": Decimal("8"),
                "height_cm": Decimal("20"),
                "lead_time_days": 7,
                **extra,
            },
            acting_user=user,
        )
        services.sku_create(
            product=created,
            values={"code": code or f"SKU-{created.pk}", "case_pack": case_pack, "moq": moq},
            tiers=[(q, Decimal(p)) for q, p in tiers],
            on_hand=on_hand,
            acting_user=user,
        )
        if image:
            services.product_image_add(product=created, upload=png_upload(), acting_user=user)
        if publish:
            services.product_publish(product=created, acting_user=user)
        created.refresh_from_db()
    return created


def api_product_body(**sku) -> dict:
    """The maple syrup listing as the product API's upsert by SKU code takes it, with ``sku``
    fields added to its one SKU."""
    return {
        "category": "maple-syrup",
        "title_en": "Pure Michigan Maple Syrup 500 ml",
        "description_en": "Grade A amber.",
        "hs_code": "1702200000",
        "country_of_origin": "US",
        "weight_kg": "0.750",
        "length_cm": "8.0",
        "width_cm": "8.0",
        "height_cm": "20.0",
        "lead_time_days": 7,
        "sku": {
            "case_pack": 6,
            "moq": 12,
            "tiers": [{"min_quantity": 12, "unit_price_usd": "8.50"}],
            **sku,
        },
    }
