"""Operators' writes: carriers and their cancellation terms, sailings and their prices, and the
lanes whose published schedules are pulled."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from network.models import Organization, User
from network.services import audit
from shipping.errors import BookingInvalid
from shipping.models import Carrier, Lane, Sailing, SailingRate

# --- Operators: carriers and sailings ----------------------------------------------------------


@transaction.atomic
def carrier_save(*, carrier: Carrier, acting_user: User, organization: Organization) -> Carrier:
    """Create or update a carrier and its cancellation terms."""
    created = carrier.pk is None
    carrier.full_clean()
    carrier.save()
    audit(
        actor=acting_user,
        organization=organization,
        action="carrier.created" if created else "carrier.updated",
        target=carrier,
        changes={
            "scac": carrier.scac,
            "free_cancellation_days": carrier.free_cancellation_days,
            "cancellation_fee_per_container": str(carrier.cancellation_fee_per_container),
        },
    )
    return carrier


@transaction.atomic
def sailing_save(
    *,
    sailing: Sailing,
    rates: Sequence[tuple[str, Decimal, Decimal]],
    acting_user: User,
    organization: Organization,
) -> Sailing:
    """Create or update a sailing and its prices per equipment type (``(code, price,
    forwarder_price)``; an equipment left out is no longer offered). An existing sailing's
    row is locked, so its allocation never drops below what is booked."""
    created = sailing.pk is None
    if not created:
        current = Sailing.objects.select_for_update().get(pk=sailing.pk)
        sailing.booked_teu, sailing.booked_weight_kg = current.booked_teu, current.booked_weight_kg
    if not rates:
        raise BookingInvalid(_("Offer at least one equipment type with a price."))
    sailing.full_clean()
    sailing.save()
    offered = []
    for code, price, forwarder_price in rates:
        rate = SailingRate.objects.filter(sailing=sailing, equipment_code=code).first() or (
            SailingRate(sailing=sailing, equipment_code=code)
        )
        rate.price, rate.forwarder_price = price, forwarder_price
        rate.full_clean()
        rate.save()
        offered.append(code)
    SailingRate.objects.filter(sailing=sailing).exclude(equipment_code__in=offered).delete()
    audit(
        actor=acting_user,
        organization=organization,
        action="sailing.created" if created else "sailing.updated",
        target=sailing,
        changes={
            "capacity_teu": sailing.capacity_teu,
            "etd": sailing.etd.isoformat(),
            "rates": {code: str(price) for code, price, _f in rates},
        },
    )
    return sailing


@transaction.atomic
def lane_save(*, lane: Lane, acting_user: User, organization: Organization) -> Lane:
    """Create a lane or switch it on or off (its ports are fixed once created: sailings were
    pulled for them). Raises ``BookingInvalid`` for a lane that already exists."""
    created = lane.pk is None
    if (
        created
        and Lane.objects.filter(
            port_of_loading=lane.port_of_loading_id, port_of_discharge=lane.port_of_discharge_id
        ).exists()
    ):
        raise BookingInvalid(_("That lane already exists."))
    lane.full_clean()
    lane.save()
    audit(
        actor=acting_user,
        organization=organization,
        action="lane.created" if created else "lane.updated",
        target=lane,
        changes={"is_active": lane.is_active},
    )
    return lane
