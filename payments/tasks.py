"""Celery tasks of payments (queue "payments"), defined beside the logic they run in
``payments.services``; Celery's autodiscovery imports this module."""

from payments.services.payouts import payout_run_task

__all__ = ["payout_run_task"]
