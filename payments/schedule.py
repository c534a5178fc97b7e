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
    # The weekly payout run: the first firing of a week (Monday, just after midnight) pays out;
    # later firings find that week's run made, or finish it if it was interrupted.
    "payments-payout-run": {
        "task": "payments.tasks.payout_run",
        "schedule": 3600.0,
    },
}
