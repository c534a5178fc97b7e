"""Stock of many SKUs in one call: set counts or adjust by deltas for up to 10,000 rows, with
compare-and-set on the quantity the client last saw.

Set-based: one locking ``SELECT … FOR UPDATE`` of every named row in primary-key order (the
order the orders app reserves in), one ``UPDATE … FROM unnest(…)``, one ``INSERT … SELECT`` of
the ledger rows and one audit row, whatever the number of rows. Low-stock alerts and
``inventory.low`` webhooks go out for the rows whose available stock crosses the threshold
going down, exactly as ``catalog.services.inventory_set`` sends them for one row."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_scopes import scopes_disabled

from catalog.errors import InvalidStockChange
from catalog.models import Inventory, LedgerReason, ListingState
from catalog.services import _notify_low_stock, _require_merchant_staff
from network.cache import products_changed
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


def _whole_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= _INT_LIMIT


def _parse_row(index: int, row: Any, operation: Operation):
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


def _lock(organization: Organization, codes: list[str]) -> dict[str, tuple]:
    """Lock the named rows of this merchant, in primary-key order; keyed by SKU code."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT s.code, i.sku_id, i.on_hand, i.reserved, i.low_stock_threshold,
                   p.state = %s, s.product_id
            FROM catalog_inventory AS i JOIN catalog_sku AS s ON s.id = i.sku_id
                JOIN catalog_product AS p ON p.id = s.product_id
            WHERE i.organization_id = %s AND s.organization_id = %s AND s.code = ANY(%s)
            ORDER BY i.sku_id
            FOR UPDATE OF i
            """,
            [ListingState.ACTIVE, organization.pk, organization.pk, codes],
        )
        return {row[0]: row[1:] for row in cursor.fetchall()}


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
    _require_merchant_staff(organization=organization, acting_user=acting_user)
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
    for index, row in enumerate(rows):
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
    locked = _lock(organization, [sku for _i, sku, _f, _e in parsed])

    # (sku_id, on_hand before, on_hand after, reserved, listing active, crosses the threshold,
    # product id)
    changes: list[tuple[int, int, int, int, int, bool, int]] = []
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
        if target < reserved:
            result.failed.append(
                RowError(
                    index,
                    sku,
                    "below_reserved",
                    _("%(reserved)s units are reserved for orders; on hand cannot go below that.")
                    % {"reserved": reserved},
                )
            )
            continue
        if target > _INT_LIMIT:
            result.failed.append(
                RowError(index, sku, "invalid_row", _("That is more stock than can be recorded."))
            )
            continue
        if target == on_hand:
            result.unchanged += 1
            continue
        crosses = on_hand - reserved > threshold >= target - reserved
        changes.append((sku_id, on_hand, target, reserved, active, crosses, product_id))

    if result.failed and mode == ALL_OR_NOTHING:
        raise StockRowsRejected(sorted(result.failed, key=lambda e: e.index))
    result.failed.sort(key=lambda e: e.index)
    result.applied = len(changes)
    if changes:
        _write(organization, changes, reason=reason, note=note[:200], acting_user=acting_user)
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


def _write(organization, changes, *, reason: str, note: str, acting_user: User) -> None:
    # In primary-key order, the rows are visited in the order of the table and its index.
    changes = sorted(changes)
    sku_ids = [c[0] for c in changes]
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE catalog_inventory AS i SET on_hand = v.on_hand, updated_at = %s
            FROM unnest(%s::integer[], %s::integer[]) AS v(sku_id, on_hand)
            WHERE i.sku_id = v.sku_id
            """,
            [now, sku_ids, [c[2] for c in changes]],
        )
        cursor.execute(
            """
            INSERT INTO catalog_inventoryledger (organization_id, sku_id, actor_id, reason, note,
                on_hand_before, on_hand_after, reserved_before, reserved_after, created_at)
            SELECT %s, v.sku_id, %s, %s, %s, v.before, v.after, v.reserved, v.reserved, %s
            FROM unnest(%s::integer[], %s::integer[], %s::integer[], %s::integer[])
                AS v(sku_id, before, after, reserved)
            """,
            [
                organization.pk,
                acting_user.pk if acting_user and acting_user.is_authenticated else None,
                reason,
                note,
                now,
                sku_ids,
                [c[1] for c in changes],
                [c[2] for c in changes],
                [c[3] for c in changes],
            ],
        )
    # Quantities show on the product pages; the browse page shows only the in-stock flag.
    products_changed(
        {c[6] for c in changes},
        browse=any(c[4] and (c[1] - c[3] > 0) != (c[2] - c[3] > 0) for c in changes),
    )
    with scopes_disabled():
        crossing = [c[0] for c in changes if c[5]]
        if crossing:
            for inventory in Inventory.objects.filter(pk__in=crossing).select_related(
                "sku__product", "sku__organization"
            ):
                _notify_low_stock(inventory, inventory.sku)
