"""Bulk import and export of products, SKUs, price tiers and stock as CSV or XLSX.

One row per SKU; rows with the same ``product_reference`` belong to one product, whose columns
are read from its first row. The import checks every row in memory (three queries up front,
none per row), then writes with bulk statements in one transaction. By default it is all or
nothing: any bad row and nothing is written; each error is reported as (row, column, message).
"""

from __future__ import annotations

import csv
import io
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from celery import shared_task
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.errors import BrandNotAuthorised, ImportRejected
from catalog.listing_rules import (
    LISTING_RULE_FIELDS,
    authorised_brand_ids,
    brand_authorisation_check,
    listing_rules_apply,
)
from catalog.models import (
    SKU,
    Category,
    ImportJob,
    ListingState,
    PriceTier,
    Product,
    moq_error,
)
from catalog.search import refresh_search_vectors, search_cjk_for
from catalog.services.common import (
    active_listing_hs_code_error,
    refresh_product_summaries,
    require_catalogue_staff,
)
from catalog.services.skus import tier_errors
from catalog.stock import ImportedStock, below_reserved_error, stock_import
from network.cache import products_changed
from network.models import Organization, User
from network.services import audit
from network.tenancy import row_scope

logger = logging.getLogger("catalog.tasks")

PRODUCT_COLUMNS = [
    "product_reference",
    "title_en",
    "title_zh_hans",
    "description_en",
    "description_zh_hans",
    "brand",
    "category",
    "hs_code",
    "country_of_origin",
    "weight_kg",
    "length_cm",
    "width_cm",
    "height_cm",
    "lead_time_days",
    "msrp_usd",
]
SKU_COLUMNS = [
    "sku_code",
    "variant_en",
    "variant_zh_hans",
    "case_pack",
    "moq",
    "price_tiers",
    "on_hand",
    "low_stock_threshold",
]
# The packed carton (optional, last so older files keep their columns): a file without these
# columns leaves the SKUs' case figures as they are.
CASE_COLUMNS = ["case_gross_weight_kg", "case_length_cm", "case_width_cm", "case_height_cm"]
CASE_SIZE_COLUMNS = CASE_COLUMNS[1:]
SKU_COLUMNS += CASE_COLUMNS
COLUMNS = PRODUCT_COLUMNS + SKU_COLUMNS
REQUIRED = {
    "product_reference",
    "title_en",
    "description_en",
    "category",
    "weight_kg",
    "length_cm",
    "width_cm",
    "height_cm",
    "lead_time_days",
    "sku_code",
    "moq",
    "price_tiers",
}
MAX_ROWS = 20_000
MAX_BYTES = 20 * 2**20
PROGRESS_EVERY = 250

# Column → (model field, kind) for the values converted and checked in memory.
PRODUCT_FIELD_OF = {c: c for c in PRODUCT_COLUMNS if c not in ("product_reference", "category")}
PRODUCT_FIELD_OF["product_reference"] = "reference"
DECIMAL_COLUMNS = {"weight_kg", "length_cm", "width_cm", "height_cm", "msrp_usd", *CASE_COLUMNS}
INTEGER_COLUMNS = {"lead_time_days", "case_pack", "moq", "on_hand", "low_stock_threshold"}


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class ParsedSku:
    row: int
    values: dict[str, Any]
    tiers: list[tuple[int, Decimal]]
    on_hand: int
    low_stock_threshold: int
    instance: SKU | None = None


@dataclass
class ParsedProduct:
    row: int
    reference: str
    values: dict[str, Any]
    category: Category | None
    skus: list[ParsedSku] = field(default_factory=list)
    bad: bool = False


# --- Reading files -----------------------------------------------------------------------------


def _cell_text(value: Any, column: str) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and column == "hs_code":
        text = str(value)
        # A spreadsheet that stored the code as a number dropped its leading zero (chapter 01–09).
        return ("0" + text) if len(text) % 2 else text
    return str(value).strip()


def read_rows(data: bytes, file_format: str) -> tuple[list[str], Iterator[list[str]]]:
    """The header and an iterator over the data rows, as text."""
    if file_format == ImportJob.Format.XLSX:
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds for a damaged file
            raise ImportRejected(_("This is not an XLSX workbook we can read.")) from error
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = [_cell_text(v, "").lower() for v in next(rows, ())]

        def xlsx_rows():
            for raw in rows:
                yield [
                    _cell_text(v, header[i] if i < len(header) else "") for i, v in enumerate(raw)
                ]
            workbook.close()

        return header, xlsx_rows()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise ImportRejected(_("Save the CSV file as UTF-8."))
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    return header, ([cell.strip() for cell in row] for row in reader)


def parse_tiers(text: str) -> list[tuple[int, Decimal]]:
    """``"12:4.50; 48:4.20"`` → [(12, Decimal("4.50")), (48, Decimal("4.20"))]."""
    tiers = []
    for part in text.replace(",", ";").split(";"):
        part = part.strip()
        if not part:
            continue
        quantity, sep, price = part.partition(":")
        if not sep:
            raise ValueError(part)
        tiers.append((int(quantity.strip()), Decimal(price.strip())))
    return tiers


def format_tiers(tiers) -> str:
    return "; ".join(f"{t.min_quantity}:{t.unit_price_usd}" for t in tiers)


# --- Checking ----------------------------------------------------------------------------------


def _validation_messages(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {k: [str(m) for m in v] for k, v in error.message_dict.items()}
    return {"": [str(m) for m in error.messages]}


_PRODUCT_FIELDS = {f.name: f for f in Product._meta.get_fields() if hasattr(f, "clean")}
_SKU_FIELDS = {f.name: f for f in SKU._meta.get_fields() if hasattr(f, "clean")}


def _convert(column: str, raw: str, errors: list[RowError], row: int) -> Any:
    if column in DECIMAL_COLUMNS:
        if raw == "":
            return None
        try:
            return Decimal(raw)
        except InvalidOperation:
            errors.append(RowError(row, column, _("Enter a number.")))
            return None
    if column in INTEGER_COLUMNS:
        if raw == "":
            return None
        try:
            return int(Decimal(raw)) if Decimal(raw) == int(Decimal(raw)) else int("x")
        except (InvalidOperation, ValueError):
            errors.append(RowError(row, column, _("Enter a whole number.")))
            return None
    return raw


def _clean_field(model_fields, name: str, value: Any, column: str, row: int, errors) -> Any:
    model_field = model_fields[name]
    if value in (None, "") and (model_field.blank or model_field.null):
        return "" if not model_field.null else None
    try:
        return model_field.clean(value, None)
    except ValidationError as error:
        for message in error.messages:
            errors.append(RowError(row, column, message))
        return None


@dataclass
class ImportPlan:
    products: dict[str, ParsedProduct]
    errors: list[RowError]
    total_rows: int


def check_rows(
    *,
    organization: Organization,
    header: list[str],
    rows: Iterator[list[str]],
    progress: Callable[[int, int], None] | None = None,
    total_hint: int = 0,
) -> ImportPlan:
    """Check every row in memory; three queries (categories, the merchant's products, its
    SKUs) whatever the number of rows."""
    errors: list[RowError] = []
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ImportRejected(
            _("The file lacks the columns %(columns)s. Export your catalogue to get a template.")
            % {"columns": ", ".join(sorted(missing))}
        )
    index = {name: header.index(name) for name in COLUMNS if name in header}
    categories = {c.slug: c for c in Category.objects.all()}
    existing_products = {
        p.reference: p
        for p in Product.objects.filter(organization=organization).only(
            "pk", "reference", "state", "organization_id"
        )
    }
    existing_skus = {
        s.code: s
        for s in SKU.objects.filter(organization=organization)
        .select_related("inventory")
        .only("pk", "code", "product_id", "inventory__reserved", "inventory__on_hand")
    }
    reference_of_product_id = {p.pk: ref for ref, p in existing_products.items()}
    products: dict[str, ParsedProduct] = {}
    seen_codes: dict[str, int] = {}
    count = 0
    for count, cells in enumerate(rows, start=1):
        row = count + 1  # the header is row 1
        if count > MAX_ROWS:
            raise ImportRejected(
                _("A file holds at most %(max)s rows; split it.") % {"max": MAX_ROWS}
            )
        if not any(cells):
            continue
        raw = {name: (cells[i] if i < len(cells) else "") for name, i in index.items()}
        row_errors: list[RowError] = []
        reference = raw.get("product_reference", "")
        product = products.get(reference) if reference else None
        if not reference:
            row_errors.append(RowError(row, "product_reference", _("This field is required.")))
        elif product is None:
            values: dict[str, Any] = {}
            for column in PRODUCT_COLUMNS:
                if column == "category":
                    continue
                value = _convert(column, raw.get(column, ""), row_errors, row)
                if column in REQUIRED and value in (None, ""):
                    row_errors.append(RowError(row, column, _("This field is required.")))
                    continue
                name = PRODUCT_FIELD_OF[column]
                if column == "hs_code" and isinstance(value, str):
                    value = value.replace(".", "").replace(" ", "")
                if column == "country_of_origin" and value == "":
                    value = "US"
                if column == "country_of_origin":
                    value = value.upper()
                values[name] = _clean_field(_PRODUCT_FIELDS, name, value, column, row, row_errors)
            category = categories.get(raw.get("category", "").strip().lower())
            if raw.get("category") and category is None:
                row_errors.append(
                    RowError(
                        row,
                        "category",
                        _("Unknown category %(slug)s.") % {"slug": raw.get("category")},
                    )
                )
            existing = existing_products.get(reference)
            if existing is not None and existing.state == ListingState.TAKEN_DOWN:
                row_errors.append(
                    RowError(
                        row,
                        "product_reference",
                        _("This listing was taken down by the network's operators."),
                    )
                )
            product = ParsedProduct(row=row, reference=reference, values=values, category=category)
            products[reference] = product
        # The SKU
        sku_values: dict[str, Any] = {}
        for column in ("sku_code", "variant_en", "variant_zh_hans", "case_pack", "moq"):
            value = _convert(column, raw.get(column, ""), row_errors, row)
            if column in REQUIRED and value in (None, ""):
                row_errors.append(RowError(row, column, _("This field is required.")))
                continue
            name = "code" if column == "sku_code" else column
            if column == "case_pack" and value in (None, ""):
                value = 1
            sku_values[name] = _clean_field(_SKU_FIELDS, name, value, column, row, row_errors)
        for column in CASE_COLUMNS:
            if column in index:
                value = _convert(column, raw.get(column, ""), row_errors, row)
                sku_values[column] = _clean_field(
                    _SKU_FIELDS, column, value, column, row, row_errors
                )
        sizes = [sku_values.get(column) for column in CASE_SIZE_COLUMNS]
        if any(size is not None for size in sizes) and any(size is None for size in sizes):
            row_errors.append(
                RowError(
                    row,
                    "case_length_cm",
                    _("Give the case's length, width and height together, or none of them."),
                )
            )
        code = sku_values.get("code") or ""
        if code:
            if code in seen_codes:
                row_errors.append(
                    RowError(
                        row,
                        "sku_code",
                        _("SKU %(code)s already appears in row %(other)s.")
                        % {"code": code, "other": seen_codes[code]},
                    )
                )
            seen_codes.setdefault(code, row)
            existing_sku = existing_skus.get(code)
            if (
                existing_sku is not None
                and reference
                and reference_of_product_id.get(existing_sku.product_id) != reference
            ):
                row_errors.append(
                    RowError(
                        row,
                        "sku_code",
                        _("SKU %(code)s belongs to another of your products (%(other)s).")
                        % {
                            "code": code,
                            "other": reference_of_product_id.get(existing_sku.product_id, "?"),
                        },
                    )
                )
        moq, case_pack = sku_values.get("moq"), sku_values.get("case_pack")
        moq_problem = moq_error(moq=moq, case_pack=case_pack)
        if moq_problem:
            row_errors.append(RowError(row, "moq", moq_problem))
        tiers: list[tuple[int, Decimal]] = []
        if raw.get("price_tiers"):
            try:
                tiers = parse_tiers(raw["price_tiers"])
            except (ValueError, InvalidOperation):
                row_errors.append(
                    RowError(
                        row,
                        "price_tiers",
                        _("Write tiers as quantity:price pairs, e.g. 12:4.50; 48:4.20."),
                    )
                )
            else:
                if moq and case_pack:
                    for message in tier_errors(tiers, moq=moq, case_pack=case_pack):
                        row_errors.append(RowError(row, "price_tiers", message))
        on_hand = _convert("on_hand", raw.get("on_hand", ""), row_errors, row)
        threshold = _convert(
            "low_stock_threshold", raw.get("low_stock_threshold", ""), row_errors, row
        )
        for column, value in (("on_hand", on_hand), ("low_stock_threshold", threshold)):
            if value is not None and value < 0:
                row_errors.append(RowError(row, column, _("Cannot be negative.")))
        existing_sku = existing_skus.get(code) if code else None
        inventory = getattr(existing_sku, "inventory", None) if existing_sku else None
        if inventory is not None and on_hand is not None:
            below = below_reserved_error(on_hand=on_hand, reserved=inventory.reserved)
            if below:
                row_errors.append(RowError(row, "on_hand", below))
        if product is not None:
            product.skus.append(
                ParsedSku(
                    row=row,
                    values=sku_values,
                    tiers=tiers,
                    on_hand=on_hand if on_hand is not None else -1,
                    low_stock_threshold=threshold if threshold is not None else -1,
                )
            )
            if row_errors:
                product.bad = True
        errors.extend(row_errors)
        if progress and count % PROGRESS_EVERY == 0:
            progress(count, max(total_hint, count))
    if count == 0:
        raise ImportRejected(_("The file has no rows under its header."))
    return ImportPlan(products=products, errors=errors, total_rows=count)


# --- Writing -----------------------------------------------------------------------------------


@dataclass
class WriteResult:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    held: int = 0  # active listings the brand rules moved to In review


SKU_VALUE_FIELDS = ["code", "variant_en", "variant_zh_hans", "case_pack", "moq", *CASE_COLUMNS]


def _array_types(model, names: list[str]) -> list[str]:
    fields = {f.attname: f for f in model._meta.concrete_fields}
    return [fields[name].db_type(connection) + "[]" for name in names]


def _insert_unnest(
    model, names: list[str], rows: list[tuple], *, key: str | None = None
) -> dict[str, int]:
    """Insert many rows in one statement from one array per column (the ORM's per-object
    overhead is most of an import's time at thousands of rows); returns {key value: new id}.
    Table and column names come from the model's metadata, never from the file."""
    if not rows:
        return {}
    arrays = [[row[i] for row in rows] for i in range(len(names))]
    table = connection.ops.quote_name(model._meta.db_table)
    select = ", ".join(f"%s::{t}" for t in _array_types(model, names))
    pk = model._meta.pk.attname
    sql = f"INSERT INTO {table} ({', '.join(names)}) SELECT * FROM unnest({select})"  # noqa: S608
    if key:
        sql += f" RETURNING {key}, {pk}"
    with connection.cursor() as cursor:
        cursor.execute(sql, arrays)
        return dict(cursor.fetchall()) if key else {}


def _update_unnest(model, names: list[str], rows: list[tuple]) -> None:
    """Update many rows by primary key (the first name) in one statement. Django's
    ``bulk_update`` builds a CASE per column, which PostgreSQL plans in quadratic time."""
    if not rows:
        return
    arrays = [[row[i] for row in rows] for i in range(len(names))]
    table = connection.ops.quote_name(model._meta.db_table)
    key = names[0]
    select = ", ".join(f"%s::{t}" for t in _array_types(model, names))
    assignments = ", ".join(f"{name} = v.{name}" for name in names[1:])
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS t SET {assignments} "  # noqa: S608
            f"FROM unnest({select}) AS v({', '.join(names)}) WHERE t.{key} = v.{key}",
            arrays,
        )


@transaction.atomic
def write_plan(
    *, organization: Organization, plan: ImportPlan, acting_user: User | None
) -> WriteResult:
    """Write the good products of a checked plan with bulk statements, in one transaction.
    A fixed number of statements whatever the number of rows."""
    result = WriteResult()
    good = [p for p in plan.products.values() if not p.bad]
    result.skipped = sum(len(p.skus) for p in plan.products.values() if p.bad)
    if not good:
        return result
    existing = {
        p.reference: p
        for p in Product.objects.select_for_update()
        .filter(organization=organization)
        .extra(where=["reference = ANY(%s)"], params=[[p.reference for p in good]])
    }
    product_fields = [PRODUCT_FIELD_OF[c] for c in PRODUCT_COLUMNS if c != "category"]
    to_create, to_update = [], []
    # What each active listing showed before, for the brand rules once the file is written.
    rule_fields = sorted(LISTING_RULE_FIELDS - {"images"})
    active_before = {
        p.reference: {name: getattr(p, name) for name in rule_fields}
        for p in existing.values()
        if p.state == ListingState.ACTIVE
    }
    for parsed in good:
        product = existing.get(parsed.reference) or Product(organization=organization)
        for name, value in parsed.values.items():
            setattr(product, name, value)
        product.category = parsed.category
        product.search_cjk = search_cjk_for(title_zh_hans=product.title_zh_hans or "")
        # The browse columns, from the file's SKUs (written with the row, not in a second pass).
        prices = [price for ps in parsed.skus for _q, price in ps.tiers]
        product.price_min_usd = min(prices) if prices else None
        product.price_max_usd = max(prices) if prices else None
        product.moq_min = min(ps.values["moq"] for ps in parsed.skus)
        product.reference = parsed.reference
        (to_update if product.pk else to_create).append(product)
    now = timezone.now()
    product_insert = [
        "organization_id",
        *product_fields,
        "category_id",
        "state",
        "takedown_reason",
        "search_cjk",
        "price_min_usd",
        "price_max_usd",
        "moq_min",
        "created_at",
        "updated_at",
    ]
    for product in to_create:
        product.created_at = product.updated_at = now
    new_ids = _insert_unnest(
        Product,
        product_insert,
        [tuple(getattr(p, name) for name in product_insert) for p in to_create],
        key="reference",
    )
    for product in to_create:
        product.pk = new_ids[product.reference]
    for product in to_update:
        product.updated_at = now
    product_columns = [
        "id",
        *product_fields,
        "category_id",
        "search_cjk",
        "price_min_usd",
        "price_max_usd",
        "moq_min",
        "updated_at",
    ]
    _update_unnest(
        Product,
        product_columns,
        [tuple(getattr(p, name) for name in product_columns) for p in to_update],
    )
    product_by_reference = {p.reference: p for p in to_create + to_update}

    codes = [s.values["code"] for p in good for s in p.skus]
    existing_skus = {
        s.code: s
        for s in SKU.objects.filter(organization=organization).extra(
            where=["code = ANY(%s)"], params=[codes]
        )
    }
    skus_new, skus_old = [], []
    for parsed in good:
        product = product_by_reference[parsed.reference]
        for parsed_sku in parsed.skus:
            sku = existing_skus.get(parsed_sku.values["code"]) or SKU(
                organization=organization, product=product
            )
            for name, value in parsed_sku.values.items():
                setattr(sku, name, value)
            parsed_sku.instance = sku
            (skus_old if sku.pk else skus_new).append(sku)
    # The file does not carry the sample offer or the China tariff code: new SKUs get the
    # model's defaults (no sample, no code), existing ones keep theirs.
    sku_insert = [
        "organization_id",
        "product_id",
        *SKU_VALUE_FIELDS,
        "sample_price_usd",
        "sample_limit_per_buyer",
        "cn_tariff_code",
        "created_at",
    ]
    for sku in skus_new:
        sku.created_at = now
        sku.product_id = sku.product.pk
    new_ids = _insert_unnest(
        SKU,
        sku_insert,
        [tuple(getattr(k, name) for name in sku_insert) for k in skus_new],
        key="code",
    )
    for sku in skus_new:
        sku.pk = new_ids[sku.code]
    sku_columns = ["id", "variant_en", "variant_zh_hans", "case_pack", "moq", *CASE_COLUMNS]
    _update_unnest(
        SKU, sku_columns, [tuple(getattr(k, name) for name in sku_columns) for k in skus_old]
    )
    all_skus = skus_new + skus_old
    PriceTier.objects.extra(where=["sku_id = ANY(%s)"], params=[[s.pk for s in all_skus]]).delete()
    _insert_unnest(
        PriceTier,
        ["sku_id", "min_quantity", "unit_price_usd"],
        [
            (ps.instance.pk, q, price)
            for p in good
            for ps in p.skus
            for q, price in sorted(ps.tiers)
        ],
    )
    # Stock: catalog.stock locks the existing rows (ordered by SKU, like every reservation),
    # updates them, adds the new SKUs' rows and writes the ledger.
    stock_import(
        organization=organization,
        rows=[
            ImportedStock(ps.instance.pk, ps.on_hand, ps.low_stock_threshold)
            for p in good
            for ps in p.skus
        ],
        existing_sku_ids=[s.pk for s in skus_old],
        acting_user=acting_user,
    )
    ids = [p.pk for p in product_by_reference.values()]
    # Products that keep SKUs the file does not mention need their range from every SKU.
    others = set(
        SKU.objects.filter(product_id__in=[p.pk for p in to_update])
        .extra(where=["NOT (code = ANY(%s))"], params=[codes])
        .values_list("product_id", flat=True)
    )
    refresh_product_summaries(others)
    # Active listings whose title or brand the file changed meet the brand rules, as on the
    # page and through the API (the refusals were row errors already: see _active_breaks_rules).
    for reference, before in active_before.items():
        product = product_by_reference[reference]
        changed = [name for name, value in before.items() if getattr(product, name) != value]
        if listing_rules_apply(product=product, acting_user=acting_user, changed=changed):
            result.held += 1
    refresh_search_vectors(ids)
    products_changed(ids, browse=True)  # the file may change active listings' prices and stock
    result.created = len(to_create)
    result.updated = len(to_update)
    return result


def _active_breaks_rules(plan: ImportPlan, organization: Organization) -> list[RowError]:
    """An active listing must keep its HS code; the import may not blank it. Nor may it give
    an active listing a protected brand its merchant is not authorised to sell."""
    errors = []
    active = {
        reference: (title_en, brand)
        for reference, title_en, brand in Product.objects.filter(
            organization=organization,
            state=ListingState.ACTIVE,
            reference__in=list(plan.products),
        ).values_list("reference", "title_en", "brand")
    }
    authorised: set[int] | None = None
    for reference, (title_en, brand) in active.items():
        parsed = plan.products[reference]
        if not parsed.values.get("hs_code"):
            errors.append(RowError(parsed.row, "hs_code", active_listing_hs_code_error()))
            parsed.bad = True
        new_title = parsed.values.get("title_en", title_en)
        new_brand = parsed.values.get("brand", brand)
        if (new_title, new_brand) == (title_en, brand):
            continue
        if authorised is None:
            authorised = authorised_brand_ids(organization)
        try:
            brand_authorisation_check(new_brand, authorised=authorised)
        except BrandNotAuthorised as error:
            errors.append(RowError(parsed.row, "brand", error.message))
            parsed.bad = True
    return errors


def run_import(job: ImportJob) -> ImportJob:
    """Check and write one import job's file, keeping its progress and errors on the job row
    (saved outside the write transaction, so the progress bar sees them)."""
    organization = job.organization
    started = time.monotonic()

    def progress(done: int, total: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(processed_rows=done, total_rows=total)

    try:
        with job.file.open("rb") as handle:
            data = handle.read()
        header, rows = read_rows(data, job.file_format)
        rows = list(rows)
        ImportJob.objects.filter(pk=job.pk).update(total_rows=len(rows))
        plan = check_rows(
            organization=organization,
            header=header,
            rows=iter(rows),
            progress=progress,
            total_hint=len(rows),
        )
        plan.errors.extend(_active_breaks_rules(plan, organization))
    except ImportRejected as error:
        job.status = ImportJob.Status.FAILED
        job.message = error.message
        job.row_errors = [RowError(1, "", error.message).as_dict()]
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "message", "row_errors", "finished_at"])
        return job
    job.total_rows = plan.total_rows
    job.processed_rows = plan.total_rows
    job.row_errors = [e.as_dict() for e in sorted(plan.errors, key=lambda e: (e.row, e.column))]
    if plan.errors and job.all_or_nothing:
        job.status = ImportJob.Status.FAILED
        job.message = _(
            "Nothing was imported: %(count)s problems in the file. Fix them and upload it again."
        ) % {"count": len(plan.errors)}
        job.skipped_count = plan.total_rows
    else:
        try:
            result = write_plan(organization=organization, plan=plan, acting_user=job.created_by)
        except BrandNotAuthorised as error:
            # A brand protected, or an authorisation ended, after the rows were checked: the
            # write was rolled back as a whole.
            job.status = ImportJob.Status.FAILED
            job.message = error.message
            job.row_errors = [RowError(1, "brand", error.message).as_dict()]
            job.finished_at = timezone.now()
            job.save(update_fields=["status", "message", "row_errors", "finished_at"])
            return job
        job.created_count, job.updated_count = result.created, result.updated
        job.skipped_count = result.skipped
        job.status = ImportJob.Status.SUCCEEDED
        job.message = _(
            "%(created)s products created, %(updated)s updated, %(skipped)s rows skipped."
        ) % {"created": result.created, "updated": result.updated, "skipped": result.skipped}
        if result.held:
            job.message += " " + _(
                "%(held)s active listings resemble a protected brand and are held for review."
            ) % {"held": result.held}
        audit(
            actor=job.created_by,
            organization=organization,
            action="catalog.imported",
            target=job,
            changes={
                "rows": plan.total_rows,
                "created": result.created,
                "updated": result.updated,
                "skipped": result.skipped,
                "held": result.held,
                "seconds": round(time.monotonic() - started, 2),
            },
        )
    job.finished_at = timezone.now()
    job.save(
        update_fields=[
            "status",
            "message",
            "row_errors",
            "total_rows",
            "processed_rows",
            "created_count",
            "updated_count",
            "skipped_count",
            "finished_at",
        ]
    )
    return job


# --- Export ------------------------------------------------------------------------------------


def export_rows(*, organization: Organization) -> Iterator[list[Any]]:
    """The merchant's catalogue as rows in import format (header first): four queries."""
    yield COLUMNS
    products = {
        p.pk: p
        for p in Product.objects.filter(organization=organization)
        .select_related("category")
        .exclude(state=ListingState.TAKEN_DOWN)
    }
    skus = (
        SKU.objects.filter(product_id__in=list(products))
        .select_related("inventory")
        .prefetch_related("tiers")
        .order_by("product_id", "code")
    )
    for sku in skus:
        product = products[sku.product_id]
        inventory = getattr(sku, "inventory", None)
        yield [
            product.reference,
            product.title_en,
            product.title_zh_hans,
            product.description_en,
            product.description_zh_hans,
            product.brand,
            product.category.slug,
            product.hs_code,
            product.country_of_origin,
            product.weight_kg,
            product.length_cm,
            product.width_cm,
            product.height_cm,
            product.lead_time_days,
            product.msrp_usd if product.msrp_usd is not None else "",
            sku.code,
            sku.variant_en,
            sku.variant_zh_hans,
            sku.case_pack,
            sku.moq,
            format_tiers(sorted(sku.tiers.all(), key=lambda t: t.min_quantity)),
            inventory.on_hand if inventory else 0,
            inventory.low_stock_threshold if inventory else 0,
            *(
                value if (value := getattr(sku, column)) is not None else ""
                for column in CASE_COLUMNS
            ),
        ]


def export_bytes(*, organization: Organization, file_format: str) -> bytes:
    rows = export_rows(organization=organization)
    if file_format == ImportJob.Format.XLSX:
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("products")
        for row in rows:
            # Text cells keep HS codes' leading zeros; numbers stay numbers.
            sheet.append([str(v) if isinstance(v, Decimal) else v for v in row])
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(row)
    # A byte-order mark, so spreadsheet programs read the Chinese text as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def errors_csv(job: ImportJob) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["row", "column", "message"])
    for error in job.row_errors:
        writer.writerow([error["row"], error["column"], error["message"]])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# --- The import job: upload, then the background run ----------------------------------------


@transaction.atomic
def import_job_create(
    *,
    organization: Organization,
    upload: UploadedFile,
    acting_user: User,
    all_or_nothing: bool = True,
) -> ImportJob:
    """Store an uploaded CSV or XLSX file and import it in the background after commit."""
    require_catalogue_staff(organization=organization, acting_user=acting_user)
    name = (getattr(upload, "name", "") or "").strip()
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ImportJob.Format.values:
        raise ImportRejected(_("Upload a .csv or .xlsx file."))
    size = upload.size if upload.size is not None else sum(map(len, upload.chunks()))
    if size > MAX_BYTES:
        raise ImportRejected(
            _("The file is larger than %(mb)s MB; split it.") % {"mb": MAX_BYTES // 2**20}
        )
    job = ImportJob(
        organization=organization,
        created_by=acting_user,
        original_name=name[:200],
        file_format=extension,
        all_or_nothing=all_or_nothing,
    )
    job.file.save("upload", upload, save=False)
    job.save()
    audit(
        actor=acting_user,
        organization=organization,
        action="catalog.import_started",
        target=job,
        changes={"file": job.original_name, "all_or_nothing": all_or_nothing},
    )
    import_job_run.delay_on_commit(job.pk)
    return job


# Named as before the services became a package, so queued jobs still find it.
@shared_task(
    name="catalog.tasks.import_job_run",
    bind=True,
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
)
def import_job_run(self: Any, job_id: int) -> str:
    """Import one uploaded spreadsheet. Safe to run twice: only a waiting job is started, and
    it is claimed under a row lock."""
    # The job's own merchant: the import reads and writes that merchant's rows only.
    with row_scope(ImportJob, job_id) as organization:
        jobs = ImportJob.objects.visible_to(organization)
        with transaction.atomic():
            job = jobs.select_for_update().filter(pk=job_id).first()
            if job is None or job.status != ImportJob.Status.PENDING:
                return "skipped"
            job.status = ImportJob.Status.RUNNING
            job.started_at = timezone.now()
            job.save(update_fields=["status", "started_at"])
        job = jobs.select_related("organization", "created_by").get(pk=job_id)
        try:
            run_import(job)
        except OperationalError:
            # The database went away: put the job back so the retry starts it again.
            jobs.filter(pk=job_id).update(status=ImportJob.Status.PENDING)
            raise
        except Exception:
            logger.exception("catalog import %s failed", job_id)
            jobs.filter(pk=job_id).update(
                status=ImportJob.Status.FAILED,
                message=_("The import stopped unexpectedly; nothing was written. Try again."),
                finished_at=timezone.now(),
            )
            return "failed"
        return jobs.get(pk=job_id).status
