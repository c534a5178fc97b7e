"""Reading claims: each party sees its own (the buyer, the merchant), the operators all."""

from __future__ import annotations

from django.db.models import Case, IntegerField, QuerySet, Value, When

from network.models import Organization
from network.tenancy import found
from orders.models import MerchantOrder
from payments.models import OPEN_CLAIM_STATUSES, Claim, ClaimStatus


def claims_visible(*, organization: Organization, status: str = "") -> QuerySet[Claim]:
    """The claims ``organization`` is a party to (all of them for operators), newest first;
    ``status`` "open" for the open ones, or one status."""
    claims = Claim.objects.visible_to(organization)
    if status == "open":
        claims = claims.filter(status__in=OPEN_CLAIM_STATUSES)
    elif status in ClaimStatus.values:
        claims = claims.filter(status=status)
    return claims.select_related(
        "organization", "merchant", "merchant_order__purchase_order"
    ).order_by("-opened_at", "-pk")


def claims_queue(*, organization: Organization, status: str = "open") -> QuerySet[Claim]:
    """The operators' queue: claims with them first (oldest first: the longest waiting), then
    the other open ones by their deadline."""
    first = Case(
        When(status=ClaimStatus.WITH_OPERATORS, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return claims_visible(organization=organization, status=status).order_by(
        first, "respond_by", "pk"
    )


def access_claim(*, organization: Organization, number: str) -> Claim:
    """One claim ``organization`` is a party to, by number, with its photos; ``not_found``
    otherwise."""
    claims = (
        Claim.objects.visible_to(organization)
        .select_related(
            "organization",
            "merchant",
            "decided_by",
            "opened_by",
            "merchant_order__purchase_order",
            "merchant_order__buyer",
            "merchant_order__organization",
        )
        .prefetch_related("photos")
    )
    return found(claims, number=number)


def access_merchant_order(*, organization: Organization, number: str) -> MerchantOrder:
    return found(
        MerchantOrder.objects.visible_to(organization).select_related(
            "organization", "buyer", "purchase_order"
        ),
        number=number,
    )


def claims_of_order(*, organization: Organization, merchant_order: MerchantOrder) -> list[Claim]:
    return list(
        Claim.objects.visible_to(organization)
        .filter(merchant_order=merchant_order)
        .order_by("-opened_at", "-pk")
    )
