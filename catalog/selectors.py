"""Reads of the catalogue: the public marketplace (active listings of approved merchants), a
merchant's own catalogue, and the unit price of a quantity for the orders app.

Public reads go through the models' ``objects.public()`` (``catalog.models``), which filters on
the listing state *and* the merchant's current application status, so a suspended merchant's
listings vanish at once without any copy of its standing on the products. A merchant's own rows
are read with ``visible_to``; the ``access_*`` functions fetch one row a page or an API view
names, or raise ``RecordNotFound`` (a 404) for anyone who is not a party to it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    prefetch_related_objects,
)
from django.db.models.expressions import RawSQL
from django.db.models.sql import Query
from django.utils.translation import gettext_lazy as _

from catalog import facets
from catalog.facets import FacetFilters, RankedSearch, matching_counts, summary_counts
from catalog.models import (
    SKU,
    Category,
    ImportJob,
    Inventory,
    InventoryLedger,
    ListingState,
    PriceList,
    PriceListEntry,
    PriceListTier,
    PriceTier,
    Product,
    ProductImage,
    TariffLine,
    localized,
)
from catalog.search import build_search_query
from merchants.models import ApplicationStatus
from merchants.us_states import state_name
from network.cache import product_cache, product_cached, public_listings_version
from network.db_router import cache_seconds, cache_variant
from network.errors import DomainError
from network.models import ExchangeRate, Organization
from network.selectors import exchange_rate_day, exchange_rate_in_force
from network.tenancy import found

SORTS = {
    "relevance": _("Best match"),
    "newest": _("Newest"),
    "price_asc": _("Price: low to high"),
    "price_desc": _("Price: high to low"),
    "moq_asc": _("Lowest MOQ"),
}
PAGE_SIZE = 24


# --- Categories --------------------------------------------------------------------------------


@dataclass
class CategoryTree:
    """The whole tree from one query: nodes by id, children, and descendants."""

    nodes: dict[int, Category]
    children: dict[int | None, list[Category]]

    def descendant_ids(self, category_id: int) -> list[int]:
        ids, stack = [], [category_id]
        while stack:
            current = stack.pop()
            ids.append(current)
            stack.extend(child.pk for child in self.children.get(current, []))
        return ids

    def ancestors(self, category: Category) -> list[Category]:
        chain: list[Category] = []
        node: Category | None = category
        while node is not None:
            chain.append(node)
            node = self.nodes.get(node.parent_id) if node.parent_id else None
        return list(reversed(chain))

    def by_slug(self, slug: str) -> Category | None:
        return next((c for c in self.nodes.values() if c.slug == slug), None)

    def flat(self) -> list[tuple[Category, int]]:
        """(category, depth) in tree order, for select boxes."""
        result: list[tuple[Category, int]] = []

        def walk(parent_id: int | None, depth: int) -> None:
            for node in self.children.get(parent_id, []):
                result.append((node, depth))
                walk(node.pk, depth + 1)

        walk(None, 0)
        return result


def category_tree() -> CategoryTree:
    nodes = {c.pk: c for c in Category.objects.order_by("position", "name_en")}
    children: dict[int | None, list[Category]] = {}
    for node in nodes.values():
        children.setdefault(node.parent_id, []).append(node)
    return CategoryTree(nodes=nodes, children=children)


# --- Public listings ---------------------------------------------------------------------------


def public_products() -> QuerySet[Product]:
    """Active listings of approved (not suspended) merchants: ``Product.objects.public()``."""
    return Product.objects.public()


def _in_stock(stock: QuerySet[Inventory] | None = None) -> Exists:
    """Whether the product has a SKU with stock available, among ``stock`` (the public stock
    rows unless given)."""
    rows = Inventory.objects.public() if stock is None else stock
    return Exists(rows.filter(sku__product=OuterRef("pk"), on_hand__gt=F("reserved")))


def _first_image_id(images: QuerySet[ProductImage]) -> Subquery:
    return Subquery(
        images.filter(product=OuterRef("pk")).order_by("position", "pk").values("pk")[:1]
    )


def _attach_stock_and_image(products: list[Product]) -> None:
    """Set ``has_stock``, ``sku_variants`` ((English, Chinese) names of its SKUs' variants, by
    SKU code) and ``image_id`` on a page of public products: two queries on exactly these ids. (As
    correlated subqueries in the page query, PostgreSQL may hash the whole stock and image
    tables before applying the LIMIT, which costs hundreds of milliseconds at 100,000
    products.)"""
    ids = [p.pk for p in products]
    if not ids:
        return
    in_stock: set[int] = set()
    variants: dict[int, list[tuple[str, str]]] = {}
    # Every SKU has its stock row, so one query gives both the stock and the variant names.
    for product_id, variant_en, variant_zh, available in (
        Inventory.objects.public()
        .filter(sku__product_id__in=ids)
        .order_by("sku__product_id", "sku__code")
        .values_list(
            "sku__product_id",
            "sku__variant_en",
            "sku__variant_zh_hans",
            F("on_hand") - F("reserved"),
        )
    ):
        if available > 0:
            in_stock.add(product_id)
        if variant_en:
            variants.setdefault(product_id, []).append((variant_en, variant_zh))
    first_images = dict(
        ProductImage.objects.public()
        .filter(product_id__in=ids)
        .order_by("product_id", "position", "pk")
        .distinct("product_id")
        .values_list("product_id", "pk")
    )
    for product in products:
        product.has_stock = product.pk in in_stock
        product.sku_variants = variants.get(product.pk, [])
        product.image_id = first_images.get(product.pk)


@dataclass
class BrowseFilters:
    query: str = ""
    category: str = ""  # slug; includes its descendants
    state: str = ""  # the merchant's US state
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    max_moq: int | None = None
    brand: str = ""
    merchant: str = ""  # the merchant organisation's slug
    in_stock: bool = False
    sort: str = ""


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    depth: int = 0
    selected: bool = False


@dataclass
class BrowseResult:
    page: Page
    total: int
    in_stock_count: int
    categories: list[FacetValue] = field(default_factory=list)
    states: list[FacetValue] = field(default_factory=list)
    brands: list[FacetValue] = field(default_factory=list)
    merchants: list[FacetValue] = field(default_factory=list)
    sort: str = "newest"
    searched: bool = False
    tree: CategoryTree | None = None
    # More listings matched than were counted (catalog.facets.COUNT_CAP): the total reads
    # "1,000+" and the facets show no numbers.
    capped: bool = False

    count_cap: int = 0  # catalog.facets.COUNT_CAP

    @property
    def total_capped(self) -> bool:
        return self.total > self.count_cap


def _on_products(
    products: QuerySet[Product], filters: BrowseFilters, tree: CategoryTree
) -> QuerySet[Product]:
    """``products`` under the filters on the product's own columns: the search, the category,
    the brand, the price, the MOQ and the stock."""
    search = build_search_query(filters.query)
    if search is not None:
        products = products.filter(search_vector=search)
    if filters.category:
        category = tree.by_slug(filters.category)
        products = (
            products.filter(category_id__in=tree.descendant_ids(category.pk))
            if category
            else products.none()
        )
    if filters.brand:
        products = products.filter(brand__iexact=filters.brand)
    if filters.price_min is not None:
        products = products.filter(price_max_usd__gte=filters.price_min)
    if filters.price_max is not None:
        products = products.filter(price_min_usd__lte=filters.price_max)
    if filters.max_moq is not None:
        products = products.filter(moq_min__lte=filters.max_moq)
    if filters.in_stock:
        products = products.filter(in_stock=True)
    return products


def _filtered(filters: BrowseFilters, tree: CategoryTree) -> QuerySet[Product]:
    """Public listings matching every filter."""
    products = _on_products(public_products(), filters, tree)
    if filters.state:
        products = products.filter(organization__merchant_application__state=filters.state)
    if filters.merchant:
        products = products.filter(organization__slug=filters.merchant)
    return products


def _search_matches(filters: BrowseFilters, tree: CategoryTree) -> QuerySet[Product]:
    """The public listings matching every filter, for a search: the merchants a state or a
    merchant filter leaves as one array of ids, computed once (``= ANY(ARRAY(…))``), so that
    the text index's bitmap is ANDed with the merchant index's. Joined to the merchants,
    PostgreSQL looped over the merchants of a state through the merchant index and tested the
    search on every one of their listings (15,000 buffers for "organic" in Michigan at 100,000
    products, against 2,200 this way)."""
    products = _on_products(public_products(), filters, tree)
    if not (filters.state or filters.merchant):
        return products
    merchants, params = ["SELECT organization_id FROM merchants_merchantapplication WHERE TRUE"], []
    if filters.state:
        merchants.append("AND state = %s")
        params.append(filters.state)
    if filters.merchant:
        merchants.append(
            "AND organization_id IN (SELECT id FROM network_organization WHERE slug = %s)"
        )
        params.append(filters.merchant)
    in_merchants = RawSQL(  # noqa: S611 - constant SQL with its parameters
        f'"catalog_product"."organization_id" = ANY(ARRAY({" ".join(merchants)}))',
        params,
        output_field=BooleanField(),
    )
    return products.filter(in_merchants)


FACET_CACHE_SECONDS = 600


def _rank_candidates() -> int:
    """How many of the first matches a search ranks: as many as it counts (catalog.facets)."""
    return facets.COUNT_CAP + 1


def _tsquery_sql(search: SearchQuery) -> tuple[str, list]:
    query = Query(Product)
    return query.get_compiler(connection=connection).compile(search.resolve_expression(query))


def _count_browse(
    filters: BrowseFilters, tree: CategoryTree, ranked: RankedSearch | None = None
) -> dict:
    """Totals and facet counts (``catalog.facets``): from the summary without a search, else
    among the first matches, in one statement either way (a second one counts a broad search
    under its facet filters, unless the ``ranked`` search read them: as many rows as it counts,
    each with its in-stock flag last)."""
    category = tree.by_slug(filters.category) if filters.category else None
    facet_filters = FacetFilters(
        category_ids=(
            (tree.descendant_ids(category.pk) if category else []) if filters.category else None
        ),
        state=filters.state,
        brand=filters.brand,
        merchant=filters.merchant,
        in_stock=filters.in_stock,
    )
    where, params = [], []
    search = build_search_query(filters.query)
    if search is not None:
        sql, search_params = _tsquery_sql(search)
        where.append(f"f.search_vector @@ {sql}")
        params.extend(search_params)
    for column, operator, value in (
        ("price_max_usd", ">=", filters.price_min),
        ("price_min_usd", "<=", filters.price_max),
        ("moq_min", "<=", filters.max_moq),
    ):
        if value is not None:
            where.append(f"f.{column} {operator} %s")
            params.append(value)
    if not where:
        return summary_counts(facet_filters)
    if ranked is not None and ranked.facets_counted:
        # No facet filter: the ranked matches are the very listings the facets count.
        return ranked.counts
    return matching_counts(
        facet_filters,
        where=" AND ".join(where),
        where_params=params,
        matching_all=(
            None if ranked is None else (ranked.counts["total"], ranked.counts["in_stock"])
        ),
    )


def _browse_counts(
    filters: BrowseFilters,
    tree: CategoryTree,
    *,
    use_cache: bool,
    ranked: RankedSearch | None = None,
) -> dict:
    """Totals and facet counts, kept per set of filters and version of the public listings
    (``network.cache``), so every page of the same filters reuses them until a listing
    changes."""
    key = (
        "catalog:browse-counts"
        + cache_variant()  # counts read on a replica are kept apart (network.db_router)
        + ":"
        + hashlib.sha256(
            repr(
                (
                    public_listings_version() if use_cache else 0,
                    filters.query.strip().lower(),
                    filters.category,
                    filters.state,
                    filters.brand.lower(),
                    filters.merchant,
                    str(filters.price_min),
                    str(filters.price_max),
                    filters.max_moq,
                    filters.in_stock,
                )
            ).encode()
        ).hexdigest()
    )
    if use_cache:
        cached = cache.get(key)
        if cached is not None:
            return cached
    counts = _count_browse(filters, tree, ranked)
    counts["brands"] = sorted(counts["brands"], key=lambda item: (-item[1], item[0]))[:20]
    counts["states"] = sorted(counts["states"], key=lambda item: -item[1])
    # The chosen merchant first, so that it is listed however few products it has.
    counts["merchants"] = sorted(
        counts["merchants"],
        key=lambda item: (item[0] != filters.merchant, -item[4], item[3]),
    )[:20]
    if use_cache:
        cache.set(key, counts, cache_seconds(FACET_CACHE_SECONDS))
    return counts


# The columns of a ranked match: what ranks it, then what the facets count (catalog.facets).
_RANKED_COLUMNS = (
    "pk",
    "rank",
    "published_at",
    "category_id",
    "organization__merchant_application__state",
    "brand",
    "organization_id",
    "in_stock",
)


def _ranked_search(filters: BrowseFilters, tree: CategoryTree, search: SearchQuery) -> RankedSearch:
    """The first matches the index finds (as many as ``catalog.facets`` counts), ranked, with
    their totals and, without a facet filter, their facet counts, in one statement (ranking
    every match of a broad search reads all of them, 10,000 rows for "organic" at 100,000
    products)."""
    matches = (
        _search_matches(filters, tree)
        .order_by()
        .annotate(rank=SearchRank(F("search_vector"), search, weights=[0.1, 0.2, 0.4, 1.0]))
        .values_list(*_RANKED_COLUMNS)[: _rank_candidates()]
    )
    try:
        sql, params = matches.query.sql_with_params()
    except EmptyResultSet:  # a filter nothing can pass (a category without listings' ids)
        return facets.RankedSearch(ids=[], counts=facets.no_counts(), facets_counted=True)
    return facets.ranked_search(
        sql, list(params), count_facets=not (filters.category or _facet_filtered(filters))
    )


def _facet_filtered(filters: BrowseFilters) -> bool:
    """Whether a filter that a facet leaves out is set (category aside)."""
    return bool(filters.state or filters.brand or filters.merchant or filters.in_stock)


# What a browse card and the API's list show of a listing, its merchant and its category: the
# rest (descriptions, search vectors, the merchant's application) is many times larger and was
# most of the page query's time, sent and turned into objects for nothing.
_PAGE_COLUMNS = (
    "title_en",
    "title_zh_hans",
    "brand",
    "category__slug",
    "category__name_en",
    "category__name_zh_hans",
    "category__parent_id",
    "price_min_usd",
    "price_max_usd",
    "moq_min",
    "lead_time_days",
    "published_at",
    "organization__slug",
    "organization__name",
    "organization__kind",
    "organization__merchant_application__dba",
    "organization__merchant_application__legal_name",
    "organization__merchant_application__state",
)


def _ranked_page(
    listing: QuerySet[Product],
    ranked: RankedSearch,
    *,
    page_number: int | str | None,
    per_page: int,
) -> tuple[Page, list[Product]]:
    """A page of the ``ranked`` matches (best first), then the page's rows."""
    ids: list[Any] = ranked.ids
    page = Paginator(ids, per_page).get_page(page_number)
    rows = listing.in_bulk(page.object_list)
    products = [rows[pk] for pk in page.object_list if pk in rows]
    page.object_list = products
    return page, products


def product_browse(
    *,
    filters: BrowseFilters,
    page_number: int | str | None = 1,
    per_page: int = PAGE_SIZE,
    use_cache: bool = True,
) -> BrowseResult:
    """One page of public listings with facet counts, in a fixed number of queries whatever the
    page size: categories, (unless cached) the totals and facet counts in one statement
    (``catalog.facets``), the page, its stock and its images. A search ranks its best matches
    among the first ``catalog.facets.COUNT_CAP`` it finds, as it counts them; those ranked
    matches are also the capped total of a broad search under a facet filter."""

    tree = category_tree()
    search = build_search_query(filters.query)
    sort = filters.sort if filters.sort in SORTS else ("relevance" if search else "newest")
    if sort == "relevance" and search is None:
        sort = "newest"

    ranked = None
    if sort == "relevance" and search is not None:
        ranked = _ranked_search(filters, tree, search)
    counts = _browse_counts(filters, tree, use_cache=use_cache, ranked=ranked)
    listing = (
        _filtered(filters, tree)
        .select_related("organization", "organization__merchant_application", "category")
        .only(*_PAGE_COLUMNS)
    )
    if ranked is not None:
        page, products = _ranked_page(listing, ranked, page_number=page_number, per_page=per_page)
    else:
        if sort == "price_asc":
            listing = listing.order_by("price_min_usd", "-pk")
        elif sort == "price_desc":
            listing = listing.order_by(F("price_max_usd").desc(nulls_last=True), "-pk")
        elif sort == "moq_asc":
            listing = listing.order_by("moq_min", "-pk")
        else:
            listing = listing.order_by("-published_at", "-pk")
        paginator = Paginator(listing, per_page)
        paginator.count = counts["total"]  # already counted
        page = paginator.get_page(page_number)
        products = list(page.object_list)
        page.object_list = products
    _attach_stock_and_image(products)
    totals = counts
    category_counts = counts["categories"]
    state_counts = counts["states"]
    brand_counts = counts["brands"]

    # Roll counts up the tree: a parent counts its descendants' products.
    rolled: dict[int, int] = {}
    for category_id, count in category_counts.items():
        node = tree.nodes.get(category_id)
        while node is not None:
            rolled[node.pk] = rolled.get(node.pk, 0) + count
            node = tree.nodes.get(node.parent_id) if node.parent_id else None
    selected = tree.by_slug(filters.category) if filters.category else None
    open_ids = {c.pk for c in tree.ancestors(selected)} if selected else set()
    category_facets = [
        FacetValue(
            value=node.slug,
            label=node.name,
            count=rolled.get(node.pk, 0),
            depth=depth,
            selected=node.slug == filters.category,
        )
        for node, depth in tree.flat()
        if rolled.get(node.pk) and (depth == 0 or node.parent_id in open_ids)
    ]
    state_facets = [
        FacetValue(
            value=code,
            label=state_name(code),
            count=n,
            selected=code == filters.state,
        )
        for code, n in state_counts
        if code
    ]
    brand_facets = [
        FacetValue(value=b, label=b, count=n, selected=b.lower() == filters.brand.lower())
        for b, n in brand_counts
    ]
    merchant_facets = [
        FacetValue(
            value=slug,
            label=dba or legal_name or name,  # as MerchantApplication.display_name
            count=n,
            selected=slug == filters.merchant,
        )
        for slug, dba, legal_name, name, n in counts["merchants"]
    ]
    return BrowseResult(
        page=page,
        total=totals["total"],
        in_stock_count=totals["in_stock"],
        capped=counts["capped"],
        count_cap=facets.COUNT_CAP,
        categories=category_facets,
        states=state_facets,
        brands=brand_facets,
        merchants=merchant_facets,
        sort=sort,
        searched=search is not None,
        tree=tree,
    )


def merchant_listings_page(
    *, organization: Organization, page_number: int | str | None = 1, per_page: int = 12
) -> Page:
    """One page of a merchant's public listings, newest first, for its profile: the count, the
    page (with merchant and category), its stock flags and first images; four queries."""
    listing = (
        public_products()
        .filter(organization=organization)
        .select_related("organization", "organization__merchant_application", "category")
        .order_by("-published_at", "-pk")
    )
    page = Paginator(listing, per_page).get_page(page_number)
    page.object_list = list(page.object_list)
    _attach_stock_and_image(page.object_list)
    return page


@dataclass
class BrowseCard:
    """What a product card shows, computed once (no per-card template work)."""

    product_id: int
    image_id: int | None
    title: str
    variant: str  # what tells it apart from the merchant's other listings of the product
    byline: str
    price_usd: str
    price_cny: str
    moq: int | None
    has_stock: bool


def _money(amount: Decimal | None) -> str:
    return "" if amount is None else f"{amount:,.2f}"


def _variant_line(variants: list[tuple[str, str]], *, shown: int = 3) -> str:
    """The SKUs' variants in the reader's language ("500 ml · 1 L"), the first few of many."""
    names = list(dict.fromkeys(localized(en, zh) for en, zh in variants))
    if len(names) <= shown:
        return " · ".join(names)
    return _("%(variants)s and %(count)s more") % {
        "variants": " · ".join(names[:shown]),
        "count": len(names) - shown,
    }


def browse_cards(
    products: list[Product], *, exchange_rate: ExchangeRate | None = None
) -> list[BrowseCard]:
    """The cards of a browse page (no queries: the page query selected merchants)."""
    cards = []
    for product in products:
        application = getattr(product.organization, "merchant_application", None)
        parts = [product.brand] if product.brand else []
        if application is not None:
            parts.append(application.display_name)
            if application.state:
                parts.append(state_name(application.state))
        low, high = product.price_min_usd, product.price_max_usd
        price = _money(low) if low == high else f"{_money(low)}–{_money(high)}"
        cny = ""
        if exchange_rate is not None and low is not None:
            rate = exchange_rate.rate
            cny = _money((low * rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
            if high is not None and high != low:
                cny += "–" + _money((high * rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
        cards.append(
            BrowseCard(
                product_id=product.pk,
                image_id=getattr(product, "image_id", None),
                title=product.title,
                variant=_variant_line(getattr(product, "sku_variants", [])),
                byline=" · ".join(parts),
                price_usd=price,
                price_cny=cny,
                moq=product.moq_min,
                has_stock=getattr(product, "has_stock", False),
            )
        )
    return cards


def product_search_ids(query: str, *, limit: int = 24) -> list[int]:
    """The best-matching public product ids for a query (used by the benchmark and the API),
    ranked among the first ``catalog.facets.COUNT_CAP`` matches as the browse page ranks them."""
    search = build_search_query(query)
    if search is None:
        return []
    ranked = list(
        public_products()
        .filter(search_vector=search)
        .order_by()
        .annotate(rank=SearchRank(F("search_vector"), search))
        .values_list("pk", "rank")[: _rank_candidates()]
    )
    ranked.sort(key=lambda row: (row[1], row[0]), reverse=True)
    return [pk for pk, _rank in ranked[:limit]]


@dataclass
class ProductView:
    product: Product
    skus: list[SKU]
    images: list[ProductImage]
    breadcrumbs: list[Category]
    exchange_rate: object | None
    available_total: int


def _listed_publicly(product: Product) -> bool:
    """Whether a loaded product (with its merchant's application) is one of
    ``Product.objects.public()``: anyone may see it, and its page and images may be cached."""
    application = getattr(product.organization, "merchant_application", None)
    return (
        product.state == ListingState.ACTIVE
        and application is not None
        and application.status == ApplicationStatus.APPROVED
    )


SeenT = TypeVar("SeenT", Product, SKU, ProductImage)


def _seen_by(model: type[SeenT], organization: Organization | None) -> QuerySet[SeenT]:
    """The rows of ``model`` a viewer may see: the public ones, and those of listings the viewer
    is a party to (its own, or any for an operator)."""
    public: QuerySet[SeenT] = model.objects.public()
    return public | model.objects.visible_to(organization)


PRODUCT_CACHE_SECONDS = 600


def product_for_viewer(
    *, product_id: int, organization: Organization | None, cached: bool = False
) -> ProductView | None:
    """A product page's data, or None when this viewer may not see it (drafts and paused
    listings are seen only by their merchant and operators). Fixed number of queries: the
    product, its SKUs with stock, their tiers, its images, the categories, the exchange rate.

    With ``cached``, a public listing's data is kept per product version (``network.cache``)
    and today's exchange-rate day, and served to every viewer (all may see a public listing)
    until the product, its merchant's standing, a category or an exchange rate changes."""
    key = f"catalog:product-view:{int(product_id)}:{exchange_rate_day().isoformat()}"
    if cached:
        view, versions = product_cached(product_id, key)
        if isinstance(view, ProductView):
            return view
    product = (
        _seen_by(Product, organization)
        .select_related("organization", "organization__merchant_application", "category")
        .filter(pk=product_id)
        .first()
    )
    if product is None:
        return None
    skus = list(
        _seen_by(SKU, organization)
        .filter(product=product)
        .select_related("inventory")
        .prefetch_related(Prefetch("tiers", queryset=PriceTier.objects.order_by("min_quantity")))
        .order_by("code")
    )
    images = list(
        _seen_by(ProductImage, organization).filter(product=product).order_by("position", "pk")
    )
    for sku in skus:
        tiers = list(sku.tiers.all())
        sku.tier_rows = [
            (tier, tiers[i + 1].min_quantity - 1 if i + 1 < len(tiers) else None)
            for i, tier in enumerate(tiers)
        ]
    tree = category_tree()
    available = sum(
        sku.inventory.available for sku in skus if getattr(sku, "inventory", None) is not None
    )
    view = ProductView(
        product=product,
        skus=skus,
        images=images,
        breadcrumbs=tree.ancestors(tree.nodes.get(product.category_id, product.category)),
        exchange_rate=exchange_rate_in_force(base="USD", quote="CNY"),
        available_total=available,
    )
    if cached and _listed_publicly(product):
        product_cache(key, view, versions=versions, timeout=PRODUCT_CACHE_SECONDS)
    return view


def image_for_viewer(
    *, image_id: int, organization: Organization | None
) -> tuple[ProductImage, bool] | None:
    """(image, public) for the image server, or None when this viewer may not see it. Public
    means the listing is active and its merchant approved: it may be cached by anyone."""
    image = (
        _seen_by(ProductImage, organization)
        .select_related(
            "product", "product__organization", "product__organization__merchant_application"
        )
        .filter(pk=image_id)
        .first()
    )
    if image is None:
        return None
    return image, _listed_publicly(image.product)


# --- A merchant's own catalogue ----------------------------------------------------------------


def access_product(*, organization: Organization, pk: int) -> Product:
    """The product, if ``organization`` is its merchant or an operator (whatever its state)."""
    return found(
        Product.objects.visible_to(organization).select_related(
            "organization", "organization__merchant_application", "category"
        ),
        pk=pk,
    )


def access_sku(*, organization: Organization, pk: int) -> SKU:
    """The SKU (with its product and stock row), if ``organization`` is its merchant or an
    operator."""
    return found(SKU.objects.visible_to(organization).select_related("product", "inventory"), pk=pk)


def access_sku_by_code(*, organization: Organization, code: str) -> SKU:
    """The merchant's own SKU with this code (codes are unique per merchant only, so another
    merchant's SKU of the same code is never found)."""
    return found(
        SKU.objects.visible_to(organization)
        .filter(organization=organization)
        .select_related("product"),
        code=code,
    )


def access_product_image(*, organization: Organization, pk: int) -> ProductImage:
    """The product image, if ``organization`` is its merchant or an operator."""
    return found(ProductImage.objects.visible_to(organization), pk=pk)


def access_import_job(*, organization: Organization, pk: int) -> ImportJob:
    """The import job, if ``organization`` is the merchant that uploaded it."""
    return found(ImportJob.objects.visible_to(organization), pk=pk)


def product_skus(*, product: Product) -> list[SKU]:
    """A product's SKUs with their stock and tiers, by code, as its merchant sees them."""
    return list(
        SKU.objects.visible_to(product.organization)
        .filter(product=product)
        .select_related("inventory")
        .prefetch_related("tiers")
        .order_by("code")
    )


def product_images(*, product: Product) -> list[ProductImage]:
    """A product's images in their order, as its merchant sees them."""
    return list(
        ProductImage.objects.visible_to(product.organization)
        .filter(product=product)
        .order_by("position", "pk")
    )


def merchant_import_jobs(*, organization: Organization, limit: int = 10) -> list[ImportJob]:
    """The merchant's latest imports, newest first."""
    return list(ImportJob.objects.visible_to(organization).select_related("created_by")[:limit])


def merchant_product_detail(*, product: Product) -> Product:
    """Load a product's SKUs with their tiers and stock for the API's detail (three queries),
    and set ``has_stock``."""
    prefetch_related_objects(
        [product],
        Prefetch(
            "skus",
            queryset=SKU.objects.visible_to(product.organization)
            .select_related("inventory")
            .prefetch_related("tiers")
            .order_by("product_id", "code"),
        ),
    )
    product.has_stock = any(
        sku.inventory.available > 0
        for sku in product.skus.all()
        if getattr(sku, "inventory", None) is not None
    )
    return product


def merchant_products(
    *, organization: Organization, state: str = "", query: str = "", low_stock: bool = False
) -> QuerySet[Product]:
    """The merchant's products (every state), newest first, with their SKUs' stock totals."""
    products = (
        Product.objects.visible_to(organization)
        .filter(organization=organization)
        .select_related("category")
    )
    if state:
        products = products.filter(state=state)
    if query:
        products = products.filter(
            Q(title_en__icontains=query)
            | Q(title_zh_hans__icontains=query)
            | Q(reference__iexact=query)
            | Q(brand__iexact=query)
            | Q(skus__code__iexact=query)
        ).distinct()
    if low_stock:
        products = products.filter(
            Exists(
                Inventory.objects.visible_to(organization).filter(
                    sku__product=OuterRef("pk"),
                    on_hand__lte=F("reserved") + F("low_stock_threshold"),
                )
            )
        )
    # Product.image_id is declared for the type checker only, not a field: Django accepts the name.
    return products.annotate(  # type: ignore[no-redef]
        image_id=_first_image_id(ProductImage.objects.visible_to(organization))
    ).order_by("-created_at", "-pk")


def merchant_skus_with_stock(
    *, organization: Organization, product_ids: list[int]
) -> dict[int, list[SKU]]:
    """SKUs (with their stock row) of these products of the merchant's, by product id: one
    query."""
    grouped: dict[int, list[SKU]] = {}
    for sku in (
        SKU.objects.visible_to(organization)
        .filter(product_id__in=product_ids)
        .select_related("inventory")
        .order_by("code")
    ):
        grouped.setdefault(sku.product_id, []).append(sku)
    return grouped


def merchant_catalogue_summary(*, organization: Organization) -> dict[str, int]:
    counts = dict(
        Product.objects.visible_to(organization)
        .filter(organization=organization)
        .order_by()
        .values_list("state")
        .annotate(n=Count("pk"))
    )
    low = (
        Inventory.objects.visible_to(organization)
        .filter(organization=organization, on_hand__lte=F("reserved") + F("low_stock_threshold"))
        .count()
    )
    return {
        "total": sum(counts.values()),
        "active": counts.get(ListingState.ACTIVE, 0),
        "draft": counts.get(ListingState.DRAFT, 0),
        "paused": counts.get(ListingState.PAUSED, 0),
        "taken_down": counts.get(ListingState.TAKEN_DOWN, 0),
        "low_stock": low,
    }


def sku_ledger(*, sku: SKU, limit: int = 50) -> list[InventoryLedger]:
    return list(
        InventoryLedger.objects.visible_to(sku.organization)
        .filter(sku=sku)
        .select_related("actor")[:limit]
    )


def merchant_inventory(*, organization: Organization) -> QuerySet[Inventory]:
    return (
        Inventory.objects.visible_to(organization)
        .filter(organization=organization)
        .select_related("sku", "sku__product")
        .order_by("sku__code")
    )


def stock_available_total(*, organization: Organization) -> int:
    total = (
        Inventory.objects.visible_to(organization).filter(organization=organization)
    ).aggregate(n=Sum(F("on_hand") - F("reserved")))["n"]
    return total or 0


# --- For the orders app ------------------------------------------------------------------------


class QuantityNotAllowed(DomainError):
    code = "quantity_not_allowed"


def check_order_quantity(*, sku: SKU, quantity: int) -> None:
    """Raises QuantityNotAllowed below the SKU's MOQ or outside whole case packs."""
    if quantity < sku.moq:
        raise QuantityNotAllowed(
            _("The minimum order for %(code)s is %(moq)s units.")
            % {"code": sku.code, "moq": sku.moq}
        )
    if quantity % sku.case_pack:
        raise QuantityNotAllowed(
            _("%(code)s is sold in case packs of %(pack)s.")
            % {"code": sku.code, "pack": sku.case_pack}
        )


def unit_price_for(*, sku: SKU, quantity: int) -> Decimal:
    """The unit price (USD) of ``quantity`` units of ``sku``: the tier with the largest
    ``min_quantity`` not above the quantity. Uses prefetched ``sku.tiers`` when present (no
    query), else one query. Raises QuantityNotAllowed below the MOQ or outside whole case
    packs."""
    check_order_quantity(sku=sku, quantity=quantity)
    prefetched = getattr(sku, "_prefetched_objects_cache", {}).get("tiers")
    if prefetched is not None:
        eligible = [t for t in prefetched if t.min_quantity <= quantity]
        tier = max(eligible, key=lambda t: t.min_quantity, default=None)
        price = tier.unit_price_usd if tier else None
    else:
        price = (
            PriceTier.objects.filter(sku_id=sku.pk, min_quantity__lte=quantity)
            .order_by("-min_quantity")
            .values_list("unit_price_usd", flat=True)
            .first()
        )
    if price is None:
        raise QuantityNotAllowed(_("%(code)s has no price for this quantity.") % {"code": sku.code})
    return price


# --- The China tariff table --------------------------------------------------------------------


def tariff_lines_search(
    *, query: str = "", positive_list: bool = False, in_force_on: date | None = None
) -> QuerySet[TariffLine]:
    """Tariff rows by code, HS-6 or words of the description, newest row of each code first;
    with ``in_force_on``, only each code's row in force that day."""
    rows = TariffLine.objects.select_related("created_by")
    query = query.strip()
    if query.isdigit():
        rows = rows.filter(Q(code__startswith=query) | Q(hs6__startswith=query[:6]))
    elif query:
        rows = rows.filter(
            Q(description_en__icontains=query) | Q(description_zh_hans__icontains=query)
        )
    if positive_list:
        rows = rows.filter(cross_border_positive_list=True)
    if in_force_on is not None:
        in_force = (
            TariffLine.objects.filter(effective_from__lte=in_force_on)
            .order_by("code", "-effective_from")
            .distinct("code")
            .values("pk")
        )
        rows = rows.filter(pk__in=in_force)
    return rows.order_by("code", "-effective_from")


def access_tariff_line(*, pk: int) -> TariffLine:
    """A tariff row (public reference data), or ``RecordNotFound``."""
    return found(TariffLine.objects.all(), pk=pk)


# --- Buyer price lists -------------------------------------------------------------------------


def price_lists_of(*, organization: Organization) -> QuerySet[PriceList]:
    """The price lists a merchant granted, or those granted to a buyer, newest first, with the
    other party and the number of products."""
    return (
        PriceList.objects.visible_to(organization)
        .filter(Q(organization=organization) | Q(buyer=organization))
        .select_related("organization", "buyer", "organization__merchant_application")
        .annotate(product_count=Count("entries"))
        .order_by("-valid_from", "name", "pk")
    )


def access_price_list(*, organization: Organization, pk: int) -> PriceList:
    """A price list of which ``organization`` is the merchant or the buyer (operators: any);
    otherwise ``RecordNotFound``."""
    return found(
        PriceList.objects.visible_to(organization).select_related(
            "organization", "buyer", "organization__merchant_application"
        ),
        pk=pk,
    )


def _own_tiers(organization: Organization) -> Prefetch:
    """Price-list entries' own tiers, with their SKU, by SKU code and quantity."""
    return Prefetch(
        "tiers",
        queryset=PriceListTier.objects.visible_to(organization)
        .select_related("sku")
        .order_by("sku__code", "min_quantity"),
    )


def price_list_entries(*, price_list: PriceList) -> list[PriceListEntry]:
    """The list's products with their own tiers (SKU loaded), by product title: three
    queries."""
    organization = price_list.organization
    return list(
        PriceListEntry.objects.visible_to(organization)
        .filter(price_list=price_list)
        .select_related("product")
        .prefetch_related(_own_tiers(organization))
        .order_by("product__title_en", "pk")
    )


def access_price_list_entry(*, price_list: PriceList, pk: int) -> PriceListEntry:
    return found(
        PriceListEntry.objects.visible_to(price_list.organization)
        .filter(price_list=price_list)
        .select_related("product", "price_list"),
        pk=pk,
    )


def with_price_list_entries(
    price_lists: QuerySet[PriceList], *, organization: Organization
) -> QuerySet[PriceList]:
    """``price_lists`` with their products and own tiers loaded: two more queries in all."""
    return price_lists.prefetch_related(
        Prefetch(
            "entries",
            queryset=PriceListEntry.objects.visible_to(organization)
            .order_by("product__title_en", "pk")
            .prefetch_related(_own_tiers(organization)),
        )
    )
