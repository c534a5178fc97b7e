"""Periodic work of this app, merged into CELERY_BEAT_SCHEDULE by the settings."""

BEAT_SCHEDULE: dict = {
    "orders-expire-unaccepted-merchant-orders": {
        "task": "orders.tasks.expire_unaccepted_merchant_orders",
        "schedule": 900.0,
    },
}
