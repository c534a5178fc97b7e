"""The operators' China tariff table: rows added or corrected one by one, or a CSV file of them
at once (all or nothing). Each row is in force from its ``effective_from`` until a newer row for
the same code; a row for a code and day that exists is corrected in place."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from catalog.errors import CatalogPermissionDenied, TariffLineRejected
from catalog.models import TariffLine
from network.models import User
from network.selectors import user_is_operator
from network.services import audit

TARIFF_FIELDS = [
    "code",
    "hs6",
    "description_en",
    "description_zh_hans",
    "mfn_duty_percent",
    "additional_duty_percent",
    "consumption_tax_percent",
    "vat_percent",
    "cross_border_positive_list",
    "effective_from",
]
# The columns of a tariff file, in this order in the template (a header row names them).
TARIFF_COLUMNS = TARIFF_FIELDS
TARIFF_FILE_MAX_ROWS = 20_000


def _require_operator(acting_user: User) -> None:
    if not user_is_operator(acting_user):
        raise CatalogPermissionDenied(_("Only network operators keep the China tariff table."))


def _snapshot(line: TariffLine) -> dict[str, str]:
    return {name: str(getattr(line, name)) for name in TARIFF_FIELDS}


def _apply(line: TariffLine, values: dict[str, Any], acting_user: User) -> dict[str, list]:
    before = _snapshot(line) if line.pk else {}
    for name in TARIFF_FIELDS:
        if name in values:
            setattr(line, name, values[name])
    line.created_by = line.created_by or acting_user
    line.full_clean(validate_unique=False)
    if line.code[:6] != line.hs6:
        raise ValidationError({"hs6": _("The HS-6 is the first six digits of the tariff code.")})
    after = _snapshot(line)
    return {
        name: [before.get(name), after[name]] for name in after if before.get(name) != after[name]
    }


@transaction.atomic
def tariff_line_save(
    *, values: dict[str, Any], acting_user: User, line: TariffLine | None = None
) -> TariffLine:
    """Add a tariff row, or correct ``line`` (or the row of the same code and day): operators
    only (``CatalogPermissionDenied``); a bad row raises Django's ``ValidationError``."""
    _require_operator(acting_user)
    if line is not None:
        line = TariffLine.objects.select_for_update().get(pk=line.pk)
    else:
        day: date | None = values.get("effective_from")
        same_day = (
            TariffLine.objects.select_for_update().filter(
                code=values.get("code", ""), effective_from=day
            )
            if day
            else TariffLine.objects.none()
        )
        line = same_day.first() or TariffLine()
    if line.pk:
        clash = TariffLine.objects.filter(
            code=values.get("code", line.code),
            effective_from=values.get("effective_from", line.effective_from),
        ).exclude(pk=line.pk)
        if clash.exists():
            raise ValidationError(
                {"effective_from": _("This code already has a row from that day.")}
            )
    created = not line.pk
    changes = _apply(line, values, acting_user)
    line.save()
    audit(
        actor=acting_user,
        organization=None,
        action="tariff_line.created" if created else "tariff_line.updated",
        target=line,
        changes=changes,
    )
    return line


@dataclass(frozen=True)
class TariffImport:
    created: int
    updated: int


def _row_values(row: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in TARIFF_FIELDS:
        raw = (row.get(name) or "").strip()
        if name.endswith("_percent"):
            if raw == "" and name in ("additional_duty_percent", "consumption_tax_percent"):
                raw = "0"
            try:
                values[name] = Decimal(raw.rstrip("%"))
            except InvalidOperation:
                raise ValidationError({name: _("Enter a number.")}) from None
        elif name == "cross_border_positive_list":
            values[name] = raw.lower() in ("1", "yes", "y", "true", "x", "是")
        elif name == "effective_from":
            try:
                values[name] = date.fromisoformat(raw)
            except ValueError:
                raise ValidationError({name: _("Enter a date as YYYY-MM-DD.")}) from None
        else:
            values[name] = raw
    if not values["hs6"] and len(values["code"]) == 8:
        values["hs6"] = values["code"][:6]
    return values


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [f"{name}: {' '.join(msgs)}" for name, msgs in error.message_dict.items()]
    return list(error.messages)


@transaction.atomic
def tariff_lines_import(*, text: str, acting_user: User) -> TariffImport:
    """Add or correct every row of a CSV tariff file (header row with ``TARIFF_COLUMNS``; the
    HS-6 may be left empty); all or nothing: any bad row raises ``TariffLineRejected`` naming
    each bad line, and nothing is written."""
    _require_operator(acting_user)
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [
        c
        for c in ("code", "description_en", "mfn_duty_percent", "vat_percent", "effective_from")
        if c not in (reader.fieldnames or [])
    ]
    if missing:
        raise TariffLineRejected(
            _("The file lacks the columns: %(columns)s.") % {"columns": ", ".join(missing)},
            errors=[],
        )
    rows = list(reader)
    if not rows or len(rows) > TARIFF_FILE_MAX_ROWS:
        raise TariffLineRejected(
            _("A tariff file holds 1 to %(max)s rows.") % {"max": TARIFF_FILE_MAX_ROWS},
            errors=[],
        )
    existing = {
        (line.code, line.effective_from): line
        for line in TariffLine.objects.select_for_update().filter(
            code__in={(row.get("code") or "").strip() for row in rows}
        )
    }
    errors: list[str] = []
    seen: set[tuple[str, date]] = set()
    to_save: list[tuple[TariffLine, dict[str, list]]] = []
    for number, row in enumerate(rows, start=2):
        try:
            values = _row_values(row)
            key = (values["code"], values["effective_from"])
            if key in seen:
                raise ValidationError(_("The same code and day appear twice in the file."))
            seen.add(key)
            line = existing.get(key) or TariffLine()
            to_save.append((line, _apply(line, values, acting_user)))
        except ValidationError as error:
            errors.extend(
                _("Line %(line)s: %(error)s") % {"line": number, "error": message}
                for message in _messages(error)
            )
    if errors:
        raise TariffLineRejected(" ".join(errors[:5]), errors=errors)
    created = sum(1 for line, _changes in to_save if not line.pk)
    for line, _changes in to_save:
        line.save()
    audit(
        actor=acting_user,
        organization=None,
        action="tariff_lines.imported",
        changes={"created": created, "updated": len(to_save) - created},
    )
    return TariffImport(created=created, updated=len(to_save) - created)
