"""Trade documents of a shipment: the three PDFs state, in English with the Chinese beside it,
what the shipment's current lines hold; their totals equal the sum of the orders' lines; a
change of lines issues a new version and keeps the old one, no change issues nothing."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django_scopes import scopes_disabled
from pypdf import PdfReader

from network.models import AuditEvent
from shipping import documents, selectors
from shipping.models import TradeDocument
from shipping.services.documents import (
    content_hash,
    stated_content,
    trade_documents_issue,
    trade_documents_issue_task,
    trade_documents_statement,
)
from tests.shipping.document_factories import shipment_world, take_line_off

pytestmark = pytest.mark.django_db

Kind = TradeDocument.Kind


@pytest.fixture
def world():
    return shipment_world()


def _text(document: TradeDocument) -> str:
    with document.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return "\n".join(page.extract_text() for page in reader.pages)


def _order_lines(world):
    with scopes_disabled():
        return list(world["merchant_order"].lines.order_by("pk"))


def _issued(world) -> dict[str, TradeDocument]:
    return {
        document.kind: document for document in trade_documents_issue(shipment=world["shipment"])
    }


def test_the_invoice_states_the_lines_and_totals_in_english_and_chinese(world):
    invoice = _issued(world)[Kind.COMMERCIAL_INVOICE]
    text = _text(invoice)
    for label in (
        "Commercial invoice 商业发票",
        "Seller / shipper 卖方 / 发货人",
        "唛头",
        "原产地",
    ):
        assert label in text
    assert "海关编码" in text and "HS code" in text and "Incoterm 贸易条款" in text
    assert "1702200000" in text
    assert "纯正密歇根枫糖浆 500毫升" in text
    assert "Madrid Maersk" in text and "Ningbo (CNNGB)" in text
    assert world["buyer"].name in text and world["merchant"].name in text
    assert f"CI-{world['shipment'].reference}" in text
    lines = _order_lines(world)
    value = sum(line.line_total_usd for line in lines)
    assert f"USD {value:,.2f}" in text
    assert invoice.number == f"CI-{world['shipment'].reference}"


def test_stored_totals_equal_the_sum_of_the_orders_lines(world):
    issued = _issued(world)
    lines = _order_lines(world)
    value = sum(line.line_total_usd for line in lines)
    cases = sum(line.quantity // line.case_pack for line in lines)
    with scopes_disabled():
        shipment_lines = list(world["shipment"].lines.all())
    net = sum(line.net_weight_kg for line in shipment_lines)
    gross = sum(line.gross_weight_kg for line in shipment_lines)
    volume = sum(line.volume_m3 for line in shipment_lines)
    invoice = TradeDocument.objects.visible_to(world["merchant"]).get(
        pk=issued[Kind.COMMERCIAL_INVOICE].pk
    )
    assert invoice.total_value_usd == value == Decimal("532.20")  # 48 × 7.90 + 36 × 4.25
    assert invoice.total_cases == cases == 11
    assert (invoice.total_net_weight_kg, invoice.total_gross_weight_kg) == (net, gross)
    assert invoice.total_volume_m3 == volume
    packing_list = issued[Kind.PACKING_LIST]
    assert (packing_list.total_cases, packing_list.total_gross_weight_kg) == (cases, gross)
    assert packing_list.total_value_usd == 0  # a packing list states no prices
    assert issued[Kind.CASE_LABELS].total_cases == cases


def test_the_packing_list_states_cases_weights_and_volume(world):
    text = _text(_issued(world)[Kind.PACKING_LIST])
    for label in ("Packing list 装箱单", "每箱数量", "净重（千克）", "毛重（千克）", "Total 合计"):
        assert label in text
    with scopes_disabled():
        gross = sum(line.gross_weight_kg for line in world["shipment"].lines.all())
    assert f"{gross:,.2f}" in text
    assert "8.50" not in text and "7.90" not in text  # no prices


def test_case_labels_one_per_case_with_marks_sku_and_reference(world):
    labels = _issued(world)[Kind.CASE_LABELS]
    with labels.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    assert len(reader.pages) == 3  # 11 cases, four to a page
    text = "\n".join(page.extract_text() for page in reader.pages)
    reference = world["shipment"].reference
    assert "Case 箱号" in text and "Shipping marks 唛头" in text
    for number in range(1, 12):
        assert f"{number} / 11" in text
    assert text.count(reference) >= 11
    assert "GREAT-LAKE-SYRUP" in text and "GREAT-LAKE-CANDY" in text
    images = [image for page in reader.pages for image in page.images]
    assert len(images) == 11  # one QR code a case


def test_each_labels_qr_code_is_the_code_of_its_case(world):
    labels = _issued(world)[Kind.CASE_LABELS]
    with labels.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    printed = sorted(
        image.image.convert("L").tobytes() for page in reader.pages for image in page.images
    )
    reference = world["shipment"].reference
    path = reverse("shipping:shipment_detail", args=[reference])
    expected = sorted(
        documents.case_label_qr(
            documents.case_label_qr_payload(
                reference=reference, case_number=number, total_cases=11, path=path
            )
        )
        .convert("L")
        .tobytes()
        for number in range(1, 12)
    )
    assert printed == expected


def test_the_qr_code_holds_the_shipment_the_case_and_its_page():
    payload = documents.case_label_qr_payload(
        reference="SHABCDEFGH", case_number=3, total_cases=11, path="/shipments/SHABCDEFGH/"
    )
    assert payload == f"SHABCDEFGH CASE 3/11 {settings.SITE_URL}/shipments/SHABCDEFGH/"
    assert documents.case_label_qr_payload(
        reference="SHABCDEFGH", case_number=1, total_cases=1, path=""
    ) == ("SHABCDEFGH CASE 1/1")


def test_shipping_marks_given_by_the_merchant_are_printed(world):
    with scopes_disabled():
        world["shipment"].shipping_marks = "WESTLAKE\nNINGBO\n杭州西湖"
        world["shipment"].save()
    text = _text(_issued(world)[Kind.CASE_LABELS])
    assert "WESTLAKE" in text and "杭州西湖" in text


def test_no_change_issues_nothing_and_a_change_of_lines_issues_version_two(world):
    first = _issued(world)
    assert {document.version for document in first.values()} == {1}
    assert trade_documents_issue(shipment=world["shipment"]) == []

    candy = _order_lines(world)[1]
    take_line_off(world["shipment"], candy)
    second = _issued(world)
    assert set(second) == {Kind.COMMERCIAL_INVOICE, Kind.PACKING_LIST, Kind.CASE_LABELS}
    assert {document.version for document in second.values()} == {2}
    assert second[Kind.COMMERCIAL_INVOICE].total_value_usd == Decimal("379.20")  # 48 × 7.90
    assert "CANDY" not in _text(second[Kind.CASE_LABELS])

    versions = TradeDocument.objects.visible_to(world["merchant"]).filter(
        shipment=world["shipment"]
    )
    assert sorted(versions.values_list("kind", "version")) == sorted(
        (kind, version) for kind in Kind.values for version in (1, 2)
    )
    old = versions.get(kind=Kind.COMMERCIAL_INVOICE, version=1)
    assert old.total_value_usd == Decimal("532.20")
    assert "CANDY" in _text(old)  # the first version is kept as it was issued
    latest = selectors.trade_documents_latest(shipment=world["shipment"])
    assert [(d.kind, d.version) for d in latest] == [
        (Kind.CASE_LABELS, 2),
        (Kind.COMMERCIAL_INVOICE, 2),
        (Kind.PACKING_LIST, 2),
    ]
    with scopes_disabled():
        audits = AuditEvent.objects.filter(action="trade_document.issued").count()
    assert audits == 6


def test_a_price_change_alone_reissues_only_the_invoice(world):
    _issued(world)
    with scopes_disabled():
        line = world["shipment"].lines.order_by("pk").first()
        line.unit_price_usd = Decimal("7.50")
        line.value_usd = Decimal("360.00")
        line.save()
    reissued = _issued(world)
    assert list(reissued) == [Kind.COMMERCIAL_INVOICE]
    assert reissued[Kind.COMMERCIAL_INVOICE].version == 2


def test_the_hash_is_of_what_is_stated_not_of_when(world):
    statement = trade_documents_statement(shipment=world["shipment"])
    content = stated_content(kind=Kind.COMMERCIAL_INVOICE, statement=statement)
    again = stated_content(
        kind=Kind.COMMERCIAL_INVOICE,
        statement=trade_documents_statement(shipment=world["shipment"]),
    )
    assert content_hash(content) == content_hash(again)
    assert len(content_hash(content)) == 64
    issued = _issued(world)
    assert issued[Kind.COMMERCIAL_INVOICE].content_hash == content_hash(content)


def test_many_lines_with_long_chinese_descriptions_break_across_pages(world):
    statement = trade_documents_statement(shipment=world["shipment"])
    line = statement.lines[0]
    many = replace(
        statement,
        lines=[
            replace(
                line,
                sku_code=f"SYRUP-{number:03d}",
                description_en="Pure maple syrup, amber rich taste, glass bottle " * 5,
                description_zh_hans="纯正密歇根琥珀色浓郁口味枫糖浆玻璃瓶装" * 15,
            )
            for number in range(60)
        ],
    )
    issue = documents.Issue(number="CI-X", version=1, issued_on=date(2026, 12, 7))
    for render in (documents.commercial_invoice_pdf, documents.packing_list_pdf):
        reader = PdfReader(io.BytesIO(render(many, issue)))
        assert len(reader.pages) > 3
        text = "\n".join(page.extract_text() for page in reader.pages)
        assert "SYRUP-000" in text and "SYRUP-059" in text
        assert "Total 合计" in text
        # The header row is repeated on every page.
        assert all("品名" in page.extract_text() for page in reader.pages)


def test_a_cancelled_shipment_issues_nothing(world):
    for line in _order_lines(world):
        take_line_off(world["shipment"], line)
    assert trade_documents_issue(shipment=world["shipment"]) == []


def test_the_task_issues_once_and_is_safe_to_run_twice(world):
    assert trade_documents_issue_task(world["shipment"].pk) == 3
    assert trade_documents_issue_task(world["shipment"].pk) == 0
