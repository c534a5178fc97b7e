"""Periodic work of this app, merged into CELERY_BEAT_SCHEDULE by the settings."""

BEAT_SCHEDULE: dict = {
    # A lapsed seat offer moves on to the next person within five minutes.
    "training-expire-seat-offers": {
        "task": "training.tasks.seat_offers_expire",
        "schedule": 300.0,
    },
    # Reminders 7 days and 1 day before a seminar; each is stamped, so never sent twice.
    "training-send-reminders": {
        "task": "training.tasks.reminders_send",
        "schedule": 900.0,
    },
}
