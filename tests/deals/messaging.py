"""Message test data: a merchant with a listed product, its buyer and an outsider buyer."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scope

from catalog.models import SKU, Product
from deals.models import Message, Thread
from deals.services import messages as services
from network.models import Organization, Role, User
from tests.orders.factories import buyer, merchant, sku
from tests.payments.trade import photo


@dataclass
class Pair:
    merchant: Organization
    merchant_user: User
    buyer: Organization
    buyer_user: User
    outsider: Organization
    outsider_user: User
    sku: SKU

    @property
    def product(self) -> Product:
        return self.sku.product


def pair(*, buyer_language: str = "zh-hans") -> Pair:
    shop, owner = merchant("Great Lakes Maple Co.")
    item = sku(shop, owner, code="MAPLE-500")
    store, wang = buyer(
        "Hangzhou Westlake Global Store", Role.BUYER, language=buyer_language, full_name="Wang Fang"
    )
    other, li = buyer("Suzhou Lake Trading", Role.OWNER)
    return Pair(shop, owner, store, wang, other, li, item)


def ask(world: Pair, body: str = "Do you ship to Ningbo?", **files) -> tuple[Thread, Message]:
    """The buyer asks the merchant about the product."""
    with scope(organization=world.buyer):
        about = services.thread_about(organization=world.buyer, product=world.product)
        return services.thread_start(
            organization=world.buyer, about=about, body=body, acting_user=world.buyer_user, **files
        )


def answer(world: Pair, thread: Thread, body: str = "Yes, FOB Chicago.") -> Message:
    with scope(organization=world.merchant):
        return services.message_post(
            thread=thread, organization=world.merchant, body=body, acting_user=world.merchant_user
        )


def pdf(name: str = "spec.pdf") -> SimpleUploadedFile:
    from io import BytesIO

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    buffer = BytesIO()
    writer.write(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


__all__ = ["photo", "pdf", "pair", "ask", "answer", "Pair"]
