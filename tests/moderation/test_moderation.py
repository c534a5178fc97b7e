"""The operators' moderation queue: takedowns hide the listing at once, tell the merchant and
add a strike; three active strikes within twelve months suspend the merchant; the merchant may
appeal once and another operator decides the appeal.

People: two operators, the merchant's owner and a teammate, a buyer who reports, and outsiders
(a merchant and a buyer) who are refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from catalog.errors import CatalogPermissionDenied, ModerationRefused
from catalog.models import ListingState
from catalog.selectors import product_search_ids
from merchants.models import ApplicationStatus, MerchantApplication, Strike
from merchants.services import strike_issue
from moderation import selectors
from moderation import services as brands
from moderation.models import Appeal, BrandGrant, ListingReport
from network.models import Notification, Organization, Role
from tests.catalog.factories import merchant
from tests.factories import OrganizationFactory, member, operator, sign_in
from tests.moderation.test_brands import listing, protected_brand, state_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    shop, owner = merchant("Copycat Trading", slug="copycat", email="owner@copycat.example")
    store = OrganizationFactory(kind=Organization.Kind.BUYER, name="Hangzhou Store")
    first = operator(email="ops1@network.example")
    return {
        "shop": shop,
        "owner": owner,
        "teammate": member(shop, Role.STAFF),
        "buyer": member(store, Role.BUYER),
        "ops1": first,
        "ops2": operator(email="ops2@network.example"),
        "outsider_merchant": merchant("Other Co.", slug="other-co")[1],
        "outsider_buyer": member(OrganizationFactory(kind=Organization.Kind.BUYER)),
    }


def report_on(world, *, title="Amber Maple Syrup", seed=4, reporter=None, organization=None):
    item = listing(world["shop"], world["owner"], title_en=title, brand="Northwoods", seed=seed)
    return brands.report_create(
        product=item,
        reason="counterfeit",
        details="Fake",
        reporter_organization=organization,
        acting_user=reporter or world["buyer"],
    )


def application_status(organization) -> str:
    with scopes_disabled():
        return MerchantApplication.objects.get(organization=organization).status


def test_takedown_hides_tells_and_strikes(client, world):
    report = report_on(world)
    second = brands.report_create(
        product=report.product,
        reason="copied",
        reporter_organization=None,
        acting_user=world["outsider_buyer"],
    )
    assert report.product.pk in product_search_ids("maple")
    sign_in(client, world["ops1"])
    response = client.post(
        reverse("catalog:report_decide", args=[report.pk]),
        {"decision": "take_down", "reason": "Counterfeit label"},
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ListingReport.Status.TAKEN_DOWN
    assert report.decided_by == world["ops1"] and report.decided_at is not None
    assert report.strike is not None and report.strike.organization == world["shop"]
    assert state_of(report.product) == ListingState.TAKEN_DOWN
    assert report.product.pk not in product_search_ids("maple")
    told = Notification.objects.visible_to(world["shop"]).filter(
        kind="catalog.product_taken_down", recipient=world["owner"]
    )
    assert told.exists()
    # The listing's other open report closes with it, without a second strike.
    second.refresh_from_db()
    assert second.status == ListingReport.Status.TAKEN_DOWN
    with scopes_disabled():
        assert Strike.objects.filter(organization=world["shop"]).count() == 1


def test_a_decision_needs_a_reason_and_happens_once(world):
    report = report_on(world)
    with pytest.raises(Exception, match="reason"):
        brands.report_decide(
            report=report, decision="dismiss", reason=" ", acting_user=world["ops1"]
        )
    brands.report_decide(
        report=report, decision="dismiss", reason="Genuine", acting_user=world["ops1"]
    )
    with pytest.raises(ModerationRefused):
        brands.report_decide(
            report=report, decision="take_down", reason="Changed mind", acting_user=world["ops2"]
        )
    assert state_of(report.product) == ListingState.ACTIVE


def test_outsiders_cannot_moderate(client, world):
    report = report_on(world)
    for person in (world["outsider_merchant"], world["outsider_buyer"], world["owner"]):
        client.force_login(person)
        assert client.get(reverse("catalog:moderation")).status_code == 403
        assert client.get(reverse("catalog:strikes")).status_code == 403
        response = client.post(
            reverse("catalog:report_decide", args=[report.pk]),
            {"decision": "take_down", "reason": "x"},
        )
        assert response.status_code == 403
    with pytest.raises(CatalogPermissionDenied):
        brands.report_decide(
            report=report, decision="take_down", reason="x", acting_user=world["buyer"]
        )
    report.refresh_from_db()
    assert report.status == ListingReport.Status.OPEN


def test_queue_puts_brand_owners_and_repeat_offenders_first(world):
    old = report_on(world, title="Old report", seed=11)
    ListingReport.objects.visible_to(world["shop"]).filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=3)
    )
    repeat_shop, repeat_owner = merchant("Repeat Offender", slug="repeat")
    with scopes_disabled():
        strike_issue(
            organization=repeat_shop, reason="Earlier fake", source="", acting_user=world["ops1"]
        )
    repeat_item = listing(repeat_shop, repeat_owner, title_en="Repeat syrup", seed=12)
    repeat = brands.report_create(
        product=repeat_item,
        reason="counterfeit",
        reporter_organization=None,
        acting_user=world["buyer"],
    )
    brand_org, brand_user = merchant("Great Lakes Maple Co.", slug="great-lakes")
    protected_brand(brand_org, brand_user, "Lakeshore")
    from_owner = report_on(
        world, title="Owner reported", seed=13, reporter=brand_user, organization=brand_org
    )
    operators = world["ops1"].memberships.get().organization
    queue = list(selectors.moderation_queue(organization=operators))
    assert [r.pk for r in queue] == [from_owner.pk, repeat.pk, old.pk]


def test_queue_page_query_count_is_fixed(client, world, django_assert_num_queries):
    report_on(world, title="First", seed=30)
    sign_in(client, world["ops1"])
    client.get(reverse("catalog:moderation"))
    for n in range(4):
        report_on(world, title=f"More {n}", seed=31 + n)
    # Session, user, memberships, TOTP check; then the queue (one query, strike counts as a
    # subquery), appeals waiting, brands waiting.
    with django_assert_num_queries(7):
        response = client.get(reverse("catalog:moderation"))
    assert response.content.decode().count('href="/catalog/reports/') == 5


# --- Strikes -------------------------------------------------------------------------------------


def test_three_active_strikes_suspend_and_listings_vanish(world):
    keep = listing(world["shop"], world["owner"], title_en="Other syrup", seed=40)
    for n in range(3):
        report = report_on(world, title=f"Fake {n}", seed=41 + n)
        assert application_status(world["shop"]) == ApplicationStatus.APPROVED
        brands.report_decide(
            report=report, decision="take_down", reason="Fake", acting_user=world["ops1"]
        )
    assert application_status(world["shop"]) == ApplicationStatus.SUSPENDED
    assert keep.pk not in product_search_ids("syrup")


@pytest.mark.parametrize("old", ["expired", "revoked", "older_than_a_year"])
def test_expired_revoked_or_old_strikes_do_not_count(world, settings, old):
    settings.STRIKE_VALID_DAYS = 800  # even with a long validity, only twelve months count
    with scopes_disabled():
        first = strike_issue(
            organization=world["shop"], reason="Old", source="", acting_user=world["ops1"]
        )
        if old == "expired":
            Strike.objects.filter(pk=first.pk).update(expires_at=timezone.now())
        elif old == "revoked":
            Strike.objects.filter(pk=first.pk).update(revoked_at=timezone.now())
        else:
            Strike.objects.filter(pk=first.pk).update(
                created_at=timezone.now() - timedelta(days=366)
            )
        for reason in ("Second", "Third"):
            strike_issue(
                organization=world["shop"], reason=reason, source="", acting_user=world["ops1"]
            )
    assert application_status(world["shop"]) == ApplicationStatus.APPROVED
    with scopes_disabled():
        strike_issue(
            organization=world["shop"], reason="Fourth", source="", acting_user=world["ops1"]
        )
    assert application_status(world["shop"]) == ApplicationStatus.SUSPENDED


def test_strike_history_page_for_operators(client, world):
    report = report_on(world)
    brands.report_decide(
        report=report, decision="take_down", reason="Counterfeit label", acting_user=world["ops1"]
    )
    sign_in(client, world["ops2"])
    page = client.get(reverse("catalog:strikes")).content.decode()
    assert "Copycat Trading" in page and "Counterfeit label" in page and "1 active strike" in page


# --- Appeals -------------------------------------------------------------------------------------


@pytest.fixture
def taken_down(world):
    report = report_on(world)
    return brands.report_decide(
        report=report, decision="take_down", reason="Counterfeit", acting_user=world["ops1"]
    )


def test_merchant_appeals_once_from_the_product_page(client, world, taken_down):
    client.force_login(world["teammate"])
    url = reverse("catalog:product_edit", args=[taken_down.product_id])
    assert "Appeal the takedown" in client.get(url).content.decode()
    appeal_url = reverse("catalog:appeal_file", args=[taken_down.pk])
    client.post(appeal_url, {"statement": "We own the trademark; invoice attached."})
    with scopes_disabled():
        assert Appeal.objects.get().statement.startswith("We own")
    response = client.post(appeal_url, {"statement": "Again"}, follow=True)
    assert "appealed only once" in response.content.decode()
    with scopes_disabled():
        assert Appeal.objects.count() == 1
    # The merchant's page never shows who reported it.
    assert world["buyer"].email not in client.get(url).content.decode()


def test_outsider_cannot_appeal(client, world, taken_down):
    client.force_login(world["outsider_merchant"])
    response = client.post(
        reverse("catalog:appeal_file", args=[taken_down.pk]), {"statement": "Mine"}
    )
    assert response.status_code == 404
    with pytest.raises(CatalogPermissionDenied):
        brands.appeal_file(
            report=taken_down, statement="Mine", acting_user=world["outsider_merchant"]
        )


def test_the_appeal_must_be_decided_by_another_operator(client, world, taken_down):
    with scopes_disabled():
        appeal = brands.appeal_file(
            report=taken_down, statement="Genuine goods", acting_user=world["owner"]
        )
    with pytest.raises(ModerationRefused, match="another operator"):
        brands.appeal_decide(
            appeal=appeal, outcome="overturn", reason="Fine", acting_user=world["ops1"]
        )
    sign_in(client, world["ops1"])
    response = client.post(
        reverse("catalog:appeal_decide", args=[appeal.pk]),
        {"outcome": "overturn", "reason": "Fine"},
        follow=True,
    )
    assert "another operator must decide" in response.content.decode()
    with scopes_disabled():
        assert Appeal.objects.get().status == Appeal.Status.PENDING
    sign_in(client, world["ops2"])
    client.post(
        reverse("catalog:appeal_decide", args=[appeal.pk]),
        {"outcome": "overturn", "reason": "Invoices check out"},
    )
    with scopes_disabled():
        appeal.refresh_from_db()
        strike = Strike.objects.get(pk=taken_down.strike_id)
    assert appeal.status == Appeal.Status.OVERTURNED and appeal.decided_by == world["ops2"]
    assert strike.revoked_at is not None
    assert state_of(taken_down.product) == ListingState.PAUSED


def test_an_upheld_appeal_keeps_the_strike(world, taken_down):
    with scopes_disabled():
        appeal = brands.appeal_file(report=taken_down, statement="No", acting_user=world["owner"])
    brands.appeal_decide(appeal=appeal, outcome="uphold", reason="Fake", acting_user=world["ops2"])
    with scopes_disabled():
        assert Strike.objects.get(pk=taken_down.strike_id).revoked_at is None
    assert state_of(taken_down.product) == ListingState.TAKEN_DOWN


# --- Transparency ------------------------------------------------------------------------------


def test_transparency_page_shows_figures(client, world):
    decided = report_on(world, seed=50)
    ListingReport.objects.visible_to(world["shop"]).filter(pk=decided.pk).update(
        created_at=timezone.now() - timedelta(hours=4)
    )
    brands.report_decide(
        report=decided, decision="take_down", reason="Fake", acting_user=world["ops1"]
    )
    report_on(world, title="Still open", seed=51)
    figures = selectors.transparency_figures()
    assert figures.reports_received == 2 and figures.takedowns == 1 and figures.open == 1
    assert figures.median_hours_to_decision == pytest.approx(4.0, abs=0.1)
    page = client.get(reverse("catalog:transparency")).content.decode()
    assert "Median time to decision" in page and "4.0 h" in page


@pytest.mark.slow
def test_demo_seeds_a_protected_brand_and_a_queue(client):
    from catalog import demo as catalog_demo
    from merchants import demo as merchants_demo
    from moderation import demo as moderation_demo
    from network import demo as network_demo
    from network.models import User

    with scopes_disabled():
        network_demo.seed()
        merchants_demo.seed()
        catalog_demo.seed()
        moderation_demo.seed()
        assert catalog_demo.seed() == {"products": 0}
        assert moderation_demo.seed() == {"decided_reports": 0}
    brand = brands.protected_brand_named("great lakes")
    operators = Organization.objects.get(kind=Organization.Kind.OPERATOR)
    assert (
        brand is not None
        and BrandGrant.objects.visible_to(operators).filter(brand=brand).count() == 1
    )
    assert selectors.moderation_queue(organization=operators).count() == 2
    sign_in(client, User.objects.get(email="operator.staff@example.com"))
    page = client.get(reverse("catalog:moderation")).content.decode()
    assert "Brand owner" in page and "Driftless" in page
    # An outsider (the demo buyer) sees neither the queue nor the brand owner's report.
    client.force_login(User.objects.get(email="buyer@example.com"))
    assert client.get(reverse("catalog:moderation")).status_code == 403
    owner_report = ListingReport.objects.visible_to(operators).get(
        source=ListingReport.Source.BRAND_OWNER, status=ListingReport.Status.OPEN
    )
    assert client.get(reverse("catalog:report", args=[owner_report.pk])).status_code == 404


def test_strike_history_page_query_count_is_fixed(client, world, django_assert_num_queries):
    with scopes_disabled():
        strike_issue(
            organization=world["shop"], reason="First", source="", acting_user=world["ops1"]
        )
    sign_in(client, world["ops2"])
    client.get(reverse("catalog:strikes"))
    with scopes_disabled():
        for n in range(3):
            other, _owner = merchant(f"Offender {n}", slug=f"offender-{n}")
            strike_issue(
                organization=other, reason=f"Fake {n}", source="", acting_user=world["ops1"]
            )
    # Session, user, memberships, TOTP check; then every strike with its merchant and issuer.
    with django_assert_num_queries(5):
        response = client.get(reverse("catalog:strikes"))
    assert response.content.decode().count('<section class="card">') == 4


def test_takedown_from_the_product_page_is_on_record_with_a_strike(client, world):
    item = listing(world["shop"], world["owner"], title_en="Knock-off syrup", seed=70)
    sign_in(client, world["ops1"])
    page = client.get(reverse("catalog:product", args=[item.pk])).content.decode()
    assert 'name="category"' in page
    client.post(
        reverse("catalog:takedown", args=[item.pk]),
        {"category": "unsafe", "reason": "Lead paint on the lid"},
    )
    report = ListingReport.objects.visible_to(world["shop"]).get(product=item)
    assert report.source == ListingReport.Source.OPERATOR and report.reason == "unsafe"
    assert report.status == ListingReport.Status.TAKEN_DOWN and report.strike is not None
    assert state_of(item) == ListingState.TAKEN_DOWN
    # Appealable like any takedown, and not by the same operator.
    with scopes_disabled():
        appeal = brands.appeal_file(report=report, statement="Tested", acting_user=world["owner"])
    with pytest.raises(ModerationRefused):
        brands.appeal_decide(appeal=appeal, outcome="uphold", reason="x", acting_user=world["ops1"])
    # A merchant cannot use the operators' action.
    client.force_login(world["owner"])
    other = listing(world["shop"], world["owner"], title_en="Other syrup", seed=71)
    response = client.post(reverse("catalog:takedown", args=[other.pk]), {"reason": "x"})
    assert response.status_code == 403
    assert state_of(other) == ListingState.ACTIVE
