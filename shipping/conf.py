"""Shipping settings: each reads ``settings.SHIPPING_<NAME>``, else the environment variable of
the same name, else the default here."""

from __future__ import annotations

import os

from django.conf import settings

DEFAULTS = {
    # How long an unconfirmed booking holds its space before it expires.
    "SHIPPING_HOLD_HOURS": 48,
    # When to ask a carrier about a request it acknowledged but did not yet decide.
    "SHIPPING_POLL_AFTER_SECONDS": 10,
    # The simulated carrier: seconds before it decides, share of requests it rejects, share of
    # calls that fail as if the carrier were down, and the seed that makes its choices repeatable.
    "SHIPPING_SIMULATED_DELAY_SECONDS": 5,
    "SHIPPING_SIMULATED_REJECTION_RATE": 0.05,
    "SHIPPING_SIMULATED_FAILURE_RATE": 0.02,
    "SHIPPING_SIMULATED_SEED": "",
}


def get(name: str):
    default = DEFAULTS[name]
    if hasattr(settings, name):
        return getattr(settings, name)
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return type(default)(raw) if not isinstance(default, str) else raw


def get_optional(name: str) -> str:
    """A free-form setting with no default (e.g. a carrier's API address)."""
    return getattr(settings, name, None) or os.environ.get(name, "")
