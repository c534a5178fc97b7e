"""Test data for requests for quotation: a buyer, two approved maple-syrup merchants with a
SKU each, and an outsider merchant selling vitamins (it never sees a maple-syrup request)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from django_scopes import scopes_disabled

from catalog.models import SKU, Category, ListingState, Product
from deals.models import Quotation, QuotationRequest
from deals.services import quotations as services
from network.models import Organization, Role, User
from tests.catalog import factories as catalog_factories
from tests.orders.factories import buyer, merchant, sku


@dataclass
class World:
    buyer: Organization
    buyer_user: User
    maple: Organization
    maple_user: User
    maple_sku: SKU
    sugar: Organization
    sugar_user: User
    sugar_sku: SKU
    vitamins: Organization
    vitamins_user: User

    def request(self, **fields) -> QuotationRequest:
        values = {
            "organization": self.buyer,
            "title": "Maple syrup 500 ml, glass",
            "quantity": 480,
            "category": Category.objects.get(slug="maple-syrup"),
            "acting_user": self.buyer_user,
        }
        values.update(fields)
        return services.quotation_request_create(**values)

    def quote(
        self, rfq: QuotationRequest, who: str = "maple", *, price: str = "7.10", **fields
    ) -> Quotation:
        organization, user, item = {
            "maple": (self.maple, self.maple_user, self.maple_sku),
            "sugar": (self.sugar, self.sugar_user, self.sugar_sku),
        }[who]
        values = {
            "rfq": rfq,
            "merchant": organization,
            "lines": [
                services.QuotedLine(
                    sku_id=item.pk,
                    quantity=rfq.quantity,
                    tiers=[(96, Decimal(price) + 1), (480, Decimal(price))],
                )
            ],
            "moq": 96,
            "lead_time_days": 21,
            "valid_until": timezone.localdate() + timedelta(days=10),
            "note": "Glass bottles, private label possible.",
            "acting_user": user,
        }
        values.update(fields)
        return services.quotation_submit(**values)


def vitamins_merchant(name: str = "Cascade Vitamins"):
    shop, owner = merchant(name)
    product = catalog_factories.product(
        shop, owner, title_en="Vitamin C 500 mg", category="vitamins", image=False, publish=False
    )
    with scopes_disabled():
        Product.objects.filter(pk=product.pk).update(state=ListingState.ACTIVE)
    return shop, owner


def world(*, buyer_language: str = "en") -> World:
    store, wang = buyer("Hangzhou Westlake Global Store", Role.BUYER, language=buyer_language)
    maple, maple_user = merchant("Great Lakes Maple Co.")
    maple_sku = sku(maple, maple_user, code="MAPLE-500", on_hand=2000)
    sugar, sugar_user = merchant("Vermont Sugarhouse")
    sugar_sku = sku(
        sugar, sugar_user, code="VT-500", title="Vermont Maple Syrup 500 ml", on_hand=2000
    )
    vitamins, vitamins_user = vitamins_merchant()
    return World(
        store,
        wang,
        maple,
        maple_user,
        maple_sku,
        sugar,
        sugar_user,
        sugar_sku,
        vitamins,
        vitamins_user,
    )
