"""Celery tasks of carrier slot booking (queue "shipping"), defined beside the logic they run
in ``shipping.services``; Celery's autodiscovery imports this module."""

from shipping.services.bookings import expire_booking_holds
from shipping.services.carrier_sync import (
    booking_poll,
    booking_sync,
    poll_bookings_awaiting_carrier,
    redrive_booking_syncs,
)
from shipping.services.consolidation import (
    close_container_receiving,
    review_underfilled_containers,
)
from shipping.services.documents import trade_documents_issue_task
from shipping.services.schedules import pull_published_schedules
from shipping.services.tracking import (
    poll_quiet_tracking,
    tracking_end_task,
    tracking_poll_task,
    tracking_subscribe_task,
)

__all__ = [
    "booking_poll",
    "booking_sync",
    "close_container_receiving",
    "expire_booking_holds",
    "poll_bookings_awaiting_carrier",
    "pull_published_schedules",
    "poll_quiet_tracking",
    "redrive_booking_syncs",
    "review_underfilled_containers",
    "tracking_end_task",
    "tracking_poll_task",
    "tracking_subscribe_task",
    "trade_documents_issue_task",
]
