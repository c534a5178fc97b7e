"""Tenant isolation of the whole API: every endpoint under /api/v1/ (read from the URL
resolver, so a new one is covered as soon as it is routed) × every method it allows × the ids
of another organisation's objects of the kind it serves. Keys of organisation A with every
scope get the same answer for B's objects as for ids that do not exist — 404 where the endpoint
is open to A — and never a 2xx, a 5xx or a 403 that only B's objects would get."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django_scopes import scopes_disabled

from network import services as network_services
from network.models import ApiScope, Organization, Role
from shipping.services.documents import trade_documents_issue
from tests.catalog.factories import merchant as make_merchant
from tests.catalog.factories import product
from tests.factories import OrganizationFactory, member, operator
from tests.orders.factories import buyer as make_buyer
from tests.orders.factories import fan_out, place, sku
from tests.shipping.containers import book_space, open_container
from tests.shipping.factories import SailingFactory, request_booking
from tests.training.factories import SeminarFactory
from training import services as training_services
from training.models import Seminar

pytestmark = pytest.mark.django_db

API_PREFIX = "/api/v1/"
METHODS = ("get", "post", "put", "patch", "delete")
PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")

# Which object of a side each path parameter names, by route name. A new route with a path
# parameter fails the test until it is added here.
OBJECTS = {
    "api-product": {"pk": "draft_product"},
    "api-product-by-sku": {"sku": "sku_code"},
    "api-merchant-product": {"pk": "draft_product"},
    "orders_purchase_order": {"number": "purchase_order"},
    "orders_purchase_order_cancel": {"number": "purchase_order"},
    "orders_merchant_order": {"number": "merchant_order"},
    "orders_merchant_order_action": {"number": "merchant_order", "action": "accept"},
    "orders_merchant_order_confirm_receipt": {"number": "merchant_order"},
    "orders_merchant_order_problems": {"number": "merchant_order"},
    "shipping_booking": {"reference": "booking"},
    "shipping_booking_amend": {"reference": "booking"},
    "shipping_booking_cancel": {"reference": "booking"},
    "shipping_booking_tracking": {"reference": "booking"},
    "shipping_space_request": {"space_reference": "space_request"},
    "shipping_space_request_cancel": {"space_reference": "space_request"},
    "api_seminar_detail": {"slug": "seminar"},
    "api_seminar_register": {"slug": "seminar"},
    "api_seminar_registration_detail": {"pk": "registration"},
    "api_seminar_registration_cancel": {"pk": "registration"},
    "api-application": {"pk": "application"},
    "api-application-decision": {"pk": "application"},
    "api-application-checklist": {"pk": "application"},
    "api-webhook-endpoint": {"pk": "webhook_endpoint"},
    "api-webhook-endpoint-rotate-secret": {"pk": "webhook_endpoint"},
    "api-webhook-deliveries": {"pk": "webhook_endpoint"},
    "api-webhook-delivery-replay": {"pk": "webhook_endpoint", "delivery_id": "webhook_delivery"},
    "shipping_shipment": {"reference": "shipment"},
    "shipping_shipment_dispatch": {"reference": "shipment"},
    "shipping_shipment_cancel": {"reference": "shipment"},
    "shipping_trade_documents": {"reference": "shipment"},
    "shipping_trade_document_file": {"reference": "shipment", "pk": "trade_document"},
    "payments_claim": {"number": "claim"},
    "payments_claim_respond": {"number": "claim"},
    "payments_claim_decide": {"number": "claim"},
    "payments-purchase-order": {"number": "purchase_order"},
    "deals_quotation_request": {"number": "quotation_request"},
    "deals_quotation_request_close": {"number": "quotation_request"},
    "deals_quotation_request_quotations": {"number": "quotation_request"},
    "deals_quotation": {"number": "quotation"},
    "deals_quotation_accept": {"number": "quotation"},
    "deals_quotation_withdraw": {"number": "quotation"},
    "deals_thread": {"pk": "thread"},
    "deals_thread_messages": {"pk": "thread"},
    "deals_saved_list": {"pk": "saved_list"},
    "deals_saved_list_items": {"pk": "saved_list"},
    "deals_saved_list_item": {"pk": "saved_list", "item_id": "saved_list_item"},
    "deals_saved_list_cart": {"pk": "saved_list"},
    "deals_reorder": {"number": "purchase_order"},
    "api-merchant-price-list": {"pk": "price_list"},
    "api-price-list": {"pk": "price_list"},
}
# Routes whose parameter names no organisation's private object.
NOT_TENANT_OWNED = {
    # The carrier's own callback, authenticated by the carrier's signature.
    "shipping_booking_notifications",
    # The carrier's push of tracking events: the token names our subscription, and the
    # subscription's secret signs the body.
    "shipping_tracking_events",
    # A row of the China tariff table: reference data every member reads.
    "api-tariff-line",
}
# Bodies that get a write past its body checks, so the object lookup is what answers.
BODIES = {
    "shipping_booking_amend": {"units": 1, "gross_weight_kg": 18000},
    "shipping_booking_cancel": {"reason": "Plans changed"},
    "orders_purchase_order_cancel": {"reason": "Plans changed"},
    "api-application-decision": {"action": "start_review"},
    "payments_claim_respond": {"action": "withdraw"},
    "payments_claim_decide": {"note": "Decided."},
    "deals_thread_messages": {"body": "Hello"},
    "deals_saved_list": {"name": "Renamed"},
    "deals_saved_list_items": {"code": "ALPHA-SYRUP", "quantity": 12},
}
MISSING = {"int": "987654321", "str": "NO-SUCH-404", "slug": "no-such-404", "path": "NO-SUCH-404"}


def _routes(resolver=None, prefix="/"):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _routes(entry, route)
        elif isinstance(entry, URLPattern) and route.startswith(API_PREFIX):
            view_class = getattr(entry.callback, "view_class", None) or getattr(
                entry.callback, "cls", None
            )
            methods = [m for m in METHODS if view_class and hasattr(view_class, m)]
            yield route, entry.name, methods


def _side(name: str, sailing, seminar_published, container=None):
    """A merchant and a buyer organisation with one private object of every kind."""
    merchant_org, owner = make_merchant(f"{name} Merchant", slug=f"{name.lower()}-merchant")
    buyer_org, buyer_owner = make_buyer(f"{name} Store", role=Role.OWNER)
    orderable = sku(merchant_org, owner, code=f"{name.upper()}-SYRUP")
    draft = product(merchant_org, owner, code=f"{name.upper()}-DRAFT", image=False, publish=False)
    purchase_order = place(buyer_org, buyer_owner, [(orderable, 48)])
    fan_out(purchase_order)
    booking = request_booking(merchant_org, sailing, owner)
    shipment = _shipment(merchant_org, owner, buyer_org, buyer_owner, orderable, booking)
    space = book_space(merchant_org, container, owner) if container else None
    registration = training_services.registration_create(
        seminar=seminar_published, organization=merchant_org, acting_user=owner
    )
    # An address that does not resolve is accepted (each delivery checks again).
    webhook_endpoint = network_services.webhook_endpoint_create(
        organization=merchant_org,
        url=f"https://hooks.{name.lower()}-merchant.example/in",
        events=["merchant_order.created"],
        acting_user=owner,
    )
    [webhook_delivery] = network_services.webhook_emit(
        organization=merchant_org, event="merchant_order.created", payload={}
    )
    with scopes_disabled():
        merchant_order = purchase_order.merchant_orders.get()
        application = merchant_org.merchant_application
    trade_document = trade_documents_issue(shipment=shipment)[0]
    keys, people = {}, {}
    for organization, user in ((merchant_org, owner), (buyer_org, buyer_owner)):
        _key, raw = network_services.api_key_create(
            organization=organization, name="ERP", scopes=list(ApiScope.values), acting_user=user
        )
        keys[f"{organization.kind} key"] = f"Bearer {raw}"
        people[f"{organization.kind} owner"] = user
    people["merchant viewer"] = member(merchant_org, Role.VIEWER)
    return {
        "keys": keys,
        "people": people,
        "draft_product": draft.pk,
        "sku_code": f"{name.upper()}-DRAFT",
        "purchase_order": purchase_order.number,
        "merchant_order": merchant_order.number,
        "booking": booking.reference,
        "shipment": shipment.reference,
        "space_request": space.reference if space else "",
        "registration": registration.pk,
        "application": application.pk,
        "webhook_endpoint": webhook_endpoint.pk,
        "webhook_delivery": webhook_delivery.pk,
        "trade_document": trade_document.pk,
        "claim": _claim(merchant_org, owner, buyer_org, buyer_owner, orderable).number,
        **_quotation(merchant_org, owner, buyer_org, buyer_owner, orderable),
        **_deals(merchant_org, buyer_org, buyer_owner, orderable),
        "price_list": _price_list(merchant_org, owner, buyer_org, orderable).pk,
    }


def _shipment(merchant_org, owner, buyer_org, buyer_owner, orderable, booking):
    """A second order of the buyer, packed and planned on the merchant's booking."""
    from orders import services as order_services
    from shipping.services.shipments import shipment_create

    purchase_order = place(buyer_org, buyer_owner, [(orderable, 12)])
    fan_out(purchase_order)
    with scopes_disabled():
        part = purchase_order.merchant_orders.get()
    part = order_services.merchant_order_accept(merchant_order=part, acting_user=owner)
    part = order_services.merchant_order_pack(merchant_order=part, acting_user=owner)
    return shipment_create(
        organization=merchant_org, merchant_orders=[part], booking=booking, acting_user=owner
    )


@pytest.fixture
def sides(carrier_server):
    OrganizationFactory(name="Network Operations", kind=Organization.Kind.OPERATOR)
    sailing = SailingFactory()
    published = SeminarFactory(slug="open-seminar")
    draft = SeminarFactory(slug="draft-seminar", status=Seminar.Status.DRAFT)
    container = open_container(sailing, operator())
    own = _side("Alpha", sailing, published, container)
    other = _side("Beta", sailing, published, container)
    own["seminar"], other["seminar"] = published.slug, draft.slug
    return own, other


def _url(route: str, name: str, values: dict | None) -> str:
    def replace(match):
        if values is None:
            return MISSING[match.group("converter") or "str"]
        wanted = OBJECTS[name][match.group("name")]
        return str(values.get(wanted, wanted))

    return PARAMETER.sub(replace, route)


def _call(client, method, url, key, body):
    headers = {"HTTP_AUTHORIZATION": key} if key else {}
    if method in ("get", "delete"):
        return getattr(client, method)(url, **headers)
    return getattr(client, method)(url, body, content_type="application/json", **headers)


def _callers(side):
    """(who, client, key): A's keys with every scope, and A's people signed in (sessions are
    not limited by scopes, so they reach endpoints closed to keys)."""
    for who, key in side["keys"].items():
        yield who, Client(), key
    for who, user in side["people"].items():
        signed_in = Client()
        signed_in.force_login(user)
        yield who, signed_in, None


def _code(response):
    try:
        return response.json().get("code")
    except ValueError:
        return None


def test_another_organisations_objects_answer_as_if_they_did_not_exist(sides):
    own, other = sides
    routes = [r for r in _routes() if PARAMETER.search(r[0]) and r[1] not in NOT_TENANT_OWNED]
    unmapped = sorted(name for _route, name, _methods in routes if name not in OBJECTS)
    assert unmapped == [], "add the routes' objects to OBJECTS"

    problems, isolated = [], 0
    for route, name, methods in routes:
        for method in methods:
            for kind, client, key in _callers(own):
                body = BODIES.get(name, {})
                answer = _call(client, method, _url(route, name, other), key, body)
                missing = _call(client, method, _url(route, name, None), key, body)
                where = f"{method.upper()} {route} as {kind}"
                if answer.status_code < 300 or answer.status_code >= 500:
                    problems.append(f"{where}: {answer.status_code} for B's object")
                elif (answer.status_code, _code(answer)) != (
                    missing.status_code,
                    _code(missing),
                ):
                    problems.append(
                        f"{where}: {answer.status_code} {_code(answer)} for B's object, "
                        f"{missing.status_code} {_code(missing)} for a missing one"
                    )
                if method == "get":
                    mine = _call(client, "get", _url(route, name, own), key, body)
                    if mine.status_code == 200:
                        isolated += 1
                        if (answer.status_code, _code(answer)) != (404, "not_found"):
                            problems.append(f"{where}: open to A, {answer.status_code} for B's")
    assert problems == []
    # The readable endpoints really were reached with A's own objects.
    assert isolated >= 20


def test_another_organisations_rows_are_not_in_list_endpoints(sides):
    own, other = sides
    markers = [
        other["purchase_order"],
        other["merchant_order"],
        other["booking"],
        other["shipment"],
        "BETA-",
        "hooks.beta-merchant.example",
    ]
    leaks = []
    for route, _name, methods in _routes():
        if PARAMETER.search(route) or "get" not in methods or not route.startswith(API_PREFIX):
            continue
        for kind, client, key in _callers(own):
            text = _call(client, "get", route, key, {}).content.decode()
            leaks += [f"{route} as {kind}: {m}" for m in markers if m in text]
    assert leaks == []


def _claim(merchant_org, owner, buyer_org, buyer_owner, orderable):
    """A claim of the buyer on a third order, delivered and paid into escrow."""
    from orders import services as order_services
    from payments.services import claims
    from tests.payments.paying import pay
    from tests.payments.trade import photo

    purchase_order = place(buyer_org, buyer_owner, [(orderable, 12)])
    fan_out(purchase_order)
    with scopes_disabled():
        part = purchase_order.merchant_orders.get()
    part = order_services.merchant_order_accept(merchant_order=part, acting_user=owner)
    part = order_services.merchant_order_pack(merchant_order=part, acting_user=owner)
    part = order_services.merchant_order_ship(
        merchant_order=part, carrier_name="Maersk", acting_user=owner
    )
    part = order_services.merchant_order_mark_delivered(merchant_order=part, acting_user=owner)
    pay(purchase_order)
    return claims.claim_open(
        merchant_order=part,
        reason="short",
        description="One case missing.",
        amount_usd="10.00",
        photos=[photo()],
        acting_user=buyer_owner,
    )


def _quotation(merchant_org, owner, buyer_org, buyer_owner, orderable):
    """The buyer's request for quotation with the merchant's quotation on it, then closed: the
    other side's merchant (which sells in the same category) no longer finds it."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from deals.services import quotations as quotation_services

    rfq = quotation_services.quotation_request_create(
        organization=buyer_org,
        title="Maple syrup",
        quantity=48,
        product=orderable.product,
        acting_user=buyer_owner,
    )
    quotation = quotation_services.quotation_submit(
        rfq=rfq,
        merchant=merchant_org,
        lines=[quotation_services.QuotedLine(orderable.pk, 48, [(12, Decimal("7.00"))])],
        moq=12,
        lead_time_days=7,
        valid_until=timezone.localdate() + timedelta(days=7),
        acting_user=owner,
    )
    quotation_services.quotation_request_close(rfq=rfq, acting_user=buyer_owner)
    return {"quotation_request": rfq.number, "quotation": quotation.number}


def _deals(merchant_org, buyer_org, buyer_owner, orderable):
    """The buyer's conversation with the merchant about the product, and a saved list."""
    from django_scopes import scope

    from deals.services import lists, messages

    with scope(organization=buyer_org):
        about = messages.thread_about(organization=buyer_org, product=orderable.product)
        thread, _message = messages.thread_start(
            organization=buyer_org, about=about, body="Do you ship?", acting_user=buyer_owner
        )
    saved_list = lists.saved_list_create(
        organization=buyer_org, name="Spring", acting_user=buyer_owner
    )
    item = lists.saved_list_add_item(
        organization=buyer_org,
        saved_list=saved_list,
        sku=orderable,
        quantity=48,
        acting_user=buyer_owner,
    )
    return {"thread": thread.pk, "saved_list": saved_list.pk, "saved_list_item": item.pk}


def _price_list(merchant_org, owner, buyer_org, orderable):
    """The merchant's price list for its buyer, with the orderable SKU's product on it."""
    from catalog.services import price_lists

    price_list = price_lists.price_list_create(
        organization=merchant_org,
        buyer=buyer_org,
        values={"name": "Season terms", "discount_percent": "5", "valid_from": "2026-01-01"},
        acting_user=owner,
    )
    price_lists.price_list_entry_set(
        price_list=price_list,
        product=orderable.product,
        discount_percent=None,
        tiers=[],
        acting_user=owner,
    )
    return price_list
