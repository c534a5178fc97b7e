"""Reads of the merchant registry. Other apps ask here whether a merchant may trade."""

from __future__ import annotations

from django.db.models import QuerySet
from django_scopes import scopes_disabled

from merchants.models import ApplicationStatus, MerchantApplication
from network.models import Organization


def merchant_application(*, organization: Organization) -> MerchantApplication | None:
    with scopes_disabled():
        return MerchantApplication.objects.filter(organization=organization).first()


def merchant_can_trade(*, organization: Organization) -> bool:
    """True for an approved merchant that is not suspended: it may list, sell and book."""
    if organization.kind != Organization.Kind.MERCHANT:
        return False
    with scopes_disabled():
        return MerchantApplication.objects.filter(
            organization=organization, status=ApplicationStatus.APPROVED
        ).exists()


def approved_merchants() -> QuerySet[MerchantApplication]:
    """The public registry: approved merchants, as buyers see them."""
    with scopes_disabled():
        return (
            MerchantApplication.objects.filter(status=ApplicationStatus.APPROVED)
            .select_related("organization")
            .prefetch_related("brands")
            .order_by("organization__name")
        )
