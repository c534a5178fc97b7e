"""ISO 6346 container size-type codes the network books, with their TEU and the trade's shorthand.

A size-type code is four characters: length (``2`` = 20 ft, ``4`` = 40 ft), height and width
(``2`` = 8 ft 6 in, ``5`` = 9 ft 6 in "high cube"), and the type group with its detail (``G1``
general purpose, ``R1`` integral reefer). Shippers and forwarders say ``20GP`` or ``40HC``; the
carriers' DCSA interfaces want the ISO code, so every alias is normalised here."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# The shape of any ISO 6346 (1995) size-type code: length, height/width, type group, detail.
ISO6346_SIZE_TYPE_RE = re.compile(r"^[1-9A-HK-NP-R][0-9C-HK-NP-R][A-Z][0-9A-Z]$")


@dataclass(frozen=True)
class EquipmentType:
    code: str  # ISO 6346 size-type
    teu: int
    label: str  # lazy translation
    max_payload_kg: int
    reefer: bool = False
    aliases: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.code} · {self.label}"


EQUIPMENT_TYPES: dict[str, EquipmentType] = {
    equipment.code: equipment
    for equipment in (
        EquipmentType("22G1", 1, _("20' dry"), 28_230, aliases=("20GP", "20DV", "20DC", "20ST")),
        EquipmentType("42G1", 2, _("40' dry"), 26_680, aliases=("40GP", "40DV", "40DC", "40ST")),
        EquipmentType("45G1", 2, _("40' high cube"), 26_460, aliases=("40HC", "40HQ", "40HD")),
        EquipmentType("22R1", 1, _("20' reefer"), 27_400, reefer=True, aliases=("20RF", "20RE")),
        EquipmentType(
            "45R1",
            2,
            _("40' high-cube reefer"),
            29_520,
            reefer=True,
            aliases=("40RF", "40RH", "40HR"),
        ),
    )
}
_ALIASES = {alias: e.code for e in EQUIPMENT_TYPES.values() for alias in e.aliases}


def equipment_choices() -> list[tuple[str, str]]:
    """Model-field choices: the ISO codes themselves, the same in every language."""
    return [(code, code) for code in EQUIPMENT_TYPES]


def normalize_equipment_code(value: str) -> str:
    """The ISO 6346 code for ``value`` (an ISO code or a shorthand such as ``40HC``).

    Raises ``ValidationError`` for a malformed code or one the network does not book."""
    code = (value or "").strip().upper().replace(" ", "").replace("'", "")
    code = _ALIASES.get(code, code)
    if not ISO6346_SIZE_TYPE_RE.match(code):
        raise ValidationError(
            _("%(value)s is not an ISO 6346 size-type code (for example 45G1 or 40HC)."),
            code="invalid_equipment",
            params={"value": value},
        )
    if code not in EQUIPMENT_TYPES:
        raise ValidationError(
            _("Equipment %(value)s cannot be booked here; choose one of %(codes)s."),
            code="unsupported_equipment",
            params={"value": value, "codes": ", ".join(EQUIPMENT_TYPES)},
        )
    return code


def validate_equipment_code(value: str) -> None:
    """Model-field validator: the stored value must already be a supported ISO code."""
    if normalize_equipment_code(value) != value:
        raise ValidationError(
            _("Store the ISO 6346 code %(code)s rather than %(value)s."),
            code="not_normalised",
            params={"code": normalize_equipment_code(value), "value": value},
        )


def teu_per_unit(code: str) -> int:
    return EQUIPMENT_TYPES[normalize_equipment_code(code)].teu
