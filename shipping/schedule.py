"""Periodic work of this app, merged into CELERY_BEAT_SCHEDULE by the settings."""

BEAT_SCHEDULE: dict = {
    "shipping-expire-booking-holds": {
        "task": "shipping.tasks.expire_booking_holds",
        "schedule": 300.0,
    },
    "shipping-poll-bookings-awaiting-carrier": {
        "task": "shipping.tasks.poll_bookings_awaiting_carrier",
        "schedule": 120.0,
    },
    "shipping-pull-published-schedules": {
        "task": "shipping.tasks.pull_published_schedules",
        "schedule": 6 * 3600.0,
    },
    "shipping-poll-quiet-tracking": {
        "task": "shipping.tasks.poll_quiet_tracking",
        "schedule": 900.0,
    },
    "shipping-close-container-receiving": {
        "task": "shipping.tasks.close_container_receiving",
        "schedule": 300.0,
    },
    "shipping-review-underfilled-containers": {
        "task": "shipping.tasks.review_underfilled_containers",
        "schedule": 1800.0,
    },
}
