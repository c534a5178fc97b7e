"""Test data of shipments: a merchant with SKUs, a buyer's purchase order fanned out and packed,
the merchant's whole-container booking, and a shared container of the network's with space in
it (rows made directly, with the container's sold figures kept in step)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db.models import F
from django.utils import timezone
from django_scopes import scopes_disabled

from catalog.models import SKU
from network.models import Organization, Role
from orders import services as order_services
from orders.models import MerchantOrder
from shipping.models import (
    Booking,
    BookingStatus,
    ConsolidationContainer,
    Sailing,
    SpaceRequest,
)
from tests.factories import OrganizationFactory, member
from tests.orders.factories import buyer, fan_out, merchant, merchant_order_of, place, sku
from tests.shipping.factories import SailingFactory, request_booking
from tests.shipping.helpers import put_in_state


@dataclass
class World:
    maple: Organization
    owner: object
    syrup: SKU
    candy: SKU
    store: Organization
    wang: object
    sailing: Sailing
    extra: dict = field(default_factory=dict)


def build_world(*, case_fields: bool = True) -> World:
    maple, owner = merchant("Great Lakes Maple Co.")
    syrup = sku(maple, owner, code="MAPLE-500", on_hand=10_000)
    candy = sku(maple, owner, code="MAPLE-CANDY", title="Maple candy", on_hand=10_000)
    if case_fields:
        with scopes_disabled():
            SKU.objects.filter(pk=syrup.pk).update(
                case_gross_weight_kg=Decimal("5.20"),
                case_length_cm=Decimal("30.0"),
                case_width_cm=Decimal("20.0"),
                case_height_cm=Decimal("25.0"),
            )
            syrup.refresh_from_db()
    store, wang = buyer()
    return World(
        maple=maple,
        owner=owner,
        syrup=syrup,
        candy=candy,
        store=store,
        wang=wang,
        sailing=SailingFactory(),
    )


def packed_order(world: World, items=None, *, store=None, wang=None, **checkout) -> MerchantOrder:
    """A purchase order of the buyer, fanned out, the merchant's part accepted and packed."""
    store, wang = store or world.store, wang or world.wang
    purchase_order = place(store, wang, items or [(world.syrup, 48), (world.candy, 12)], **checkout)
    fan_out(purchase_order)
    merchant_order = merchant_order_of(purchase_order, world.maple)
    merchant_order = order_services.merchant_order_accept(
        merchant_order=merchant_order, acting_user=world.owner
    )
    return order_services.merchant_order_pack(
        merchant_order=merchant_order, acting_user=world.owner
    )


def own_booking(world: World, *, confirmed: bool = True) -> Booking:
    booking = request_booking(world.maple, world.sailing, world.owner, units=1)
    if confirmed:
        booking = put_in_state(booking, BookingStatus.CONFIRMED)
    return booking


def network_operator() -> tuple[Organization, object]:
    with scopes_disabled():
        organization = Organization.objects.filter(kind=Organization.Kind.OPERATOR).first()
    if organization is None:
        organization = OrganizationFactory(
            name="Network Operations", kind=Organization.Kind.OPERATOR
        )
    return organization, member(organization, Role.STAFF, full_name="Olga Operator")


def shared_container(
    sailing: Sailing, operator_org: Organization, **fields
) -> ConsolidationContainer:
    """An open shared container with the network's confirmed carrier booking (made directly)."""
    with scopes_disabled():
        booking = Booking.objects.create(
            organization=operator_org,
            sailing=sailing,
            status=BookingStatus.CONFIRMED,
            equipment_code="45G1",
            units=1,
            commodity_description="Consolidated cargo",
            hs_codes=[],
            gross_weight_kg=20_000,
            shipper_name="Global US Merchants Network",
            shipper_address="1 Harbor Plaza\nLong Beach, CA",
            consignee_name="To order",
            consignee_address="",
            price_per_unit=Decimal("840.00"),
            forwarder_price_per_unit=Decimal("1200.00"),
            free_cancellation_until=sailing.etd - timedelta(days=7),
            cancellation_fee_per_container=Decimal("150.00"),
            carrier_booking_request_reference="REQ-CONSOL",
            carrier_booking_reference="MAEU99001",
        )
        values = {
            "organization": operator_org,
            "sailing": sailing,
            "booking": booking,
            "capacity_m3": Decimal("60.0"),
            "capacity_kg": 20_000,
            "price_per_wm": Decimal("55.00"),
            "forwarder_price_per_wm": Decimal("95.00"),
            "warehouse_name": "Carson consolidation",
            "warehouse_address": "100 Dock St, Carson, CA",
            "receiving_cutoff": sailing.cargo_cutoff - timedelta(days=2),
            **fields,
        }
        return ConsolidationContainer.objects.create(**values)


def space_in(
    container: ConsolidationContainer, organization: Organization, *, volume="5.0", weight=2000
) -> SpaceRequest:
    """The merchant's held space in ``container`` (made directly; the sold figures follow)."""
    volume = Decimal(volume)
    with scopes_disabled():
        space = SpaceRequest.objects.create(
            organization=organization,
            container=container,
            volume_m3=volume,
            weight_kg=weight,
            revenue_tons=max(volume, Decimal(weight) / 1000),
            price_per_wm=container.price_per_wm,
            forwarder_price_per_wm=container.forwarder_price_per_wm,
            price=container.price_per_wm * volume,
            forwarder_price=container.forwarder_price_per_wm * volume,
            no_dangerous_goods=True,
        )
        ConsolidationContainer.objects.filter(pk=container.pk).update(
            booked_m3=F("booked_m3") + volume, booked_kg=F("booked_kg") + weight
        )
    return space


def now():
    return timezone.now()
