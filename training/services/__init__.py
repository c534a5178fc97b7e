"""Every write of the training app. Each is atomic, checks its transition, writes an audit
record and sends its mail only after commit; each module holds one use case and this package
names them all for the rest of the project (its tasks, defined beside their logic, are named
in ``training.tasks``).

Locks are taken late and in one order: the seminar row first (it carries the seat counters and
the arrival counter), then registration rows. Seat counters only ever change with ``F()`` while
the seminar row is locked, and a check constraint refuses more seats than the capacity."""

from training.services.attendance import (
    BADGE_SEMINAR_GRADUATE,
    CHECK_IN_CLOSES_AFTER,
    CHECK_IN_OPENS_BEFORE,
    certificate_available,
    check_in_open,
    registration_check_in,
)
from training.services.calendar_feed import (
    calendar_feed_for,
    calendar_feed_reset,
)
from training.services.core import (
    ATTENDING_KINDS,
    INVITE_KINDS,
    MANAGERS_ONLY,
    REGISTRATION_TRANSITIONS,
    R,
    seminar_when,
    user_manages_registration,
)
from training.services.feedback import (
    feedback_submit,
)
from training.services.registrations import (
    registration_cancel,
    registration_create,
    waitlist_position,
)
from training.services.reminders import (
    REMINDERS,
    reminder_send,
    reminders_due,
)
from training.services.seminars import (
    CALENDAR_FIELDS,
    SEMINAR_EDITABLE_FIELDS,
    material_add,
    material_remove,
    seminar_cancel,
    seminar_create,
    seminar_publish,
    seminar_update,
)
from training.services.waitlist import (
    offer_accept,
    offer_expire,
    offers_due_for_expiry,
)

__all__ = [
    "ATTENDING_KINDS",
    "BADGE_SEMINAR_GRADUATE",
    "CALENDAR_FIELDS",
    "CHECK_IN_CLOSES_AFTER",
    "CHECK_IN_OPENS_BEFORE",
    "INVITE_KINDS",
    "MANAGERS_ONLY",
    "R",
    "REGISTRATION_TRANSITIONS",
    "REMINDERS",
    "SEMINAR_EDITABLE_FIELDS",
    "calendar_feed_for",
    "calendar_feed_reset",
    "certificate_available",
    "check_in_open",
    "feedback_submit",
    "material_add",
    "material_remove",
    "offer_accept",
    "offer_expire",
    "offers_due_for_expiry",
    "registration_cancel",
    "registration_check_in",
    "registration_create",
    "reminder_send",
    "reminders_due",
    "seminar_cancel",
    "seminar_create",
    "seminar_publish",
    "seminar_update",
    "seminar_when",
    "user_manages_registration",
    "waitlist_position",
]
