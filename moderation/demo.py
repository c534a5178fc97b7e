"""Demo data of brand protection: a verified brand with an authorised reseller, a brand
waiting for verification, open reports for the operators' queue, and a year of decided reports
(run by ``manage.py seed_demo`` after the catalogue's demo, inside its ``scopes_disabled``)."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from catalog.models import ListingState, Product
from merchants.models import Strike
from moderation.models import Brand, BrandGrant, ListingReport, ReportReason
from moderation.services import appeal_decide, appeal_file, report_decide
from moderation.services.rules import _snapshot
from network.models import Organization, User


@transaction.atomic
def seed() -> dict[str, int]:
    _seed_brand_protection()
    return {"decided_reports": _seed_moderation_history()}


def _seed_brand_protection() -> None:
    """A verified protected brand of the demo merchant with an authorised reseller, a brand
    waiting for verification, and two open reports, so the operators' queue has work. Keyed by
    brand name: a second run changes nothing."""
    if Brand.objects.filter(name="Great Lakes").exists():
        return
    merchants = {o.name: o for o in Organization.objects.filter(kind=Organization.Kind.MERCHANT)}
    owner = merchants.get("Great Lakes Maple Co.")
    operator = User.objects.filter(email="operator@example.com").first()
    buyer = User.objects.filter(email="buyer@example.com").first()
    brand_owner = User.objects.filter(email="merchant.owner@example.com").first()
    if owner is None or operator is None:
        return
    now = timezone.now()
    brand = Brand.objects.create(
        owner=owner,
        name="Great Lakes",
        trademark_number="5123456",
        trademark_office="USPTO",
        status=Brand.Status.VERIFIED,
        decision_note="Registration checked on USPTO TSDR.",
        verified_by=operator,
        verified_at=now - timedelta(days=30),
        created_at=now - timedelta(days=32),
    )
    reseller = merchants.get("Napa Valley Pantry")
    if reseller is not None:
        BrandGrant.objects.create(
            brand=brand, reseller=reseller, expires_at=now + timedelta(days=180), granted_by=None
        )
    driftless = merchants.get("Driftless Cheese Makers")
    if driftless is not None:
        Brand.objects.create(
            owner=driftless, name="Driftless", trademark_number="4987654", trademark_office="USPTO"
        )
    targets = [
        (
            merchants.get("Cascadia Botanicals"),
            buyer,
            ListingReport.Source.BUYER,
            "counterfeit",
            "The seal on the bottle we received looks different from the brand's photos.",
        ),
        (
            merchants.get("Great Plains Grains"),
            brand_owner,
            ListingReport.Source.BRAND_OWNER,
            "copied",
            "These photos are ours, taken for our Great Lakes range.",
        ),
    ]
    for merchant_org, reporter, source, reason, details in targets:
        if merchant_org is None or reporter is None:
            continue
        product = (
            Product.objects.filter(organization=merchant_org, state=ListingState.ACTIVE)
            .select_related("organization")
            .order_by("pk")
            .first()
        )
        if product is None:
            continue
        ListingReport.objects.create(
            product=product,
            merchant=merchant_org,
            reporter=reporter,
            reporter_organization=Organization.objects.filter(memberships__user=reporter).first(),
            source=source,
            reason=reason,
            details=details,
            snapshot=_snapshot(product),
            created_at=now - timedelta(hours=20 if source == "buyer" else 3),
        )


# A year of decided reports, so the transparency page and the strike history show a real shape:
# (weeks ago, reason, decision, days to decide, reporter e-mail, appealed and overturned).
MODERATION_HISTORY = [
    (50, "counterfeit", "dismiss", 2, "buyer@example.com", False),
    (46, "trademark", "take_down", 3, "buyer.owner@example.com", False),
    (41, "copied", "dismiss", 1, "buyer@example.com", False),
    (37, "unsafe", "dismiss", 4, "buyer.admin@example.com", False),
    (33, "counterfeit", "take_down", 2, "buyer@example.com", False),
    (28, "copied", "take_down", 1, "merchant.owner@example.com", False),
    (24, "counterfeit", "dismiss", 3, "buyer.owner@example.com", False),
    (19, "trademark", "dismiss", 2, "buyer@example.com", False),
    (15, "counterfeit", "take_down", 5, "buyer.admin@example.com", False),
    (11, "unsafe", "dismiss", 1, "buyer@example.com", False),
    (7, "counterfeit", "take_down", 2, "buyer.owner@example.com", True),
    (3, "copied", "dismiss", 1, "buyer@example.com", False),
]


def _seed_moderation_history() -> int:
    """Decided reports over the past year through the moderation services (takedowns hide
    their listings and strike their merchants, one strike each), dated back afterwards. One
    takedown of the demo merchant was appealed and overturned by another operator. Keyed by
    the reports' details: a second run changes nothing."""
    marker = "Demo history: "
    if ListingReport.objects.filter(details__startswith=marker).exists():
        return 0
    users = {u.email: u for u in User.objects.filter(email__endswith="@example.com")}
    operator, second_operator = (
        users.get("operator@example.com"),
        users.get("operator.staff@example.com"),
    )
    if operator is None or second_operator is None:
        return 0
    # Different merchants for each takedown, so nobody nears a suspension.
    merchants = list(
        Organization.objects.filter(
            kind=Organization.Kind.MERCHANT, products__state=ListingState.ACTIVE
        )
        .exclude(name="Great Lakes Maple Co.")
        .distinct()
        .order_by("name")
    )
    demo_merchant = Organization.objects.filter(name="Great Lakes Maple Co.").first()
    if len(merchants) < len(MODERATION_HISTORY) or demo_merchant is None:
        return 0
    now = timezone.now()
    created = 0
    for index, (weeks, reason, decision, days, email, appealed) in enumerate(MODERATION_HISTORY):
        reporter = users.get(email)
        # The appealed takedown is the demo merchant's own, so its people see how an appeal ends.
        merchant = demo_merchant if appealed else merchants[index]
        product = (
            Product.objects.filter(organization=merchant, state=ListingState.ACTIVE)
            .order_by("-pk")
            .first()
        )
        if product is None or reporter is None:
            continue
        reported_at = now - timedelta(weeks=weeks)
        report = ListingReport.objects.create(
            product=product,
            merchant=merchant,
            reporter=reporter,
            reporter_organization=Organization.objects.filter(memberships__user=reporter).first(),
            source=(
                ListingReport.Source.BRAND_OWNER
                if email.startswith("merchant.")
                else ListingReport.Source.BUYER
            ),
            reason=reason,
            details=f"{marker}{ReportReason(reason).label}.",
            snapshot=_snapshot(product),
            created_at=reported_at,
        )
        report = report_decide(
            report=report,
            decision=decision,
            reason=(
                "The evidence shows the listing is not what it claims to be."
                if decision == "take_down"
                else "The merchant's documents show the goods are genuine."
            ),
            acting_user=operator,
        )
        decided_at = reported_at + timedelta(days=days)
        ListingReport.objects.filter(pk=report.pk).update(decided_at=decided_at)
        if report.strike_id:
            Strike.objects.filter(pk=report.strike_id).update(
                created_at=decided_at, expires_at=decided_at + timedelta(days=365)
            )
        if appealed:
            staff = users.get("merchant.owner@example.com")
            appeal = appeal_file(
                report=report,
                statement="The bottles were bought from the brand's own distributor; invoices "
                "attached to our reply.",
                acting_user=staff,
            )
            appeal_decide(
                appeal=appeal,
                outcome="overturn",
                reason="The distributor's invoices check out.",
                acting_user=second_operator,
            )
        created += 1
    return created
