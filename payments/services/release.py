"""Releasing escrow to the merchant (placeholder: see CONTRACT)."""

from __future__ import annotations

from network.models import User
from orders.models import MerchantOrder


def release_on_receipt(*, merchant_order: MerchantOrder, acting_user: User | None) -> None:
    return None
