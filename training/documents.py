"""Generated documents: the check-in QR code of a registration and the PDF certificate of
attendance (which must print Chinese names, so it uses a CJK font shipped with reportlab)."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from network.branding import NETWORK_NAME
from training.models import Registration

CJK_FONT = "STSong-Light"
LATIN_FONT = "Helvetica"
LATIN_BOLD = "Helvetica-Bold"
NAVY = colors.HexColor("#12355b")
RED = colors.HexColor("#d7263d")
MUTED = colors.HexColor("#5b6776")


def checkin_url(registration: Registration) -> str:
    return settings.SITE_URL + reverse("training:check_in_scan", args=[registration.checkin_token])


def checkin_qr_svg(registration: Registration) -> bytes:
    """An SVG QR code of the registration's check-in link, for the operator's camera."""
    image = qrcode.make(
        checkin_url(registration),
        image_factory=qrcode.image.svg.SvgPathImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=10,
        border=2,
    )
    return image.to_string(encoding="unicode").encode()


def _font_for(text: str, *, bold: bool = False) -> str:
    if any(ord(ch) > 0xFF for ch in text):
        if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
        return CJK_FONT
    return LATIN_BOLD if bold else LATIN_FONT


def _centred(pdf: canvas.Canvas, text: str, y: float, size: float, *, bold=False, color=NAVY):
    font = _font_for(text, bold=bold)
    pdf.setFont(font, size)
    pdf.setFillColor(color)
    pdf.drawCentredString(landscape(A4)[0] / 2, y, text)


def certificate_pdf(registration: Registration) -> bytes:
    """A one-page certificate of attendance, in the attendee's language."""
    seminar = registration.seminar
    user = registration.user
    width, height = landscape(A4)
    buffer = io.BytesIO()
    with translation.override(user.language):
        pdf = canvas.Canvas(buffer, pagesize=(width, height))
        pdf.setTitle(_("Certificate of attendance"))
        pdf.setAuthor(str(NETWORK_NAME))
        pdf.setSubject(seminar.title)
        pdf.setStrokeColor(NAVY)
        pdf.setLineWidth(3)
        pdf.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
        pdf.setStrokeColor(RED)
        pdf.setLineWidth(1)
        pdf.rect(16 * mm, 16 * mm, width - 32 * mm, height - 32 * mm)

        local_day = seminar.start_at.astimezone(seminar.tz)
        day = formats.date_format(local_day, "DATE_FORMAT")
        _centred(pdf, str(NETWORK_NAME), height - 40 * mm, 14, color=MUTED)
        _centred(pdf, _("Certificate of attendance"), height - 62 * mm, 30, bold=True)
        _centred(pdf, _("This certifies that"), height - 82 * mm, 13, color=MUTED)
        _centred(pdf, user.display_name, height - 100 * mm, 26, bold=True, color=RED)
        _centred(pdf, registration.organization.name, height - 112 * mm, 14)
        _centred(pdf, _("attended the seminar"), height - 128 * mm, 13, color=MUTED)
        _centred(pdf, seminar.title, height - 144 * mm, 18, bold=True)
        _centred(
            pdf,
            _("%(day)s · %(place)s") % {"day": day, "place": seminar.city or seminar.location},
            height - 156 * mm,
            12,
            color=MUTED,
        )
        _centred(
            pdf,
            _("Certificate number %(number)s") % {"number": registration.certificate_number},
            26 * mm,
            10,
            color=MUTED,
        )
        pdf.showPage()
        pdf.save()
    return buffer.getvalue()
