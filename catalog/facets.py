"""The browse page's totals and facet counts, without counting every matching listing.

Counting the public listings behind a browse page took five queries over the whole matching
set (measured with ``bench/catalog.py``: p95 88 ms at 100,000 products). Now:

* **Without a search** (the catalogue, a category, a state, a brand, a merchant, in stock):
  the counts are sums over ``FacetCount``, one row per merchant, category, brand and in-stock
  flag — a few thousand rows however many listings there are. The merchant's standing and
  state are joined when read (a suspension changes nothing here).
* **With a search** (or a price or MOQ filter, which the summary does not know): one
  statement over the matching listings, reading each row's columns once (``in_stock`` is a
  column, no longer a subquery per row), and only the first ``COUNT_CAP`` matches: a
  broader search says "1,000+" and counts its facets among those, because past a thousand
  results the buyer narrows the search rather than reads the numbers. A search ranked by
  relevance reads those same first matches to rank them: without a facet filter its counts
  are taken from them (``ranked_search``), and under one its capped total is their number.
* **The brand facet** sums one row per merchant and brand outside a category (``category``
  NULL), not one per merchant, category and brand: 1,200 rows instead of 44,000 at 100,000
  products in ``bench/catalog.py``.

Who keeps the summary: every write that could change the browse page already calls
``network.cache.products_changed(..., browse=True)`` (publishing, pausing, taking down,
editing, a SKU's stock turning to or from zero, an import); ``listings_changed`` is hooked in
there (``catalog.apps``). It recomputes the products' ``in_stock`` flags and their merchants'
summary rows at once inside the writer's transaction (so the request and the tests see it)
where no other writer holds them, and again after commit in a transaction of its own under a
lock per merchant, so concurrent writers always leave the summary as the committed data are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, connections, router, transaction

from catalog.models import ListingState, Product
from merchants.models import ApplicationStatus

COUNT_CAP = 1000
# pg_advisory_xact_lock(namespace << 32 + organization id): one merchant's summary at a time.
_LOCK_NAMESPACE = 0x0FAC


_IN_STOCK = """EXISTS (
    SELECT 1 FROM catalog_sku s JOIN catalog_inventory i ON i.sku_id = s.id
    WHERE s.product_id = p.id AND i.on_hand > i.reserved)"""


def _lock_function(wait: bool) -> str:
    return "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"


# The summary rows of some products (catalog/migrations/0009 fills the table with them): per
# merchant, category, brand and stock flag; per merchant, category and stock flag (brand NULL);
# and per merchant, brand and stock flag (category NULL), which the brand facet reads outside a
# category — a merchant sells a few brands across many categories, so these rows are few.
_RECOUNT = """
    (organization_id, category_id, brand, in_stock, listings)
    SELECT organization_id, CASE WHEN GROUPING(category_id) = 0 THEN category_id END,
           CASE WHEN GROUPING(brand) = 0 THEN brand END, in_stock, count(*)
    FROM catalog_product
"""
_RECOUNT_GROUPS = """
    GROUP BY GROUPING SETS (
        (organization_id, category_id, brand, in_stock),
        (organization_id, category_id, in_stock),
        (organization_id, brand, in_stock)
    )
"""


def _recount(cursor, organization_ids: list[int]) -> None:
    """Replace these (locked) merchants' summary rows by their active listings' counts."""
    cursor.execute(
        "DELETE FROM catalog_facetcount WHERE organization_id = ANY(%s)", [organization_ids]
    )
    cursor.execute(
        f"INSERT INTO catalog_facetcount {_RECOUNT} WHERE organization_id = ANY(%s) AND state = %s"
        f"{_RECOUNT_GROUPS}",  # noqa: S608 - constant SQL
        [organization_ids, ListingState.ACTIVE],
    )


def facet_counts_refresh(organization_ids: Iterable[int], *, wait: bool = True) -> None:
    """Recompute these merchants' ``FacetCount`` rows from their active listings. Each merchant
    is locked for the rest of the transaction first (in id order); without ``wait`` a merchant
    another transaction holds is skipped (its holder recounts after its commit)."""
    ids = sorted(set(organization_ids))
    if not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, {_lock_function(wait)}((%s::bigint << 32) + id) "  # noqa: S608
            "FROM unnest(%s::bigint[]) AS id ORDER BY id",
            [_LOCK_NAMESPACE, ids],
        )
        locked = [org for org, got in cursor.fetchall() if wait or got]
        if locked:
            _recount(cursor, locked)


def facet_counts_rebuild() -> None:
    """Recompute every product's ``in_stock`` and every merchant's summary rows: after rows
    were written in bulk without the services (the benchmark's seeding)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE catalog_product AS p SET in_stock = {_IN_STOCK} "  # noqa: S608 - constant
            f"WHERE p.in_stock IS DISTINCT FROM {_IN_STOCK}"
        )
        cursor.execute("SELECT DISTINCT organization_id FROM catalog_product")
        organization_ids = [row[0] for row in cursor.fetchall()]
    facet_counts_refresh(organization_ids)


def _refresh(product_ids: list[int], *, wait: bool) -> None:
    """Three statements: the products' ``in_stock`` (skipping rows another transaction holds
    unless ``wait``: its own refresh after commit sets them) and the lock of their merchants,
    then the locked merchants' summary rows, deleted and counted again."""
    skip = "" if wait else "SKIP LOCKED"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH stock AS (
                UPDATE catalog_product AS p SET in_stock = {_IN_STOCK}
                WHERE p.id IN (
                    SELECT id FROM catalog_product WHERE id = ANY(%(ids)s)
                    ORDER BY id FOR UPDATE {skip}
                ) AND p.in_stock IS DISTINCT FROM {_IN_STOCK}
            )
            SELECT id, {_lock_function(wait)}((%(namespace)s::bigint << 32) + id)
            FROM (SELECT DISTINCT organization_id AS id FROM catalog_product
                  WHERE id = ANY(%(ids)s)) AS merchants
            ORDER BY id
            """,  # noqa: S608 - constant SQL
            {"ids": product_ids, "namespace": _LOCK_NAMESPACE},
        )
        locked = [org for org, got in cursor.fetchall() if wait or got]
        if locked:
            _recount(cursor, locked)


def _refresh_after_commit(product_ids: list[int]) -> None:
    with transaction.atomic():
        _refresh(product_ids, wait=True)


def listings_changed(product_ids: Iterable[int]) -> None:
    """Hooked into ``products_changed(..., browse=True)``: bring these products' ``in_stock``
    and their merchants' summary rows up to date now (what no other transaction holds) and
    again once the transaction commits."""
    ids = sorted(set(product_ids))
    if not ids:
        return
    if not connection.in_atomic_block:
        _refresh_after_commit(ids)
        return
    _refresh(ids, wait=False)
    transaction.on_commit(lambda: _refresh_after_commit(ids))


# --- Reading the counts ------------------------------------------------------------------------


@dataclass(frozen=True)
class FacetFilters:
    """The filters a facet can leave out (each facet counts the choices beside its own)."""

    category_ids: list[int] | None = None
    state: str = ""
    brand: str = ""
    merchant: str = ""  # the organisation's slug
    in_stock: bool = False


def _conditions(filters: FacetFilters) -> tuple[dict[str, str], dict]:
    """SQL for each facet filter over the counted rows' columns (TRUE when not set), with its
    named parameters."""
    conditions = {"category": "TRUE", "state": "TRUE", "brand": "TRUE", "merchant": "TRUE"}
    params: dict = {}
    if filters.category_ids is not None:
        conditions["category"] = "category_id = ANY(%(category_ids)s)"
        params["category_ids"] = filters.category_ids
    if filters.state:
        conditions["state"] = "state = %(state)s"
        params["state"] = filters.state
    if filters.brand:
        conditions["brand"] = "upper(brand) = upper(%(brand)s)"
        params["brand"] = filters.brand
    if filters.merchant:
        conditions["merchant"] = (
            "organization_id = (SELECT id FROM network_organization WHERE slug = %(merchant)s)"
        )
        params["merchant"] = filters.merchant
    conditions["stock"] = "in_stock" if filters.in_stock else "TRUE"
    return conditions, params


# The column each facet groups by.
_COLUMNS = {"category": "category_id", "state": "state", "brand": "brand"}
_COLUMNS["merchant"] = "organization_id"
_TYPES = {"category_id": "bigint", "state": "text", "brand": "text", "organization_id": "bigint"}


def _facet_of_grouping(facets: tuple[str, ...]) -> str:
    """SQL naming the grouping set of each row: 'total' or the facet (``GROUPING()`` has a bit
    set for each column the row's set leaves out, the first column's the highest)."""
    if not facets:
        return "'total'"
    columns = ", ".join(_COLUMNS[facet] for facet in facets)
    every = (1 << len(facets)) - 1
    cases = " ".join(
        f"WHEN {every ^ (1 << (len(facets) - 1 - index))} THEN '{facet}'"
        for index, facet in enumerate(facets)
    )
    return f"CASE GROUPING({columns}) WHEN {every} THEN 'total' {cases} END"


def _but(conditions: dict[str, str], facet: str) -> str:
    return " AND ".join(f"({sql})" for name, sql in conditions.items() if name != facet)


def _brands_sql(source: str, conditions: dict[str, str]) -> str:
    """The brands of ``source`` under every filter but the brand, in the columns of
    ``_count_sql``."""
    return f"""
        SELECT NULL::bigint, NULL, brand, NULL::bigint, 'brand', count(*), NULL::numeric,
               NULL::numeric, NULL::numeric, NULL::numeric,
               sum(n) FILTER (WHERE {_but(conditions, "brand")} AND brand <> ''),
               NULL::numeric, NULL, NULL, NULL, NULL, NULL
        FROM ({source}) AS source WHERE {_but(conditions, "brand")} GROUP BY brand
    """  # noqa: S608 - the conditions are constant SQL with named parameters


def _count_sql(
    source: str,
    conditions: dict[str, str],
    facets=tuple(_COLUMNS),
    *,
    before: str = "",
    total_extra: str = "NULL",
) -> str:
    """One pass over ``source`` (rows with category_id, organization_id, brand, in_stock, state
    and a weight ``n``): the totals, the number of rows, and each of ``facets`` counted under
    every filter but its own, with the merchants' names. ``before`` names common table
    expressions ``source`` reads; ``total_extra`` is one more value, on the totals' row."""

    def but(facet: str) -> str:
        return _but(conditions, facet)

    sets = ", ".join(["()"] + [f"({_COLUMNS[facet]})" for facet in facets])
    # A filter no facet here leaves out narrows every count: it is applied to the rows.
    pushed = " AND ".join(f"({sql})" for name, sql in conditions.items() if name not in facets)
    keys = ", ".join(
        f"{column}" if facet in facets else f"NULL::{_TYPES[column]} AS {column}"
        for facet, column in _COLUMNS.items()
    )

    return f"""
        WITH {before}counts AS (
            SELECT {keys},
                   {_facet_of_grouping(facets)} AS facet,
                   count(*) AS source_rows,
                   sum(n) FILTER (WHERE {but("")}) AS total,
                   sum(n) FILTER (WHERE {but("")} AND in_stock) AS in_stock,
                   sum(n) FILTER (WHERE {but("category")}) AS category,
                   sum(n) FILTER (WHERE {but("state")}) AS state_n,
                   sum(n) FILTER (WHERE {but("brand")} AND brand <> '') AS brand_n,
                   sum(n) FILTER (WHERE {but("merchant")}) AS merchant
            FROM ({source}) AS source
            WHERE {pushed}
            GROUP BY GROUPING SETS ({sets})
        )
        SELECT counts.*, o.slug, a.dba, a.legal_name, o.name,
               CASE WHEN counts.facet = 'total' THEN {total_extra} END
        FROM counts
        LEFT JOIN network_organization AS o ON o.id = counts.organization_id
        LEFT JOIN merchants_merchantapplication AS a ON a.organization_id = o.id
    """  # noqa: S608 - the conditions are constant SQL with named parameters


def no_counts() -> dict:
    """The totals and facet counts of nothing."""
    return {
        "categories": {},
        "states": [],
        "brands": [],
        "merchants": [],
        "total": 0,
        "in_stock": 0,
        "capped": False,
    }


def _run(sql: str, params: dict) -> dict:
    counts: dict = {"categories": {}, "states": [], "brands": [], "merchants": []}
    # Counted where the listings beside them are read (a replica, see network.db_router).
    with connections[router.db_for_read(Product)].cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            (category_id, state, brand, _organization_id, facet, source_rows, total,
             in_stock, by_category, by_state, by_brand, by_merchant, slug, dba, legal_name,
             name, extra) = row  # fmt: skip
            if facet == "total":
                counts["rows"] = source_rows
                if extra is not None:
                    counts["extra"] = extra
                counts["total"], counts["in_stock"] = int(total or 0), int(in_stock or 0)
            elif facet == "category" and by_category:
                counts["categories"][category_id] = int(by_category)
            elif facet == "state" and by_state:
                counts["states"].append((state, int(by_state)))
            elif facet == "brand" and by_brand:
                counts["brands"].append((brand, int(by_brand)))
            elif facet == "merchant" and by_merchant:
                counts["merchants"].append((slug, dba, legal_name, name, int(by_merchant)))
    counts.setdefault("rows", 0)
    counts.setdefault("total", 0)
    counts.setdefault("in_stock", 0)
    counts["capped"] = False
    return counts


@dataclass(frozen=True)
class RankedSearch:
    """A search's best matches: the ids of the first ``COUNT_CAP`` + 1 matching listings,
    best first, and their totals with (``facets_counted``) or without their facet counts."""

    ids: list[int]
    counts: dict
    facets_counted: bool


def ranked_search(matches: str, params: list, *, count_facets: bool) -> RankedSearch:
    """Rank ``matches`` (SQL giving, for the first ``COUNT_CAP`` + 1 matching listings: id,
    rank, published_at, category_id, state, brand, organization_id, in_stock) and count them,
    in one statement: the ids best first (rank, then newest), the total and the number in
    stock, and with ``count_facets`` every facet's counts among them (the listings a facet
    counts when no facet filter is set). Sorting and counting a thousand rows in PostgreSQL
    sends a thousand ids instead of a thousand rows of twelve columns to sort and count here."""
    matches, params_named = _named(matches, params)
    conditions, _params = _conditions(FacetFilters())
    ranked = f"""
        ranked AS MATERIALIZED (
            SELECT * FROM ({matches}) AS matches (id, rank, published_at, category_id, state,
                                                  brand, organization_id, in_stock)
        ),
    """  # noqa: S608 - the matches are SQL with named parameters
    sql = _count_sql(
        "SELECT category_id, organization_id, brand, in_stock, 1 AS n, state FROM ranked",
        conditions,
        facets=tuple(_COLUMNS) if count_facets else (),
        before=ranked,
        total_extra=(
            "(SELECT array_agg(id ORDER BY rank DESC, published_at DESC NULLS LAST, id DESC)"
            " FROM ranked)"
        ),
    )
    counts = _run(sql, params_named)
    ids = counts.pop("extra", None) or []
    counts["capped"] = counts.pop("rows") > COUNT_CAP
    return RankedSearch(ids=ids, counts=counts, facets_counted=count_facets)


def summary_counts(filters: FacetFilters) -> dict:
    """Totals and facet counts of all public listings under ``filters``, from the summary, in
    one statement: everything but the brands from the rows of every brand (one per merchant,
    category and stock flag) or, under a brand filter, from that brand's rows; the brands
    from the rows of each brand under the other filters: outside a category from the rows of
    every category (one per merchant, brand and stock flag: 1,200 rows at 100,000 products in
    ``bench/catalog.py``, where the rows per category number 44,000)."""
    conditions, params = _conditions(filters)
    rows = """
        SELECT f.category_id, f.organization_id, f.brand, f.in_stock, f.listings AS n, a.state
        FROM catalog_facetcount AS f
        JOIN merchants_merchantapplication AS a ON a.organization_id = f.organization_id
        WHERE a.status = %(approved)s AND f.listings > 0
              AND f.brand IS {brands} AND f.category_id IS {categories}
    """
    everything = _count_sql(
        rows.format(brands="NOT NULL" if filters.brand else "NULL", categories="NOT NULL"),
        conditions,
        facets=("category", "state", "merchant"),
    )
    brands = _brands_sql(
        rows.format(
            brands="NOT NULL",
            categories="NULL" if filters.category_ids is None else "NOT NULL",
        ),
        conditions,
    )
    return _run(
        f"({everything}) UNION ALL ({brands})",
        {**params, "approved": ApplicationStatus.APPROVED},
    )


def _named(sql: str, values: list) -> tuple[str, dict]:
    """``sql`` with its ``%s`` parameters named (``where0``, ``where1``…)."""
    parts = sql.split("%s")
    named = parts[0] + "".join(f"%(where{i})s{part}" for i, part in enumerate(parts[1:]))
    return named, {f"where{i}": value for i, value in enumerate(values)}


def matching_counts(
    filters: FacetFilters,
    *,
    where: str,
    where_params: list,
    matching_all: tuple[int, int] | None = None,
) -> dict:
    """Totals and facet counts of the public listings matching ``where`` (SQL over the product
    ``f``: the search and the filters the summary does not know), counted among the first
    ``COUNT_CAP`` + 1 listings that some facet counts (those failing at most one facet
    filter), in one statement. ``capped`` says there were more: the total then reads
    "1,000+" (counted again under every filter, up to the cap, when a facet filter is set)
    and the facets show no numbers. ``matching_all`` gives that capped total and its number in
    stock when the caller has read them already (the ranked search reads the same first
    ``COUNT_CAP`` + 1 listings matching every filter)."""
    conditions, params = _conditions(filters)
    where, where_named = _named(where, where_params)
    params.update(where_named, approved=ApplicationStatus.APPROVED, active=ListingState.ACTIVE)
    failing = " + ".join(f"(NOT ({sql}))::int" for sql in conditions.values())
    matched = f"""
        SELECT f.category_id, f.organization_id, f.brand, f.in_stock, 1 AS n, a.state
        FROM catalog_product AS f
        JOIN merchants_merchantapplication AS a ON a.organization_id = f.organization_id
        WHERE a.status = %(approved)s AND f.state = %(active)s AND ({where})
    """  # noqa: S608 - constant SQL with named parameters
    source = f"SELECT * FROM ({matched}) AS matched WHERE {failing} <= 1 LIMIT {COUNT_CAP + 1}"  # noqa: S608
    counts = _run(_count_sql(source, conditions), params)
    counts["capped"] = counts.pop("rows") > COUNT_CAP
    if counts["capped"] and matching_all is not None:
        counts["total"], counts["in_stock"] = matching_all
    elif counts["capped"] and any(sql != "TRUE" for sql in conditions.values()):
        everything = " AND ".join(f"({sql})" for sql in conditions.values())
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*), count(*) FILTER (WHERE in_stock) FROM "  # noqa: S608
                f"(SELECT in_stock FROM ({matched}) AS matched WHERE {everything} "
                f"LIMIT {COUNT_CAP + 1}) AS capped",
                params,
            )
            counts["total"], counts["in_stock"] = cursor.fetchone()
    return counts
