"""Every write of carrier slot booking.

Space on a sailing is held in the same transaction as the request that needs it, under the
sailing's row lock; the database's check constraint (booked ≤ capacity) backs the code up.
Every status change of a booking goes through ``_transition``, which checks it against
``TRANSITIONS``, records a timeline event and an audit row, and sends its follow-up (mail, the
message to the carrier) only once the transaction commits.

Locks are taken in one order: the booking's row, then its sailing's row."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_scopes import scopes_disabled

from merchants.errors import MerchantNotApproved
from merchants.selectors import merchant_can_trade
from network.models import Organization, User
from network.services import audit, notification_send, webhook_emit
from shipping.carriers import CarrierReply, adapter_for
from shipping.equipment import EQUIPMENT_TYPES, normalize_equipment_code
from shipping.errors import (
    BookingInvalid,
    CapacityExhausted,
    CarrierRefused,
    CarrierUnavailable,
    EquipmentNotOffered,
    IllegalBookingTransition,
    NotificationRejected,
    SailingNotBookable,
    WeightExhausted,
)
from shipping.models import (
    RELEASED_STATUSES,
    UNCONFIRMED_STATUSES,
    AmendmentStatus,
    Booking,
    BookingEvent,
    BookingStatus,
    CancellationStatus,
    Carrier,
    CarrierNotification,
    Sailing,
    SailingRate,
)

S = BookingStatus
A = AmendmentStatus
C = CancellationStatus
MERCHANT, CARRIER, NETWORK = (
    BookingEvent.Source.MERCHANT,
    BookingEvent.Source.CARRIER,
    BookingEvent.Source.NETWORK,
)
CARRIER_LEASE = timedelta(minutes=2)


# --- The transition table ----------------------------------------------------------------------


@dataclass(frozen=True)
class Transition:
    """One legal change: who makes it, from which statuses, to what.

    ``amendment``/``cancellation`` are ``(allowed current sub-statuses, new sub-status)``, the
    new one ``None`` for a guard only; no tuple leaves that axis alone. ``sync`` is what must
    then be sent to the carrier."""

    label: object  # lazy translation: "confirm", "cancel", ...
    source: str
    from_statuses: tuple[str, ...]
    to_status: str | None = None
    amendment: tuple[tuple[str, ...], str | None] | None = None
    cancellation: tuple[tuple[str, ...], str | None] | None = None
    sync: str = ""
    notify: bool = False


_NO_AMENDMENT_PENDING = ("", A.CONFIRMED, A.DECLINED, A.CANCELLED)
_NO_CANCELLATION_PENDING = ("", C.DECLINED)
_CONFIRMED = (S.CONFIRMED, S.PENDING_AMENDMENT)

TRANSITIONS: dict[str, Transition] = {
    "requested": Transition(gettext_lazy("request"), MERCHANT, ("",), S.RECEIVED, sync="submit"),
    "updated": Transition(
        gettext_lazy("update"), MERCHANT, UNCONFIRMED_STATUSES, S.UPDATE_RECEIVED, sync="update"
    ),
    "update_requested": Transition(
        gettext_lazy("asked for an update"),
        CARRIER,
        (S.RECEIVED, S.UPDATE_RECEIVED),
        S.PENDING_UPDATE,
        notify=True,
    ),
    "confirmed": Transition(
        gettext_lazy("confirm"), CARRIER, (S.RECEIVED, S.UPDATE_RECEIVED), S.CONFIRMED, notify=True
    ),
    "rejected": Transition(
        gettext_lazy("reject"), CARRIER, UNCONFIRMED_STATUSES, S.REJECTED, notify=True
    ),
    "cancelled": Transition(
        gettext_lazy("cancel"), MERCHANT, UNCONFIRMED_STATUSES, S.CANCELLED, sync="cancel"
    ),
    "expired": Transition(
        gettext_lazy("expire"),
        NETWORK,
        UNCONFIRMED_STATUSES,
        S.CANCELLED,
        sync="cancel",
        notify=True,
    ),
    "cancellation_requested": Transition(
        gettext_lazy("cancel"),
        MERCHANT,
        _CONFIRMED,
        cancellation=(_NO_CANCELLATION_PENDING, C.RECEIVED),
        sync="cancel",
    ),
    "cancellation_confirmed": Transition(
        gettext_lazy("confirm the cancellation of"),
        CARRIER,
        _CONFIRMED,
        S.CANCELLED,
        cancellation=((C.RECEIVED,), C.CONFIRMED),
        notify=True,
    ),
    "cancellation_declined": Transition(
        gettext_lazy("decline the cancellation of"),
        CARRIER,
        _CONFIRMED,
        cancellation=((C.RECEIVED,), C.DECLINED),
        notify=True,
    ),
    "amendment_requested_by_carrier": Transition(
        gettext_lazy("ask for an amendment to"),
        CARRIER,
        (S.CONFIRMED,),
        S.PENDING_AMENDMENT,
        notify=True,
    ),
    "amended": Transition(
        gettext_lazy("amend"),
        MERCHANT,
        _CONFIRMED,
        amendment=(_NO_AMENDMENT_PENDING, A.RECEIVED),
        cancellation=(_NO_CANCELLATION_PENDING, None),
        sync="amend",
    ),
    "amendment_confirmed": Transition(
        gettext_lazy("confirm the amendment of"),
        CARRIER,
        _CONFIRMED,
        S.CONFIRMED,
        amendment=((A.RECEIVED,), A.CONFIRMED),
        notify=True,
    ),
    "amendment_declined": Transition(
        gettext_lazy("decline the amendment of"),
        CARRIER,
        _CONFIRMED,
        amendment=((A.RECEIVED,), A.DECLINED),
        notify=True,
    ),
    "amendment_cancelled": Transition(
        gettext_lazy("withdraw the amendment of"),
        MERCHANT,
        _CONFIRMED,
        amendment=((A.RECEIVED,), A.CANCELLED),
        sync="cancel_amendment",
    ),
    "declined": Transition(gettext_lazy("decline"), CARRIER, _CONFIRMED, S.DECLINED, notify=True),
    "completed": Transition(gettext_lazy("complete"), CARRIER, (S.CONFIRMED,), S.COMPLETED),
}


def transition_allowed(booking: Booking, action: str) -> bool:
    """Whether ``action`` is legal for ``booking`` as it stands (for showing buttons)."""
    rule = TRANSITIONS[action]
    if booking.status not in rule.from_statuses:
        return False
    if rule.amendment and booking.amendment_status not in rule.amendment[0]:
        return False
    return not (rule.cancellation and booking.cancellation_status not in rule.cancellation[0])


def _check_transition(booking: Booking, action: str) -> Transition:
    rule = TRANSITIONS[action]
    if not transition_allowed(booking, action):
        state = booking.get_status_display()
        if booking.amendment_status == A.RECEIVED:
            state = _("%(status)s with an amendment awaiting the carrier") % {"status": state}
        elif booking.cancellation_status == C.RECEIVED:
            state = _("%(status)s with a cancellation awaiting the carrier") % {"status": state}
        raise IllegalBookingTransition(
            _("Booking %(reference)s is %(state)s: it is not possible to %(action)s it now.")
            % {"reference": booking.reference, "state": state, "action": rule.label},
            action=action,
            status=booking.status,
        )
    return rule


def _transition(
    booking: Booking,
    action: str,
    *,
    acting_user: User | None,
    message: str = "",
    changes: dict | None = None,
) -> Booking:
    """Apply ``action`` to a locked ``booking``: check it, move the statuses, give space back
    when the booking ends, save, record the event and audit row, and queue the follow-ups."""
    rule = _check_transition(booking, action)
    before = (booking.status, booking.amendment_status, booking.cancellation_status)
    if rule.to_status:
        booking.status = rule.to_status
    if rule.amendment and rule.amendment[1] is not None:
        booking.amendment_status = rule.amendment[1]
    if rule.cancellation and rule.cancellation[1] is not None:
        booking.cancellation_status = rule.cancellation[1]
    if booking.status in RELEASED_STATUSES:
        _adjust_hold(booking, teu=-booking.teu_held, weight_kg=-booking.weight_held_kg)
        booking.hold_expires_at = None
        if booking.amendment_status == A.RECEIVED:
            booking.amendment_status = A.CANCELLED
        booking.amended_units = booking.amended_gross_weight_kg = None
    if booking.status not in UNCONFIRMED_STATUSES:
        booking.hold_expires_at = None
    if message and rule.source == CARRIER:
        booking.carrier_message = message[:500]
    if rule.sync:
        _queue_sync(booking, rule.sync)
    booking.save()
    BookingEvent.objects.create(
        organization_id=booking.organization_id,
        booking=booking,
        action=action,
        status=booking.status,
        amendment_status=booking.amendment_status,
        cancellation_status=booking.cancellation_status,
        source=rule.source,
        actor=acting_user if rule.source == MERCHANT else None,
        message=message[:500],
    )
    after = (booking.status, booking.amendment_status, booking.cancellation_status)
    audit(
        actor=acting_user,
        organization=booking.organization,
        action=f"booking.{action}",
        target=booking,
        changes={
            "status": [before[0], after[0]],
            **({"amendment_status": [before[1], after[1]]} if before[1] != after[1] else {}),
            **({"cancellation_status": [before[2], after[2]]} if before[2] != after[2] else {}),
            **(changes or {}),
        },
    )
    if rule.sync:
        _enqueue_sync(booking)
    if rule.notify:
        _notify(booking, action, message)
    if after[0] != before[0] and after[0] in WEBHOOK_EVENTS:
        webhook_emit(
            organization=booking.organization,
            event=WEBHOOK_EVENTS[after[0]],
            payload={
                "booking": booking.reference,
                "status": booking.status,
                "carrier_booking_reference": booking.carrier_booking_reference,
                "sailing": str(booking.sailing),
                "equipment": booking.equipment_code,
                "units": booking.units,
                "message": booking.carrier_message,
            },
        )
    return booking


# Status changes that integration clients hear about through webhooks.
WEBHOOK_EVENTS: dict[str, str] = {S.CONFIRMED: "booking.confirmed", S.REJECTED: "booking.rejected"}


def _notify(booking: Booking, action: str, message: str) -> None:
    recipient = booking.requested_by
    if recipient is None:
        return
    notification_send(
        email=recipient.email,
        recipient=recipient,
        organization=booking.organization,
        kind=f"booking.{action}",
        template="shipping/email/booking_status",
        context={
            "reference": booking.reference,
            "action": action,
            # Lazy labels: rendered in the recipient's language by notification_send.
            "status": S(booking.status).label,
            "amendment_status": A(booking.amendment_status).label
            if booking.amendment_status
            else "",
            "cancellation_status": (
                C(booking.cancellation_status).label if booking.cancellation_status else ""
            ),
            "sailing": str(booking.sailing),
            "equipment": booking.equipment_code,
            "units": booking.units,
            "carrier_booking_reference": booking.carrier_booking_reference,
            "message": message,
        },
        link=reverse("shipping:booking_detail", args=[booking.reference]),
    )


# --- Capacity ----------------------------------------------------------------------------------


def _adjust_hold(booking: Booking, *, teu: int, weight_kg: int) -> None:
    """Take (positive) or give back (negative) space on the booking's sailing, under the
    sailing's row lock; refuses with a clear error when not enough is left."""
    if teu == 0 and weight_kg == 0:
        return
    sailing = (
        Sailing.objects.select_for_update()
        .only("capacity_teu", "booked_teu", "capacity_weight_kg", "booked_weight_kg")
        .get(pk=booking.sailing_id)
    )
    if teu > 0 and sailing.remaining_teu < teu:
        raise CapacityExhausted(remaining_teu=sailing.remaining_teu, requested_teu=teu)
    if weight_kg > 0 and sailing.remaining_weight_kg < weight_kg:
        raise WeightExhausted(remaining_kg=sailing.remaining_weight_kg, requested_kg=weight_kg)
    Sailing.objects.filter(pk=sailing.pk).update(
        booked_teu=F("booked_teu") + teu, booked_weight_kg=F("booked_weight_kg") + weight_kg
    )
    booking.teu_held += teu
    booking.weight_held_kg += weight_kg


def _hold_expiry(sailing: Sailing) -> datetime:
    return min(
        timezone.now() + timedelta(hours=int(settings.SHIPPING_HOLD_HOURS)),
        sailing.booking_closes_at,
    )


def _lock(booking: Booking) -> Booking:
    with scopes_disabled():
        return (
            Booking.objects.select_for_update(of=("self",))
            .select_related("sailing__carrier", "organization", "requested_by")
            .get(pk=booking.pk)
        )


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

    Raises MerchantNotApproved, SailingNotBookable, EquipmentNotOffered, BookingInvalid,
    CapacityExhausted (code ``capacity_exhausted``) or WeightExhausted."""
    _require_trading_merchant(organization)
    try:
        equipment_code = normalize_equipment_code(equipment)
    except ValidationError as error:
        raise EquipmentNotOffered(error.messages[0]) from error
    rate = (
        SailingRate.objects.filter(sailing_id=sailing.pk, equipment_code=equipment_code)
        .select_related("sailing__carrier", "sailing__port_of_loading")
        .first()
    )
    if rate is None:
        raise EquipmentNotOffered(
            _("This sailing does not take %(equipment)s containers.") % {"equipment": equipment}
        )
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
    _adjust_hold(booking, teu=booking.teu, weight_kg=booking.gross_weight_kg)
    booking.status = ""  # the table's starting point; _transition saves it as RECEIVED
    return _transition(
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
def booking_cancel(*, booking: Booking, acting_user: User, reason: str = "") -> Booking:
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


def _release_amendment_increase(booking: Booking) -> None:
    per_unit = EQUIPMENT_TYPES[booking.equipment_code].teu
    _adjust_hold(
        booking,
        teu=min(booking.units * per_unit - booking.teu_held, 0),
        weight_kg=min(booking.gross_weight_kg - booking.weight_held_kg, 0),
    )
    booking.amended_units = booking.amended_gross_weight_kg = None


# --- Carrier-side changes ----------------------------------------------------------------------


@transaction.atomic
def booking_confirm(
    *, booking: Booking, carrier_booking_reference: str, message: str = ""
) -> Booking:
    """The carrier confirmed the request: record its booking reference (CONFIRMED)."""
    booking = _lock(booking)
    _check_transition(booking, "confirmed")
    booking.carrier_booking_reference = carrier_booking_reference[:35]
    booking.confirmed_at = timezone.now()
    return _transition(
        booking,
        "confirmed",
        acting_user=None,
        message=message,
        changes={"carrier_booking_reference": booking.carrier_booking_reference},
    )


def _carrier_action(action: str) -> Callable[..., Booking]:
    @transaction.atomic
    def apply(*, booking: Booking, message: str = "") -> Booking:
        booking = _lock(booking)
        _check_transition(booking, action)
        if action == "amendment_confirmed":
            per_unit = EQUIPMENT_TYPES[booking.equipment_code].teu
            units = booking.amended_units or booking.units
            weight = booking.amended_gross_weight_kg or booking.gross_weight_kg
            # The increase is already held; now give back a decrease.
            _adjust_hold(
                booking,
                teu=units * per_unit - booking.teu_held,
                weight_kg=weight - booking.weight_held_kg,
            )
            booking.units, booking.gross_weight_kg = units, weight
            booking.amended_units = booking.amended_gross_weight_kg = None
        elif action == "amendment_declined":
            _release_amendment_increase(booking)
        elif action == "cancellation_declined":
            booking.cancellation_fee = None
        return _transition(booking, action, acting_user=None, message=message)

    apply.__name__ = f"booking_{action}"
    apply.__doc__ = f"The carrier's {action.replace('_', ' ')}, through the transition table."
    return apply


booking_reject = _carrier_action("rejected")
booking_request_update = _carrier_action("update_requested")
booking_decline = _carrier_action("declined")
booking_complete = _carrier_action("completed")
booking_request_amendment = _carrier_action("amendment_requested_by_carrier")
booking_confirm_amendment = _carrier_action("amendment_confirmed")
booking_decline_amendment = _carrier_action("amendment_declined")
booking_confirm_cancellation = _carrier_action("cancellation_confirmed")
booking_decline_cancellation = _carrier_action("cancellation_declined")


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
    with scopes_disabled():
        due = list(
            Booking.objects.filter(status__in=UNCONFIRMED_STATUSES, hold_expires_at__lte=now)
            .order_by("hold_expires_at")
            .values_list("pk", flat=True)[:500]
        )
    expired = 0
    for pk in due:
        if booking_expire(booking=Booking(pk=pk)) is not None:
            expired += 1
    return expired


def booking_apply_carrier_reply(*, booking: Booking, reply: CarrierReply) -> Booking:
    """Turn what the carrier said (a reply, a poll or a notification) into the transitions it
    implies. Saying again what is already recorded changes nothing.

    Raises IllegalBookingTransition when the carrier's news contradicts the booking's state."""
    with scopes_disabled():
        booking = Booking.objects.select_related("sailing__carrier").get(pk=booking.pk)
    message = reply.message
    status, amendment, cancellation = (
        reply.booking_status,
        reply.amendment_status,
        reply.cancellation_status,
    )
    if cancellation == C.CONFIRMED or (
        status == S.CANCELLED and booking.cancellation_status == C.RECEIVED
    ):
        if booking.status != S.CANCELLED:
            return booking_confirm_cancellation(booking=booking, message=message)
        return booking
    if cancellation == C.DECLINED and booking.cancellation_status == C.RECEIVED:
        return booking_decline_cancellation(booking=booking, message=message)
    if amendment == A.CONFIRMED and booking.amendment_status == A.RECEIVED:
        return booking_confirm_amendment(booking=booking, message=message)
    if amendment == A.DECLINED and booking.amendment_status == A.RECEIVED:
        return booking_decline_amendment(booking=booking, message=message)
    if status == booking.status or status in (None, S.RECEIVED, S.UPDATE_RECEIVED):
        if status in (S.RECEIVED, S.UPDATE_RECEIVED) and booking.status not in (
            UNCONFIRMED_STATUSES
        ):
            raise IllegalBookingTransition(
                _("The carrier reports %(status)s for a booking that is already %(ours)s.")
                % {"status": status, "ours": booking.get_status_display()}
            )
        return booking  # an acknowledgement or a repeat
    handlers: dict[str, Callable[[], Booking]] = {
        S.CONFIRMED: lambda: booking_confirm(
            booking=booking,
            carrier_booking_reference=reply.carrier_booking_reference,
            message=message,
        ),
        S.PENDING_UPDATE: lambda: booking_request_update(booking=booking, message=message),
        S.REJECTED: lambda: booking_reject(booking=booking, message=message),
        S.DECLINED: lambda: booking_decline(booking=booking, message=message),
        S.PENDING_AMENDMENT: lambda: booking_request_amendment(booking=booking, message=message),
        S.COMPLETED: lambda: booking_complete(booking=booking, message=message),
    }
    if status == S.CONFIRMED and not reply.carrier_booking_reference:
        raise IllegalBookingTransition(
            _("A confirmation must carry the carrier's booking reference.")
        )
    if status not in handlers:
        raise IllegalBookingTransition(
            _("The carrier reports %(status)s, which does not follow from %(ours)s.")
            % {"status": status, "ours": booking.get_status_display()}
        )
    return handlers[status]()


# --- Talking to the carrier (the logic of the Celery tasks) ------------------------------------


def _queue_sync(booking: Booking, what: str) -> None:
    """Record what must be sent to the carrier. A cancellation supersedes anything unsent; an
    update before the first submission is sent as part of that submission."""
    current = booking.carrier_sync
    if what == "cancel" and current == "submit" and not booking.carrier_booking_request_reference:
        booking.carrier_sync = ""  # the carrier never heard of it
    elif what == "update" and current == "submit":
        return
    else:
        booking.carrier_sync = what


def _enqueue_sync(booking: Booking) -> None:
    from shipping.tasks import booking_sync

    if booking.carrier_sync:
        booking_sync.delay_on_commit(booking.pk)


def booking_sync_with_carrier(*, booking_id: int) -> str:
    """Send the booking's pending message (submit, update, amend, cancel) to its carrier and
    record the reply. Running it twice sends once: a lease stops a concurrent run, and the
    pending message is cleared only once the reply is recorded.

    Raises CarrierUnavailable for the task to retry later."""
    now = timezone.now()
    with transaction.atomic(), scopes_disabled():
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("sailing__carrier", "sailing__port_of_loading")
            .select_related("sailing__port_of_discharge", "requested_by", "organization")
            .filter(pk=booking_id)
            .first()
        )
        if booking is None or not booking.carrier_sync:
            return "nothing to send"
        if booking.carrier_lease_until and booking.carrier_lease_until > now:
            return "another worker is sending"
        what = booking.carrier_sync
        booking.carrier_lease_until = now + CARRIER_LEASE
        booking.submission_attempts += 1
        booking.save(update_fields=["carrier_lease_until", "submission_attempts", "updated_at"])
    adapter = adapter_for(booking.sailing.carrier)
    refused = ""
    try:
        if what == "submit":
            reply = adapter.submit(booking)
        elif what in ("update", "amend"):
            reply = adapter.amend(booking)
        elif what == "cancel_amendment":
            reply = adapter.cancel(booking, amendment_only=True)
        else:
            reply = adapter.cancel(booking)
    except CarrierUnavailable as error:
        with transaction.atomic(), scopes_disabled():
            Booking.objects.filter(pk=booking_id).update(
                carrier_lease_until=None, last_carrier_error=str(error)[:300]
            )
        raise
    except CarrierRefused as error:
        reply, refused = None, str(error)
    return _record_sync(booking_id=booking_id, what=what, reply=reply, refused=refused)


@transaction.atomic
def _record_sync(*, booking_id: int, what: str, reply: CarrierReply | None, refused: str) -> str:
    with scopes_disabled():
        booking = Booking.objects.select_for_update(of=("self",)).get(pk=booking_id)
    if booking.carrier_sync == what:
        booking.carrier_sync = ""
    booking.carrier_lease_until = None
    booking.last_carrier_error = refused[:300]
    if (
        reply
        and reply.carrier_booking_request_reference
        and not (booking.carrier_booking_request_reference)
    ):
        booking.carrier_booking_request_reference = reply.carrier_booking_request_reference
    if what == "submit" and not booking.submitted_at:
        booking.submitted_at = timezone.now()
    booking.save()
    BookingEvent.objects.create(
        organization_id=booking.organization_id,
        booking=booking,
        action=f"sent_{what}",
        status=booking.status,
        amendment_status=booking.amendment_status,
        cancellation_status=booking.cancellation_status,
        source=NETWORK,
        message=refused[:500],
    )
    if booking.carrier_sync:  # something new was queued while we were sending
        _enqueue_sync(booking)
    if refused:
        if what in ("submit", "update") and booking.status in UNCONFIRMED_STATUSES:
            booking_reject(booking=booking, message=_("The carrier refused the request."))
        return "refused"
    if reply is not None:
        try:
            booking_apply_carrier_reply(booking=booking, reply=reply)
        except IllegalBookingTransition:
            return "reply ignored"
        if what in ("submit", "update") and reply.booking_status in (
            S.RECEIVED,
            S.UPDATE_RECEIVED,
        ):
            from shipping.tasks import booking_poll

            delay = float(settings.SHIPPING_POLL_AFTER_SECONDS)
            transaction.on_commit(lambda: booking_poll.apply_async((booking_id,), countdown=delay))
    return "sent"


def booking_poll_carrier(*, booking_id: int) -> str:
    """Ask the carrier about a booking awaiting its answer and apply what it says."""
    with scopes_disabled():
        booking = Booking.objects.select_related("sailing__carrier").filter(pk=booking_id).first()
    if booking is None or booking.carrier_sync or not booking.awaiting_carrier:
        return "nothing to ask"
    if not (booking.carrier_booking_request_reference or booking.carrier_booking_reference):
        return "not submitted"
    reply = adapter_for(booking.sailing.carrier).poll(booking)
    try:
        booking_apply_carrier_reply(booking=booking, reply=reply)
    except IllegalBookingTransition:
        return "reply ignored"
    return "polled"


def bookings_awaiting_sync_ids(*, older_than: timedelta, limit: int = 200) -> list[int]:
    """Bookings with a message for the carrier still unsent ``older_than`` after their last
    change and no live lease: their sync task was lost (broker down, worker killed)."""
    now = timezone.now()
    with scopes_disabled():
        return list(
            Booking.objects.exclude(carrier_sync="")
            .filter(updated_at__lte=now - older_than)
            .filter(Q(carrier_lease_until__isnull=True) | Q(carrier_lease_until__lte=now))
            .order_by("updated_at")
            .values_list("pk", flat=True)[:limit]
        )


def bookings_awaiting_carrier_ids(*, limit: int = 200) -> list[int]:
    """Bookings submitted and waiting for the carrier's answer, oldest first."""
    with scopes_disabled():
        return list(
            Booking.objects.filter(
                Q(status__in=[S.RECEIVED, S.UPDATE_RECEIVED])
                | Q(amendment_status=A.RECEIVED)
                | Q(cancellation_status=C.RECEIVED),
                carrier_sync="",
            )
            .exclude(carrier_booking_request_reference="", carrier_booking_reference="")
            .order_by("updated_at")
            .values_list("pk", flat=True)[:limit]
        )


# --- Booking notifications from carriers -------------------------------------------------------


def notification_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def notification_signature_valid(*, carrier: Carrier, body: bytes, signature: str) -> bool:
    return bool(signature) and hmac.compare_digest(
        notification_signature(carrier.notification_secret, body), signature.strip()
    )


def carrier_notification_receive(*, carrier: Carrier, payload: dict) -> CarrierNotification:
    """Record a DCSA booking notification from ``carrier`` and apply it to the booking it names.
    A notification already received (same source and id) is recognised and changes nothing.

    Raises NotificationRejected for an unknown booking, IllegalBookingTransition for news that
    contradicts the booking."""
    data = payload["data"]
    references = [
        ref
        for ref in (data.get("carrierBookingReference"), data.get("carrierBookingRequestReference"))
        if ref
    ]
    if not references:
        raise NotificationRejected(
            _("A notification must name carrierBookingReference or carrierBookingRequestReference.")
        )
    with transaction.atomic(), scopes_disabled():
        booking = (
            Booking.objects.filter(sailing__carrier=carrier)
            .filter(
                Q(carrier_booking_reference__in=references)
                | Q(carrier_booking_request_reference__in=references)
            )
            .first()
        )
        if booking is None:
            raise NotificationRejected(
                _("No booking with carrier %(scac)s has the reference %(reference)s.")
                % {"scac": carrier.scac, "reference": references[0]}
            )
        try:
            with transaction.atomic():
                notification = CarrierNotification.objects.create(
                    carrier=carrier,
                    event_id=str(payload["id"]),
                    source=str(payload["source"]),
                    booking=booking,
                    payload=payload,
                )
        except IntegrityError:
            return CarrierNotification.objects.get(
                carrier=carrier, source=str(payload["source"]), event_id=str(payload["id"])
            )
        from shipping.carriers.dcsa import reply_from_dcsa

        before = booking.status
        updated = booking_apply_carrier_reply(booking=booking, reply=reply_from_dcsa(data))
        notification.outcome = f"{before} → {updated.status}"[:200]
        notification.save(update_fields=["outcome"])
    return notification


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
