"""A demo saved list of the demo buyer: the demo merchant's products it reorders each season."""

from __future__ import annotations

from django.db import transaction

from catalog.models import SKU
from deals.models import SavedList
from deals.services import lists
from network.demo import DEMO_BUYER_SLUG
from network.models import Membership, Organization, Role

NAME = "春季补货 Spring restock"


@transaction.atomic
def seed() -> str:
    buyer = Organization.objects.filter(slug=DEMO_BUYER_SLUG).first()
    if buyer is None or SavedList.objects.filter(organization=buyer).exists():
        return "saved lists: 0"
    owner = (
        Membership.objects.filter(organization=buyer, role=Role.OWNER)
        .select_related("user")
        .order_by("pk")
        .first()
        .user
    )
    saved_list = lists.saved_list_create(organization=buyer, name=NAME, acting_user=owner)
    for sku in SKU.objects.public().select_related("product").order_by("pk")[:3]:
        lists.saved_list_add_item(
            organization=buyer,
            saved_list=saved_list,
            sku=sku,
            quantity=max(sku.moq, sku.case_pack),
            acting_user=owner,
        )
    return "saved lists: 1"
