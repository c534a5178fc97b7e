"""Periodic work of this app, merged into CELERY_BEAT_SCHEDULE by the settings."""

BEAT_SCHEDULE: dict = {
    "webhook-retry-due": {"task": "network.tasks.webhook_retry_due", "schedule": 60.0},
    "notification-mail-redrive": {
        "task": "network.tasks.notification_mail_redrive",
        "schedule": 300.0,
    },
    "idempotency-records-prune": {
        "task": "network.tasks.idempotency_records_prune",
        "schedule": 3600.0,
    },
}
