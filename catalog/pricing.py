"""What one buyer pays for a SKU: its price lists before the public tiers.

Precedence at checkout (see ``orders``): an accepted quotation until it expires, then the
buyer's price lists in force, then the public tiers. This module answers the last two; the
quotation's price is carried on the cart line by ``orders``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from catalog.models import SKU
from network.models import Organization


@dataclass(frozen=True)
class BuyerPrice:
    unit_price_usd: Decimal
    source: str  # "price_list" or "tiers" (the values of orders.models.PriceSource)
    reference: str  # the price list's name, or ""


def buyer_unit_price(
    *, sku: SKU, quantity: int, buyer: Organization | None, on: date | None = None
) -> BuyerPrice:
    """The unit price of ``quantity`` units of ``sku`` for ``buyer`` on day ``on`` (today):
    the lowest of its price lists in force for the SKU's product (own tiers: the tier with the
    largest ``min_quantity`` not above the quantity; else the entry's discount, else the list's
    discount, off the public tier price, rounded half-up to the cent) and the public tier
    price. Raises ``catalog.errors.QuantityNotAllowed`` below the MOQ or outside case packs,
    exactly as ``catalog.selectors.unit_price_for``."""
    raise NotImplementedError


def buyer_unit_prices(
    *, items: list[tuple[SKU, int]], buyer: Organization | None, on: date | None = None
) -> list[BuyerPrice]:
    """``buyer_unit_price`` for many (sku, quantity) pairs in a fixed number of queries (for
    the cart and checkout)."""
    raise NotImplementedError
