"""Who may see a private row: its parties.

Every private model names the organisations that share it (a merchant order: its buyer and its
merchant; a listing report: the reporter, the listed merchant and the network's operators) with
a ``PartyManager``. Its rows are reached one way, ``Model.objects.visible_to(organization)``,
and, inside a request or a task, through the tenant guard: the middleware opens
``scope(organization=…)`` for the active organisation and the default queryset then holds only
the rows that organisation is a party to. With no scope open a query raises, so code that forgot
whose rows it reads fails loudly instead of reading everyone's.

What the marketplace makes public (active listings, approved profiles, published seminars) is
read through the model's own named querysets, which filter to the public rows and need no scope.
Turning the guard off (``scopes_disabled``) is left to operator-wide and periodic code.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from django.apps import apps
from django.db import models
from django.db.models import Q
from django.http import Http404
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled
from django_scopes.manager import DisabledQuerySet
from django_scopes.state import get_scope

from network.errors import DomainError

if TYPE_CHECKING:
    from network.models import Organization

ModelT = TypeVar("ModelT", bound=models.Model)


class RecordNotFound(DomainError, Http404):
    """The record does not exist or the organisation is not one of its parties: the two are
    answered alike, so an outsider learns nothing about other organisations' records."""

    code = "not_found"
    status = 404


def _is_operator(organization: Organization) -> bool:
    # network.models builds its managers from this module, so it is reached through the registry.
    return organization.kind == apps.get_model("network", "Organization").Kind.OPERATOR


class PartyQuerySet(models.QuerySet[ModelT], Generic[ModelT]):
    """A queryset that knows its model's parties."""

    def visible_to(self, organization: Organization | None) -> PartyQuerySet[ModelT]:
        """The rows ``organization`` is a party to (every row for operators, where the model
        lets operators see it); nothing for no organisation."""
        manager = self.model._default_manager
        parties: tuple[str, ...] = getattr(manager, "parties", ())
        if organization is None:
            return self.none()
        operators = getattr(manager, "operators", False)
        if operators and _is_operator(organization):
            # ``operators`` is True (every row) or a Q naming the rows operators may read.
            return self if operators is True else self.filter(operators)
        if not parties:
            return self.none()
        condition = Q()
        for party in parties:
            condition |= Q(**{party: organization})
        return self.filter(condition)


class PartyManager(models.Manager[ModelT], Generic[ModelT]):
    """The default manager of a private model; made with ``PartyManager.of(...)``.

    ``parties`` are the paths from the row to the organisations that share it
    (``"organization"``, ``"buyer"``, ``"application__organization"``); ``operators`` says the
    network's operators see every row, or (a ``Q``) which rows they see; ``public`` names the
    rows anyone may read, reached with ``Model.objects.public()``.
    """

    _queryset_class = PartyQuerySet
    parties: tuple[str, ...] = ()
    operators: bool | Q = False
    public_rows: Q | None = None

    @classmethod
    def of(
        cls, *parties: str, operators: bool | Q = False, public: Q | None = None
    ) -> PartyManager:
        """A manager for a model shared by ``parties`` (related managers subclass its class, so
        the parties live on the class, not the instance)."""
        if not (parties or operators):
            raise ValueError("A private model names at least one party.")
        attributes = {"parties": parties, "operators": operators, "public_rows": public}
        return type(cls.__name__, (cls,), attributes)()

    def _unguarded(self) -> PartyQuerySet[ModelT]:
        return PartyQuerySet(model=self.model, using=self._db, hints=getattr(self, "_hints", None))

    def get_queryset(self) -> PartyQuerySet[ModelT]:
        current = get_scope()
        if not current.get("_enabled", True):
            return self._unguarded()
        if "organization" not in current:
            return DisabledQuerySet(self.model, using=self._db, missing_scopes={"organization"})
        return self._unguarded().visible_to(current["organization"])

    def all(self) -> PartyQuerySet[ModelT]:
        queryset = self.get_queryset()
        if isinstance(queryset, DisabledQuerySet):
            queryset.all()  # raises: no scope is open
        return queryset

    def visible_to(self, organization: Organization | None) -> PartyQuerySet[ModelT]:
        """The one way to list rows for an organisation, with or without a scope open."""
        return self._unguarded().visible_to(organization)

    def public(self) -> PartyQuerySet[ModelT]:
        """The rows the marketplace shows to anyone (no scope needed)."""
        if self.public_rows is None:
            raise TypeError(f"{self.model.__name__} has no public rows.")
        return self._unguarded().filter(self.public_rows)


def found(queryset: models.QuerySet[ModelT], **lookup: Any) -> ModelT:
    """The one row of ``queryset`` matching ``lookup``, or ``RecordNotFound``. Access functions
    pass a ``visible_to(organization)`` queryset, so a row of someone else's is not found."""
    rows = list(queryset.filter(**lookup)[:2])
    if len(rows) != 1:
        raise RecordNotFound(
            _("%(record)s not found.") % {"record": capfirst(queryset.model._meta.verbose_name)}
        )
    return rows[0]


@contextmanager
def acting_for(organization: Organization | None) -> Iterator[None]:
    """Run a task's work inside ``organization``'s scope: the guard sees what that organisation
    sees, as in the request that enqueued the task."""
    with scope(organization=organization):
        yield


@contextmanager
def row_scope(
    model: type[models.Model], pk: Any, *, party: str = "organization"
) -> Iterator[Organization | None]:
    """Run a task on one row inside the scope of the organisation named by the row's ``party``
    column (``None``, and so nothing visible, when the row is gone)."""
    # A task is given a row's id only: this reads whose row it is, one column, nothing else.
    with scopes_disabled():
        organization_id = model._default_manager.filter(pk=pk).values_list(party, flat=True).first()
    organizations = apps.get_model("network", "Organization").objects
    organization = organizations.filter(pk=organization_id).first() if organization_id else None
    with scope(organization=organization):
        yield organization
