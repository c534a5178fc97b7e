"""The site's pages, as each kind of person sees them: every GET URL pattern, with its path
parameters filled with objects the person's own organisation can see in the demo data
(``seed_demo``) — its orders, bookings, products, registrations… — and public objects
(active listings, approved merchants, published seminars, sailings), kept when it answers 200
with an HTML page.

Tests that check something of every page (that it fits a phone, that it speaks Chinese) use it::

    call_command("seed_demo")
    for role, person in demo_people().items():
        for url in pages_for(client, person):
            ...

A new URL pattern joins by itself; one whose path parameter this module cannot fill fails
with a message saying which parameter of which pattern, to be added to ``_Filler.values``."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

from django.apps import apps
from django.db.models import Model, Q, QuerySet
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone, translation
from django_scopes import scopes_disabled

from network.models import Membership, Organization, User

# The people every page is checked for, by role: the demo logins of ``network/demo.py``.
DEMO_LOGINS = {
    "anonymous": None,
    "buyer owner": "buyer.owner@example.com",
    "merchant owner": "merchant.owner@example.com",
    "operator staff": "operator.staff@example.com",
}
# Not pages: the admin (Django's own), files, and the API (JSON; its reference pages are
# third-party renderers).
SKIPPED_PREFIXES = ("admin/", "static/", "media/", "api/")
# Downloads by their name (a calendar, a certificate, a QR code, an image, a CSV export):
# never HTML, so not filled at all. Other downloads are told apart by their Content-Type.
DOWNLOAD_SUFFIX = re.compile(r"\.(csv|ics|pdf|svg|jpg|png|json|xlsx)$")
# Patterns whose path parameter is itself the credential, sent by mail and stored only as a
# hash: nobody but the recipient can build the URL.
CREDENTIAL_ROUTES = {
    "invitation_accept",  # invitations/<token>/
    "offer",  # training/offers/<token>/ — a waitlist seat offer
    "account_confirm_email",  # accounts/confirm-email/<key>/
    "account_reset_password_from_key",  # accounts/password/reset/key/<uidb36>-<key>/
    "shipping_booking_notifications",
    "shipping_tracking_events",  # api/v1/shipping/tracking/<token>/events/ — a carrier's push
    "bank_account_confirm_link",  # payments/bank-account/confirm/<token>/ — mailed to owners
}
INT_MODELS = {
    "membership_id": "network.Membership",
    "invitation_id": "network.Invitation",
    "key_id": "network.ApiKey",
    "endpoint_id": "network.WebhookEndpoint",
    "delivery_id": "network.WebhookDelivery",
    "claim_id": "merchants.BrandClaim",
    "document_id": "merchants.MerchantDocument",
    "application_id": "merchants.MerchantApplication",
    "product_id": "catalog.Product",
    "image_id": "catalog.ProductImage",
    "report_id": "moderation.ListingReport",
    "appeal_id": "moderation.Appeal",
    "brand_id": "moderation.Brand",
    "grant_id": "moderation.BrandGrant",
    "job_id": "catalog.ImportJob",
    "sku_id": "catalog.SKU",
    "line_id": "orders.CartLine",
    "sailing_id": "shipping.Sailing",
    "carrier_id": "shipping.Carrier",
    "lane_id": "shipping.Lane",
    "photo_id": "orders.ReceiptProblemPhoto",
    "document_pk": "shipping.TradeDocument",
    "claim_photo_id": "payments.ClaimPhoto",
    "rfq_file_id": "deals.QuotationRequestFile",
    "thread_id": "deals.Thread",
    "attachment_id": "deals.MessageAttachment",
    "list_id": "deals.SavedList",
    "item_id": "deals.SavedListItem",
    "tariff_id": "catalog.TariffLine",
    "price_list_id": "catalog.PriceList",
    "entry_id": "catalog.PriceListEntry",
}
PK_MODELS = {  # ``<int:pk>`` by route name prefix
    "registration": "training.Registration",
    "material": "training.SeminarMaterial",
    "manage": "training.Seminar",
    "payout_run": "payments.PayoutRun",
}
# Words a path takes (a step, an action): most name a POST-only action, answered 405 to a GET.
ACTIONS = ["accept", "cancel", "approve", "publish", "pause", "start"]
MAX_COMBINATIONS = 4


def walk(patterns=None, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str, str]]:
    """(route, name, namespace) of every URL pattern."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.name or "", namespace


def seed_demo(apps: str | None = None) -> None:
    """The demo network (``seed_demo``, of ``apps`` when named) as the page checks read it: the
    work its writes send "on commit" (carrier subscriptions, mail, fan-out of the demo's
    orders) is dropped, as when a test seeds inside its own transaction, which never commits.
    Committed all the same, for a live server to read."""
    from django.core.management import call_command
    from django.db import connection, transaction

    with transaction.atomic():
        call_command("seed_demo", **({"apps": apps} if apps else {}))
        connection.run_on_commit.clear()


def demo_people() -> dict[str, User | None]:
    """The demo person of each role (``None`` for the anonymous visitor); seed the demo first."""
    return {
        role: None if email is None else User.objects.get(email=email)
        for role, email in DEMO_LOGINS.items()
    }


def _sample(queryset: QuerySet, limit: int = 1) -> list[Model]:
    """Up to ``limit`` rows of each status or state (each state has its own buttons and
    notices), or the first three rows of a model without one."""
    model = queryset.model
    names = {f.name for f in model._meta.fields}
    field = next((f for f in ("status", "state") if f in names), None)
    if field is None:
        return list(queryset.order_by("pk")[: limit * 3])
    rows: list[Model] = []
    for value in sorted(set(queryset.order_by().values_list(field, flat=True))):
        rows += list(queryset.filter(**{field: value}).order_by("pk")[:limit])
    return rows


def _party_filter(model, organization: Organization) -> Q | None:
    """Rows that name ``organization`` as a party: directly (``organization``, ``buyer``,
    ``owner``, ``reseller``…) or through the record they belong to (a document's application)."""
    condition = Q()
    found = False
    for field in model._meta.fields:
        if not field.is_relation:
            continue
        if field.related_model is Organization:
            condition |= Q(**{field.name: organization})
            found = True
    if found:
        return condition
    for field in model._meta.fields:
        if field.is_relation and field.related_model is not User:
            inner = _party_filter(field.related_model, organization)
            if inner is not None and field.related_model is not model:
                return Q(**{f"{field.name}__in": field.related_model.objects.filter(inner)})
    return None


def _public(queryset: QuerySet) -> QuerySet:
    """The rows of a model anyone may see, or none."""
    label = queryset.model._meta.label
    if label == "catalog.Product":
        return queryset.filter(state="active")
    if label in ("catalog.SKU", "catalog.ProductImage"):
        return queryset.filter(product__state="active")
    if label == "training.Seminar":
        return queryset.filter(status="published")
    if label in ("shipping.Sailing", "shipping.Carrier"):
        return queryset
    if label == "shipping.ConsolidationContainer":
        return queryset.filter(status__in=["open", "closed", "departed", "arrived"])
    return queryset.none()


class _Filler:
    """Path parameter values for one organisation (``None``: the anonymous visitor)."""

    def __init__(self, organization: Organization | None):
        self.organization = organization
        self.operator = organization is not None and organization.kind == Organization.Kind.OPERATOR

    def rows(self, label: str) -> list[Model]:
        model = apps.get_model(label)
        every = model.objects.all()
        if self.operator:  # operators see every organisation's records
            return _sample(every)
        rows = _sample(_public(every))
        if self.organization is not None:
            party = _party_filter(model, self.organization)
            if party is not None:
                rows += _sample(every.filter(party))
        return list({row.pk: row for row in rows}.values())

    def values(self, name: str, converter: str, route_name: str) -> list[str]:
        if name == "action":
            return ACTIONS
        if name == "step":
            from merchants.views import STEP_NAMES

            return list(STEP_NAMES)
        if name == "equipment":
            from shipping.models import SailingRate

            return sorted(set(SailingRate.objects.values_list("equipment_code", flat=True)))[:2]
        if converter == "int":
            label = INT_MODELS.get(name) or next(
                (m for prefix, m in PK_MODELS.items() if route_name.startswith(prefix)), None
            )
            if label is None:
                raise AssertionError(
                    f"tests/site_pages.py cannot fill <{converter}:{name}> in {route_name}: "
                    "say which model it is (INT_MODELS or PK_MODELS)"
                )
            return [str(row.pk) for row in self.rows(label)]
        if name == "number":
            return [
                row.number
                for label in ("orders.PurchaseOrder", "orders.MerchantOrder")
                for row in self.rows(label)
            ]
        if name == "reference" and route_name.startswith(("shipment_", "shipping_shipment")):
            return [row.reference for row in self.rows("shipping.Shipment")]
        if name == "reference":
            return [row.reference for row in self.rows("shipping.Booking")]
        if name == "claim_number":
            return [row.number for row in self.rows("payments.Claim")]
        if name == "container_reference":
            return [row.reference for row in self.rows("shipping.ConsolidationContainer")]
        if name == "space_reference":
            return [row.reference for row in self.rows("shipping.SpaceRequest")]
        if name == "shipment_reference":
            return [row.reference for row in self.rows("shipping.Shipment")]
        if name == "token" and route_name == "check_in_scan":
            return [row.checkin_token for row in self.rows("training.Registration")]
        if name == "slug" and route_name.startswith("seminar"):
            return [row.slug for row in self.rows("training.Seminar")]
        if name == "slug" and route_name == "profile":
            from merchants.models import ApplicationStatus, MerchantApplication

            approved = MerchantApplication.objects.filter(status=ApplicationStatus.APPROVED)
            merchants = Organization.objects.filter(
                kind=Organization.Kind.MERCHANT, pk__in=approved.values("organization")
            )
            slugs = [o.slug for o in merchants.order_by("pk")[:1]]
            if self.organization is not None and self.organization.kind == "merchant":
                slugs.append(self.organization.slug)
            return list(dict.fromkeys(slugs))
        if name == "rfq_number":
            from deals.models import QuotationRequest

            requests = self.rows("deals.QuotationRequest")
            if self.organization is not None and self.organization.kind == "merchant":
                requests += _sample(QuotationRequest.objects.open_to(self.organization))
            return list(dict.fromkeys(row.number for row in requests))
        if name == "quotation_number":
            return [row.number for row in self.rows("deals.Quotation")]
        raise AssertionError(
            f"tests/site_pages.py cannot fill <{converter}:{name}> in {route_name}: "
            "add the objects it takes to _Filler.values"
        )

    def booking_forms(self) -> list[dict[str, str]]:
        """A sailing open for booking, with each equipment type it is priced for."""
        from shipping.models import SailingRate

        now = timezone.now()
        rates = SailingRate.objects.filter(
            sailing__booking_opens_at__lte=now, sailing__booking_closes_at__gt=now
        ).order_by("sailing__etd", "equipment_code")[:2]
        return [{"sailing_id": str(r.sailing_id), "equipment": r.equipment_code} for r in rates]


def candidate_urls(user: User | None) -> list[tuple[str, str]]:
    """(route name, URL) of every page pattern, path parameters filled with what ``user``'s
    organisation can see; a pattern without such objects yields no URL."""
    organization = None
    if user is not None:
        membership = (
            Membership.objects.filter(user=user).select_related("organization").order_by("pk")
        ).first()
        organization = membership.organization if membership else None
    filler = _Filler(organization)
    urls: list[tuple[str, str]] = []
    with scopes_disabled():  # the demo's objects of every tenant, chosen here by their party
        for route, name, _namespace in walk():
            if route.startswith(SKIPPED_PREFIXES) or name in CREDENTIAL_ROUTES:
                continue
            if DOWNLOAD_SUFFIX.search(route):
                continue
            if "(?P<" in route or route.startswith("^"):
                raise AssertionError(
                    f"tests/site_pages.py cannot fill the regular expression {route!r} ({name}): "
                    "fill it, or list it in CREDENTIAL_ROUTES if its parameter is a secret"
                )
            params = re.findall(r"<(?:(\w+):)?(\w+)>", route)
            if not params:
                urls.append((name, "/" + route))
                continue
            if name == "booking_create":
                combinations = [
                    tuple(form[p] for _c, p in params) for form in filler.booking_forms()
                ]
            else:
                choices = [filler.values(p, c or "str", name) for c, p in params]
                combinations = list(itertools.islice(itertools.product(*choices), MAX_COMBINATIONS))
            for combination in combinations:
                url = route
                for (converter, param), value in zip(params, combination, strict=True):
                    url = re.sub(rf"<(?:{converter}:)?{param}>", str(value), url, count=1)
                urls.append((name, "/" + url))
    return urls


def sign_in_as(client, user: User | None) -> None:
    """Sign ``client`` in as ``user`` (with the second factor operators need), or out."""
    from tests.factories import sign_in

    client.logout()
    if user is None:
        return
    operator = (
        user.is_staff
        or user.is_superuser
        or Membership.objects.filter(
            user=user, organization__kind=Organization.Kind.OPERATOR
        ).exists()
    )
    if operator:
        sign_in(client, user)
    else:
        client.force_login(user)


def pages_for(client, user: User | None) -> list[str]:
    """The URLs of the HTML pages that answer 200 to ``user`` (``None``: anonymous), in URL
    pattern order. Signs ``client`` in as ``user`` first."""
    return list(html_pages_for(client, user))


def html_pages_for(client, user: User | None) -> dict[str, str]:
    """{URL: HTML} of the pages that answer 200 to ``user``, as ``pages_for`` finds them: for a
    check of the page's text, which then need not ask for each page again."""
    sign_in_as(client, user)
    client.raise_request_exception = False
    pages: dict[str, str] = {}
    # The pages switch the thread's language to the person's; the caller's is kept.
    with translation.override(translation.get_language()):
        for _name, url in candidate_urls(user):
            if url in pages:
                continue
            response = client.get(url)
            if response.status_code != 200:
                continue
            if not response.get("Content-Type", "").startswith("text/html"):
                continue
            pages[url] = response.content.decode()
    return pages
