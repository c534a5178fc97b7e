"""Demo data of deals: each part seeds its own (see ``demo_messages``, ``demo_quotations`` and
``demo_lists``), after the orders', shipping's and payments' demos."""

from __future__ import annotations

from deals import demo_lists, demo_messages, demo_quotations


def seed() -> str:
    return "; ".join(part.seed() for part in (demo_quotations, demo_messages, demo_lists))
