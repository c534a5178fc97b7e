"""Celery tasks of the training app. Each is defined beside the logic it runs, in the services
package; Celery's autodiscovery imports this module, which names them all."""

from __future__ import annotations

from training.services.reminders import reminders_send
from training.services.waitlist import seat_offer_expire, seat_offers_expire

__all__ = ["reminders_send", "seat_offer_expire", "seat_offers_expire"]
