"""Bulk import and export: round trips in CSV and XLSX, all or nothing with an error for each
bad row, a fixed number of queries whatever the file's size."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scopes_disabled

from catalog.models import SKU, ImportJob, Inventory, InventoryLedger, PriceTier, Product
from catalog.spreadsheets import COLUMNS, check_rows, export_bytes
from network.models import Role
from tests.catalog.factories import merchant, product
from tests.factories import member

pytestmark = pytest.mark.django_db


def row(n: int, **changes) -> dict:
    values = {
        "product_reference": f"IMP-{n}",
        "title_en": f"Imported Maple Syrup {n}",
        "title_zh_hans": f"进口枫糖浆{n}号",
        "description_en": "Grade A amber.",
        "description_zh_hans": "",
        "brand": "Great Lakes",
        "category": "maple-syrup",
        "hs_code": "1702200000",
        "country_of_origin": "US",
        "weight_kg": "0.75",
        "length_cm": "8",
        "width_cm": "8",
        "height_cm": "20",
        "lead_time_days": "7",
        "msrp_usd": "19.99",
        "sku_code": f"IMP-{n}-500",
        "variant_en": "500 ml",
        "variant_zh_hans": "500毫升",
        "case_pack": "6",
        "moq": "12",
        "price_tiers": "12:8.50; 48:7.90; 144:7.25",
        "on_hand": "100",
        "low_stock_threshold": "24",
        "case_gross_weight_kg": "",
        "case_length_cm": "",
        "case_width_cm": "",
        "case_height_cm": "",
    }
    values.update(changes)
    return values


def csv_file(rows, name="products.csv") -> SimpleUploadedFile:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode("utf-8"), content_type="text/csv")


@pytest.fixture
def maple():
    return merchant()


def upload(client, file, django_capture_on_commit_callbacks, all_or_nothing=True):
    data = {"file": file}
    if all_or_nothing:
        data["all_or_nothing"] = "on"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("catalog:import"), data)
    assert response.status_code == 302, response.content.decode()[-2000:]
    with scopes_disabled():
        return ImportJob.objects.latest("pk")


def test_import_creates_products_skus_tiers_stock_and_ledger(
    client, maple, django_capture_on_commit_callbacks
):
    organization, owner = maple
    client.force_login(owner)
    rows = [
        row(1),
        row(1, sku_code="IMP-1-1L", variant_en="1 L", moq="6", price_tiers="6:14.00; 60:13.00"),
        row(2),
    ]
    job = upload(client, csv_file(rows), django_capture_on_commit_callbacks)
    assert job.status == ImportJob.Status.SUCCEEDED, job.row_errors
    assert (job.created_count, job.updated_count, job.skipped_count) == (2, 0, 0)
    with scopes_disabled():
        first = Product.objects.get(organization=organization, reference="IMP-1")
        assert first.state == "draft"
        assert SKU.objects.filter(product=first).count() == 2
        assert (first.price_min_usd, first.price_max_usd, first.moq_min) == (
            Decimal("7.25"),
            Decimal("14.00"),
            6,
        )
        assert PriceTier.objects.filter(sku__product=first).count() == 5
        assert Inventory.objects.get(sku__code="IMP-1-1L").on_hand == 100
        entry = InventoryLedger.objects.get(sku__code="IMP-1-1L")
        assert (entry.reason, entry.actor, entry.on_hand_after) == ("import", owner, 100)
    # The Chinese title is searchable once the merchant publishes.
    from catalog.selectors import product_search_ids

    assert product_search_ids("进口枫糖浆") == []  # drafts are not public


def test_bad_rows_write_nothing_and_each_is_reported(
    client, maple, django_capture_on_commit_callbacks
):
    organization, owner = maple
    client.force_login(owner)
    rows = [
        row(1),
        row(2, hs_code="12AB"),
        row(3, moq="10"),
        row(4, price_tiers="12:7.00; 48:7.50"),
        row(5, category="no-such-category"),
        row(6, sku_code="IMP-1-500"),  # the same code as row 2 of the file
        row(7, title_en=""),
        row(8),
    ]
    job = upload(client, csv_file(rows), django_capture_on_commit_callbacks)
    assert job.status == ImportJob.Status.FAILED
    found = {(e["row"], e["column"]) for e in job.row_errors}
    assert {
        (3, "hs_code"),
        (4, "moq"),
        (5, "price_tiers"),
        (6, "category"),
        (7, "sku_code"),
        (8, "title_en"),
    } <= found
    assert not any(e["row"] in (2, 9) for e in job.row_errors)
    with scopes_disabled():
        assert not Product.objects.filter(organization=organization).exists()
        assert not SKU.objects.filter(organization=organization).exists()
    page = client.get(reverse("catalog:import_job", args=[job.pk])).content.decode()
    assert "Nothing was imported" in page and "Unknown category no-such-category." in page
    report = client.get(reverse("catalog:import_job_errors", args=[job.pk]))
    lines = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert lines[0] == ["row", "column", "message"]
    assert ["5", "price_tiers"] in [line[:2] for line in lines]
    assert len(lines) - 1 == len(job.row_errors)


def test_without_all_or_nothing_good_products_are_written(
    client, maple, django_capture_on_commit_callbacks
):
    organization, owner = maple
    client.force_login(owner)
    rows = [row(1), row(2, hs_code="12AB"), row(3)]
    job = upload(client, csv_file(rows), django_capture_on_commit_callbacks, all_or_nothing=False)
    assert job.status == ImportJob.Status.SUCCEEDED
    assert (job.created_count, job.skipped_count) == (2, 1)
    with scopes_disabled():
        assert set(Product.objects.values_list("reference", flat=True)) == {"IMP-1", "IMP-3"}


def test_missing_columns_fail_with_a_message(client, maple, django_capture_on_commit_callbacks):
    client.force_login(maple[1])
    file = SimpleUploadedFile("p.csv", b"title_en,brand\nSyrup,GL\n")
    job = upload(client, file, django_capture_on_commit_callbacks)
    assert job.status == ImportJob.Status.FAILED
    assert "lacks the columns" in job.message


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_export_round_trips(client, maple, file_format, django_capture_on_commit_callbacks):
    organization, owner = maple
    product(
        organization, owner, title_zh_hans="纯正枫糖浆", hs_code="0409000000", category="honey-jams"
    )
    product(organization, owner, title_en="Second", publish=False, code="SECOND-1")
    client.force_login(owner)
    exported = client.get(reverse("catalog:export"), {"format": file_format}).content
    with scopes_disabled():
        before = export_bytes(organization=organization, file_format="csv")
    job = upload(
        client,
        SimpleUploadedFile(f"catalogue.{file_format}", exported),
        django_capture_on_commit_callbacks,
    )
    assert job.status == ImportJob.Status.SUCCEEDED, job.row_errors
    assert (job.created_count, job.updated_count) == (0, 2)
    with scopes_disabled():
        assert export_bytes(organization=organization, file_format="csv") == before
        assert Product.objects.filter(hs_code="0409000000").count() == 1


def test_checking_rows_takes_three_queries_whatever_the_size(maple, django_assert_num_queries):
    organization, _owner = maple
    for count in (5, 200):
        rows = [[str(row(n)[c]) for c in COLUMNS] for n in range(count)]
        with django_assert_num_queries(3), scopes_disabled():  # categories, products, SKUs
            plan = check_rows(organization=organization, header=list(COLUMNS), rows=iter(rows))
        assert plan.errors == [] and len(plan.products) == count


def test_import_pages_are_the_merchants_own(client, maple, django_capture_on_commit_callbacks):
    organization, owner = maple
    client.force_login(owner)
    job = upload(client, csv_file([row(1)]), django_capture_on_commit_callbacks)
    teammate = member(organization, Role.STAFF)
    client.force_login(teammate)
    assert client.get(reverse("catalog:import_job", args=[job.pk])).status_code == 200
    progress = client.get(reverse("catalog:import_job_progress", args=[job.pk])).content.decode()
    assert "hx-trigger" not in progress  # finished: polling stops
    client.force_login(merchant("Other Co.", slug="other-co")[1])
    for name in ("catalog:import_job", "catalog:import_job_progress", "catalog:import_job_errors"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404


def test_running_job_page_polls(client, maple):
    organization, owner = maple
    with scopes_disabled():
        job = ImportJob.objects.create(
            organization=organization,
            created_by=owner,
            original_name="big.csv",
            file_format="csv",
            status=ImportJob.Status.RUNNING,
            total_rows=5000,
            processed_rows=1250,
        )
    client.force_login(owner)
    html = client.get(reverse("catalog:import_job_progress", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in html and 'value="25"' in html
    assert "1250 of 5000 rows checked" in html


def test_task_runs_a_job_once(maple, django_capture_on_commit_callbacks, client):
    from catalog.tasks import import_job_run

    organization, owner = maple
    client.force_login(owner)
    job = upload(client, csv_file([row(1)]), django_capture_on_commit_callbacks)
    assert import_job_run(job.pk) == "skipped"
    with scopes_disabled():
        assert Product.objects.filter(organization=organization).count() == 1
