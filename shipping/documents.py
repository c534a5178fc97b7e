"""The trade documents of a shipment as PDFs: commercial invoice, packing list and case labels.

Customs brokers and warehouse staff on both sides read them, so every label is printed in
English with the Simplified Chinese beside it, whatever the reader's language: the labels are
constants here, not translations. Chinese is set in the CJK font reportlab ships (the one the
training certificates use), so the PDFs need no font files.

Each renderer takes what the document states (a ``Statement``, built by
``shipping.services.documents``) and returns the PDF's bytes; the issue date and the version are
printed but are not part of what the document states.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

import qrcode
from django.conf import settings
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from network.branding import NETWORK_NAME

CJK_FONT = "STSong-Light"
LATIN_FONT = "Helvetica"
LATIN_BOLD = "Helvetica-Bold"
NAVY = colors.HexColor("#12355b")
MUTED = colors.HexColor("#5b6776")
RULE = colors.HexColor("#c9d1da")
SHADE = colors.HexColor("#eef2f6")

# --- Bilingual labels (always both languages: the documents cross the border) ----------------

COMMERCIAL_INVOICE = ("Commercial invoice", "商业发票")
PACKING_LIST = ("Packing list", "装箱单")
CASE_LABELS = ("Case labels", "箱唛标签")
NUMBER = ("Number", "编号")
DATE = ("Date", "日期")
VERSION = ("Version", "版本")
SHIPMENT = ("Shipment", "货运编号")
SELLER = ("Seller / shipper", "卖方 / 发货人")
BUYER = ("Buyer / consignee", "买方 / 收货人")
DELIVER_TO = ("Deliver to", "交货地点")
ORDERS = ("Orders", "订单号")
INCOTERM = ("Incoterm", "贸易条款")
PORT_OF_LOADING = ("Port of loading", "装运港")
PORT_OF_DISCHARGE = ("Port of discharge", "目的港")
VESSEL_VOYAGE = ("Vessel / voyage", "船名 / 航次")
NOT_YET_KNOWN = ("To be advised", "待定")
DESCRIPTION = ("Description", "品名")
SKU = ("SKU", "货号")
HS_CODE = ("HS code", "海关编码")
ORIGIN = ("Origin", "原产地")
CASES = ("Cases", "箱数")
UNITS_PER_CASE = ("Units per case", "每箱数量")
QUANTITY = ("Quantity", "数量")
UNIT_PRICE = ("Unit price (USD)", "单价（美元）")
VALUE = ("Value (USD)", "金额（美元）")
NET_WEIGHT = ("Net weight (kg)", "净重（千克）")
GROSS_WEIGHT = ("Gross weight (kg)", "毛重（千克）")
VOLUME = ("Volume (m³)", "体积（立方米）")
TOTAL = ("Total", "合计")
TOTAL_VALUE = ("Total value (USD)", "总金额（美元）")
SHIPPING_MARKS = ("Shipping marks", "唛头")
CASE = ("Case", "箱号")
PAGE = ("Page", "页")
DECLARATION = (
    "We certify that this invoice is true and correct and that the goods are of United States "
    "origin.",
    "兹证明本发票内容真实无误，货物原产地为美国。",
)
MADE_IN_USA = ("Made in USA", "美国制造")

COUNTRY_NAMES = {"US": ("USA", "美国"), "CN": ("China", "中国")}


def both(label: tuple[str, str], separator: str = " ") -> str:
    """``"Commercial invoice 商业发票"``: the English label with the Chinese beside it."""
    return f"{label[0]}{separator}{label[1]}"


# --- What a document states ----------------------------------------------------------------------


@dataclass(frozen=True)
class Party:
    name: str
    address: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class StatedLine:
    sku_code: str
    description_en: str
    description_zh_hans: str
    hs_code: str
    country_of_origin: str
    cases: int
    units_per_case: int
    quantity: int
    unit_price_usd: Decimal
    value_usd: Decimal
    net_weight_kg: Decimal
    gross_weight_kg: Decimal
    volume_m3: Decimal


@dataclass(frozen=True)
class Totals:
    cases: int
    net_weight_kg: Decimal
    gross_weight_kg: Decimal
    volume_m3: Decimal
    value_usd: Decimal

    @classmethod
    def of(cls, lines: list[StatedLine]) -> Totals:
        return cls(
            cases=sum(line.cases for line in lines),
            net_weight_kg=sum((line.net_weight_kg for line in lines), Decimal("0.00")),
            gross_weight_kg=sum((line.gross_weight_kg for line in lines), Decimal("0.00")),
            volume_m3=sum((line.volume_m3 for line in lines), Decimal("0.000")),
            value_usd=sum((line.value_usd for line in lines), Decimal("0.00")),
        )


@dataclass(frozen=True)
class Statement:
    """Everything the three documents of one shipment state, read from its current lines."""

    reference: str
    seller: Party
    buyer: Party
    deliver_to: str
    order_numbers: list[str]
    incoterm: str
    port_of_loading: str
    port_of_discharge: str
    vessel: str
    voyage: str
    shipping_marks: str
    lines: list[StatedLine]

    @property
    def totals(self) -> Totals:
        return Totals.of(self.lines)


@dataclass(frozen=True)
class Issue:
    """How one version is printed: its number, version and date (not part of the statement)."""

    number: str
    version: int
    issued_on: date
    shipment_path: str = ""


# --- Formatting ---------------------------------------------------------------------------------


def _register_cjk() -> None:
    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))


def _money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _kg(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _m3(amount: Decimal) -> str:
    return f"{amount:,.3f}"


def _origin(code: str) -> str:
    names = COUNTRY_NAMES.get(code)
    return both(names, "<br/>") if names else escape(code)


def _text(value: str) -> str:
    """User text for a Paragraph: escaped, its line breaks kept."""
    return "<br/>".join(escape(part) for part in value.splitlines())


_STYLES: dict[str, ParagraphStyle] = {}


def _style(name: str) -> ParagraphStyle:
    if not _STYLES:
        _register_cjk()
        # The CJK font carries Latin glyphs too, so mixed labels need no font switching; CJK
        # wrapping breaks long Chinese descriptions between characters.
        base = ParagraphStyle("base", fontName=CJK_FONT, fontSize=8.5, leading=11)
        _STYLES.update(
            {
                "base": base,
                "cell": ParagraphStyle("cell", parent=base, fontSize=7.5, leading=9.5),
                "cell_en": ParagraphStyle(
                    "cell_en", parent=base, fontName=LATIN_FONT, fontSize=7.5, leading=9.5
                ),
                "cell_zh": ParagraphStyle(
                    "cell_zh", parent=base, fontSize=7.5, leading=9.5, wordWrap="CJK"
                ),
                "number": ParagraphStyle(
                    "number", parent=base, fontSize=7.5, leading=9.5, alignment=TA_RIGHT
                ),
                "head": ParagraphStyle(
                    "head", parent=base, fontSize=7, leading=8.5, textColor=NAVY
                ),
                "head_number": ParagraphStyle(
                    "head_number",
                    parent=base,
                    fontSize=7,
                    leading=8.5,
                    textColor=NAVY,
                    alignment=TA_RIGHT,
                ),
                "title": ParagraphStyle(
                    "title", parent=base, fontSize=17, leading=22, textColor=NAVY
                ),
                "label": ParagraphStyle(
                    "label", parent=base, fontSize=7, leading=9, textColor=MUTED
                ),
                "marks": ParagraphStyle(
                    "marks", parent=base, fontSize=9, leading=11.5, wordWrap="CJK"
                ),
                "small": ParagraphStyle(
                    "small", parent=base, fontSize=7, leading=9, textColor=MUTED, wordWrap="CJK"
                ),
            }
        )
    return _STYLES[name]


def _p(markup: str, style: str = "base") -> Paragraph:
    return Paragraph(markup, _style(style))


def _head(label: tuple[str, str], *, number: bool = False) -> Paragraph:
    return _p(both(label, "<br/>"), "head_number" if number else "head")


def _party(label: tuple[str, str], party: Party) -> list:
    address = "".join(f"<br/>{escape(line)}" for line in party.address if line)
    return [_p(both(label), "label"), _p(f"<b>{escape(party.name)}</b>{address}")]


def _vessel_voyage(statement: Statement) -> str:
    if not statement.vessel:
        return both(NOT_YET_KNOWN)
    return " / ".join(part for part in (statement.vessel, statement.voyage) if part)


def shipping_marks(statement: Statement) -> str:
    """The marks on every case: the shipper's own, or the buyer, orders and port of discharge."""
    if statement.shipping_marks.strip():
        return statement.shipping_marks.strip()
    lines = [
        statement.buyer.name,
        " ".join(statement.order_numbers),
        statement.port_of_discharge,
        f"C/NO. 1-{statement.totals.cases}",
        both(MADE_IN_USA),
    ]
    return "\n".join(line for line in lines if line)


def _header_block(statement: Statement, title: tuple[str, str], issue: Issue) -> list:
    facts = [
        (NUMBER, issue.number),
        (DATE, issue.issued_on.isoformat()),
        (VERSION, str(issue.version)),
        (SHIPMENT, statement.reference),
        (ORDERS, ", ".join(statement.order_numbers)),
        (INCOTERM, statement.incoterm),
        (PORT_OF_LOADING, statement.port_of_loading),
        (PORT_OF_DISCHARGE, statement.port_of_discharge),
        (VESSEL_VOYAGE, _vessel_voyage(statement)),
    ]
    fact_rows = [[_p(both(label), "label"), _p(escape(value))] for label, value in facts]
    facts_table = Table(fact_rows, colWidths=[34 * mm, 54 * mm])
    facts_table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ]
        )
    )
    parties = [
        *_party(SELLER, statement.seller),
        Spacer(1, 3 * mm),
        *_party(BUYER, statement.buyer),
    ]
    if statement.deliver_to:
        parties += [_p(both(DELIVER_TO), "label"), _p(_text(statement.deliver_to))]
    top = Table([[parties, facts_table]], colWidths=[92 * mm, 88 * mm])
    top.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return [_p(f"<b>{both(title)}</b>", "title"), Spacer(1, 3 * mm), top, Spacer(1, 5 * mm)]


def _lines_table(header: list, rows: list[list], total: list, widths: list[float]) -> Table:
    table = Table([header, *rows, total], colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, NAVY),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def _description(line: StatedLine) -> list:
    cell = [_p(f"<b>{escape(line.sku_code)}</b> {escape(line.description_en)}", "cell_en")]
    if line.description_zh_hans:
        cell.append(_p(escape(line.description_zh_hans), "cell_zh"))
    return cell


def _marks_block(statement: Statement) -> list:
    return [
        Spacer(1, 5 * mm),
        KeepTogether(
            [_p(both(SHIPPING_MARKS), "label"), _p(_text(shipping_marks(statement)), "marks")]
        ),
    ]


def _page_footer(issue: Issue, title: tuple[str, str]) -> Callable[[canvas.Canvas, object], None]:
    def draw(pdf: canvas.Canvas, doc: object) -> None:
        pdf.saveState()
        pdf.setFont(CJK_FONT, 7)
        pdf.setFillColor(MUTED)
        pdf.drawString(
            15 * mm, 9 * mm, f"{issue.number} v{issue.version} · {both(title)} · {NETWORK_NAME}"
        )
        pdf.drawRightString(A4[0] - 15 * mm, 9 * mm, f"{both(PAGE)} {pdf.getPageNumber()}")
        pdf.restoreState()

    return draw


def _build(story: list, *, title: tuple[str, str], issue: Issue, subject: str) -> bytes:
    _register_cjk()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=16 * mm,
        title=f"{both(title)} {issue.number} v{issue.version}",
        author=str(NETWORK_NAME),
        subject=subject,
    )
    footer = _page_footer(issue, title)
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


# --- Commercial invoice -------------------------------------------------------------------------


def commercial_invoice_pdf(statement: Statement, issue: Issue) -> bytes:
    """Seller, buyer, terms and route; each line with its description in English and Chinese,
    HS code, origin, cases, quantity, unit price and value; totals; shipping marks."""
    header = [
        _head(DESCRIPTION),
        _head(HS_CODE),
        _head(ORIGIN),
        _head(CASES, number=True),
        _head(QUANTITY, number=True),
        _head(UNIT_PRICE, number=True),
        _head(VALUE, number=True),
    ]
    rows = [
        [
            _description(line),
            _p(escape(line.hs_code), "cell"),
            _p(_origin(line.country_of_origin), "cell"),
            _p(str(line.cases), "number"),
            _p(f"{line.quantity:,}", "number"),
            _p(_money(line.unit_price_usd), "number"),
            _p(_money(line.value_usd), "number"),
        ]
        for line in statement.lines
    ]
    totals = statement.totals
    total = [
        _p(f"<b>{both(TOTAL)}</b>", "cell"),
        "",
        "",
        _p(f"<b>{totals.cases}</b>", "number"),
        _p(f"<b>{sum(line.quantity for line in statement.lines):,}</b>", "number"),
        "",
        _p(f"<b>{_money(totals.value_usd)}</b>", "number"),
    ]
    widths = [68 * mm, 18 * mm, 14 * mm, 14 * mm, 18 * mm, 22 * mm, 26 * mm]
    summary = Table(
        [
            [_p(both(CASES), "label"), _p(str(totals.cases), "number")],
            [_p(both(NET_WEIGHT), "label"), _p(_kg(totals.net_weight_kg), "number")],
            [_p(both(GROSS_WEIGHT), "label"), _p(_kg(totals.gross_weight_kg), "number")],
            [_p(both(VOLUME), "label"), _p(_m3(totals.volume_m3), "number")],
            [
                _p(f"<b>{both(TOTAL_VALUE)}</b>", "label"),
                _p(f"<b>USD {_money(totals.value_usd)}</b>", "number"),
            ],
        ],
        colWidths=[50 * mm, 36 * mm],
        hAlign="RIGHT",
    )
    summary.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE)]))
    story = [
        *_header_block(statement, COMMERCIAL_INVOICE, issue),
        _lines_table(header, rows, total, widths),
        Spacer(1, 4 * mm),
        KeepTogether([summary]),
        *_marks_block(statement),
        Spacer(1, 5 * mm),
        _p(both(DECLARATION, "<br/>"), "small"),
    ]
    return _build(story, title=COMMERCIAL_INVOICE, issue=issue, subject=statement.reference)


# --- Packing list -------------------------------------------------------------------------------


def packing_list_pdf(statement: Statement, issue: Issue) -> bytes:
    """Each line's cases, units per case, units, net and gross weight and volume; totals;
    shipping marks."""
    header = [
        _head(DESCRIPTION),
        _head(CASES, number=True),
        _head(UNITS_PER_CASE, number=True),
        _head(QUANTITY, number=True),
        _head(NET_WEIGHT, number=True),
        _head(GROSS_WEIGHT, number=True),
        _head(VOLUME, number=True),
    ]
    rows = [
        [
            _description(line),
            _p(str(line.cases), "number"),
            _p(str(line.units_per_case), "number"),
            _p(f"{line.quantity:,}", "number"),
            _p(_kg(line.net_weight_kg), "number"),
            _p(_kg(line.gross_weight_kg), "number"),
            _p(_m3(line.volume_m3), "number"),
        ]
        for line in statement.lines
    ]
    totals = statement.totals
    total = [
        _p(f"<b>{both(TOTAL)}</b>", "cell"),
        _p(f"<b>{totals.cases}</b>", "number"),
        "",
        _p(f"<b>{sum(line.quantity for line in statement.lines):,}</b>", "number"),
        _p(f"<b>{_kg(totals.net_weight_kg)}</b>", "number"),
        _p(f"<b>{_kg(totals.gross_weight_kg)}</b>", "number"),
        _p(f"<b>{_m3(totals.volume_m3)}</b>", "number"),
    ]
    widths = [66 * mm, 14 * mm, 17 * mm, 18 * mm, 21 * mm, 21 * mm, 23 * mm]
    story = [
        *_header_block(statement, PACKING_LIST, issue),
        _lines_table(header, rows, total, widths),
        *_marks_block(statement),
    ]
    return _build(story, title=PACKING_LIST, issue=issue, subject=statement.reference)


# --- Case labels --------------------------------------------------------------------------------


def case_label_qr_payload(*, reference: str, case_number: int, total_cases: int, path: str) -> str:
    """What a case label's QR code holds: the shipment, the case, and the shipment's page."""
    payload = f"{reference} CASE {case_number}/{total_cases}"
    if path:
        payload += " " + settings.SITE_URL + path
    return payload


def case_label_qr(payload: str) -> Any:
    """The QR code of ``payload`` as a label prints it (a PIL image)."""
    return qrcode.make(
        payload, error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=4, border=1
    ).get_image()


def _qr_image(payload: str) -> ImageReader:
    buffer = io.BytesIO()
    case_label_qr(payload).save(buffer, format="PNG")
    buffer.seek(0)
    return ImageReader(buffer)


def _cases(statement: Statement) -> Iterator[tuple[int, StatedLine]]:
    number = 0
    for line in statement.lines:
        for _case in range(line.cases):
            number += 1
            yield number, line


LABEL_WIDTH = A4[0] / 2
LABEL_HEIGHT = A4[1] / 2


def _shortened(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _draw_label(
    pdf: canvas.Canvas,
    *,
    x: float,
    y: float,
    statement: Statement,
    issue: Issue,
    case_number: int,
    line: StatedLine,
) -> None:
    total_cases = statement.totals.cases
    pad = 7 * mm
    left, bottom = x + pad, y + pad
    width, height = LABEL_WIDTH - 2 * pad, LABEL_HEIGHT - 2 * pad
    top = bottom + height
    pdf.setStrokeColor(NAVY)
    pdf.setLineWidth(1.2)
    pdf.rect(left, bottom, width, height)

    inner = left + 4 * mm
    inner_width = width - 8 * mm
    pdf.setFillColor(MUTED)
    pdf.setFont(CJK_FONT, 7)
    pdf.drawString(inner, top - 7 * mm, both(SHIPPING_MARKS))
    marks = _p(_text(shipping_marks(statement)), "marks")
    _w, marks_height = marks.wrap(inner_width, 48 * mm)
    marks_height = min(marks_height, 48 * mm)
    marks.drawOn(pdf, inner, top - 9 * mm - marks_height)

    qr_size = 34 * mm
    qr_y = bottom + 4 * mm
    payload = case_label_qr_payload(
        reference=statement.reference,
        case_number=case_number,
        total_cases=total_cases,
        path=issue.shipment_path,
    )
    pdf.drawImage(_qr_image(payload), left + width - 4 * mm - qr_size, qr_y, qr_size, qr_size)

    text_y = bottom + 62 * mm
    pdf.setFillColor(NAVY)
    pdf.setFont(CJK_FONT, 8)
    pdf.drawString(inner, text_y, both(CASE))
    pdf.setFont(LATIN_BOLD, 26)
    pdf.drawString(inner, text_y - 10 * mm, f"{case_number} / {total_cases}")
    pdf.setFillColor(MUTED)
    pdf.setFont(CJK_FONT, 7)
    pdf.drawString(inner, text_y - 17 * mm, both(SKU))
    pdf.setFillColor(colors.black)
    pdf.setFont(LATIN_BOLD, 11)
    pdf.drawString(inner, text_y - 22 * mm, line.sku_code)
    available = inner_width - qr_size - 4 * mm
    description = _p(
        escape(_shortened(line.description_en, 70))
        + (f"<br/>{escape(_shortened(line.description_zh_hans, 30))}"),
        "cell_zh",
    )
    _w, description_height = description.wrap(available, 20 * mm)
    if description_height <= 20 * mm:
        description.drawOn(pdf, inner, text_y - 24 * mm - description_height)
    pdf.setFillColor(MUTED)
    pdf.setFont(CJK_FONT, 7)
    pdf.drawString(inner, bottom + 12 * mm, both(SHIPMENT))
    pdf.setFillColor(colors.black)
    pdf.setFont(LATIN_BOLD, 11)
    pdf.drawString(inner, bottom + 6 * mm, statement.reference)


def case_labels_pdf(statement: Statement, issue: Issue) -> bytes:
    """One label per case, four to an A4 page (each A6): shipping marks, case n of N, SKU,
    the shipment reference and a QR code of them."""
    _register_cjk()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(f"{both(CASE_LABELS)} {issue.number} v{issue.version}")
    pdf.setAuthor(str(NETWORK_NAME))
    pdf.setSubject(statement.reference)
    positions = [
        (0, LABEL_HEIGHT),
        (LABEL_WIDTH, LABEL_HEIGHT),
        (0, 0),
        (LABEL_WIDTH, 0),
    ]
    drawn = 0
    for case_number, line in _cases(statement):
        if drawn and drawn % len(positions) == 0:
            pdf.showPage()
        x, y = positions[drawn % len(positions)]
        _draw_label(
            pdf, x=x, y=y, statement=statement, issue=issue, case_number=case_number, line=line
        )
        drawn += 1
    if drawn == 0:
        pdf.setFont(CJK_FONT, 10)
        pdf.drawString(15 * mm, A4[1] - 20 * mm, f"{both(CASE_LABELS)} {statement.reference}")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
