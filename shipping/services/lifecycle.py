"""The life of a booking: the transition table and the one function that applies it.

Every status change of a booking goes through ``_transition``, which checks it against
``TRANSITIONS``, records a timeline event and an audit row, and sends its follow-up (mail,
webhooks) only once the transaction commits; what must then be sent to the carrier is recorded
on the booking (``carrier_sync``) for ``shipping.services.carrier_sync`` to send.

Space on a sailing is held in the same transaction as the request that needs it, under the
sailing's row lock; the database's check constraint (booked ≤ capacity) backs the code up.
Locks are taken in one order: the booking's row, then its sailing's row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_scopes import scopes_disabled

from network.models import User
from network.services import audit, notification_send, webhook_emit
from shipping.equipment import EQUIPMENT_TYPES
from shipping.errors import CapacityExhausted, IllegalBookingTransition, WeightExhausted
from shipping.models import (
    RELEASED_STATUSES,
    UNCONFIRMED_STATUSES,
    AmendmentStatus,
    Booking,
    BookingEvent,
    BookingStatus,
    CancellationStatus,
    Sailing,
)

S = BookingStatus
A = AmendmentStatus
C = CancellationStatus
MERCHANT, CARRIER, NETWORK = (
    BookingEvent.Source.MERCHANT,
    BookingEvent.Source.CARRIER,
    BookingEvent.Source.NETWORK,
)


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


def timeline_record(
    booking: Booking, action: str, *, source: str, message: str = "", actor: User | None = None
) -> BookingEvent:
    """One step of the booking's timeline, with the statuses it stands at now."""
    return BookingEvent.objects.create(
        organization_id=booking.organization_id,
        booking=booking,
        action=action,
        status=booking.status,
        amendment_status=booking.amendment_status,
        cancellation_status=booking.cancellation_status,
        source=source,
        actor=actor,
        message=message[:500],
    )


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
    timeline_record(
        booking,
        action,
        source=rule.source,
        actor=acting_user if rule.source == MERCHANT else None,
        message=message,
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
    """Take (positive) or give back (negative) space on the booking's sailing; refuses with a
    clear error when not enough is left."""
    _move_space(booking.sailing_id, teu=teu, weight_kg=weight_kg)
    booking.teu_held += teu
    booking.weight_held_kg += weight_kg


def _move_space(sailing_id: int, *, teu: int, weight_kg: int) -> None:
    """Take or give back space on a sailing in one conditional UPDATE: it takes the sailing's
    row lock and, waiting behind another holder, checks the room again on the row as that
    holder left it. Only a refusal reads the row, to say which of TEU or weight is short."""
    if teu == 0 and weight_kg == 0:
        return
    room = Q()
    if teu > 0:
        room &= Q(booked_teu__lte=F("capacity_teu") - teu)
    if weight_kg > 0:
        room &= Q(booked_weight_kg__lte=F("capacity_weight_kg") - weight_kg)
    while not Sailing.objects.filter(room, pk=sailing_id).update(
        booked_teu=F("booked_teu") + teu, booked_weight_kg=F("booked_weight_kg") + weight_kg
    ):
        sailing = (
            Sailing.objects.select_for_update()
            .only("capacity_teu", "booked_teu", "capacity_weight_kg", "booked_weight_kg")
            .get(pk=sailing_id)
        )
        if teu > 0 and sailing.remaining_teu < teu:
            raise CapacityExhausted(remaining_teu=sailing.remaining_teu, requested_teu=teu)
        if weight_kg > 0 and sailing.remaining_weight_kg < weight_kg:
            raise WeightExhausted(remaining_kg=sailing.remaining_weight_kg, requested_kg=weight_kg)
        # Space was given back between the two statements: the update now finds room.


def _hold_expiry(sailing: Sailing) -> datetime:
    return min(
        timezone.now() + timedelta(hours=int(settings.SHIPPING_HOLD_HOURS)),
        sailing.booking_closes_at,
    )


def own_rows(booking: Booking) -> QuerySet[Booking]:
    """The bookings ``booking``'s own organisation sees. A service is handed its booking by an
    access function (or, in a task, reads it inside the booking's ``row_scope``) and reads the
    same row again here, to lock it or to see it as it stands now."""
    if booking.organization_id is None:  # a bare id, inside the task's row_scope
        return Booking.objects.all()
    return Booking.objects.visible_to(booking.organization)


def _lock(booking: Booking) -> Booking:
    """The booking's row, locked."""
    return (
        own_rows(booking)
        .select_for_update(of=("self",))
        .select_related("sailing__carrier", "organization", "requested_by")
        .get(pk=booking.pk)
    )


def booking_ids(bookings: Q, *, order_by: str | None = None, limit: int) -> list[int]:
    """The ids of every organisation's bookings matching ``bookings``, for the periodic sweeps
    and for a carrier's notification (a carrier is no organisation); each booking is then
    handled inside its own ``row_scope``."""
    # Sweeps over every organisation and carriers' notifications: they read ids only.
    with scopes_disabled():
        rows = Booking.objects.filter(bookings)
        if order_by:
            rows = rows.order_by(order_by)
        return list(rows.values_list("pk", flat=True)[:limit])


def _release_amendment_increase(booking: Booking) -> None:
    per_unit = EQUIPMENT_TYPES[booking.equipment_code].teu
    _adjust_hold(
        booking,
        teu=min(booking.units * per_unit - booking.teu_held, 0),
        weight_kg=min(booking.gross_weight_kg - booking.weight_held_kg, 0),
    )
    booking.amended_units = booking.amended_gross_weight_kg = None


def _queue_sync(booking: Booking, what: str) -> None:
    """Record what must be sent to the carrier. A cancellation supersedes anything unsent; an
    update before the first submission is sent as part of that submission."""
    current = booking.carrier_sync
    if (
        what == "cancel"
        and current == "submit"
        and not booking.carrier_booking_request_reference
        # Nothing is being sent, and no earlier send may have reached the carrier.
        and booking.carrier_lease_until is None
        and booking.carrier_outcome_unknown_since is None
    ):
        booking.carrier_sync = ""  # the carrier never heard of it
    elif what == "update" and current == "submit":
        return
    else:
        booking.carrier_sync = what
