"""Factories and helpers of the shipping tests."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone
from django_scopes import scopes_disabled

from merchants.models import ApplicationStatus, MerchantApplication
from shipping import services
from shipping.models import Carrier, Port, Sailing, SailingRate

NOTIFICATION_SECRET = "test-secret-maersk"


class PortFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Port
        django_get_or_create = ["un_locode"]

    un_locode = "USLAX"
    name = "Los Angeles"
    country = factory.LazyAttribute(lambda p: p.un_locode[:2])
    time_zone = "America/Los_Angeles"


class CarrierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Carrier
        django_get_or_create = ["scac"]

    scac = "MAEU"
    name = "Maersk"
    service_contract_reference = "GUMN-MAEU-TEST"
    free_cancellation_days = 7
    cancellation_fee_per_container = Decimal("150.00")
    notification_secret = NOTIFICATION_SECRET


class SailingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sailing
        skip_postgeneration_save = True

    carrier = factory.SubFactory(CarrierFactory)
    service_code = "TP6"
    vessel_name = "Madrid Maersk"
    vessel_imo = "9778791"
    voyage_number = factory.Sequence(lambda n: f"{n:03d}W")
    port_of_loading = factory.LazyFunction(lambda: PortFactory(un_locode="USLAX"))
    port_of_discharge = factory.LazyFunction(
        lambda: PortFactory(un_locode="CNNGB", name="Ningbo", time_zone="Asia/Shanghai")
    )
    etd = factory.LazyFunction(lambda: timezone.now() + timedelta(days=21))
    eta = factory.LazyAttribute(lambda s: s.etd + timedelta(days=16))
    documentation_cutoff = factory.LazyAttribute(lambda s: s.etd - timedelta(days=3))
    cargo_cutoff = factory.LazyAttribute(lambda s: s.etd - timedelta(days=2))
    capacity_teu = 100
    capacity_weight_kg = 2_000_000
    booking_opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=30))
    booking_closes_at = factory.LazyAttribute(lambda s: s.documentation_cutoff)

    @factory.post_generation
    def rates(obj, create, extracted, **kwargs):
        if not create:
            return
        for code, price in extracted or [
            ("22G1", Decimal("620.00")),
            ("42G1", Decimal("780.00")),
            ("45G1", Decimal("840.00")),
            ("45R1", Decimal("2280.00")),
        ]:
            SailingRate.objects.create(
                sailing=obj,
                equipment_code=code,
                price=price,
                forwarder_price=price * Decimal("1.3") + Decimal("175"),
            )


def approve(organization, legal_name: str = "Great Lakes Maple Co. LLC") -> MerchantApplication:
    with scopes_disabled():
        application, _created = MerchantApplication.objects.get_or_create(
            organization=organization,
            defaults={"status": ApplicationStatus.APPROVED, "legal_name": legal_name},
        )
    return application


BOOKING_DEFAULTS = {
    "commodity_description": "Pure maple syrup in glass bottles",
    "hs_codes": ["170220"],
    "shipper_name": "Great Lakes Maple Co. LLC",
    "shipper_address": "2150 Trowbridge Road\nMarquette, MI 49855\nUnited States",
    "consignee_name": "Hangzhou Westlake Global Trading Co., Ltd.",
    "consignee_address": "88 Wensan Road\nHangzhou 310012\nChina",
}


def request_booking(organization, sailing, user, *, equipment="45G1", units=2, **overrides):
    """A booking through the service, as a merchant would request it."""
    values = {
        **BOOKING_DEFAULTS,
        "gross_weight_kg": units * 18_000,
        "order_references": ["MO-1001"],
        **overrides,
    }
    return services.booking_request(
        organization=organization,
        sailing=sailing,
        equipment=equipment,
        units=units,
        acting_user=user,
        **values,
    )
