"""Validators for the codes of the trade: UN/LOCODE, SCAC, IMO numbers and HS codes."""

from __future__ import annotations

from urllib.parse import quote

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

UN_LOCODE_PATTERN = r"^[A-Z]{2}[A-Z2-9]{3}$"
validate_un_locode = RegexValidator(
    UN_LOCODE_PATTERN,
    _("A UN/LOCODE is a two-letter country code and three letters or digits 2-9, e.g. USLAX."),
    code="invalid_un_locode",
)
# Standard Carrier Alpha Codes are two to four capital letters (NMFTA); DCSA allows four.
validate_scac = RegexValidator(
    r"^[A-Z]{2,4}$", _("A SCAC is two to four capital letters, e.g. MAEU."), code="invalid_scac"
)
validate_hs_code = RegexValidator(
    r"^\d{6,10}$",
    _("An HS code has 6 to 10 digits, without dots (e.g. 170220 for maple sugar and syrup)."),
    code="invalid_hs_code",
)


def imo_check_digit(first_six: str) -> int:
    """The seventh digit of an IMO ship number: the six digits weighted 7..2, summed, mod 10."""
    weighted = zip(first_six, range(7, 1, -1), strict=True)
    return sum(int(digit) * weight for digit, weight in weighted) % 10


def validate_imo_number(value: str) -> None:
    """Seven digits whose last is the check digit of the first six (IMO resolution A.1117)."""
    if not (isinstance(value, str) and len(value) == 7 and value.isdigit()):
        raise ValidationError(
            _("An IMO number has seven digits, e.g. 9778791."), code="invalid_imo"
        )
    if imo_check_digit(value[:6]) != int(value[6]):
        raise ValidationError(
            _("%(value)s is not a valid IMO number: its check digit does not match."),
            code="invalid_imo_check_digit",
            params={"value": value},
        )


TRACKING_PLACEHOLDER = "{number}"


def validate_tracking_url_template(value: str) -> None:
    """An https address of the carrier's tracking page with ``{number}`` where the tracking
    number goes, e.g. https://www.maersk.com/tracking/{number}."""
    if not value:
        return
    if not value.startswith("https://") or value.count(TRACKING_PLACEHOLDER) != 1:
        raise ValidationError(
            _(
                "Give the https address of the carrier's tracking page with {number} where "
                "the tracking number goes, e.g. https://www.maersk.com/tracking/{number}."
            ),
            code="invalid_tracking_url_template",
        )
    rest = value.replace(TRACKING_PLACEHOLDER, "")
    if "{" in rest or "}" in rest or any(c.isspace() for c in value):
        raise ValidationError(
            _("The tracking page address may hold no other braces and no spaces."),
            code="invalid_tracking_url_template",
        )


def tracking_url(template: str, number: str) -> str:
    """The carrier's tracking page for ``number`` (quoted for the address)."""
    return template.replace(TRACKING_PLACEHOLDER, quote(number.strip(), safe=""))
