"""Periodic work of this app, merged into CELERY_BEAT_SCHEDULE by the settings."""

BEAT_SCHEDULE: dict = {
    "orders-expire-unaccepted-merchant-orders": {
        "task": "orders.tasks.expire_unaccepted_merchant_orders",
        "schedule": 900.0,
    },
    # The dashboards' summary: the last week every 15 minutes (late rejections and
    # cancellations), and the whole year once a day.
    "orders-refresh-daily-sales": {
        "task": "orders.tasks.daily_sales_refresh",
        "schedule": 900.0,
        "kwargs": {"days": 7},
    },
    "orders-rebuild-daily-sales": {
        "task": "orders.tasks.daily_sales_refresh",
        "schedule": 86400.0,
        "kwargs": {"days": 400},
    },
}
