"""Dashboard panels of trade assurance: escrow held, released and refunded, and the claim rate;
for the operators the whole network, for a merchant its own orders, for a buyer its own money.
Figures are sums of ledger postings (balances are never stored)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncWeek
from django.urls import reverse
from django.utils.translation import gettext as _

from network.dashboards import Column, DashboardPanel, Figure, PanelContent, Period, Table
from network.models import Organization
from orders.models import MerchantOrder
from payments.ledger import network_books
from payments.models import AccountKind, Claim, Posting, TransactionKind

ZERO = Decimal("0.00")
REFUNDS = (TransactionKind.REFUND_CREDIT, TransactionKind.REFUND_TRANSFER)


def _money(value: Decimal | None) -> str:
    return f"US${(value or ZERO):,.2f}"


def _escrow_postings(organization: Organization) -> Q:
    """Postings on escrow accounts the organisation is a party to (all of them for operators)."""
    if organization.kind == Organization.Kind.OPERATOR:
        return Q(account__kind=AccountKind.ESCROW)
    if organization.kind == Organization.Kind.MERCHANT:
        return Q(account__kind=AccountKind.ESCROW, account__organization=organization)
    return Q(account__kind=AccountKind.ESCROW, account__buyer=organization)


def _claims(organization: Organization) -> Q:
    if organization.kind == Organization.Kind.OPERATOR:
        return Q()
    if organization.kind == Organization.Kind.MERCHANT:
        return Q(merchant=organization)
    return Q(organization=organization)


def _shipped_orders(organization: Organization) -> Q:
    if organization.kind == Organization.Kind.OPERATOR:
        return Q()
    if organization.kind == Organization.Kind.MERCHANT:
        return Q(organization=organization)
    return Q(buyer=organization)


def escrow_figures(organization: Organization, period: Period) -> dict[str, object]:
    """Held now; in the period: paid in, released (gross), refunded; claims opened per merchant
    order shipped."""
    within = Q(
        transaction__created_at__gte=period.start_at, transaction__created_at__lt=period.end_at
    )
    with network_books():
        escrow = Posting.objects.filter(_escrow_postings(organization))
        moved = escrow.aggregate(
            held=Sum("amount"),
            paid_in=Sum(
                "amount",
                filter=within & Q(transaction__kind=TransactionKind.FUNDS_APPLIED, amount__lt=0),
            ),
            released=Sum(
                "amount", filter=within & Q(transaction__kind=TransactionKind.FUNDS_RELEASED)
            ),
            refunded=Sum("amount", filter=within & Q(transaction__kind__in=REFUNDS)),
        )
        held = -(moved["held"] or ZERO)
        weekly = list(
            escrow.filter(within)
            .annotate(week=TruncWeek("transaction__created_at"))
            .values("week")
            .annotate(
                paid_in=Sum(
                    "amount",
                    filter=Q(transaction__kind=TransactionKind.FUNDS_APPLIED, amount__lt=0),
                ),
                released=Sum("amount", filter=Q(transaction__kind=TransactionKind.FUNDS_RELEASED)),
                refunded=Sum("amount", filter=Q(transaction__kind__in=REFUNDS)),
            )
            .order_by("week")
        )
        # Claims opened and upheld by week, in one query: the period's totals are their sums.
        weekly_claims = {
            row["week"]: row
            for row in Claim.objects.filter(
                _claims(organization), opened_at__gte=period.start_at, opened_at__lt=period.end_at
            )
            .annotate(week=TruncWeek("opened_at"))
            .values("week")
            .annotate(opened=Count("pk"), upheld=Count("pk", filter=Q(status="refunded")))
            .order_by()
        }
        shipped = (
            MerchantOrder.objects.filter(_shipped_orders(organization))
            .filter(shipped_at__gte=period.start_at, shipped_at__lt=period.end_at)
            .count()
        )
    claim_counts = {
        "opened": sum(row["opened"] for row in weekly_claims.values()),
        "upheld": sum(row["upheld"] for row in weekly_claims.values()),
    }
    rows = []
    for row in weekly:
        week: date = row["week"].date() if hasattr(row["week"], "date") else row["week"]
        rows.append(
            [
                week,
                -(row["paid_in"] or ZERO),
                row["released"] or ZERO,
                row["refunded"] or ZERO,
                weekly_claims.get(row["week"], {}).get("opened", 0),
            ]
        )
    return {
        "held": held,
        "paid_in": -(moved["paid_in"] or ZERO),
        "released": moved["released"] or ZERO,
        "refunded": moved["refunded"] or ZERO,
        "claims": claim_counts["opened"],
        "upheld": claim_counts["upheld"],
        "shipped": shipped,
        "claim_rate": claim_counts["opened"] / shipped * 100 if shipped else 0.0,
        "weekly": rows,
    }


def escrow_panel(organization: Organization, period: Period) -> PanelContent:
    figures = escrow_figures(organization, period)
    if organization.kind == Organization.Kind.OPERATOR:
        title = _("Trade assurance: escrow and claims")
        help_text = _(
            "Buyers' money held in escrow now, and in the range: paid into escrow, released to "
            "merchants (before commission), refunded to buyers; claims opened per merchant "
            "order shipped in the range."
        )
        link = (_("Reconcile payments"), reverse("payments:reconciliation"))
    elif organization.kind == Organization.Kind.MERCHANT:
        title = _("Your orders' escrow")
        help_text = _(
            "What your buyers have paid into escrow for your orders and the network holds "
            "until the goods arrive as described; what was released to you (before commission) "
            "and refunded in the range; claims per order you shipped."
        )
        link = (_("Your payments"), reverse("payments:merchant_overview"))
    else:
        title = _("Your payments in escrow")
        help_text = _(
            "What you have paid and the network holds until your goods arrive as described; "
            "what was released to merchants and refunded to you in the range."
        )
        link = (_("Your payments"), reverse("payments:buyer_overview"))
    return PanelContent(
        title=title,
        help=help_text,
        figures=[
            Figure(_("Held in escrow now"), _money(figures["held"])),  # type: ignore[arg-type]
            Figure(_("Paid into escrow"), _money(figures["paid_in"])),  # type: ignore[arg-type]
            Figure(_("Released"), _money(figures["released"])),  # type: ignore[arg-type]
            Figure(_("Refunded"), _money(figures["refunded"])),  # type: ignore[arg-type]
            Figure(
                _("Claim rate"),
                f"{figures['claim_rate']:.1f}%",
                _("%(claims)s claims, %(shipped)s orders shipped")
                % {"claims": figures["claims"], "shipped": figures["shipped"]},
            ),
        ],
        empty=_("No money moved through escrow in this range."),
        table=Table(
            [
                Column(_("Week of"), "date"),
                Column(_("Paid into escrow"), "money"),
                Column(_("Released"), "money"),
                Column(_("Refunded"), "money"),
                Column(_("Claims opened"), "int"),
            ],
            figures["weekly"],  # type: ignore[arg-type]
        ),
        link=link,
    )


def panels() -> list[DashboardPanel]:
    return [
        DashboardPanel(
            "escrow",
            (Organization.Kind.OPERATOR, Organization.Kind.MERCHANT, Organization.Kind.BUYER),
            escrow_panel,
            order=25,
        ),
    ]
