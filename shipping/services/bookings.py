"""A merchant's bookings: request, update or amend, cancel, withdraw an amendment; and the
expiry of holds the carrier did not confirm in time. Each change is sent to the carrier after
commit (``shipping.services.carrier_sync``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from celery import shared_task
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from merchants.errors import MerchantNotApproved
from merchants.selectors import merchant_can_trade, merchant_can_trade_expression
from network.errors import PermissionDenied
from network.models import Organization, User
from network.prepared import PreparedQuery
from network.tenancy import row_scope
from shipping.equipment import EQUIPMENT_TYPES, normalize_equipment_code
from shipping.errors import (
    BookingInvalid,
    EquipmentNotOffered,
    SailingNotBookable,
)
from shipping.models import UNCONFIRMED_STATUSES, Booking, Sailing, SailingRate
from shipping.services import carrier_sync, lifecycle
from shipping.services.lifecycle import (
    S,
    _adjust_hold,
    _check_transition,
    _hold_expiry,
    _lock,
    _move_space,
    _release_amendment_increase,
    booking_ids,
)


def _transition(booking: Booking, action: str, **kwargs: Any) -> Booking:
    """Apply a merchant's (or the network's) change, then send the carrier what it implies
    once the transaction commits."""
    booking = lifecycle._transition(booking, action, **kwargs)
    carrier_sync.enqueue_sync(booking)
    return booking


# --- Merchant actions --------------------------------------------------------------------------


def _require_trading_merchant(organization: Organization) -> None:
    if not merchant_can_trade(organization=organization):
        raise MerchantNotApproved()


def _validated(booking: Booking, *, exclude: Sequence[str] = ()) -> None:
    try:
        # Uniqueness and the check constraints are the database's job (the reference is random,
        # the manager is scoped, and checking here would cost a round trip under the lock).
        booking.full_clean(
            exclude=[*exclude, "organization", "sailing", "requested_by"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as error:
        fields = {name: [str(m) for m in messages] for name, messages in error.message_dict.items()}
        first = next(iter(fields.values()))[0]
        raise BookingInvalid(first, fields=fields) from error


@transaction.atomic
def booking_request(
    *,
    organization: Organization,
    sailing: Sailing,
    equipment: str,
    units: int,
    commodity_description: str,
    hs_codes: Iterable[str],
    gross_weight_kg: int,
    shipper_name: str,
    shipper_address: str,
    consignee_name: str,
    consignee_address: str,
    order_references: Iterable[str] = (),
    acting_user: User,
) -> Booking:
    """Request ``units`` containers of ``equipment`` on ``sailing`` and hold their TEU and
    weight in the same transaction (status RECEIVED); the carrier is asked after commit.
    ``sailing`` is read again with its rate, so a reference by id (``Sailing(pk=…)``) will do.

    Raises MerchantNotApproved, SailingNotBookable, EquipmentNotOffered, BookingInvalid,
    CapacityExhausted (code ``capacity_exhausted``) or WeightExhausted."""
    return _booking_request(
        organization=organization,
        sailing=sailing,
        equipment=equipment,
        units=units,
        commodity_description=commodity_description,
        hs_codes=hs_codes,
        gross_weight_kg=gross_weight_kg,
        shipper_name=shipper_name,
        shipper_address=shipper_address,
        consignee_name=consignee_name,
        consignee_address=consignee_address,
        order_references=order_references,
        acting_user=acting_user,
        merchant=True,
    )


@transaction.atomic
def network_booking_request(
    *, organization: Organization, acting_user: User, **details: Any
) -> Booking:
    """The network's own carrier booking (a shared container's box), in the operator
    organisation's name: held and sent to the carrier like a merchant's, without the merchant
    approval a merchant needs. Raises PermissionDenied for any other organisation, and
    otherwise what ``booking_request`` raises."""
    if organization.kind != Organization.Kind.OPERATOR:
        raise PermissionDenied(_("Only the network's operators book in the network's name."))
    return _booking_request(
        organization=organization, acting_user=acting_user, merchant=False, **details
    )


def _rates(*, sailing_id: int, equipment_code: str) -> QuerySet[SailingRate]:
    return SailingRate.objects.filter(
        sailing_id=sailing_id, equipment_code=equipment_code
    ).select_related("sailing__carrier", "sailing__port_of_loading", "sailing__port_of_discharge")


def _rate_to_book(_shape: object, *, sailing_id: int, equipment_code: str) -> QuerySet[SailingRate]:
    return _rates(sailing_id=sailing_id, equipment_code=equipment_code).order_by("pk")[:1]


def _rate_for_merchant(
    _shape: object, *, sailing_id: int, equipment_code: str, merchant_id: int
) -> QuerySet[SailingRate]:
    merchant = Organization(pk=merchant_id, kind=Organization.Kind.MERCHANT)
    return (
        _rates(sailing_id=sailing_id, equipment_code=equipment_code)
        .annotate(merchant_can_trade=merchant_can_trade_expression(organization=merchant))
        .order_by("pk")[:1]
    )


# Every booking reads its rate: compiled once, not on each request.
_RATE_TO_BOOK = PreparedQuery(_rate_to_book, sailing_id=int, equipment_code=str)
_RATE_FOR_MERCHANT = PreparedQuery(
    _rate_for_merchant, sailing_id=int, equipment_code=str, merchant_id=int
)


def _booking_request(
    *,
    organization: Organization,
    sailing: Sailing,
    equipment: str,
    units: int,
    commodity_description: str,
    hs_codes: Iterable[str],
    gross_weight_kg: int,
    shipper_name: str,
    shipper_address: str,
    consignee_name: str,
    consignee_address: str,
    order_references: Iterable[str] = (),
    acting_user: User,
    merchant: bool,
) -> Booking:
    try:
        equipment_code = normalize_equipment_code(equipment)
    except ValidationError as error:
        if merchant:
            _require_trading_merchant(organization)
        raise EquipmentNotOffered(error.messages[0]) from error
    # One read: the rate with its sailing, carrier and ports (all the booking and its answer
    # show), and for a merchant whether it may trade.
    found: list[Any]
    if merchant and organization.kind == Organization.Kind.MERCHANT:
        found = _RATE_FOR_MERCHANT.run(
            sailing_id=sailing.pk, equipment_code=equipment_code, merchant_id=organization.pk
        )
    else:
        found = _RATE_TO_BOOK.run(sailing_id=sailing.pk, equipment_code=equipment_code)
        for row in found:  # no other kind of organisation trades as a merchant
            row.merchant_can_trade = False  # type: ignore[attr-defined]  # as annotated
    rate = found[0] if found else None
    if rate is None:
        if merchant:
            _require_trading_merchant(organization)  # a refusal names the merchant's first
        raise EquipmentNotOffered(
            _("This sailing does not take %(equipment)s containers.") % {"equipment": equipment}
        )
    if merchant and not rate.merchant_can_trade:  # type: ignore[attr-defined]  # annotated
        raise MerchantNotApproved()
    sailing = rate.sailing
    if not sailing.is_open_for_booking():
        raise SailingNotBookable(_("This sailing is not open for booking."))
    carrier = sailing.carrier
    booking = Booking(
        organization=organization,
        sailing=sailing,
        status=S.RECEIVED,
        equipment_code=equipment_code,
        units=units,
        commodity_description=commodity_description.strip(),
        hs_codes=[code.strip().replace(".", "") for code in hs_codes if code.strip()],
        gross_weight_kg=gross_weight_kg,
        shipper_name=shipper_name.strip(),
        shipper_address=shipper_address.strip(),
        consignee_name=consignee_name.strip(),
        consignee_address=consignee_address.strip(),
        order_references=[ref.strip() for ref in order_references if ref.strip()],
        price_per_unit=rate.price,
        forwarder_price_per_unit=rate.forwarder_price,
        free_cancellation_until=sailing.free_cancellation_until(),
        cancellation_fee_per_container=carrier.cancellation_fee_per_container,
        hold_expires_at=_hold_expiry(sailing),
        requested_by=acting_user,
    )
    _validated(booking)
    booking.teu_held, booking.weight_held_kg = booking.teu, booking.gross_weight_kg
    booking.status = ""  # the table's starting point; _transition saves it as RECEIVED
    booking = _transition(
        booking,
        "requested",
        acting_user=acting_user,
        changes={
            "sailing": sailing.pk,
            "equipment": equipment_code,
            "units": units,
            "teu": booking.teu_held,
        },
    )
    # The space last: the sailing's row lock, which every booking of the sailing waits for, is
    # then held only until the commit. A refusal rolls the booking back with it.
    _move_space(sailing.pk, teu=booking.teu_held, weight_kg=booking.weight_held_kg)
    return booking


@transaction.atomic
def booking_amend(
    *,
    booking: Booking,
    units: int,
    gross_weight_kg: int,
    acting_user: User,
    commodity_description: str | None = None,
    hs_codes: Iterable[str] | None = None,
) -> Booking:
    """Change a booking's container count and weight.

    Before the carrier's confirmation this is an update (UPDATE_RECEIVED): the hold moves to
    the new figures at once, taking an increase and giving back a decrease. After it, it is an
    amendment (AMENDMENT_RECEIVED): an increase is held now; a decrease is given back only when
    the carrier confirms, because the confirmed booking stands until then."""
    _require_trading_merchant(booking.organization)
    booking = _lock(booking)
    per_unit = EQUIPMENT_TYPES[booking.equipment_code].teu
    action = "updated" if booking.status in UNCONFIRMED_STATUSES else "amended"
    _check_transition(booking, action)
    before = {"units": booking.units, "gross_weight_kg": booking.gross_weight_kg}
    if action == "updated":
        booking.units, booking.gross_weight_kg = units, gross_weight_kg
        if commodity_description is not None:
            booking.commodity_description = commodity_description.strip()
        if hs_codes is not None:
            booking.hs_codes = [c.strip().replace(".", "") for c in hs_codes if c.strip()]
        _validated(booking)
        if (
            booking.units == before["units"]
            and booking.gross_weight_kg == before["gross_weight_kg"]
            and commodity_description is None
            and hs_codes is None
        ):
            raise BookingInvalid(_("Nothing changed."))
        _adjust_hold(
            booking,
            teu=units * per_unit - booking.teu_held,
            weight_kg=gross_weight_kg - booking.weight_held_kg,
        )
    else:
        if units == booking.units and gross_weight_kg == booking.gross_weight_kg:
            raise BookingInvalid(_("Nothing changed."))
        if not 1 <= units <= 500 or gross_weight_kg < 1:
            raise BookingInvalid(_("Book between 1 and 500 containers with a cargo weight."))
        probe = Booking(
            equipment_code=booking.equipment_code, units=units, gross_weight_kg=gross_weight_kg
        )
        try:
            probe.clean()
        except ValidationError as error:
            raise BookingInvalid(error.messages[0]) from error
        booking.amended_units, booking.amended_gross_weight_kg = units, gross_weight_kg
        # Only the increase is held now.
        _adjust_hold(
            booking,
            teu=max(units * per_unit - booking.teu_held, 0),
            weight_kg=max(gross_weight_kg - booking.weight_held_kg, 0),
        )
    return _transition(
        booking,
        action,
        acting_user=acting_user,
        changes={
            "units": [before["units"], units],
            "gross_weight_kg": [before["gross_weight_kg"], gross_weight_kg],
        },
    )


@transaction.atomic
def booking_cancel(*, booking: Booking, acting_user: User | None, reason: str = "") -> Booking:
    """Cancel a booking. Before confirmation it is cancelled at once and its space given back;
    a confirmed booking is cancelled when the carrier confirms (CANCELLATION_RECEIVED until
    then), and the fee of the terms shown at booking applies past the free period."""
    booking = _lock(booking)
    if booking.status in UNCONFIRMED_STATUSES:
        return _transition(
            booking, "cancelled", acting_user=acting_user, changes={"reason": reason}
        )
    _check_transition(booking, "cancellation_requested")
    booking.cancellation_fee = booking.cancellation_fee_if_cancelled()
    return _transition(
        booking,
        "cancellation_requested",
        acting_user=acting_user,
        changes={"reason": reason, "fee": str(booking.cancellation_fee)},
    )


@transaction.atomic
def booking_withdraw_amendment(*, booking: Booking, acting_user: User) -> Booking:
    """Withdraw an amendment the carrier has not answered; the increase it held is given back."""
    booking = _lock(booking)
    _check_transition(booking, "amendment_cancelled")
    _release_amendment_increase(booking)
    return _transition(booking, "amendment_cancelled", acting_user=acting_user)


@transaction.atomic
def booking_expire(*, booking: Booking) -> Booking | None:
    """Give back the space of an unconfirmed booking whose hold ran out (CANCELLED); does
    nothing if it was confirmed or ended meanwhile."""
    booking = _lock(booking)
    if booking.status not in UNCONFIRMED_STATUSES or not booking.hold_expires_at:
        return None
    if booking.hold_expires_at > timezone.now():
        return None
    return _transition(
        booking,
        "expired",
        acting_user=None,
        message=_("The carrier did not confirm in time; the space was released."),
    )


def bookings_expire_holds(*, now: datetime | None = None) -> int:
    """Expire every unconfirmed hold past its time, one transaction per booking."""
    now = now or timezone.now()
    due = booking_ids(
        Q(status__in=UNCONFIRMED_STATUSES, hold_expires_at__lte=now),
        order_by="hold_expires_at",
        limit=500,
    )
    expired = 0
    for pk in due:
        with row_scope(Booking, pk):
            if booking_expire(booking=Booking(pk=pk)) is not None:
                expired += 1
    return expired


@shared_task(name="shipping.tasks.expire_booking_holds", acks_late=True)
def expire_booking_holds() -> int:
    """Beat: give back the space of unconfirmed bookings whose hold ran out."""
    return bookings_expire_holds()
