"""The payment notice of a purchase order: a PDF in Chinese with English beside it, for the
buyer's finance team or its bank, giving the network's collection account, the amount due and
the RF reference to quote. Labels are bilingual constants here (the notice crosses the border
whatever the reader's language), set in the CJK font reportlab ships, as the shipping
documents are."""

from __future__ import annotations

import io
from decimal import Decimal
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from network.branding import NETWORK_NAME
from payments.models import PlanKind
from payments.selectors_bank import OrderPayment, collection_account
from shipping.documents import CJK_FONT, MUTED, NAVY, RULE, SHADE, _register_cjk

TITLE = ("付款通知", "Payment notice")
PLAN_NAMES = {
    PlanKind.PREPAID: ("预付：发货前全额付款", "Prepaid: all before shipment"),
    PlanKind.DEPOSIT: ("定金 + 发货前付尾款", "Deposit, balance before shipment"),
    PlanKind.NET_30: ("发货后 30 天内付款", "Net 30 from shipment"),
    PlanKind.NET_60: ("发货后 60 天内付款", "Net 60 from shipment"),
}
ACCOUNT_LABELS = (
    ("name", ("收款人", "Beneficiary")),
    ("bank", ("收款银行", "Bank")),
    ("bic", ("SWIFT/BIC", "SWIFT/BIC")),
    ("routing_number", ("ABA 路由号", "ABA routing number")),
    ("account_number", ("账号", "Account number")),
    ("address", ("收款人地址", "Beneficiary address")),
)


def _styles() -> dict[str, ParagraphStyle]:
    _register_cjk()
    base = ParagraphStyle("notice", fontName=CJK_FONT, fontSize=9, leading=12, wordWrap="CJK")
    return {
        "base": base,
        "title": ParagraphStyle("title", parent=base, fontSize=17, leading=22, textColor=NAVY),
        "muted": ParagraphStyle("muted", parent=base, fontSize=8, leading=10, textColor=MUTED),
        "reference": ParagraphStyle(
            "reference", parent=base, fontSize=18, leading=24, textColor=NAVY
        ),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10),
    }


def _both(pair: tuple[str, str]) -> str:
    return f"{escape(pair[0])}<br/><font size='7' color='#5b6776'>{escape(pair[1])}</font>"


def _usd(amount: Decimal) -> str:
    return f"US$ {amount:,.2f}"


def payment_notice_pdf(payment: OrderPayment) -> bytes:
    """The notice of ``payment`` (a purchase order's payment summary) as PDF bytes."""
    styles = _styles()
    order = payment.purchase_order
    account = collection_account()
    due_now = payment.due_before_shipment
    story: list = [
        Paragraph(f"{TITLE[0]} · {TITLE[1]}", styles["title"]),
        Paragraph(escape(NETWORK_NAME), styles["muted"]),
        Spacer(1, 5 * mm),
    ]
    facts = [
        (("采购订单", "Purchase order"), escape(order.number)),
        (("买方", "Buyer"), escape(order.organization.name)),
        (("日期", "Date"), timezone.localdate().isoformat()),
        (("订单总额", "Order total"), _usd(payment.total)),
        (("已付", "Paid"), _usd(payment.paid)),
        (("发货前应付", "Due before shipment"), _usd(due_now)),
        (("尚欠总额", "Still owed in all"), _usd(payment.owed)),
    ]
    story.append(
        _grid(
            [[Paragraph(_both(k), styles["cell"]), Paragraph(v, styles["base"])] for k, v in facts]
        )
    )
    story += [
        Spacer(1, 5 * mm),
        Paragraph(
            _both(
                (
                    "付款参考号（请务必填写在汇款附言中）",
                    "Payment reference (quote it in the remittance information)",
                )
            ),
            styles["base"],
        ),
        Paragraph(escape(payment.reference), styles["reference"]),
        Spacer(1, 3 * mm),
        Paragraph(
            _both(("收款账户（电汇，美元）", "Collection account (wire transfer, USD)")),
            styles["base"],
        ),
        Spacer(1, 1 * mm),
    ]
    story.append(
        _grid(
            [
                [
                    Paragraph(_both(label), styles["cell"]),
                    Paragraph(escape(account.get(key, "")), styles["base"]),
                ]
                for key, label in ACCOUNT_LABELS
            ]
        )
    )
    story += [Spacer(1, 5 * mm)]
    head = [
        ("商户订单", "Merchant order"),
        ("商户", "Merchant"),
        ("付款方式", "Terms"),
        ("金额", "Total"),
        ("已付", "Paid"),
        ("发货前应付", "Due before shipment"),
        ("到期日", "Due by"),
    ]
    rows = [[Paragraph(_both(h), styles["cell"]) for h in head]]
    for line in payment.lines:
        if line.ended:
            continue
        rows.append(
            [
                Paragraph(escape(line.merchant_order.number), styles["cell"]),
                Paragraph(escape(line.merchant_order.organization.name), styles["cell"]),
                Paragraph(
                    _both(PLAN_NAMES.get(PlanKind(line.plan.kind), ("", ""))), styles["cell"]
                ),
                Paragraph(_usd(line.plan.total_usd), styles["cell"]),
                Paragraph(_usd(line.paid), styles["cell"]),
                Paragraph(_usd(line.due_before_shipment), styles["cell"]),
                Paragraph(line.due_on.isoformat() if line.due_on else "—", styles["cell"]),
            ]
        )
    table = Table(
        rows,
        repeatRows=1,
        colWidths=[28 * mm, 34 * mm, 30 * mm, 22 * mm, 22 * mm, 24 * mm, 20 * mm],
    )
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story += [
        table,
        Spacer(1, 6 * mm),
        Paragraph(
            _both(
                (
                    "款项由平台托管，买方确认收货且货物与描述相符后才会付给商户。"
                    "多付的金额将作为您的余额，用于本订单或下一笔订单。",
                    "The network holds your payment in escrow and pays the merchant only once "
                    "you confirm the goods arrived as described. Anything paid beyond what is "
                    "due stays your credit, for this order or your next.",
                )
            ),
            styles["muted"],
        ),
    ]
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"{TITLE[1]} {order.number}",
        author=str(NETWORK_NAME),
    )
    document.build(story)
    return buffer.getvalue()


def _grid(rows: list[list]) -> Table:
    table = Table(rows, colWidths=[45 * mm, 135 * mm])
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TEXTCOLOR", (0, 0), (0, -1), colors.black),
            ]
        )
    )
    return table
