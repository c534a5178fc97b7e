"""``Idempotency-Key`` on every write of the API, read from its own OpenAPI schema: for each
write operation (so a new one is covered as soon as it is routed — and fails here until it has
an example below), a retry with the same key answers the first answer again, byte for byte,
with ``Idempotent-Replayed: true``, and changes nothing in any table. Keys belong to one
organisation; a failed request leaves its key free; follow-up work is enqueued once."""

from __future__ import annotations

import io
import json
import uuid
from dataclasses import dataclass
from functools import cached_property

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django_scopes import scopes_disabled
from drf_spectacular.generators import SchemaGenerator
from PIL import Image

from merchants.models import ApplicationStatus
from network import services as network_services
from network.models import ApiScope, IdempotencyRecord, Organization, Role, WebhookDelivery
from orders import services as order_services
from payments.camt_samples import camt053, credit
from shipping import services as shipping_services
from shipping.carriers import tracking as carrier_tracking
from shipping.models import Booking, Sailing, TrackingSubscription
from shipping.services import tracking
from shipping.services.shipments import shipment_create
from tests.catalog.factories import merchant as make_merchant
from tests.catalog.factories import product
from tests.factories import OrganizationFactory, member, operator, sign_in
from tests.merchants.conftest import make_application
from tests.orders.factories import buyer as make_buyer
from tests.orders.factories import fan_out, place, sku
from tests.shipping.factories import (
    BOOKING_DEFAULTS,
    NOTIFICATION_SECRET,
    SailingFactory,
    request_booking,
)
from tests.shipping.helpers import put_in_state
from tests.shipping.shipment_world import network_operator, shared_container, space_in
from tests.shipping.tracking_events import signed, voyage
from tests.training.factories import SeminarFactory
from training import services as training_services

pytestmark = pytest.mark.django_db

WRITE_METHODS = ("post", "put", "patch", "delete")
# Tables every authenticated request may touch: an API key records its last use.
TOUCHED_BY_ANY_REQUEST = {"network_apikey", "django_session"}


def _write_operations():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, item in schema["paths"].items():
        for method in WRITE_METHODS:
            if method in item and path.startswith("/api/v1/"):
                operation = item[method]
                yield pytest.param(method, path, operation, id=operation["operationId"])


# Port 9 (discard) on this machine: deliveries fail at once, without leaving the machine.
RECEIVER_URL = "http://127.0.0.1:9/hooks"


@pytest.fixture(autouse=True)
def local_webhook_receivers(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True


@pytest.fixture(autouse=True)
def carrier_answering(carrier_server):
    """The carrier process answers at once and accepts everything."""
    return carrier_server


class World:
    """The organisations, people and objects the examples act on, each made when first used."""

    @cached_property
    def merchant(self):
        return make_merchant("Alpha Merchant", slug="alpha-merchant")

    @cached_property
    def buyer(self):
        return make_buyer("Alpha Store", role=Role.OWNER)

    @cached_property
    def merchant_key(self) -> Client:
        return _key_client(*self.merchant)

    @cached_property
    def buyer_key(self) -> Client:
        return _key_client(*self.buyer)

    @cached_property
    def merchant_owner(self) -> Client:
        return _signed_in(self.merchant[1])

    @cached_property
    def operator(self) -> Client:
        return _signed_in(operator(Role.STAFF))

    @cached_property
    def sku(self):
        return sku(*self.merchant, code="ALPHA-SYRUP")

    @cached_property
    def draft_product(self):
        return product(*self.merchant, code="ALPHA-DRAFT", image=False, publish=False)

    @cached_property
    def purchase_order(self):
        return place(*self.buyer, [(self.sku, 48)])

    @cached_property
    def merchant_order(self):
        fan_out(self.purchase_order)
        with scopes_disabled():
            return self.purchase_order.merchant_orders.get()

    @cached_property
    def sailing(self) -> Sailing:
        return SailingFactory()

    @cached_property
    def booking(self) -> Booking:
        return request_booking(self.merchant[0], self.sailing, self.merchant[1])

    @cached_property
    def seminar(self):
        return SeminarFactory(slug="open-seminar")

    @cached_property
    def registration(self):
        organization, owner = self.merchant
        return training_services.registration_create(
            seminar=self.seminar, organization=organization, acting_user=owner
        )

    @cached_property
    def webhook_endpoint(self):
        organization, owner = self.merchant
        return network_services.webhook_endpoint_create(
            organization=organization,
            url=RECEIVER_URL,
            events=["merchant_order.created"],
            acting_user=owner,
        )

    @cached_property
    def webhook_delivery(self):
        with scopes_disabled():
            return WebhookDelivery.objects.create(
                endpoint=self.webhook_endpoint,
                organization=self.webhook_endpoint.organization,
                event="merchant_order.created",
                payload={"number": "MO-1001"},
                status=WebhookDelivery.Status.FAILED,
            )

    @cached_property
    def packed_merchant_order(self):
        organization, owner = self.merchant
        purchase_order = place(*self.buyer, [(self.sku, 48)])
        fan_out(purchase_order)
        with scopes_disabled():
            part = purchase_order.merchant_orders.get()
        part = order_services.merchant_order_accept(merchant_order=part, acting_user=owner)
        return order_services.merchant_order_pack(merchant_order=part, acting_user=owner)

    @cached_property
    def shipment(self):
        organization, owner = self.merchant
        return shipment_create(
            organization=organization,
            merchant_orders=[self.packed_merchant_order],
            booking=self.booking,
            acting_user=owner,
        )

    @cached_property
    def container(self):
        operator_org, _operator = network_operator()
        return shared_container(self.sailing, operator_org)

    @cached_property
    def space_request(self):
        return space_in(self.container, self.merchant[0])

    @cached_property
    def delivered_merchant_order(self):
        owner = self.merchant[1]
        part = order_services.merchant_order_ship(
            merchant_order=self.packed_merchant_order, carrier_name="Maersk", acting_user=owner
        )
        return order_services.merchant_order_mark_delivered(merchant_order=part, acting_user=owner)

    def application(self, status: str):
        organization = OrganizationFactory(name="Pending Merchant", kind=Organization.Kind.MERCHANT)
        member(organization, Role.OWNER)
        return make_application(organization, status=status, with_documents=False)


def _key_client(organization, user) -> Client:
    _key, raw = network_services.api_key_create(
        organization=organization, name="ERP", scopes=list(ApiScope.values), acting_user=user
    )
    return Client(headers={"Authorization": f"Bearer {raw}"})


def _signed_in(user) -> Client:
    client = Client()
    sign_in(client, user)
    return client


@dataclass
class Example:
    client: Client
    path_values: dict
    body: dict | None
    status: int
    # Sent as a multipart form, with these files (field, name, content) made afresh each time.
    files: tuple[tuple[str, str, bytes], ...] = ()


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "brown").save(buffer, "PNG")
    return buffer.getvalue()


PRODUCT = {
    "category": "maple-syrup",
    "title_en": "Dark Maple Syrup 1 l",
    "title_zh_hans": "深色枫糖浆 1升",
    "description_en": "Grade A dark, robust taste.",
    "hs_code": "1702200000",
    "country_of_origin": "US",
    "weight_kg": "1.400",
    "length_cm": "9.0",
    "width_cm": "9.0",
    "height_cm": "26.0",
    "lead_time_days": 5,
}
TIERS = [
    {"min_quantity": 12, "unit_price_usd": "14.00"},
    {"min_quantity": 48, "unit_price_usd": "12.50"},
]


def _booking_body(sailing) -> dict:
    return {
        **BOOKING_DEFAULTS,
        "sailing": sailing.pk,
        "equipment": "45G1",
        "units": 2,
        "gross_weight_kg": 36_000,
        "order_references": ["MO-1001"],
    }


def _purchase_order_body(sku_obj) -> dict:
    return {
        "lines": [{"sku_id": sku_obj.pk, "quantity": 48}],
        "delivery_type": "bonded",
        "delivery_location": "Ningbo Meishan bonded warehouse",
        "incoterm": "CIF",
        "payment_terms": "net60",
        "buyer_reference": "HZ-API-7",
    }


# One successful call of every write operation, by operation id. A new write operation fails
# the test until it is added here.
EXAMPLES = {
    "v1_applications_checklist_update": lambda w: Example(
        w.operator,
        {"id": w.application(ApplicationStatus.IN_REVIEW).pk},
        {"check_identity": True},
        200,
    ),
    "v1_applications_decision_create": lambda w: Example(
        w.operator,
        {"id": w.application(ApplicationStatus.SUBMITTED).pk},
        {"action": "start_review"},
        200,
    ),
    "v1_inventory_adjust": lambda w: Example(
        w.merchant_key, {}, {"rows": [{"sku": w.sku.code, "delta": 10}]}, 200
    ),
    "v1_inventory_set": lambda w: Example(
        w.merchant_key, {}, {"rows": [{"sku": w.sku.code, "quantity": 77}]}, 200
    ),
    "v1_merchant_products_create": lambda w: Example(
        w.merchant_key,
        {},
        {**PRODUCT, "skus": [{"code": "API-1", "case_pack": 6, "moq": 12, "tiers": TIERS}]},
        201,
    ),
    "v1_merchant_products_partial_update": lambda w: Example(
        w.merchant_key, {"id": w.draft_product.pk}, {"title_en": "Renamed syrup"}, 200
    ),
    "v1_orders_merchant_orders_action": lambda w: Example(
        w.merchant_key, {"number": w.merchant_order.number, "action": "accept"}, {}, 200
    ),
    "v1_orders_purchase_orders_create": lambda w: Example(
        w.buyer_key, {}, _purchase_order_body(w.sku), 201
    ),
    "v1_orders_purchase_orders_cancel": lambda w: Example(
        w.buyer_key, {"number": w.purchase_order.number}, {"reason": "Plans changed"}, 200
    ),
    "v1_products_by_sku_upsert": lambda w: Example(
        w.merchant_key,
        {"sku": "NEW-1L"},
        {**PRODUCT, "sku": {"variant_en": "1 l", "case_pack": 6, "moq": 12, "tiers": TIERS}},
        201,
    ),
    "v1_seminar_registrations_cancel": lambda w: Example(
        w.merchant_owner, {"id": w.registration.pk}, None, 200
    ),
    "v1_seminars_register": lambda w: Example(
        w.merchant_owner, {"slug": w.seminar.slug}, None, 201
    ),
    "v1_shipping_bookings_create": lambda w: Example(
        w.merchant_key, {}, _booking_body(w.sailing), 201
    ),
    "v1_shipping_bookings_amend": lambda w: Example(
        w.merchant_key,
        {"reference": w.booking.reference},
        {"units": 3, "gross_weight_kg": 54_000},
        200,
    ),
    "v1_shipping_bookings_cancel": lambda w: Example(
        w.merchant_key, {"reference": w.booking.reference}, {"reason": "Plans changed"}, 200
    ),
    "v1_shipping_shipments_create": lambda w: Example(
        w.merchant_key,
        {},
        {"merchant_orders": [w.packed_merchant_order.number], "booking": w.booking.reference},
        201,
    ),
    "v1_shipping_shipments_dispatch": lambda w: Example(
        w.merchant_key, {"reference": w.shipment.reference}, None, 200
    ),
    "v1_shipping_shipments_cancel": lambda w: Example(
        w.merchant_key, {"reference": w.shipment.reference}, None, 200
    ),
    "v1_shipping_space_requests_create": lambda w: Example(
        w.merchant_key,
        {},
        {
            "container": w.container.reference,
            "volume_m3": "2.5",
            "weight_kg": 600,
            "no_dangerous_goods": True,
        },
        201,
    ),
    "v1_shipping_space_requests_cancel": lambda w: Example(
        w.merchant_key, {"space_reference": w.space_request.reference}, None, 200
    ),
    "v1_orders_merchant_orders_confirm_receipt": lambda w: Example(
        w.buyer_key, {"number": w.delivered_merchant_order.number}, None, 200
    ),
    "v1_orders_merchant_orders_problems_create": lambda w: Example(
        w.buyer_key,
        {"number": w.delivered_merchant_order.number},
        {"kind": "damaged", "description": "Two cases crushed."},
        201,
        files=(("photos", "crushed.png", _png()),),
    ),
    "v1_webhook_endpoints_create": lambda w: Example(
        w.merchant_key,
        {},
        {"url": RECEIVER_URL, "events": ["merchant_order.created"], "description": "ERP"},
        201,
    ),
    "v1_webhook_endpoints_update": lambda w: Example(
        w.merchant_key, {"id": w.webhook_endpoint.pk}, {"description": "Order sync"}, 200
    ),
    "v1_webhook_endpoints_destroy": lambda w: Example(
        w.merchant_key, {"id": w.webhook_endpoint.pk}, None, 204
    ),
    "v1_webhook_endpoints_rotate_secret": lambda w: Example(
        w.merchant_key, {"id": w.webhook_endpoint.pk}, None, 200
    ),
    "v1_webhook_endpoints_deliveries_replay": lambda w: Example(
        w.merchant_key,
        {"id": w.webhook_endpoint.pk, "delivery_id": w.webhook_delivery.pk},
        None,
        201,
    ),
    "v1_payments_claims_create": lambda w: Example(
        w.buyer_key,
        {},
        {
            "merchant_order": _paid_delivered_order(w).number,
            "reason": "short",
            "description": "Two cases missing.",
            "amount_usd": "20.00",
        },
        201,
        files=(("photos", "crate.png", _png()),),
    ),
    "v1_payments_claims_respond": lambda w: Example(
        w.merchant_key,
        {"number": _open_claim(w).number},
        {"action": "offer", "offer_usd": "10.00", "text": "One case."},
        200,
    ),
    "v1_payments_claims_decide": lambda w: Example(
        w.operator,
        {"number": _disputed_claim(w).number},
        {"refund_usd": "15.00", "note": "The photos show it."},
        200,
    ),
    "v1_payments_statements_create": lambda w: Example(
        w.operator,
        {},
        {},
        201,
        files=(("file", "camt053.xml", camt053([credit("12.50", text="UNKNOWN PAYER")])),),
    ),
    "v1_deals_quotation_requests_create": lambda w: Example(
        w.buyer_key,
        {},
        {"title": "Maple syrup", "quantity": "48", "category": "maple-syrup"},
        201,
        files=(("files", "label.png", _png()),),
    ),
    "v1_deals_quotation_requests_close": lambda w: Example(
        w.buyer_key, {"number": _quotation_request(w).number}, None, 200
    ),
    "v1_deals_quotation_requests_quotations_create": lambda w: Example(
        w.merchant_key,
        {"number": _quotation_request(w).number},
        {
            "lines": [
                {
                    "sku": w.sku.pk,
                    "quantity": 48,
                    "tiers": [{"min_quantity": 12, "unit_price_usd": "7.00"}],
                }
            ],
            "moq": 12,
            "lead_time_days": 7,
            "valid_until": "2099-12-31",
        },
        201,
    ),
    "v1_deals_quotations_accept": lambda w: Example(
        w.buyer_key, {"number": _quotation(w).number}, None, 200
    ),
    "v1_deals_quotations_withdraw": lambda w: Example(
        w.merchant_key, {"number": _quotation(w).number}, None, 200
    ),
    "v1_deals_threads_create": lambda w: Example(
        w.buyer_key, {}, {"product": w.sku.product_id, "body": "Do you ship to Ningbo?"}, 201
    ),
    "v1_deals_threads_messages_create": lambda w: Example(
        w.merchant_key,
        {"id": _thread(w).pk},
        {"body": "Yes, here is our spec sheet."},
        201,
        files=(("attachments", "spec.png", _png()),),
    ),
    "v1_deals_saved_lists_create": lambda w: Example(w.buyer_key, {}, {"name": "Spring"}, 201),
    "v1_deals_saved_lists_rename": lambda w: Example(
        w.buyer_key, {"id": _saved_list(w).pk}, {"name": "Spring 2027"}, 200
    ),
    "v1_deals_saved_lists_destroy": lambda w: Example(
        w.buyer_key, {"id": _saved_list(w).pk}, None, 204
    ),
    "v1_deals_saved_lists_items_create": lambda w: Example(
        w.buyer_key, {"id": _saved_list(w).pk}, {"sku": w.sku.pk, "quantity": 48}, 201
    ),
    "v1_deals_saved_lists_items_destroy": lambda w: Example(
        w.buyer_key,
        {"id": _saved_list(w).pk, "item_id": _saved_list(w).first_item.pk},
        None,
        204,
    ),
    "v1_deals_saved_lists_cart": lambda w: Example(
        w.buyer_key, {"id": _saved_list(w).pk}, None, 200
    ),
    "v1_deals_quick_order": lambda w: Example(w.buyer_key, {}, {"lines": f"{w.sku.code},48"}, 200),
    "v1_deals_reorder": lambda w: Example(
        w.buyer_key, {"number": w.purchase_order.number}, None, 200
    ),
    "v1_merchant_price_lists_create": lambda w: Example(
        w.merchant_key,
        {},
        {
            "buyer": _buyer_name(w),
            "name": "Season terms",
            "discount_percent": "5.00",
            "valid_from": "2026-01-01",
            "products": [{"product": w.sku.product_id}],
        },
        201,
    ),
    "v1_merchant_price_lists_partial_update": lambda w: Example(
        w.merchant_key, {"id": _price_list(w).pk}, {"name": "Autumn terms"}, 200
    ),
    "v1_merchant_price_lists_destroy": lambda w: Example(
        w.merchant_key, {"id": _price_list(w).pk}, None, 204
    ),
    "v1_tariff_lines_create": lambda w: Example(w.operator, {}, TARIFF_LINE, 201),
    "v1_tariff_lines_partial_update": lambda w: Example(
        w.operator, {"id": _tariff_line().pk}, {"vat_percent": "9.00"}, 200
    ),
}
# Writes made for no organisation, where a key has nowhere to belong: these must be safe to
# repeat by their own means, which the test checks the same way.
FOR_NO_ORGANIZATION = {
    # The carrier's callback, signed by the carrier; a repeat is recognised by its event id.
    "v1_shipping_carrier_booking_notification",
    # The carrier's push of tracking events, signed with the subscription's secret; a repeat
    # is recognised by its eventIDs.
    "v1_shipping_tracking_events_callback",
}


def _carrier_notification(w: World) -> tuple[Example, dict]:
    booking = put_in_state(w.booking, "RECEIVED")
    payload = {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "https://carrier.test/",
        "type": "org.dcsa.booking.v2",
        "time": "2026-03-02T10:00:00Z",
        "datacontenttype": "application/json",
        "subscriptionReference": "GUMN-SUB-1",
        "data": {
            "bookingStatus": "CONFIRMED",
            "carrierBookingRequestReference": booking.carrier_booking_request_reference,
            "carrierBookingReference": "MAEU240011",
        },
    }
    body = json.dumps(payload).encode()
    signature = shipping_services.notification_signature(NOTIFICATION_SECRET, body)
    client = Client(headers={"Notification-Signature": signature})
    return Example(client, {"scac": booking.sailing.carrier.scac}, payload, 204), payload


def _tracking_push(w: World) -> tuple[Example, list]:
    booking = put_in_state(w.booking, "CONFIRMED")
    with scopes_disabled():
        subscription = TrackingSubscription.objects.create(
            organization=booking.organization,
            booking=booking,
            carrier=booking.sailing.carrier,
            subscription_id="8fbdc2d8-57c8-48b9-a04b-18fd8ec1d809",
            secret=carrier_tracking.new_secret(),
            status=TrackingSubscription.Status.ACTIVE,
        )
    events = voyage(booking.carrier_booking_reference)[:3]
    _body, signature = signed(events, subscription.secret)
    client = Client(headers={"Notification-Signature": signature})
    token = tracking.tracking_callback_token(subscription)
    return Example(client, {"token": token}, events, 204), events


FOR_NO_ORGANIZATION_EXAMPLES = {
    "v1_shipping_carrier_booking_notification": _carrier_notification,
    "v1_shipping_tracking_events_callback": _tracking_push,
}


def _send(example: Example, method: str, path: str, key: str):
    url = path.format(**example.path_values)
    if example.files:
        data = dict(example.body or {})
        for field, name, content in example.files:
            data.setdefault(field, []).append(SimpleUploadedFile(name, content))
        return getattr(example.client, method)(url, data, headers={"Idempotency-Key": key})
    return getattr(example.client, method)(
        url,
        example.body,
        content_type="application/json",
        headers={"Idempotency-Key": key},
    )


def _tables() -> dict[str, tuple[int, str]]:
    """Every table's row count and a digest of its rows."""
    names = sorted(connection.introspection.table_names())
    parts = []
    for name in names:
        quoted = connection.ops.quote_name(name)
        digest = (
            "''"
            if name in TOUCHED_BY_ANY_REQUEST
            else "md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))"
        )
        # Table names from the database's own catalogue, quoted.
        parts.append(f"SELECT %s, count(*), {digest} FROM {quoted} t")  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), names)
        return {name: (count, digest) for name, count, digest in cursor.fetchall()}


def _changed(before: dict, after: dict) -> list[str]:
    return [
        f"{name}: {before[name][0]} → {after[name][0]} rows"
        + ("" if before[name][0] != after[name][0] else " (same count, other contents)")
        for name in before
        if before[name] != after[name]
    ]


@pytest.mark.parametrize(("method", "path", "operation"), list(_write_operations()))
def test_a_retry_with_the_same_key_replays_the_answer_and_changes_nothing(method, path, operation):
    operation_id = operation["operationId"]
    documented = [parameter["name"] for parameter in operation.get("parameters", [])]
    assert ("Idempotency-Key" in documented) is (operation_id not in FOR_NO_ORGANIZATION)
    world = World()
    if operation_id in FOR_NO_ORGANIZATION:
        example, _payload = FOR_NO_ORGANIZATION_EXAMPLES[operation_id](world)
    else:
        assert operation_id in EXAMPLES, f"add an example call of {operation_id} to EXAMPLES"
        example = EXAMPLES[operation_id](world)

    first = _send(example, method, path, "retry-1")
    assert first.status_code == example.status, first.content[:500]
    assert "Idempotent-Replayed" not in first
    before = _tables()
    again = _send(example, method, path, "retry-1")
    changed = _changed(before, _tables())

    if operation_id in FOR_NO_ORGANIZATION:
        # Nobody's key: nothing kept, and the repeat is recognised by the endpoint itself.
        assert again.status_code == first.status_code
        with scopes_disabled():
            assert IdempotencyRecord.objects.count() == 0
        assert changed == []
        return
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert again["Idempotent-Replayed"] == "true"
    assert again.get("Content-Type") == first.get("Content-Type")
    assert changed == []


def test_keys_belong_to_one_organisation(django_capture_on_commit_callbacks):
    """Two organisations may use the same key; within one, an API key and a person signed in
    share it. The booking's submission to the carrier is enqueued once, on commit."""
    alpha, beta = World(), World()
    beta.merchant = make_merchant("Beta Merchant", slug="beta-merchant")
    beta.sailing = alpha.sailing
    body = _booking_body(alpha.sailing)
    url = "/api/v1/shipping/bookings/"
    headers = {"Idempotency-Key": "PO-2026-0042"}

    def book(client):
        with django_capture_on_commit_callbacks() as enqueued:
            response = client.post(url, body, content_type="application/json", headers=headers)
        return response, len(enqueued)

    first, enqueued_first = book(alpha.merchant_key)
    other, enqueued_other = book(beta.merchant_key)
    again, enqueued_again = book(alpha.merchant_owner)

    assert (first.status_code, other.status_code) == (201, 201)
    assert first.json()["reference"] != other.json()["reference"]
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json()["reference"] == first.json()["reference"]
    assert (enqueued_first, enqueued_other, enqueued_again) == (1, 1, 0)
    with scopes_disabled():
        assert Booking.objects.filter(organization=alpha.merchant[0]).count() == 1
        assert Booking.objects.filter(organization=beta.merchant[0]).count() == 1


def test_a_failed_request_keeps_nothing_and_leaves_its_key_free(django_capture_on_commit_callbacks):
    """An error answer is not kept: the request changed nothing, so the same key may be sent
    again, corrected. Only the successful answer is replayed."""
    world = World()
    url = "/api/v1/shipping/bookings/"
    client = world.merchant_key
    Sailing.objects.filter(pk=world.sailing.pk).update(capacity_teu=1)

    def book(body):
        with django_capture_on_commit_callbacks() as enqueued:
            response = client.post(
                url, body, content_type="application/json", headers={"Idempotency-Key": "bk-7"}
            )
        return response, len(enqueued)

    full, enqueued = book(_booking_body(world.sailing))
    assert full.status_code == 409 and full.json()["code"] == "capacity_exhausted"
    assert enqueued == 0
    invalid, _enqueued = book({**_booking_body(world.sailing), "units": 0})
    assert invalid.status_code == 400
    with scopes_disabled():
        assert IdempotencyRecord.objects.count() == 0

    Sailing.objects.filter(pk=world.sailing.pk).update(capacity_teu=100)
    booked, enqueued = book(_booking_body(world.sailing))
    assert booked.status_code == 201 and enqueued == 1
    replayed, enqueued = book(_booking_body(world.sailing))
    assert replayed["Idempotent-Replayed"] == "true" and enqueued == 0
    reused, _enqueued = book({**_booking_body(world.sailing), "units": 1})
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"
    with scopes_disabled():
        assert Booking.objects.count() == 1


# --- Claims: a delivered order of the world's buyer, paid into escrow --------------------------


def _paid_delivered_order(w: World):
    from tests.payments.paying import pay

    merchant_order = w.delivered_merchant_order
    pay(merchant_order.purchase_order)
    return merchant_order


def _open_claim(w: World):
    from payments.services import claims

    return claims.claim_open(
        merchant_order=_paid_delivered_order(w),
        reason="short",
        description="Two cases missing.",
        amount_usd="20.00",
        photos=[SimpleUploadedFile("crate.png", _png())],
        acting_user=w.buyer[1],
    )


def _disputed_claim(w: World):
    from payments.services import claims

    return claims.claim_respond(
        claim=_open_claim(w), action="dispute", text="Packed in full.", acting_user=w.merchant[1]
    )


def _quotation_request(w: World):
    from deals.services import quotations as quotation_services

    return quotation_services.quotation_request_create(
        organization=w.buyer[0],
        title="Maple syrup",
        quantity=48,
        product=w.sku.product,
        acting_user=w.buyer[1],
    )


def _quotation(w: World):
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from deals.services import quotations as quotation_services

    return quotation_services.quotation_submit(
        rfq=_quotation_request(w),
        merchant=w.merchant[0],
        lines=[quotation_services.QuotedLine(w.sku.pk, 48, [(12, Decimal("7.00"))])],
        moq=12,
        lead_time_days=7,
        valid_until=timezone.localdate() + timedelta(days=7),
        acting_user=w.merchant[1],
    )


# --- Deals: a conversation and a saved list of the world's buyer -------------------------------


def _thread(w: World):
    from django_scopes import scope

    from deals.services import messages

    organization, owner = w.buyer
    with scope(organization=organization):
        about = messages.thread_about(organization=organization, product=w.sku.product)
        thread, _message = messages.thread_start(
            organization=organization, about=about, body="Do you ship?", acting_user=owner
        )
    return thread


def _saved_list(w: World):
    if "saved_list" not in w.__dict__:
        from deals.services import lists

        organization, owner = w.buyer
        w.saved_list = lists.saved_list_create(
            organization=organization, name="Spring", acting_user=owner
        )
        w.saved_list.first_item = lists.saved_list_add_item(
            organization=organization,
            saved_list=w.saved_list,
            sku=w.sku,
            quantity=48,
            acting_user=owner,
        )
    return w.saved_list


TARIFF_LINE = {
    "code": "17022000",
    "hs6": "170220",
    "description_en": "Maple sugar and maple syrup",
    "mfn_duty_percent": "30.00",
    "vat_percent": "13.00",
    "effective_from": "2026-01-01",
}


def _buyer_name(w: World) -> str:
    return w.buyer[0].name


def _price_list(w: World):
    from catalog.services import price_lists

    organization, owner = w.merchant
    return price_lists.price_list_create(
        organization=organization,
        buyer=w.buyer[0],
        values={"name": "Season terms", "discount_percent": "5", "valid_from": "2026-01-01"},
        acting_user=owner,
    )


def _tariff_line():
    from catalog.models import TariffLine

    return TariffLine.objects.create(**{**TARIFF_LINE, "hs6": "170220"})
