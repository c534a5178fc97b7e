"""The ocean freight rate the landed-cost estimate uses. ``shipping`` (a later app) registers
the network's shared-container rate in its ``AppConfig.ready()``; without it there is no
freight figure and the estimate says so."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

_rate_source: list[Callable[[], Decimal | None]] = []


def register_shared_container_rate(source: Callable[[], Decimal | None]) -> None:
    """``source()`` answers the network's current price per W/M (USD per cubic metre or tonne,
    whichever is greater) of space in a shared container, or None."""
    _rate_source[:] = [source]


def shared_container_rate() -> Decimal | None:
    return _rate_source[0]() if _rate_source else None
