"""Periodic work of this app, merged into CELERY_BEAT_SCHEDULE by the settings."""

BEAT_SCHEDULE: dict = {
    # Images kept for product forms that failed and were never submitted again.
    "catalog-prune-pending-images": {
        "task": "catalog.tasks.pending_images_prune",
        "schedule": 3600.0,
    },
}
