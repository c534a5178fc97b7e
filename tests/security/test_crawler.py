"""Every URL pattern, with its path parameters filled with other organisations' ids, numbers,
references and slugs, requested by an anonymous visitor and by signed-in members of other
tenants (a merchant and a buyer). The answer must be a redirect (to the login page, or away),
403, 404 or 405 — never a 5xx, never a 200 on a private object, and no page may show another
tenant's private strings (order numbers, booking references, emails, key prefixes, webhook
URLs, document names). Public pages (the catalogue's active listings, approved merchant
profiles, published seminars) may answer 200 for their public objects only.

The data is the demo network (``seed_demo``): every app's objects in every state, owned by
organisations the crawling people do not belong to."""

from __future__ import annotations

import itertools
import re

import ahocorasick
import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import get_resolver
from django_scopes import scopes_disabled

from network.models import Membership, Organization, Role, User
from tests import site_pages
from tests.factories import OrganizationFactory, member
from tests.site_pages import INT_MODELS

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

# Patterns whose path parameter is itself the credential (whoever holds the token may read):
# an outsider cannot have it, so there is nothing to crawl.
CREDENTIAL_ROUTES = {
    "invitation_accept",  # invitations/<token>/ — the emailed token is the credential
    "feed",  # training/calendar/<token>.ics — a private subscription URL
    "offer",  # training/offers/<token>/ — the emailed waitlist offer
    "shipping_booking_notifications",  # carriers sign their notifications (HMAC)
    "shipping_tracking_events",  # tracking/<token>/events/ — signed with the subscription's secret
    "bank_account_confirm_link",  # the link mailed to a merchant's owners; confirms on POST only
}
# Pages that may answer 200 to anyone for a public object (``public`` below says which).
PUBLIC_ROUTES = {
    "product",
    "image",
    "report_create",
    "profile",
    "seminar_detail",
    "seminar_register",
    "api-product",
    "api-product-by-sku",
    "api_seminar_detail",
    "api_seminar_register",
    "booking_create",  # the booking form of a published sailing
    "space_book",  # the space form of a shared container open to every merchant
    "api-tariff-line",  # the China tariff table is reference data every member reads
}
SKIPPED_PREFIXES = ("admin/", "accounts/", "static/", "media/", "api/schema", "api/docs")
PK_MODELS = {  # ``<int:pk>`` by view name prefix: the pages' ones and the API's
    **site_pages.PK_MODELS,
    "api-application": "merchants.MerchantApplication",
    "api-product": "catalog.Product",
    "api-merchant-product": "catalog.Product",
    "api_seminar_registration": "training.Registration",
    "api-webhook": "network.WebhookEndpoint",
    "shipping_trade_document": "shipping.TradeDocument",
    "deals_thread": "deals.Thread",
    "deals_saved_list": "deals.SavedList",
    "api-merchant-price-list": "catalog.PriceList",
    "api-price-list": "catalog.PriceList",
    "api-tariff-line": "catalog.TariffLine",
}
WORDS = {
    "action": ["accept", "cancel", "approve", "publish"],
    "step": ["company", "documents", "submit"],
    "equipment": ["22G1", "45G1"],
    "size": ["thumb", "large"],
}
MAX_COMBINATIONS = 4
POSTED_COMBINATIONS = 2


def _sample(queryset, limit=1):
    """Up to ``limit`` rows of each status or state, so private states are always tried."""
    model = queryset.model
    field = next(
        (f for f in ("status", "state") if f in {x.name for x in model._meta.fields}), None
    )
    if field is None:
        return list(queryset.order_by("pk")[: limit * 3])
    rows = []
    for value in queryset.order_by().values_list(field, flat=True).distinct():
        rows += list(queryset.filter(**{field: value}).order_by("pk")[:limit])
    return rows


class Victims:
    """Objects of organisations the crawlers do not belong to, and their private strings."""

    def __init__(self, outsider_orgs: list[Organization]):
        self.outsiders = [o.pk for o in outsider_orgs]

    def rows(self, label: str):
        model = apps.get_model(label)
        queryset = model.objects.all()
        names = {f.name for f in model._meta.fields}
        if "organization" in names:
            queryset = queryset.exclude(organization_id__in=self.outsiders)
        return _sample(queryset)

    def public(self, row) -> bool:
        label = row._meta.label
        if label == "catalog.Product":
            return row.state == "active"
        if label in ("catalog.SKU", "catalog.ProductImage"):
            return row.product.state == "active"
        if label == "training.Seminar":
            return row.status == "published"
        if label == "network.Organization":
            from merchants.models import ApplicationStatus, MerchantApplication

            return MerchantApplication.objects.filter(
                organization=row, status=ApplicationStatus.APPROVED
            ).exists()
        if label == "shipping.ConsolidationContainer":
            return row.status in ("open", "closed", "departed", "arrived")
        # The China tariff table is reference data every member reads.
        if label == "catalog.TariffLine":
            return True
        # Sailings are published schedules; the booking form is for any merchant.
        return label == "shipping.Sailing"

    def values(self, name: str, converter: str, route_name: str) -> list[tuple[str, bool]]:
        """(value, public) pairs for one path parameter."""
        if name in WORDS:  # not another tenant's data: ``None`` for "neither public nor private"
            return [(word, None) for word in WORDS[name]]
        if converter == "int":
            label = INT_MODELS.get(name) or next(
                (m for prefix, m in PK_MODELS.items() if route_name.startswith(prefix)), None
            )
            if label is None:
                raise AssertionError(f"no data for <{converter}:{name}> in {route_name}")
            return [(str(row.pk), self.public(row)) for row in self.rows(label)]
        if name == "number":
            return [
                (row.number, False)
                for label in ("orders.PurchaseOrder", "orders.MerchantOrder")
                for row in self.rows(label)
            ]
        if name == "reference" and route_name.startswith(("shipment_", "shipping_shipment")):
            return [(row.reference, False) for row in self.rows("shipping.Shipment")]
        if name == "reference":
            return [(row.reference, False) for row in self.rows("shipping.Booking")]
        if name == "container_reference":
            return [
                (row.reference, self.public(row))
                for row in self.rows("shipping.ConsolidationContainer")
            ]
        if name == "space_reference":
            return [(row.reference, False) for row in self.rows("shipping.SpaceRequest")]
        if name == "shipment_reference":
            return [(row.reference, False) for row in self.rows("shipping.Shipment")]
        if name == "claim_number":
            return [(row.number, False) for row in self.rows("payments.Claim")]
        if name == "scac":
            return [(row.scac, True) for row in self.rows("shipping.Carrier")]
        if name == "sku":
            return [(row.code, self.public(row)) for row in self.rows("catalog.SKU")]
        if name == "token":  # check-in: only operators may check people in
            return [(row.checkin_token, False) for row in self.rows("training.Registration")]
        if name == "slug":
            rows = (
                self.rows("training.Seminar") if route_name.startswith(("seminar", "api_")) else []
            )
            rows += _sample(
                Organization.objects.filter(kind=Organization.Kind.MERCHANT).exclude(
                    pk__in=self.outsiders
                ),
                limit=3,
            )
            return [(row.slug, self.public(row)) for row in rows]
        if name == "rfq_number":
            return [(row.number, False) for row in self.rows("deals.QuotationRequest")]
        if name == "quotation_number":
            return [(row.number, False) for row in self.rows("deals.Quotation")]
        raise AssertionError(f"no data for <{converter}:{name}> in {route_name}")

    def secrets(self) -> set[str]:
        """Strings only the owning organisation may ever see."""
        found: set[str] = set()
        for label, fields in (
            ("orders.PurchaseOrder", ["number"]),
            ("orders.MerchantOrder", ["number"]),
            ("shipping.Booking", ["reference", "carrier_booking_reference"]),
            ("shipping.SpaceRequest", ["reference"]),
            ("shipping.Shipment", ["reference"]),
            ("network.ApiKey", ["prefix"]),
            ("network.WebhookEndpoint", ["url"]),
            ("network.Invitation", ["email"]),
            ("merchants.MerchantDocument", ["original_name"]),
            ("catalog.ImportJob", ["original_name"]),
            ("training.Registration", ["checkin_token"]),
            # A merchant's KYC details never appear on its public profile.
            ("merchants.MerchantApplication", ["ein", "address_line1", "contact_phone"]),
            ("merchants.ReviewNote", ["body"]),
            ("deals.QuotationRequest", ["number"]),
            ("deals.Quotation", ["number"]),
            ("deals.Message", ["body"]),
            ("deals.MessageAttachment", ["original_name"]),
            ("deals.SavedList", ["name"]),
        ):
            model = apps.get_model(label)
            queryset = model.objects.all()
            if "organization" in {f.name for f in model._meta.fields}:
                queryset = queryset.exclude(organization_id__in=self.outsiders)
            for row in queryset:
                for field in fields:
                    value = str(getattr(row, field) or "")
                    if len(value) >= 6:
                        found.add(value)
        members = User.objects.filter(
            pk__in=Membership.objects.exclude(organization_id__in=self.outsiders).values("user")
        )
        found.update(members.values_list("email", flat=True))
        return found


def _urls(victims: Victims):
    """(route name, url, public) for every pattern, parameters filled with victims' values."""
    for route, name, _namespace in site_pages.walk(get_resolver().url_patterns):
        if route.startswith(SKIPPED_PREFIXES) or name in CREDENTIAL_ROUTES:
            continue
        params = re.findall(r"<(?:(\w+):)?(\w+)>", route)
        if not params:
            yield name, "/" + route, True, False, 0
            continue
        choices = [victims.values(p, c or "str", name) for c, p in params]
        if not all(choices):
            continue  # no such object in the demo data
        combinations = itertools.islice(itertools.product(*choices), MAX_COMBINATIONS)
        for index, combination in enumerate(combinations):
            url = route
            for (converter, param), (value, _public) in zip(params, combination, strict=True):
                url = re.sub(rf"<(?:{converter}:)?{param}>", value, url, count=1)
            flags = [is_public for _value, is_public in combination if is_public is not None]
            yield name, "/" + url, all(flags), bool(flags), index


def _more_private_rows() -> None:
    """What the demo network does not hold: keys, webhooks, invitations, a cart line, an import
    job, a brand and its grant, a report with an appeal, and a seminar's material."""
    from datetime import timedelta

    from django.utils import timezone

    from catalog.models import SKU, ImportJob, Product
    from moderation.models import Appeal, Brand, BrandGrant, ListingReport
    from network.services.core import invitation_create
    from network.services.integrations import (
        api_key_create,
        webhook_emit,
        webhook_endpoint_create,
    )
    from orders.models import Cart, CartLine
    from training.models import Seminar, SeminarMaterial

    owners = Membership.objects.filter(role=Role.OWNER).select_related("user", "organization")
    owner_of = {m.organization_id: m.user for m in owners}
    product = next(
        p
        for p in Product.objects.filter(state="active").order_by("pk")
        if p.organization_id in owner_of
    )
    merchant = product.organization
    owner = owner_of[merchant.pk]
    buyer = next(
        o
        for o in Organization.objects.filter(kind=Organization.Kind.BUYER).order_by("pk")
        if o.pk in owner_of
    )
    buyer_user = owner_of[buyer.pk]
    invitation_create(
        organization=merchant,
        email="invited-secret@example.com",
        role=Role.STAFF,
        acting_user=owner,
    )
    api_key_create(
        organization=merchant, name="ERP sync", scopes=["orders:read"], acting_user=owner
    )
    webhook_endpoint_create(
        organization=merchant,
        url="https://erp.private-merchant.example/hooks/secret",
        events=["merchant_order.created"],
        acting_user=owner,
    )
    webhook_emit(organization=merchant, event="merchant_order.created", payload={"x": 1})
    cart, _created = Cart.objects.get_or_create(organization=buyer)
    CartLine.objects.create(
        organization=buyer,
        cart=cart,
        sku=SKU.objects.filter(product=product).first(),
        quantity=12,
        added_by=buyer_user,
    )
    ImportJob.objects.create(
        organization=merchant,
        created_by=owner,
        file="imports/private-price-list.csv",
        original_name="private-price-list.csv",
        file_format="csv",
    )
    brand = Brand.objects.create(owner=merchant, name="Secretmark", trademark_number="9876543")
    BrandGrant.objects.create(
        brand=brand,
        reseller=buyer,
        expires_at=timezone.now() + timedelta(days=30),
        granted_by=owner,
    )
    report = ListingReport.objects.create(
        product=product,
        merchant=merchant,
        reporter=buyer_user,
        reporter_organization=buyer,
        source="buyer",
        reason="counterfeit",
        details="looks fake",
    )
    Appeal.objects.create(
        report=report, organization=merchant, statement="it is genuine", filed_by=owner
    )
    _a_shipment_with_trade_documents()
    seminar = Seminar.objects.filter(status="published").first()
    SeminarMaterial.objects.create(
        seminar=seminar,
        title="Slides",
        file="materials/slides.pdf",
        original_name="slides-private.pdf",
        content_type="application/pdf",
        size=10,
        uploaded_by=owner,
    )


def _a_shipment_with_trade_documents() -> None:
    """A merchant order on a shipment with its trade documents, unless the demo has one."""
    from orders.models import MerchantOrder
    from shipping.models import Booking, Shipment, TradeDocument
    from shipping.services.documents import trade_documents_issue
    from tests.shipping.document_factories import shipment_of

    if not Shipment.objects.exists():
        merchant_order = (
            MerchantOrder.objects.filter(lines__isnull=False, shipment_lines__isnull=True)
            .order_by("pk")
            .first()
        )
        booking = (
            Booking.objects.filter(organization=merchant_order.organization).order_by("pk").first()
            or Booking.objects.order_by("pk").first()
        )
        shipment_of(merchant_order, booking=booking)
        trade_documents_issue(shipment=Shipment.objects.order_by("pk").first())
    # The demo's shipments come with their invoice, packing list and labels.
    for shipment in Shipment.objects.all():
        assert TradeDocument.objects.filter(shipment=shipment).count() == 3, shipment


@pytest.fixture
def crawl_setup():
    call_command("seed_demo")
    with scopes_disabled():
        _more_private_rows()
    outsider_merchant = OrganizationFactory(name="Outsider Hardware", kind="merchant")
    outsider_buyer = OrganizationFactory(name="Outsider Imports", kind="buyer")
    with scopes_disabled():
        victims = Victims([outsider_merchant, outsider_buyer])
        urls = list(_urls(victims))
        secrets = victims.secrets()
    people = {
        "anonymous": None,
        "merchant outsider": member(outsider_merchant, Role.OWNER),
        "buyer outsider": member(outsider_buyer, Role.OWNER),
    }
    return urls, secrets, people


def test_no_url_shows_another_tenants_data(client, crawl_setup):
    urls, secrets, people = crawl_setup
    crawled = {name for name, *_rest in urls}
    every = {
        name
        for route, name, _ns in site_pages.walk(get_resolver().url_patterns)
        if not route.startswith(SKIPPED_PREFIXES) and name not in CREDENTIAL_ROUTES
    }
    assert not every - crawled, f"patterns without data to crawl them: {every - crawled}"
    assert secrets, "the demo gave the crawl no private strings to look for"
    # Every secret in one pass over a page (Aho–Corasick): a regular expression of some
    # thousand alternatives tried each of them at every character, most of the crawl's time.
    finder = ahocorasick.Automaton()
    for secret in secrets:
        finder.add_word(secret, secret)
    finder.make_automaton()
    client.raise_request_exception = False
    problems: list[str] = []
    for who, person in people.items():
        client.logout()
        if person is not None:
            client.force_login(person)
        for name, url, public, victims_data, index in urls:
            methods = ("get", "post") if victims_data and index < POSTED_COMBINATIONS else ("get",)
            for method in methods:
                response = getattr(client, method)(url)
                status = response.status_code
                where = f"{who} {method.upper()} {url} ({name}) -> {status}"
                if status >= 500 and not (name == "healthz" and status == 503):
                    problems.append(f"{where}: server error")
                    continue
                if who == "anonymous" and status in (301, 302):
                    continue
                body = b"".join(response) if response.streaming else response.content
                text = body.decode(errors="replace") + response.get("Location", "")
                # A page may repeat the address it was asked for (a 404 page, a "next" field).
                leaked = {secret for _end, secret in finder.iter(text)} - {
                    s for s in secrets if s in url
                }
                if leaked:
                    problems.append(f"{where}: shows {sorted(leaked)[:3]}")
                private = name not in PUBLIC_ROUTES or not public
                if method == "get" and victims_data and status == 200 and private:
                    problems.append(f"{where}: a private object answered 200")
    assert not problems, "\n".join(problems)
