"""The one writer of stock. Every change of an ``Inventory`` row goes through this module, which
writes its ``InventoryLedger`` entry in the same statement batch; nothing else in the apps writes
either model (``tests/catalog/test_stock_owner.py`` checks).

The movements:

- ``stock_open``: the stock row of a new SKU, with its opening ledger entry;
- ``stock_set`` / ``stock_set_many``: a new figure on hand (a count, goods received, damage, a
  correction), one SKU or thousands at once;
- ``stock_import``: the rows of a spreadsheet import, new SKUs and existing ones;
- ``stock_reserve`` / ``stock_release`` / ``stock_ship``: an order's units held, given back,
  or taken out of the stock on hand when the goods leave;
- ``stock_seed``: the demo data's opening stock.

Rows are locked with ``SELECT … FOR UPDATE`` in primary-key (SKU id) order, the same order in
every transaction, so two callers naming the same SKUs in different orders wait for each other
instead of deadlocking. On hand never goes below what is reserved (the database checks it too).
A figure on hand that lowers the available stock to the low-stock threshold alerts the
merchant once, when it crosses (a notification to its staff and an ``inventory.low``
webhook); every movement marks the products it touched as changed for buyers' cached pages
(``network.cache.products_changed``; the browse page only when an in-stock flag turns).
Permissions are the callers' business: the catalogue's and the orders' services check who acts
before they move stock."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from catalog.errors import InvalidStockChange
from catalog.models import (
    SKU,
    Inventory,
    InventoryLedger,
    LedgerReason,
    ListingState,
    localized_lazy,
)
from network.cache import products_changed
from network.models import Organization, User
from network.prepared import PreparedQuery
from network.selectors import organization_staff
from network.services import audit, notification_send, webhook_emit

# --- Locks -------------------------------------------------------------------------------------


def stock_lock(sku_ids: Iterable[int]) -> dict[int, Inventory]:
    """Lock the SKUs' stock rows in primary-key order; keyed by SKU id (a SKU without a stock
    row is missing). The rows keep their merchant (``row.organization``)."""
    ids = sorted(set(sku_ids))
    if not ids:
        return {}
    # A buyer's order moves the stock of several merchants' SKUs: the rows are theirs, and the
    # callers (the catalogue's and the orders' services) checked who acts and on which SKUs.
    rows: list[Inventory] = _STOCK_ROWS.run(shape=len(ids), sku_ids=ids)
    return {row.sku_id: row for row in rows}


def _stock_rows_query(_count: int, *, sku_ids: list[int]) -> QuerySet[Inventory]:
    # Rows of several merchants, named by the callers' SKU ids (see ``stock_lock``).
    with scopes_disabled():
        return (
            Inventory.objects.select_for_update(of=("self",))
            .filter(sku_id__in=sku_ids)
            .select_related("sku", "organization")
            .order_by("pk")
        )


# Every purchase order locks its SKUs' rows: compiled once per number of SKUs.
_STOCK_ROWS = PreparedQuery(_stock_rows_query, sku_ids=[int])


def _integer_array(values: Iterable[int]) -> str:
    """Whole numbers as one PostgreSQL array literal, sent as a single string parameter and
    cast (``%s::integer[]``): psycopg2 adapts a list element by element in Python, some 20 ms
    for 10,000 numbers, where joining them into one string takes about one."""
    return "{" + ",".join(map(str, values)) + "}"


def _text_array(values: Iterable[str]) -> str:
    """Strings as one PostgreSQL array literal (``%s::text[]``), each element quoted with its
    backslashes and double quotes escaped, so any text a client sends stays one element."""
    quoted = ('"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' for value in values)
    return "{" + ",".join(quoted) + "}"


def stock_lock_codes(organization: Organization, codes: list[str]) -> dict[str, tuple]:
    """Lock the named rows of this merchant in primary-key order, in one statement; keyed by
    SKU code: (SKU id, on hand, reserved, low-stock threshold, listing active, product id)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT s.code, i.sku_id, i.on_hand, i.reserved, i.low_stock_threshold,
                   p.state = %s, s.product_id
            FROM catalog_inventory AS i JOIN catalog_sku AS s ON s.id = i.sku_id
                JOIN catalog_product AS p ON p.id = s.product_id
            WHERE i.organization_id = %s AND s.organization_id = %s AND s.code = ANY(%s::text[])
            ORDER BY i.sku_id
            FOR UPDATE OF i
            """,
            [ListingState.ACTIVE, organization.pk, organization.pk, _text_array(codes)],
        )
        return {row[0]: row[1:] for row in cursor.fetchall()}


def stock_check_removable(*, sku: SKU) -> None:
    """Lock the SKU's stock row before the SKU (and with it the row) is deleted; refuse while
    orders hold some of it."""
    inventory = stock_lock([sku.pk]).get(sku.pk)
    if inventory and inventory.reserved:
        raise InvalidStockChange(_("Stock of this SKU is reserved for orders."))


# --- Rules -------------------------------------------------------------------------------------


def below_reserved_error(*, on_hand: int, reserved: int) -> str:
    """The refusal of a figure on hand below what orders hold ("" when it is not): checked by
    every movement here, and by the import and the bulk API for each row before they write."""
    if on_hand < reserved:
        return _("%(reserved)s units are reserved for orders; on hand cannot go below that.") % {
            "reserved": reserved
        }
    return ""


# --- Alerts ------------------------------------------------------------------------------------


def crosses_low_stock(*, available_before: int, available_after: int, threshold: int) -> bool:
    """The available stock falls to the threshold with this change (and was above it)."""
    return available_before > threshold >= available_after


def _notify_low_stock(inventory: Inventory, sku: SKU, staff: list[User] | None = None) -> None:
    """Tell the merchant's ``staff`` (read here when not given) and its ``inventory.low``
    webhooks that the SKU's available stock fell to the threshold."""
    product = sku.product
    if staff is None:
        staff = organization_staff(organization=sku.organization)
    for user in staff:
        notification_send(
            email=user.email,
            recipient=user,
            organization=sku.organization,
            kind="catalog.low_stock",
            template="catalog/email/low_stock",
            context={
                "product": localized_lazy(product.title_en, product.title_zh_hans),
                "sku": sku.code,
                "available": inventory.available,
                "threshold": inventory.low_stock_threshold,
            },
            link=settings.SITE_URL + reverse("catalog:sku_edit", args=[sku.pk]),
        )
    webhook_emit(
        organization=sku.organization,
        event="inventory.low",
        payload={
            "sku": sku.code,
            "product": product.reference,
            "available": inventory.available,
            "threshold": inventory.low_stock_threshold,
        },
    )


def _alert(sku_ids: list[int]) -> None:
    if not sku_ids:
        return
    # The merchant's own movements (a count, an import): its scope is open. One merchant's
    # rows: its staff are read once, not once per row.
    staff: dict[int, list[User]] = {}
    for inventory in Inventory.objects.filter(pk__in=sku_ids).select_related(
        "sku__product", "sku__organization"
    ):
        organization = inventory.sku.organization
        if organization.pk not in staff:
            staff[organization.pk] = organization_staff(organization=organization)
        _notify_low_stock(inventory, inventory.sku, staff[organization.pk])


def _actor_id(acting_user: User | None) -> int | None:
    return acting_user.pk if acting_user is not None and acting_user.is_authenticated else None


# --- On hand -----------------------------------------------------------------------------------


def stock_open(
    *, sku: SKU, on_hand: int, low_stock_threshold: int, acting_user: User | None
) -> Inventory:
    """The stock row of a new SKU, with the opening figure in the ledger."""
    if on_hand < 0 or low_stock_threshold < 0:
        raise InvalidStockChange(_("Stock figures cannot be negative."))
    inventory = Inventory.objects.create(
        sku=sku,
        organization=sku.organization,
        on_hand=on_hand,
        low_stock_threshold=low_stock_threshold,
    )
    InventoryLedger.objects.create(
        organization=sku.organization,
        sku=sku,
        actor_id=_actor_id(acting_user),
        reason=LedgerReason.COUNT,
        note=_("Opening stock"),
        on_hand_before=0,
        on_hand_after=on_hand,
        reserved_before=0,
        reserved_after=0,
    )
    return inventory


def stock_set(
    *,
    sku: SKU,
    on_hand: int | None = None,
    delta: int | None = None,
    reason: str,
    note: str = "",
    acting_user: User | None,
    low_stock_threshold: int | None = None,
) -> Inventory:
    """Set the stock on hand of one SKU to ``on_hand``, or move it by ``delta`` from what the
    locked row holds (so two adjustments at once both count); optionally a new low-stock
    threshold. Never below what is reserved. Audited; alerts when the available stock crosses
    the threshold going down."""
    if reason not in LedgerReason.values:
        raise InvalidStockChange(_("Unknown reason for a stock change."))
    inventory = (
        Inventory.objects.select_for_update(of=("self",))
        .select_related("sku__product")
        .get(sku=sku)
    )
    if on_hand is None:
        on_hand = inventory.on_hand + (delta or 0)
    if on_hand < 0:
        raise InvalidStockChange(_("Stock on hand cannot be negative."))
    below = below_reserved_error(on_hand=on_hand, reserved=inventory.reserved)
    if below:
        raise InvalidStockChange(below)
    if low_stock_threshold is not None and low_stock_threshold < 0:
        raise InvalidStockChange(_("The low-stock threshold cannot be negative."))
    before_on_hand, before_available = inventory.on_hand, inventory.available
    before_threshold = inventory.low_stock_threshold
    inventory.on_hand = on_hand
    if low_stock_threshold is not None:
        inventory.low_stock_threshold = low_stock_threshold
    inventory.save(update_fields=["on_hand", "low_stock_threshold", "updated_at"])
    if before_on_hand != on_hand:
        # Quantities show on the product page; the browse page shows only the in-stock flag.
        product = inventory.sku.product
        flag_turned = (before_available > 0) != (inventory.available > 0)
        products_changed([product.pk], browse=flag_turned and product.state == ListingState.ACTIVE)
        InventoryLedger.objects.create(
            organization=inventory.organization,
            sku=sku,
            actor_id=_actor_id(acting_user),
            reason=reason,
            note=note[:200],
            on_hand_before=before_on_hand,
            on_hand_after=on_hand,
            reserved_before=inventory.reserved,
            reserved_after=inventory.reserved,
        )
    threshold = inventory.low_stock_threshold
    if crosses_low_stock(
        available_before=before_available, available_after=inventory.available, threshold=threshold
    ):
        _notify_low_stock(inventory, inventory.sku)
    audit(
        actor=acting_user,
        organization=inventory.organization,
        action="inventory.changed",
        target=inventory.sku,
        changes={
            "on_hand": [before_on_hand, on_hand],
            "reason": reason,
            **(
                {"low_stock_threshold": [before_threshold, threshold]}
                if threshold != before_threshold
                else {}
            ),
        },
    )
    return inventory


class OnHandChange(NamedTuple):
    """One row of ``stock_set_many``, read from a row locked by ``stock_lock_codes`` (a tuple:
    a bulk call makes 10,000 of them)."""

    sku_id: int
    on_hand_before: int
    on_hand_after: int
    reserved: int
    listing_active: bool
    threshold: int
    product_id: int

    @property
    def in_stock_turns(self) -> bool:
        """Whether the listing's in-stock flag (all the browse page shows) turns."""
        return (self.on_hand_before > self.reserved) != (self.on_hand_after > self.reserved)

    @property
    def crosses(self) -> bool:
        return crosses_low_stock(
            available_before=self.on_hand_before - self.reserved,
            available_after=self.on_hand_after - self.reserved,
            threshold=self.threshold,
        )


def stock_set_many(
    *,
    organization: Organization,
    changes: Sequence[OnHandChange],
    reason: str,
    note: str,
    acting_user: User | None,
) -> None:
    """Write new figures on hand for rows the caller locked (``stock_lock_codes``) and checked
    (never below reserved), with their ledger rows: one statement whatever the number of rows,
    the ``UPDATE … FROM unnest(…)`` and the ledger's ``INSERT … SELECT`` reading the same
    figures, sent once."""
    if not changes:
        return
    # In primary-key order, the rows are visited in the order of the table and its index.
    changes = sorted(changes)
    if any(c.on_hand_after < 0 or c.on_hand_after < c.reserved for c in changes):
        raise InvalidStockChange(_("Stock on hand cannot go below what is reserved."))
    # The columns of the rows, for the arrays of the statement.
    sku_ids, befores, afters, reserved, _active, _limits, product_ids = zip(*changes, strict=True)
    now = timezone.now()
    with connection.cursor() as cursor:
        # A data-modifying WITH always runs to completion, whether or not the INSERT reads it.
        cursor.execute(
            """
            WITH v AS (
                SELECT * FROM unnest(%s::integer[], %s::integer[], %s::integer[], %s::integer[])
                    AS v(sku_id, before, after, reserved)
            ), updated AS (
                UPDATE catalog_inventory AS i SET on_hand = v.after, updated_at = %s
                FROM v WHERE i.sku_id = v.sku_id
            )
            INSERT INTO catalog_inventoryledger (organization_id, sku_id, actor_id, reason, note,
                on_hand_before, on_hand_after, reserved_before, reserved_after, created_at)
            SELECT %s, v.sku_id, %s, %s, %s, v.before, v.after, v.reserved, v.reserved, %s
            FROM v
            """,
            [
                _integer_array(sku_ids),
                _integer_array(befores),
                _integer_array(afters),
                _integer_array(reserved),
                now,
                organization.pk,
                _actor_id(acting_user),
                reason,
                note[:200],
                now,
            ],
        )
    products_changed(
        set(product_ids),
        browse=any(c.listing_active and c.in_stock_turns for c in changes),
    )
    _alert([c.sku_id for c in changes if c.crosses])


@dataclass(frozen=True)
class ImportedStock:
    """One SKU of a spreadsheet import: a figure below 0 keeps what the row holds."""

    sku_id: int
    on_hand: int
    low_stock_threshold: int


def stock_import(
    *,
    organization: Organization,
    rows: Sequence[ImportedStock],
    existing_sku_ids: Iterable[int],
    acting_user: User | None,
) -> None:
    """Write an import's stock figures: the rows of existing SKUs locked in primary-key order
    and updated (never below reserved), new rows for new SKUs, the ledger for every figure that
    changes; a fixed number of statements whatever the number of rows, and the low-stock alerts
    of the rows whose available stock crosses the threshold. The importer refreshes buyers'
    pages once for the whole file."""
    locked = stock_lock(existing_sku_ids)
    now = timezone.now()
    new, changed, ledger, crossing = [], [], [], []
    note = _("Spreadsheet import")
    for row in rows:
        inventory = locked.get(row.sku_id)
        if inventory is None:
            on_hand = max(row.on_hand, 0)
            threshold = max(row.low_stock_threshold, 0)
            new.append((row.sku_id, on_hand, threshold))
            before, reserved = 0, 0
        else:
            before, reserved = inventory.on_hand, inventory.reserved
            on_hand = row.on_hand if row.on_hand >= 0 else inventory.on_hand
            threshold = (
                row.low_stock_threshold
                if row.low_stock_threshold >= 0
                else inventory.low_stock_threshold
            )
            below = below_reserved_error(on_hand=on_hand, reserved=reserved)
            if below:
                raise InvalidStockChange(below)
            changed.append((row.sku_id, on_hand, threshold))
            if crosses_low_stock(
                available_before=inventory.available,
                available_after=on_hand - reserved,
                threshold=threshold,
            ):
                crossing.append(row.sku_id)
        if on_hand != before:
            ledger.append((row.sku_id, before, on_hand, reserved))
    with connection.cursor() as cursor:
        if new:
            cursor.execute(
                """
                INSERT INTO catalog_inventory (sku_id, organization_id, on_hand, reserved,
                    low_stock_threshold, updated_at)
                SELECT v.sku_id, %s, v.on_hand, 0, v.threshold, %s
                FROM unnest(%s::integer[], %s::integer[], %s::integer[])
                    AS v(sku_id, on_hand, threshold)
                """,
                [organization.pk, now, *map(list, zip(*new, strict=True))],
            )
        if changed:
            cursor.execute(
                """
                UPDATE catalog_inventory AS i
                SET on_hand = v.on_hand, low_stock_threshold = v.threshold, updated_at = %s
                FROM unnest(%s::integer[], %s::integer[], %s::integer[])
                    AS v(sku_id, on_hand, threshold)
                WHERE i.sku_id = v.sku_id
                """,
                [now, *map(list, zip(*sorted(changed), strict=True))],
            )
        if ledger:
            cursor.execute(
                """
                INSERT INTO catalog_inventoryledger (organization_id, sku_id, actor_id, reason,
                    note, on_hand_before, on_hand_after, reserved_before, reserved_after,
                    created_at)
                SELECT %s, v.sku_id, %s, %s, %s, v.before, v.after, v.reserved, v.reserved, %s
                FROM unnest(%s::integer[], %s::integer[], %s::integer[], %s::integer[])
                    AS v(sku_id, before, after, reserved)
                """,
                [
                    organization.pk,
                    _actor_id(acting_user),
                    LedgerReason.IMPORT.value,
                    note,
                    now,
                    *map(list, zip(*ledger, strict=True)),
                ],
            )
    _alert(crossing)


def stock_seed(rows: Sequence[tuple[SKU, int, int]]) -> None:
    """The demo data's opening stock: (SKU, on hand, low-stock threshold) per new SKU, each
    with its opening ledger entry, in bulk."""
    Inventory.objects.bulk_create(
        [
            Inventory(
                sku=sku, organization=sku.organization, on_hand=on_hand, low_stock_threshold=low
            )
            for sku, on_hand, low in rows
        ],
        batch_size=2000,
    )
    InventoryLedger.objects.bulk_create(
        [
            InventoryLedger(
                organization=sku.organization,
                sku=sku,
                reason=LedgerReason.COUNT,
                note="Opening stock",
                on_hand_before=0,
                on_hand_after=on_hand,
                reserved_before=0,
                reserved_after=0,
            )
            for sku, on_hand, _low in rows
        ],
        batch_size=2000,
    )


# --- Orders ------------------------------------------------------------------------------------


def _move(
    quantities: dict[int, int],
    *,
    reason: str,
    note: str,
    acting_user: User | None,
    locked: dict[int, Inventory] | None = None,
) -> None:
    """Apply an order's movement to the rows, locked in primary-key order (``locked``: the
    caller's ``stock_lock`` of these SKUs in this transaction, else locked here): RESERVED adds
    to ``reserved`` (refused beyond the available stock), RELEASED takes it back, SHIPPED takes
    the units out of both ``on_hand`` and ``reserved``. One ``UPDATE … FROM unnest(…)`` for
    every row and one insert of the ledger, sent together, whatever the number of rows."""
    quantities = {sku_id: n for sku_id, n in quantities.items() if n}
    if not quantities:
        return
    if any(n < 0 for n in quantities.values()):
        raise InvalidStockChange(_("A quantity of stock cannot be negative."))
    rows = locked if locked is not None else stock_lock(quantities)
    # (merchant, SKU, on hand before and after, reserved before and after) of each row moved
    ledger: list[tuple[int, int, int, int, int, int]] = []
    touched: set[int] = set()
    flag_turned = False
    for sku_id in sorted(quantities):
        row, n = rows.get(sku_id), quantities[sku_id]
        if row is None:
            continue
        if reason == LedgerReason.RESERVED:
            if n > row.available:
                raise InvalidStockChange(
                    _("Only %(available)s units are available.") % {"available": row.available},
                    code="insufficient_stock",
                )
            on_hand, reserved = row.on_hand, row.reserved + n
        elif reason == LedgerReason.RELEASED:
            n = min(n, row.reserved)
            on_hand, reserved = row.on_hand, row.reserved - n
        else:  # shipped
            n = min(n, row.reserved)
            on_hand, reserved = row.on_hand - n, row.reserved - n
        touched.add(row.sku.product_id)
        flag_turned |= (row.on_hand > row.reserved) != (on_hand > reserved)
        ledger.append(
            (row.organization_id, row.sku_id, row.on_hand, on_hand, row.reserved, reserved)
        )
        # The row object follows, for a caller that reads it after the movement.
        row.on_hand, row.reserved = on_hand, reserved
    if not ledger:
        return
    organizations, skus, on_hand_before, on_hand_after, reserved_before, reserved_after = (
        list(column) for column in zip(*ledger, strict=True)
    )
    now = timezone.now()
    with connection.cursor() as cursor:
        # The rows are locked: the figures computed from them are the figures to write. The
        # rows and their ledger entries in one round trip, as the ORM would write them
        # (``InventoryLedger``), without building an instance of each entry first.
        cursor.execute(
            """
            UPDATE catalog_inventory AS i
            SET on_hand = v.on_hand, reserved = v.reserved, updated_at = %s
            FROM unnest(%s::bigint[], %s::integer[], %s::integer[]) AS v(sku_id, on_hand, reserved)
            WHERE i.sku_id = v.sku_id;
            INSERT INTO catalog_inventoryledger (
                organization_id, sku_id, actor_id, reason, note, on_hand_before, on_hand_after,
                reserved_before, reserved_after, created_at
            )
            SELECT organization_id, sku_id, %s, %s, %s, on_hand_before, on_hand_after,
                reserved_before, reserved_after, %s
            FROM unnest(
                %s::bigint[], %s::bigint[], %s::integer[], %s::integer[], %s::integer[],
                %s::integer[]
            ) AS l(
                organization_id, sku_id, on_hand_before, on_hand_after, reserved_before,
                reserved_after
            )
            """,
            [
                now,
                skus,
                on_hand_after,
                reserved_after,
                _actor_id(acting_user),
                str(reason),
                note[:200],
                now,
                organizations,
                skus,
                on_hand_before,
                on_hand_after,
                reserved_before,
                reserved_after,
            ],
        )
    # Stock available to buyers changed: the products' pages show the new figures at once, and
    # the browse page (which shows only whether a product is in stock) when a flag turns.
    products_changed(touched, browse=flag_turned)


def stock_reserve(
    quantities: dict[int, int],
    *,
    note: str,
    acting_user: User | None,
    locked: dict[int, Inventory] | None = None,
) -> None:
    """Hold {SKU id: units} for an order; refused (``insufficient_stock``) beyond what is
    available. Callers that name each short line lock the rows first (``stock_lock``), check
    them and pass them as ``locked``."""
    _move(
        quantities, reason=LedgerReason.RESERVED, note=note, acting_user=acting_user, locked=locked
    )


def stock_release(quantities: dict[int, int], *, note: str, acting_user: User | None) -> None:
    """Give back units an order held (a cancellation, a refused line)."""
    _move(quantities, reason=LedgerReason.RELEASED, note=note, acting_user=acting_user)


def stock_ship(quantities: dict[int, int], *, note: str, acting_user: User | None) -> None:
    """The held units leave the warehouse: out of both on hand and reserved."""
    _move(quantities, reason=LedgerReason.SHIPPED, note=note, acting_user=acting_user)
