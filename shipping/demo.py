"""Demo data of carrier slot booking: the main US export and China import ports, four carriers,
a rolling ten-week schedule of about forty sailings, and bookings of Great Lakes Maple Co. in
several statuses.

Sailings are keyed by carrier, vessel, voyage and port, and demo bookings by their reference,
so a second run the same day changes nothing (a later run adds the weeks that came into view)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Case, When
from django.utils import timezone

from merchants.models import ApplicationStatus, MerchantApplication
from network.demo import DEMO_BUYER_SLUG, DEMO_MERCHANT_SLUG, demo_staff
from network.models import Organization, User
from shipping import services
from shipping.carriers.http import carrier_setting
from shipping.models import (
    Booking,
    Carrier,
    ConsolidationContainer,
    Lane,
    Port,
    Sailing,
    SailingRate,
    SpaceRequest,
)
from shipping.validators import validate_imo_number

# UN/LOCODE, name, time zone.
PORTS = [
    ("USLAX", "Los Angeles", "America/Los_Angeles"),
    ("USLGB", "Long Beach", "America/Los_Angeles"),
    ("USOAK", "Oakland", "America/Los_Angeles"),
    ("USSEA", "Seattle", "America/Los_Angeles"),
    ("USTIW", "Tacoma", "America/Los_Angeles"),
    ("USNYC", "New York", "America/New_York"),
    ("USSAV", "Savannah", "America/New_York"),
    ("USCHS", "Charleston", "America/New_York"),
    ("USORF", "Norfolk", "America/New_York"),
    ("USHOU", "Houston", "America/Chicago"),
    ("USDET", "Detroit", "America/Detroit"),
    ("CNNGB", "Ningbo", "Asia/Shanghai"),
    ("CNSHA", "Shanghai", "Asia/Shanghai"),
    ("CNYTN", "Yantian (Shenzhen)", "Asia/Shanghai"),
    ("CNSHK", "Shekou (Shenzhen)", "Asia/Shanghai"),
    ("CNTAO", "Qingdao", "Asia/Shanghai"),
    ("CNXMN", "Xiamen", "Asia/Shanghai"),
    ("CNTXG", "Tianjin Xingang", "Asia/Shanghai"),
    ("HKHKG", "Hong Kong", "Asia/Hong_Kong"),
]

# SCAC, name, service contract, free cancellation days, fee per container, interface. Maersk
# and CMA CGM are reached over their DCSA APIs (on a laptop, the carrier process `make run`
# starts); the others have no connection configured, so their bookings wait, held.
CARRIERS = [
    ("MAEU", "Maersk", "GUMN-MAEU-2026", 7, Decimal("150.00"), Carrier.Adapter.MAERSK),
    ("CMDU", "CMA CGM", "GUMN-CMDU-2026", 10, Decimal("175.00"), Carrier.Adapter.CMA_CGM),
    ("COSU", "COSCO Shipping", "GUMN-COSU-2026", 7, Decimal("120.00"), Carrier.Adapter.DCSA),
    ("ONEY", "Ocean Network Express", "GUMN-ONEY-2026", 5, Decimal("140.00"), Carrier.Adapter.DCSA),
]
# Their public tracking pages, which shipped orders' tracking numbers link to.
TRACKING_PAGES = {
    "MAEU": "https://www.maersk.com/tracking/{number}",
    "CMDU": "https://www.cma-cgm.com/ebusiness/tracking/search?Reference={number}",
    "COSU": "https://elines.coscoshipping.com/ebusiness/cargoTracking?number={number}",
    "ONEY": "https://ecomm.one-line.com/one-ecom/manage-shipment/cargo-tracking?trakNoParam={number}",
}


@dataclass(frozen=True)
class Service:
    scac: str
    code: str
    origin: str
    destination: str
    transit_days: int
    weekday: int  # 0 = Monday
    hour: int
    capacity_teu: int
    feu_price: Decimal
    vessels: tuple[tuple[str, str], ...]  # (name, IMO)


SERVICES = [
    Service(
        "MAEU",
        "TP6",
        "USLAX",
        "CNNGB",
        16,
        2,
        18,
        120,
        Decimal("780.00"),
        (
            ("Gerd Maersk", "9302877"),
            ("Madrid Maersk", "9778791"),
            ("Maersk Essen", "9456783"),
            ("Maersk Elba", "9456757"),
        ),
    ),
    Service(
        "CMDU",
        "PRX",
        "USLGB",
        "CNSHA",
        15,
        4,
        20,
        100,
        Decimal("820.00"),
        (
            ("CMA CGM Benjamin Franklin", "9706906"),
            ("CMA CGM Georg Forster", "9780861"),
            ("CMA CGM J. Adams", "9780859"),
            ("CMA CGM Theodore Roosevelt", "9780847"),
        ),
    ),
    Service(
        "COSU",
        "AAC",
        "USOAK",
        "CNYTN",
        17,
        1,
        14,
        80,
        Decimal("740.00"),
        (
            ("COSCO Shipping Aries", "9783497"),
            ("COSCO Shipping Taurus", "9783502"),
            ("COSCO Shipping Gemini", "9783514"),
        ),
    ),
    Service(
        "MAEU",
        "TP11",
        "USSAV",
        "CNNGB",
        34,
        5,
        9,
        60,
        Decimal("1450.00"),
        (
            ("Majestic Maersk", "9619919"),
            ("Mary Maersk", "9619933"),
            ("Marie Maersk", "9619945"),
        ),
    ),
]
# Loops calling every fourth week, from Seattle and New York, fill the schedule.
EXTRA_SERVICES = [
    Service(
        "ONEY",
        "PN3",
        "USSEA",
        "CNSHA",
        14,
        3,
        12,
        70,
        Decimal("760.00"),
        (("ONE Apus", "9806079"), ("ONE Aquila", "9806067")),
    ),
    Service(
        "CMDU",
        "ECX",
        "USNYC",
        "CNYTN",
        32,
        0,
        16,
        60,
        Decimal("1500.00"),
        (("CMA CGM Marco Polo", "9454436"), ("CMA CGM Jules Verne", "9454450")),
    ),
]
WEEKS = 10

DEMO_BOOKINGS = [
    # reference, service code, week, equipment, units, outcome
    ("GNDEMO000001", "TP6", 2, "45G1", 2, "confirmed"),
    ("GNDEMO000002", "PRX", 3, "42G1", 1, "received"),
    ("GNDEMO000003", "AAC", 2, "22G1", 3, "rejected"),
    ("GNDEMO000004", "TP6", 4, "45R1", 1, "cancelled"),
    ("GNDEMO000005", "TP11", 5, "45G1", 4, "amendment"),
    ("GNDEMO000006", "PRX", 5, "45G1", 1, "pending_update"),
]


def _prices(service: Service) -> list[tuple[str, Decimal, Decimal]]:
    feu = service.feu_price
    teu = (feu * Decimal("0.8")).quantize(Decimal("1"))
    rates = [
        ("22G1", teu),
        ("42G1", feu),
        ("45G1", feu + Decimal("60")),
        ("22R1", teu + Decimal("1200")),
        ("45R1", feu + Decimal("1500")),
    ]
    # A forwarder's all-in quote for the same box: the rate plus brokerage and margin.
    return [
        (code, price, (price * Decimal("1.28") + Decimal("175")).quantize(Decimal("1")))
        for code, price in rates
    ]


def _etd(service: Service, week: int, anchor) -> datetime:
    port_zone = ZoneInfo(dict((code, tz) for code, _name, tz in PORTS)[service.origin])
    day = anchor + timedelta(weeks=week, days=service.weekday)
    return datetime.combine(day, time(service.hour), tzinfo=port_zone).astimezone(ZoneInfo("UTC"))


def _seed_reference_data() -> tuple[dict[str, Port], dict[str, Carrier]]:
    ports = {}
    for code, name, zone in PORTS:
        ports[code], _created = Port.objects.get_or_create(
            un_locode=code, defaults={"name": name, "country": code[:2], "time_zone": zone}
        )
    carriers = {}
    for scac, name, contract, days, fee, adapter in CARRIERS:
        carrier, _created = Carrier.objects.get_or_create(
            scac=scac,
            defaults={
                "name": name,
                "service_contract_reference": contract,
                "free_cancellation_days": days,
                "cancellation_fee_per_container": fee,
                "adapter": adapter,
                "tracking_url_template": TRACKING_PAGES[scac],
            },
        )
        changed = []
        if not carrier.tracking_url_template:
            carrier.tracking_url_template = TRACKING_PAGES[scac]
            changed.append("tracking_url_template")
        if carrier.adapter == Carrier.Adapter.DCSA and adapter != Carrier.Adapter.DCSA:
            carrier.adapter = adapter
            changed.append("adapter")
        # The secret the carrier signs its booking notifications with, when this machine has
        # one (`make run` writes the carrier process's into var/carriers.env).
        secret = carrier_setting(scac, "NOTIFICATION_SECRET")
        if secret and carrier.notification_secret != secret:
            carrier.notification_secret = secret
            changed.append("notification_secret")
        if changed:
            carrier.save(update_fields=changed)
        carriers[scac] = carrier
    return ports, carriers


def _seed_lanes(ports) -> None:
    """The lanes of the demo services: the carriers' published schedules are pulled for them."""
    for service in [*SERVICES, *EXTRA_SERVICES]:
        Lane.objects.get_or_create(
            port_of_loading=ports[service.origin], port_of_discharge=ports[service.destination]
        )


def _seed_sailings(ports, carriers) -> dict[tuple[str, int], Sailing]:
    today = timezone.localdate()
    anchor = today - timedelta(days=today.weekday())  # this week's Monday
    now = timezone.now()
    sailings = {}
    for service in SERVICES + EXTRA_SERVICES:
        every_fourth_week = service in EXTRA_SERVICES
        for week in range(1, WEEKS + 1):
            if every_fourth_week and week % 4 != 2:
                continue
            etd = _etd(service, week, anchor)
            vessel_name, imo = service.vessels[week % len(service.vessels)]
            validate_imo_number(imo)
            iso = etd.isocalendar()
            voyage = f"{iso.year % 100:02d}{iso.week:02d}W"
            sailing = Sailing.objects.filter(
                carrier=carriers[service.scac],
                vessel_imo=imo,
                voyage_number=voyage,
                port_of_loading=ports[service.origin],
            ).first()
            if sailing is None:
                sailing = Sailing(
                    carrier=carriers[service.scac],
                    service_code=service.code,
                    vessel_name=vessel_name,
                    vessel_imo=imo,
                    voyage_number=voyage,
                    port_of_loading=ports[service.origin],
                    port_of_discharge=ports[service.destination],
                    etd=etd,
                    eta=etd + timedelta(days=service.transit_days, hours=6),
                    documentation_cutoff=etd - timedelta(days=3),
                    cargo_cutoff=etd - timedelta(days=2),
                    capacity_teu=service.capacity_teu,
                    capacity_weight_kg=service.capacity_teu * 14_000,
                    booking_opens_at=min(now, etd - timedelta(days=60)),
                    booking_closes_at=etd - timedelta(days=3),
                )
                sailing.full_clean()
                sailing.save()
                SailingRate.objects.bulk_create(
                    [
                        SailingRate(
                            sailing=sailing, equipment_code=code, price=price, forwarder_price=fwd
                        )
                        for code, price, fwd in _prices(service)
                    ]
                )
            sailings[(service.code, week)] = sailing
    return sailings


def _approved_demo_merchant() -> Organization | None:
    organization = Organization.objects.filter(slug=DEMO_MERCHANT_SLUG).first()
    if organization is None:
        return None
    MerchantApplication.objects.get_or_create(
        organization=organization,
        defaults={
            "status": ApplicationStatus.APPROVED,
            "legal_name": "Great Lakes Maple Co. LLC",
            "address_line1": "2150 Trowbridge Road",
            "city": "Marquette",
            "state": "MI",
            "postal_code": "49855",
            "approved_at": timezone.now(),
        },
    )
    return organization


def _seed_bookings(organization: Organization, sailings) -> int:
    user = User.objects.filter(email="merchant.owner@example.com").first()
    created = 0
    for reference, service_code, week, equipment, units, outcome in DEMO_BOOKINGS:
        sailing = sailings.get((service_code, week))
        if sailing is None or Booking.objects.filter(reference=reference).exists():
            continue
        booking = services.booking_request(
            organization=organization,
            sailing=sailing,
            equipment=equipment,
            units=units,
            commodity_description="Pure maple syrup in glass bottles, palletised",
            hs_codes=["170220"],
            gross_weight_kg=units * 18_000,
            shipper_name="Great Lakes Maple Co. LLC",
            shipper_address="2150 Trowbridge Road\nMarquette, MI 49855\nUnited States",
            consignee_name="Hangzhou Westlake Global Trading Co., Ltd.",
            consignee_address="88 Wensan Road, Xihu District\nHangzhou, Zhejiang 310012\nChina",
            order_references=[f"MO-{reference[-4:]}"],
            acting_user=user,
        )
        Booking.objects.filter(pk=booking.pk).update(reference=reference, carrier_sync="")
        booking.refresh_from_db()
        carrier_ref = f"{sailing.carrier.scac}{reference[-6:]}"
        if outcome in ("confirmed", "amendment"):
            services.booking_confirm(booking=booking, carrier_booking_reference=carrier_ref)
        if outcome == "amendment":
            services.booking_amend(
                booking=booking,
                units=units + 1,
                gross_weight_kg=(units + 1) * 18_000,
                acting_user=user,
            )
        elif outcome == "rejected":
            services.booking_reject(
                booking=booking, message="No space for 20' boxes on this vessel."
            )
        elif outcome == "cancelled":
            services.booking_cancel(booking=booking, acting_user=user, reason="Order postponed")
        elif outcome == "pending_update":
            services.booking_request_update(
                booking=booking, message="Please confirm the consignee's USCI number."
            )
        # The demo's history already happened, except that a request still awaiting the
        # carrier is queued for sending: the worker submits it once it runs (or the redrive
        # beat picks it up), and the carrier's answer comes back as for any booking.
        awaiting = outcome == "received"
        Booking.objects.filter(pk=booking.pk).update(carrier_sync="submit" if awaiting else "")
        created += 1
    return created


NETWORK_BOOKING_WEEKS = range(2, 7)


def _seed_network_bookings(sailings) -> int:
    """Other approved merchants' confirmed bookings on the next sailings of the main services,
    filling each between a quarter and most of its space, so utilisation has a real shape.
    Through the booking services (space held, then confirmed); keyed by reference."""
    if Booking.objects.filter(reference__startswith="GNNET").exists():
        return 0
    merchants = list(
        Organization.objects.filter(
            kind=Organization.Kind.MERCHANT,
            merchant_application__status=ApplicationStatus.APPROVED,
        )
        .exclude(slug=DEMO_MERCHANT_SLUG)
        .order_by("name")
    )
    if not merchants:
        return 0
    rng = random.Random(2026)
    created = 0
    for service in SERVICES:
        for week in NETWORK_BOOKING_WEEKS:
            sailing = sailings.get((service.code, week))
            if sailing is None:
                continue
            # Nearer sailings are fuller.
            share = rng.uniform(0.55, 0.85) if week <= 3 else rng.uniform(0.2, 0.6)
            target_teu = int(sailing.capacity_teu * share)
            while target_teu >= 2:
                merchant = merchants[created % len(merchants)]
                units = min(rng.choice([1, 2, 2, 3, 4]), target_teu // 2)
                created += 1
                booking = services.booking_request(
                    organization=merchant,
                    sailing=sailing,
                    equipment="45G1",
                    units=units,
                    commodity_description="Packaged consumer goods on pallets",
                    hs_codes=["210690"],
                    gross_weight_kg=units * 12_000,
                    shipper_name=merchant.name,
                    shipper_address="United States",
                    consignee_name="Ningbo Bonded Logistics Centre",
                    consignee_address="Beilun District\nNingbo, Zhejiang\nChina",
                    acting_user=demo_staff(merchant),
                )
                reference = f"GNNET{created:07d}"
                Booking.objects.filter(pk=booking.pk).update(reference=reference)
                booking.refresh_from_db()
                services.booking_confirm(
                    booking=booking,
                    carrier_booking_reference=f"{sailing.carrier.scac}{reference[-7:]}",
                )
                Booking.objects.filter(pk=booking.pk).update(carrier_sync="")
                target_teu -= units * 2
    return created


# Shared containers: reference, service code, week, price and forwarder's price per W/M, and
# the space sold in it (m³, kg, merchant: None for the demo merchant, else the nth other).
DEMO_CONTAINERS = [
    (
        "CCDEMOLAX1",
        "TP6",
        3,
        Decimal("48.00"),
        Decimal("95.00"),
        [("6.5", 1800, None), ("12.0", 2600, 0), ("8.4", 3100, 1), ("5.0", 900, 2)],
    ),
    (
        "CCDEMOLGB1",
        "PRX",
        4,
        Decimal("52.00"),
        Decimal("104.00"),
        [("3.2", 750, None), ("4.0", 1200, 3)],
    ),
]


def _seed_containers(sailings, organization: Organization | None) -> int:
    """Two open shared containers on the next sailings of two services, with space sold to the
    demo merchant and others; the network's carrier booking of each is confirmed. Keyed by
    reference (space by container and position)."""
    staff = User.objects.filter(email="operator.staff@example.com").first()
    if staff is None:
        return 0
    others = list(
        Organization.objects.filter(
            kind=Organization.Kind.MERCHANT,
            merchant_application__status=ApplicationStatus.APPROVED,
        )
        .exclude(slug=DEMO_MERCHANT_SLUG)
        .order_by("name")[:4]
    )
    created = 0
    for reference, service_code, week, price, forwarder_price, space in DEMO_CONTAINERS:
        sailing = sailings.get((service_code, week))
        if sailing is None or ConsolidationContainer.objects.filter(reference=reference).exists():
            continue
        container = services.container_open(
            sailing=sailing,
            capacity_m3=Decimal("58.0"),
            capacity_kg=26_000,
            price_per_wm=price,
            forwarder_price_per_wm=forwarder_price,
            warehouse_name="Pacific Gateway CFS",
            warehouse_address="1200 E Sepulveda Blvd\nCarson, CA 90745\nUnited States",
            receiving_cutoff=sailing.cargo_cutoff - timedelta(days=1),
            acting_user=staff,
        )
        ConsolidationContainer.objects.filter(pk=container.pk).update(reference=reference)
        container.refresh_from_db()
        booking = container.booking
        assert booking is not None
        Booking.objects.filter(pk=booking.pk).update(carrier_sync="")
        booking.refresh_from_db()
        services.booking_confirm(
            booking=booking, carrier_booking_reference=f"{sailing.carrier.scac}{reference[-6:]}"
        )
        Booking.objects.filter(pk=booking.pk).update(carrier_sync="")
        for index, (volume, kg, other) in enumerate(space, start=1):
            merchant = (
                organization if other is None else (others[other] if other < len(others) else None)
            )
            if merchant is None:
                continue
            user = (
                User.objects.filter(email="merchant.owner@example.com").first()
                if other is None
                else demo_staff(merchant)
            )
            space_request = services.space_request_create(
                organization=merchant,
                container=container,
                volume_m3=Decimal(volume),
                weight_kg=kg,
                no_dangerous_goods=True,
                acting_user=user,
            )
            SpaceRequest.objects.filter(pk=space_request.pk).update(
                reference=f"SP{reference[2:9]}{index}"
            )
        created += 1
    return created


@transaction.atomic
def seed() -> dict[str, int]:
    """Create the shipping demo data where missing; return how much of it exists. Run by
    ``manage.py seed_demo``, which seeds every organisation's rows with the guard off."""
    ports, carriers = _seed_reference_data()
    _seed_lanes(ports)
    sailings = _seed_sailings(ports, carriers)
    organization = _approved_demo_merchant()
    if organization is not None:
        _seed_bookings(organization, sailings)
    _seed_network_bookings(sailings)
    _seed_containers(sailings, organization)
    if organization is not None:
        _seed_shipments(organization)
    return {
        "ports": Port.objects.count(),
        "carriers": Carrier.objects.count(),
        "lanes": Lane.objects.count(),
        "sailings": Sailing.objects.count(),
        "bookings": Booking.objects.count(),
        "shared containers": ConsolidationContainer.objects.count(),
        "shipments": _shipment_count(),
    }


# --- Shipments ---------------------------------------------------------------------------------


def _shipment_count() -> int:
    from shipping.models import Shipment

    return Shipment.objects.count()


def _seed_shipments(organization: Organization) -> int:
    """The demo merchant's latest shipped merchant orders as shipments dispatched on its
    confirmed booking, with their cargo lines (written directly, as the orders' history is)
    and their trade documents."""
    from orders.models import MerchantOrder, MerchantOrderStatus, PurchaseOrderLine
    from shipping.cargo import NO_CARGO, line_cargo
    from shipping.models import BookingStatus, Shipment, ShipmentLine, ShipmentStatus
    from shipping.services.documents import trade_documents_issue
    from shipping.services.shipments import SHIPPED_LABEL

    if Shipment.objects.filter(organization=organization).exists():
        return 0
    booking = (
        Booking.objects.filter(organization=organization, status=BookingStatus.CONFIRMED)
        .select_related("sailing__port_of_discharge")
        .order_by("pk")
        .first()
    )
    if booking is None:
        return 0
    # The demo buyer's orders first: whoever signs in as the buyer finds its goods on the way.
    demo_buyer_first = Case(When(buyer__slug=DEMO_BUYER_SLUG, then=0), default=1)
    orders = (
        MerchantOrder.objects.filter(organization=organization, status=MerchantOrderStatus.SHIPPED)
        .select_related("buyer", "purchase_order")
        .order_by(demo_buyer_first, "-shipped_at", "-pk")[:3]
    )
    made = 0
    for merchant_order in orders:
        lines = list(
            PurchaseOrderLine.objects.filter(merchant_order=merchant_order, sku__isnull=False)
            .exclude(sku__product__hs_code="")
            .select_related("sku__product")
        )
        if not lines:
            continue
        cargo = {
            line.pk: line_cargo(sku=line.sku, quantity=line.quantity, case_pack=line.case_pack)
            for line in lines
        }
        total = sum(cargo.values(), NO_CARGO)
        purchase_order = merchant_order.purchase_order
        shipment = Shipment(
            organization=organization,
            buyer=merchant_order.buyer,
            booking=booking,
            status=ShipmentStatus.DISPATCHED,
            cases=total.cases,
            net_weight_kg=total.net_weight_kg,
            gross_weight_kg=total.gross_weight_kg,
            volume_m3=total.volume_m3,
            value_usd=sum((line.line_total_usd for line in lines), Decimal("0.00")),
            created_at=merchant_order.shipped_at or timezone.now(),
            dispatched_at=merchant_order.shipped_at,
        )
        shipment.shipping_marks = "\n".join(
            [
                merchant_order.buyer.name.upper(),
                "PO " + (purchase_order.buyer_reference or purchase_order.number),
                shipment.reference,
                booking.sailing.port_of_discharge.name.upper(),
                SHIPPED_LABEL,
                f"CASE n OF {total.cases}",
            ]
        )
        shipment.save()
        ShipmentLine.objects.bulk_create(
            ShipmentLine(
                organization=organization,
                buyer=merchant_order.buyer,
                shipment=shipment,
                merchant_order=merchant_order,
                order_line=line,
                sku_code=line.sku_code,
                description_en=" – ".join(filter(None, [line.product_title, line.variant]))[:300],
                description_zh_hans=" – ".join(
                    filter(None, [line.product_title_zh_hans, line.variant_zh_hans])
                )[:300],
                hs_code=line.sku.product.hs_code,
                country_of_origin=line.sku.product.country_of_origin or "US",
                quantity=line.quantity,
                cases=cargo[line.pk].cases,
                units_per_case=line.case_pack,
                net_weight_kg=cargo[line.pk].net_weight_kg,
                gross_weight_kg=cargo[line.pk].gross_weight_kg,
                volume_m3=cargo[line.pk].volume_m3,
                unit_price_usd=line.unit_price_usd,
                value_usd=line.line_total_usd,
            )
            for line in lines
        )
        # What a merchant or buyer opening a demo shipment expects beside it.
        trade_documents_issue(shipment=shipment)
        made += 1
    return made
