"""One way to move a record from one status to another.

A model's lifecycle is a table: action -> ``Transition(label, from_statuses, to_status)``.
``transition_apply`` checks the row's current status is one the action may start from, sets the
new one (with any other fields the step changes), saves and audits it; any other move is refused
with ``IllegalTransition`` (code ``illegal_transition``). Adding a status is one row in a table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from network.errors import DomainError
from network.models import Organization, User
from network.services import audit


class IllegalTransition(DomainError):
    """The record's status does not allow this action."""

    code = "illegal_transition"
    status = 409


@dataclass(frozen=True)
class Transition:
    """One legal change: its label (a lazy verb, "approve"), the statuses it may start from and
    the status it leads to."""

    label: Any
    from_statuses: frozenset[str]
    to_status: str

    def allows(self, status: str) -> bool:
        return status in self.from_statuses


def transition(label: Any, from_statuses: Any, to_status: str) -> Transition:
    """A table row; ``from_statuses`` is any iterable of status values."""
    return Transition(label, frozenset(str(s) for s in from_statuses), str(to_status))


def transition_check(
    table: Mapping[str, Transition],
    action: str,
    row: models.Model,
    *,
    field: str = "status",
    message: str | None = None,
    status_label: str | None = None,
    error: type[IllegalTransition] = IllegalTransition,
) -> Transition:
    """The table's row for ``action`` if ``row`` may take it now; raise ``error`` otherwise.

    ``message`` may use ``%(action)s`` (the row's label) and ``%(status)s`` or ``%(<field>)s``
    (``status_label``, by default the current status as the model's choices show it)."""
    rule = table[action]
    current = getattr(row, field)
    if not rule.allows(current):
        if status_label is None:
            display = getattr(row, f"get_{field}_display", None)
            status_label = display() if display else current
        raise error(
            (message or _("You cannot %(action)s this while it is %(status)s."))
            % {"action": rule.label, "status": status_label, field: status_label},
            action=action,
            status=current,
        )
    return rule


def transition_apply(
    table: Mapping[str, Transition],
    action: str,
    row: models.Model,
    *,
    acting_user: User | None,
    organization: Organization | None,
    audit_action: str,
    field: str = "status",
    changes: Mapping[str, Any] | None = None,
    audit_changes: Mapping[str, Any] | None = None,
    message: str | None = None,
    error: type[IllegalTransition] = IllegalTransition,
    save: bool = True,
) -> Transition:
    """Check, move ``row`` along ``table[action]`` with ``changes``, save it and audit it.

    Call it inside the service's transaction with ``row`` locked. ``save=False`` leaves saving
    to the caller (for rows saved under another guard); the audit row is written either way."""
    rule = transition_check(table, action, row, field=field, message=message, error=error)
    before = getattr(row, field)
    setattr(row, field, rule.to_status)
    for name, value in (changes or {}).items():
        setattr(row, name, value)
    if save:
        row.save()
    audit(
        actor=acting_user,
        organization=organization,
        action=audit_action,
        target=row,
        changes={field: [before, rule.to_status], **(audit_changes or {})},
    )
    return rule
