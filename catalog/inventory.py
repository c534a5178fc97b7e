"""Stock of many SKUs in one call: set counts or adjust by deltas for up to 10,000 rows, with
compare-and-set on the quantity the client last saw.

This module checks the rows (compare-and-set, never below reserved, per-row errors);
``catalog.stock`` locks and writes them, set-based: one locking ``SELECT … FOR UPDATE`` of every
named row in primary-key order (the order the orders app reserves in), one statement that
updates them from ``unnest(…)`` and inserts their ledger rows, plus one audit row here, whatever
the number of rows (``tests/catalog/test_inventory_statements.py`` pins them). Low-stock
alerts and ``inventory.low`` webhooks go out for the rows whose available stock crosses the
threshold going down, exactly as for one row."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeGuard

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog.errors import InvalidStockChange
from catalog.models import LedgerReason
from catalog.services import require_catalogue_staff
from catalog.stock import OnHandChange, below_reserved_error, stock_lock_codes, stock_set_many
from network.errors import DomainError
from network.models import Organization, User
from network.services import audit

MAX_ROWS = 10_000
Operation = Literal["set", "adjust"]
ALL_OR_NOTHING = "all_or_nothing"
REJECT_FAILED_ROWS = "reject_failed_rows"
MODES = (ALL_OR_NOTHING, REJECT_FAILED_ROWS)
# Reasons a client may give; reservations and shipments belong to the orders app.
CLIENT_REASONS = (
    LedgerReason.COUNT,
    LedgerReason.RECEIVED,
    LedgerReason.DAMAGED,
    LedgerReason.CORRECTION,
)
_INT_LIMIT = 2_147_483_647  # PostgreSQL integer


@dataclass(frozen=True)
class RowError:
    index: int
    sku: str
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "sku": self.sku, "code": self.code, "message": self.message}


@dataclass
class BulkStockResult:
    """What a bulk call did: rows changed, rows already at the figure, rows refused."""

    applied: int = 0
    unchanged: int = 0
    failed: list[RowError] = field(default_factory=list)


class StockRowsRejected(DomainError):
    """All-or-nothing: at least one row was refused, so none was written; ``failed`` lists
    every refused row."""

    code = "rows_rejected"
    status = 422

    def __init__(self, failed: list[RowError]) -> None:
        super().__init__(
            ngettext(
                "%(count)s row was refused; no stock was changed.",
                "%(count)s rows were refused; no stock was changed.",
                len(failed),
            )
            % {"count": len(failed)}
        )
        self.failed = failed


def _whole_number(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= _INT_LIMIT


def _parse_row(
    index: int, row: Any, operation: Operation
) -> tuple[str, int, int | None] | RowError:
    """(sku, figure, expected) or a RowError for a row that is not well formed."""
    if not isinstance(row, dict):
        return RowError(index, "", "invalid_row", _("Each row is an object."))
    sku = row.get("sku")
    if not isinstance(sku, str) or not sku or len(sku) > 40 or "\x00" in sku:
        return RowError(index, "", "invalid_row", _("Each row names its SKU code in “sku”."))
    name = "quantity" if operation == "set" else "delta"
    figure = row.get(name)
    if not _whole_number(figure) or (operation == "set" and figure < 0):
        message = (
            _("“quantity” is a whole number of units, 0 or more.")
            if operation == "set"
            else _("“delta” is a whole number of units, negative to remove stock.")
        )
        return RowError(index, sku, "invalid_row", message)
    expected = row.get("expected_quantity")
    if expected is not None and (not _whole_number(expected) or expected < 0):
        return RowError(
            index, sku, "invalid_row", _("“expected_quantity” is a whole number, 0 or more.")
        )
    return sku, figure, expected


@transaction.atomic
def inventory_bulk_change(
    *,
    organization: Organization,
    operation: Operation,
    rows: Sequence[Any],
    mode: str = ALL_OR_NOTHING,
    reason: str | None = None,
    note: str = "",
    acting_user: User,
) -> BulkStockResult:
    """Set (``quantity``) or adjust (``delta``) the stock on hand of many SKUs at once, each
    row optionally only if on hand is still ``expected_quantity``. Never below what is
    reserved. All-or-nothing raises ``StockRowsRejected`` and writes nothing if any row fails;
    ``reject_failed_rows`` writes the good rows and returns the failed ones."""
    require_catalogue_staff(organization=organization, acting_user=acting_user)
    if mode not in MODES:
        raise InvalidStockChange(_("Unknown mode."), code="invalid_mode")
    if len(rows) > MAX_ROWS:
        raise InvalidStockChange(
            _("At most %(max)s rows per call.") % {"max": MAX_ROWS}, code="too_many_rows"
        )
    reason = reason or (LedgerReason.COUNT if operation == "set" else LedgerReason.CORRECTION)
    if reason not in CLIENT_REASONS:
        raise InvalidStockChange(_("Unknown reason for a stock change."), code="invalid_reason")

    result = BulkStockResult()
    parsed: list[tuple[int, str, int, int | None]] = []
    seen: set[str] = set()
    name = "quantity" if operation == "set" else "delta"
    lowest = 0 if operation == "set" else -_INT_LIMIT
    for index, row in enumerate(rows):
        # The usual row (a SKU code and a figure, nothing else) checked inline: a function
        # call per row costs as much as its checks on 10,000 rows. Any other row, well formed
        # or not, gets _parse_row's full checks and its error.
        if (
            type(row) is dict
            and type(sku := row.get("sku")) is str
            and 0 < len(sku) <= 40
            and type(figure := row.get(name)) is int
            and lowest <= figure <= _INT_LIMIT
            and row.get("expected_quantity") is None
            and "\x00" not in sku
        ):
            expected = None
        else:
            outcome = _parse_row(index, row, operation)
            if isinstance(outcome, RowError):
                result.failed.append(outcome)
                continue
            sku, figure, expected = outcome
        if sku in seen:
            result.failed.append(
                RowError(index, sku, "duplicate_sku", _("This SKU is already in an earlier row."))
            )
            continue
        seen.add(sku)
        parsed.append((index, sku, figure, expected))

    # Malformed rows do not stop the call: every refused row is reported at once.
    locked = stock_lock_codes(organization, [sku for _i, sku, _f, _e in parsed])

    changes: list[OnHandChange] = []
    for index, sku, figure, expected in parsed:
        current = locked.get(sku)
        if current is None:
            result.failed.append(RowError(index, sku, "unknown_sku", _("No SKU with this code.")))
            continue
        sku_id, on_hand, reserved, threshold, active, product_id = current
        if expected is not None and expected != on_hand:
            result.failed.append(
                RowError(
                    index,
                    sku,
                    "quantity_mismatch",
                    _("On hand is %(actual)s, not %(expected)s; read it again.")
                    % {"actual": on_hand, "expected": expected},
                )
            )
            continue
        target = figure if operation == "set" else on_hand + figure
        if target < 0:
            result.failed.append(
                RowError(index, sku, "negative_stock", _("Stock on hand cannot be negative."))
            )
            continue
        below = below_reserved_error(on_hand=target, reserved=reserved)
        if below:
            result.failed.append(RowError(index, sku, "below_reserved", below))
            continue
        if target > _INT_LIMIT:
            result.failed.append(
                RowError(index, sku, "invalid_row", _("That is more stock than can be recorded."))
            )
            continue
        if target == on_hand:
            result.unchanged += 1
            continue
        changes.append(
            OnHandChange(sku_id, on_hand, target, reserved, active, threshold, product_id)
        )

    if result.failed and mode == ALL_OR_NOTHING:
        raise StockRowsRejected(sorted(result.failed, key=lambda e: e.index))
    result.failed.sort(key=lambda e: e.index)
    result.applied = len(changes)
    stock_set_many(
        organization=organization,
        changes=changes,
        reason=reason,
        note=note,
        acting_user=acting_user,
    )
    audit(
        actor=acting_user,
        organization=organization,
        action="inventory.bulk_changed",
        changes={
            "operation": operation,
            "mode": mode,
            "reason": reason,
            "applied": result.applied,
            "unchanged": result.unchanged,
            "failed": len(result.failed),
        },
    )
    return result
