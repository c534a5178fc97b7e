"""Every write of carrier slot booking, by use case:

- ``lifecycle``: the transition table and the one function that applies it, holding space;
- ``bookings``: a merchant's requests, updates, amendments and cancellations; expired holds;
- ``carrier_replies``: what carriers answer or notify, turned into transitions;
- ``carrier_sync``: sending pending messages to carriers and polling them (with its tasks);
- ``sailings``: operators' carriers, sailings and lanes;
- ``schedules``: sailings from the carriers' published schedules (with its task).
"""

from shipping.services.bookings import (
    booking_amend,
    booking_cancel,
    booking_expire,
    booking_request,
    booking_withdraw_amendment,
    bookings_expire_holds,
)
from shipping.services.carrier_replies import (
    booking_apply_carrier_reply,
    booking_complete,
    booking_confirm,
    booking_confirm_amendment,
    booking_confirm_cancellation,
    booking_decline,
    booking_decline_amendment,
    booking_decline_cancellation,
    booking_reject,
    booking_request_amendment,
    booking_request_update,
    carrier_notification_receive,
    notification_signature,
    notification_signature_valid,
)
from shipping.services.carrier_sync import (
    CARRIER_LEASE,
    booking_poll_carrier,
    booking_sync_with_carrier,
    bookings_awaiting_carrier_ids,
    bookings_awaiting_sync_ids,
)
from shipping.services.lifecycle import TRANSITIONS, WEBHOOK_EVENTS, transition_allowed
from shipping.services.sailings import carrier_save, lane_save, sailing_save
from shipping.services.schedules import SchedulePull, schedule_apply, schedules_pull

__all__ = [
    "CARRIER_LEASE",
    "SchedulePull",
    "TRANSITIONS",
    "WEBHOOK_EVENTS",
    "booking_amend",
    "booking_apply_carrier_reply",
    "booking_cancel",
    "booking_complete",
    "booking_confirm",
    "booking_confirm_amendment",
    "booking_confirm_cancellation",
    "booking_decline",
    "booking_decline_amendment",
    "booking_decline_cancellation",
    "booking_expire",
    "booking_poll_carrier",
    "booking_reject",
    "booking_request",
    "booking_request_amendment",
    "booking_request_update",
    "booking_sync_with_carrier",
    "booking_withdraw_amendment",
    "bookings_awaiting_carrier_ids",
    "bookings_awaiting_sync_ids",
    "bookings_expire_holds",
    "carrier_notification_receive",
    "carrier_save",
    "lane_save",
    "notification_signature",
    "notification_signature_valid",
    "sailing_save",
    "schedule_apply",
    "schedules_pull",
    "transition_allowed",
]

from shipping.services.consolidation import (  # noqa: E402
    container_merge,
    container_open,
    container_release,
    containers_close_receiving,
    containers_review_underfilled,
    space_request_cancel,
    space_request_create,
    wm_price,
    wm_revenue_tons,
)

__all__ += [
    "container_merge",
    "container_open",
    "container_release",
    "containers_close_receiving",
    "containers_review_underfilled",
    "space_request_cancel",
    "space_request_create",
    "wm_price",
    "wm_revenue_tons",
]
