"""What carriers say about bookings (a reply, a poll's answer or a notification they send),
turned into the transitions it implies."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from network.tenancy import row_scope
from shipping.carriers import CarrierReply, carrier_connection
from shipping.carriers.dcsa import reply_from_dcsa
from shipping.equipment import EQUIPMENT_TYPES
from shipping.errors import IllegalBookingTransition, NotificationRejected
from shipping.models import (
    UNCONFIRMED_STATUSES,
    Booking,
    Carrier,
    CarrierNotification,
)
from shipping.services import tracking
from shipping.services.lifecycle import (
    CARRIER,
    A,
    C,
    S,
    _adjust_hold,
    _check_transition,
    _lock,
    _release_amendment_increase,
    _transition,
    booking_ids,
    own_rows,
    timeline_record,
)

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
    booking = _transition(
        booking,
        "confirmed",
        acting_user=None,
        message=message,
        changes={"carrier_booking_reference": booking.carrier_booking_reference},
    )
    tracking.tracking_subscribe_task.delay_on_commit(booking.pk)
    return booking


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
        booking = _transition(booking, action, acting_user=None, message=message)
        if booking.is_final:
            # A booking that ended (cancelled, declined, completed) is no longer tracked.
            tracking.tracking_end_task.delay_on_commit(booking.pk)
        return booking

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


def booking_apply_carrier_reply(*, booking: Booking, reply: CarrierReply) -> Booking:
    """Turn what the carrier said (a reply, a poll or a notification) into the transitions it
    implies. Saying again what is already recorded changes nothing.

    Raises IllegalBookingTransition when the carrier's news contradicts the booking's state."""
    booking = own_rows(booking).select_related("sailing__carrier").get(pk=booking.pk)
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


# --- Booking notifications from carriers -------------------------------------------------------


def notification_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def carrier_notification_secret(carrier: Carrier) -> str:
    """The secret ``carrier`` signs its notifications with: ``CARRIER_<SCAC>_NOTIFICATION_SECRET``
    (the connection's), else the one kept on the carrier's row."""
    return carrier_connection(carrier.scac).notification_secret or carrier.notification_secret


def notification_signature_valid(*, carrier: Carrier, body: bytes, signature: str) -> bool:
    secret = carrier_notification_secret(carrier)
    return bool(signature and secret) and hmac.compare_digest(
        notification_signature(secret, body), signature.strip()
    )


def _channel_references(data: dict) -> list[str]:
    """Our own references the notification carries: the booking's ``bookingChannelReference``
    and its ``CR`` (customer reference) entries, in a Full State Transfer's ``data.booking``."""
    found = []
    for source in (data, data.get("booking") or {}):
        if not isinstance(source, dict):
            continue
        if reference := source.get("bookingChannelReference"):
            found.append(str(reference))
        for entry in source.get("references") or []:
            if isinstance(entry, dict) and entry.get("type") == "CR" and entry.get("value"):
                found.append(str(entry["value"]))
    return found


def _booking_named(carrier: Carrier, data: dict) -> tuple[int, str]:
    """The booking a notification is about (by the carrier's references, else by ours for a
    request whose reference we never learnt), and the carrier's request reference to attach
    (empty when the booking already has it)."""
    references = [
        ref
        for ref in (data.get("carrierBookingReference"), data.get("carrierBookingRequestReference"))
        if ref
    ]
    if not references:
        raise NotificationRejected(
            _("A notification must name carrierBookingReference or carrierBookingRequestReference.")
        )
    found = booking_ids(
        Q(sailing__carrier=carrier)
        & (
            Q(carrier_booking_reference__in=references)
            | Q(carrier_booking_request_reference__in=references)
        ),
        limit=1,
    )
    if found:
        return found[0], ""
    request_reference = data.get("carrierBookingRequestReference") or ""
    ours = _channel_references(data)
    if request_reference and ours:
        found = booking_ids(
            Q(sailing__carrier=carrier)
            & Q(reference__in=ours)
            & Q(carrier_booking_request_reference="")
            & Q(carrier_booking_reference=""),
            limit=1,
        )
        if found:
            return found[0], str(request_reference)
    raise NotificationRejected(
        _("No booking with carrier %(scac)s has the reference %(reference)s.")
        % {"scac": carrier.scac, "reference": references[0]}
    )


def _attach_request_reference(booking: Booking, request_reference: str) -> Booking:
    """The carrier has the request whose answer never reached us: record its reference, and
    send nothing more for the submission (an update made meanwhile is still sent)."""
    booking = _lock(booking)
    booking.carrier_booking_request_reference = request_reference[:100]
    booking.carrier_outcome_unknown_since = None
    if booking.carrier_sync == "submit":
        booking.carrier_sync = "update" if booking.status == S.UPDATE_RECEIVED else ""
    if not booking.submitted_at:
        booking.submitted_at = timezone.now()
    booking.save()
    timeline_record(
        booking,
        "carrier_received",
        source=CARRIER,
        message=_("The carrier has the request: its reference is %(reference)s.")
        % {"reference": booking.carrier_booking_request_reference},
    )
    if booking.carrier_sync:
        # (carrier_sync reads this module's replies: imported here, once both are loaded.)
        from shipping.services.carrier_sync import enqueue_sync

        enqueue_sync(booking)
    return booking


def carrier_notification_receive(*, carrier: Carrier, payload: dict) -> CarrierNotification:
    """Record a DCSA booking notification from ``carrier`` and apply it to the booking it names.
    A notification already received (same source and id) is recognised and changes nothing.
    A notification naming a request reference we never learnt (the answer to our request was
    lost) but our own booking reference attaches the carrier's reference to that booking.

    Raises NotificationRejected for an unknown booking, IllegalBookingTransition for news that
    contradicts the booking."""
    data = payload["data"]
    booking_id, request_reference = _booking_named(carrier, data)
    with row_scope(Booking, booking_id), transaction.atomic():
        booking = Booking.objects.get(pk=booking_id)
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
        before = booking.status
        if request_reference:
            booking = _attach_request_reference(booking, request_reference)
        if request_reference and booking.carrier_sync == "cancel":
            # Cancelled here while the carrier's answer was awaited: the cancellation now goes
            # out with the carrier's reference; its news about the request changes nothing.
            notification.outcome = f"{before} → {booking.status}"[:200]
        else:
            updated = booking_apply_carrier_reply(booking=booking, reply=reply_from_dcsa(data))
            notification.outcome = f"{before} → {updated.status}"[:200]
        notification.save(update_fields=["outcome"])
    return notification
