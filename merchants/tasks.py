"""Celery tasks of the merchant registry. Each is defined beside the logic it runs, in the
services package; Celery's autodiscovery imports this module, which names them all."""

from __future__ import annotations

from merchants.services.applications import operators_notify
from merchants.services.state import applicant_notify

__all__ = ["applicant_notify", "operators_notify"]
