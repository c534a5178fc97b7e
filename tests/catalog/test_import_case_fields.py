"""The catalogue file carries a SKU's packed case (gross weight, length, width, height): an
import sets them, an export writes them, a file without the columns leaves them alone, and a
case size with one figure missing is reported on its row."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scopes_disabled

from catalog.models import SKU, ImportJob
from catalog.spreadsheets import CASE_COLUMNS, COLUMNS, export_rows
from tests.catalog.test_import_export import maple, row, upload  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

CASE = {
    "case_gross_weight_kg": "5.20",
    "case_length_cm": "30",
    "case_width_cm": "20",
    "case_height_cm": "25",
}


def _csv(rows, columns=COLUMNS) -> SimpleUploadedFile:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return SimpleUploadedFile("products.csv", buffer.getvalue().encode(), content_type="text/csv")


def _case(code: str):
    with scopes_disabled():
        sku = SKU.objects.get(code=code)
    return sku.case_gross_weight_kg, sku.case_length_cm, sku.case_width_cm, sku.case_height_cm


def test_import_and_export_carry_the_case(client, maple, django_capture_on_commit_callbacks):  # noqa: F811
    organization, owner = maple
    client.force_login(owner)
    job = upload(client, _csv([row(1, **CASE), row(2)]), django_capture_on_commit_callbacks)
    assert job.status == ImportJob.Status.SUCCEEDED, job.row_errors
    assert _case("IMP-1-500") == (
        Decimal("5.20"),
        Decimal("30.0"),
        Decimal("20.0"),
        Decimal("25.0"),
    )
    assert _case("IMP-2-500") == (None, None, None, None)
    with scopes_disabled():
        header, *lines = list(export_rows(organization=organization))
    assert header[-4:] == CASE_COLUMNS
    exported = {line[COLUMNS.index("sku_code")]: line[-4:] for line in lines}
    assert exported["IMP-1-500"] == [
        Decimal("5.20"),
        Decimal("30.0"),
        Decimal("20.0"),
        Decimal("25.0"),
    ]
    assert exported["IMP-2-500"] == ["", "", "", ""]
    # An older file without the case columns changes the rest and leaves the case alone.
    older = [column for column in COLUMNS if column not in CASE_COLUMNS]
    job = upload(
        client,
        _csv([row(1, title_en="Renamed"), row(2)], columns=older),
        django_capture_on_commit_callbacks,
    )
    assert job.status == ImportJob.Status.SUCCEEDED, job.row_errors
    assert _case("IMP-1-500")[0] == Decimal("5.20")


def test_a_case_size_with_a_figure_missing_is_reported(
    client,
    maple,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    _organization, owner = maple
    client.force_login(owner)
    job = upload(
        client,
        _csv([row(1, case_length_cm="30", case_width_cm="20")]),
        django_capture_on_commit_callbacks,
    )
    assert job.status == ImportJob.Status.FAILED
    assert any(error["column"] == "case_length_cm" for error in job.row_errors), job.row_errors
    with scopes_disabled():
        assert not SKU.objects.filter(code="IMP-1-500").exists()
