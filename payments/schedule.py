"""Periodic work of this app, merged into CELERY_BEAT_SCHEDULE by the settings."""

BEAT_SCHEDULE: dict = {
    "payments-release-due": {
        "task": "payments.tasks.release_due",
        "schedule": 3600.0,
    },
    "payments-escalate-claims": {
        "task": "payments.tasks.escalate_claims",
        "schedule": 900.0,
    },
}
