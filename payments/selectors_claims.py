"""Reading claims: each party sees its own (the buyer, the merchant), the operators all."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import timezone

from network.models import Organization
from network.shipments import order_shipments
from network.tenancy import found
from orders.models import MerchantOrder
from payments.ledger import balances, network_books
from payments.models import OPEN_CLAIM_STATUSES, Claim, ClaimStatus, LedgerAccount, PaymentPlan
from payments.services.release import SENT_STATUSES, arrived_at_of


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


def order_claims_info(
    *,
    organization: Organization,
    merchant_orders: list[MerchantOrder],
    held: dict[int, Decimal] | None = None,
) -> dict[int, dict[str, Any]]:
    """{merchant order id: {"claims": its claims the organisation sees, "may_open": whether a
    claim may be opened on it now (sent, in the window or late, none open, money held)}} for
    the orders of one page, in a fixed number of queries however many orders there are.
    ``held`` is what escrow holds for each of them, when the caller has read it with their
    payment plans (the payment panel): it is not read again."""
    ids = [mo.pk for mo in merchant_orders]
    claims: dict[int, list[Claim]] = {pk: [] for pk in ids}
    for claim in (
        Claim.objects.visible_to(organization)
        .filter(merchant_order__in=ids)
        .order_by("-opened_at", "-pk")
    ):
        claims[claim.merchant_order_id].append(claim)
    if held is not None:
        planned, held_of = set(held), held
    else:
        with network_books():
            planned = set(
                PaymentPlan.objects.filter(merchant_order__in=ids).values_list(
                    "merchant_order_id", flat=True
                )
            )
            escrows = list(LedgerAccount.objects.filter(merchant_order__in=ids))
        balance_of = balances(escrows)
        held_of = {account.merchant_order_id: balance_of[account.pk] for account in escrows}
    sent = [mo for mo in merchant_orders if mo.status in SENT_STATUSES]
    shipments = (
        order_shipments(organization=sent[0].buyer, merchant_order_ids=[mo.pk for mo in sent])
        if sent
        else {}
    )
    now = timezone.now()
    window = timedelta(days=settings.PAYMENTS_CLAIM_WINDOW_DAYS)
    info: dict[int, dict[str, Any]] = {}
    for mo in merchant_orders:
        arrival = arrived_at_of(mo, shipments.get(mo.pk, [])) if mo in sent else None
        may_open = (
            mo in sent
            and (arrival is None or now <= arrival + window)
            and not any(c.status in OPEN_CLAIM_STATUSES for c in claims[mo.pk])
            and mo.pk in planned
            and held_of.get(mo.pk, Decimal("0")) > 0
        )
        info[mo.pk] = {"claims": claims[mo.pk], "may_open": may_open}
    return info
