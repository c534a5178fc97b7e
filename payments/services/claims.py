"""Claims (placeholder: see CONTRACT)."""

from __future__ import annotations

from network.models import User
from orders.models import ReceiptProblem


def claim_open_from_problem(*, problem: ReceiptProblem, acting_user: User) -> None:
    return None
