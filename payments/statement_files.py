"""A merchant's statement as files: CSV (for a spreadsheet or an accountant) and PDF, in the
reader's language. The PDF is set in the CJK font reportlab ships (as trade documents are), which
carries Latin glyphs too."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from xml.sax.saxutils import escape

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from network.branding import NETWORK_NAME
from payments.selectors_payouts import Statement
from shipping.documents import CJK_FONT


def statement_filename(statement: Statement, extension: str) -> str:
    return f"statement-{statement.start:%Y%m%d}-{statement.end:%Y%m%d}.{extension}"


def _amount(value: Decimal) -> str:
    return f"{value:.2f}" if value else ""


def _headings() -> list[str]:
    return [
        _("Date"),
        _("Movement"),
        _("Merchant order"),
        _("Purchase order"),
        _("Description"),
        _("Held in escrow (USD)"),
        _("Commission (USD)"),
        _("Owed to you (USD)"),
        _("Paid to your bank (USD)"),
        _("Balance owed (USD)"),
    ]


def statement_csv(statement: Statement) -> bytes:
    """Every movement, one row each, oldest first; amounts are signed changes in USD."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_headings())
    writer.writerow(
        ["", _("Opening balance"), "", "", "", "", "", "", "", f"{statement.opening:.2f}"]
    )
    for row in statement.movements:
        writer.writerow(
            [
                timezone.localtime(row.created_at).strftime("%Y-%m-%d %H:%M"),
                row.kind_label,
                row.merchant_order,
                row.purchase_order,
                row.memo,
                _amount(row.held),
                _amount(row.commission),
                _amount(row.owed),
                _amount(row.paid),
                f"{row.balance:.2f}",
            ]
        )
    writer.writerow(
        ["", _("Closing balance"), "", "", "", "", "", "", "", f"{statement.closing:.2f}"]
    )
    # A byte order mark so spreadsheet programs read the Chinese labels as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode()


def _styles() -> dict[str, ParagraphStyle]:
    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    base = ParagraphStyle("base", fontName=CJK_FONT, fontSize=8, leading=10, wordWrap="CJK")
    return {
        "base": base,
        "head": ParagraphStyle("head", parent=base, textColor=colors.white),
        "title": ParagraphStyle("title", parent=base, fontSize=15, leading=19),
        "small": ParagraphStyle("small", parent=base, fontSize=7, leading=9),
    }


def statement_pdf(statement: Statement) -> bytes:
    """The statement as an A4 landscape PDF: the period, opening and closing balances and every
    movement."""
    styles = _styles()

    def p(text: str, style: str = "base") -> Paragraph:
        return Paragraph(escape(text), styles[style])

    period = _("%(start)s to %(end)s") % {
        "start": formats.date_format(statement.start, "DATE_FORMAT"),
        "end": formats.date_format(statement.end, "DATE_FORMAT"),
    }
    story: list = [
        p(_("Statement of %(merchant)s") % {"merchant": statement.organization.name}, "title"),
        Spacer(1, 2 * mm),
        p(f"{NETWORK_NAME} · {period}"),
        p(_("Opening balance owed: US$%(amount)s") % {"amount": f"{statement.opening:,.2f}"}),
        p(_("Closing balance owed: US$%(amount)s") % {"amount": f"{statement.closing:,.2f}"}),
        Spacer(1, 4 * mm),
    ]
    rows: list[list] = [[p(h, "head") for h in _headings()[:2] + _headings()[4:]]]
    for row in statement.movements:
        order = " / ".join(part for part in (row.merchant_order, row.purchase_order) if part)
        rows.append(
            [
                p(timezone.localtime(row.created_at).strftime("%Y-%m-%d %H:%M")),
                p(row.kind_label),
                p(" — ".join(part for part in (order, row.memo) if part)),
                p(_amount(row.held)),
                p(_amount(row.commission)),
                p(_amount(row.owed)),
                p(_amount(row.paid)),
                p(f"{row.balance:,.2f}"),
            ]
        )
    if not statement.movements:
        rows.append([p(_("No movements in this period.")), "", "", "", "", "", "", ""])
    widths = [28 * mm, 36 * mm, 92 * mm, 22 * mm, 22 * mm, 22 * mm, 22 * mm, 24 * mm]
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1f3a5f")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#cccccc")),
            ]
        )
    )
    story.append(table)
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=_("Statement"),
        author=str(NETWORK_NAME),
    ).build(story)
    return buffer.getvalue()
