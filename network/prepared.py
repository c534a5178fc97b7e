"""Querysets built and compiled once per process, then run with new values.

Building a queryset with joins, subqueries and annotations and compiling it to SQL costs the
ORM a millisecond or more, on every request that reads it: on the API's hottest paths (the
key behind every call, the SKUs a purchase order places) that was more than the database's own
work. A ``PreparedQuery`` keeps the queryset the ordinary way, with its visibility rules in the
managers that own them, and compiles it once per shape and database; each run sends the same
SQL with the new values and turns the rows into model instances as the ORM does.

How it finds the values in the SQL: the queryset is built once with a stand-in for each value
(a number, text or time no real request sends) and the stand-ins' places among the compiled
parameters are noted. So the building function must pass its values through to the ORM and
never decide anything by them; whatever changes the SQL's shape (how many ids, which optional
condition) is a ``shape`` argument, part of the cache's key. A stand-in the SQL does not carry
at least once is a mistake in the building function and is refused at once.

The tenancy guard (django-scopes) is met when the queryset is built, on its first run; the
visibility rules themselves are in the SQL and hold on every run."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Generic, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.sql.compiler import SQLCompiler
from django.db.transaction import TransactionManagementError

M = TypeVar("M", bound=Model)

# Stand-ins: in range for every integer column (Django drops a lookup whose value overflows
# its column, which would change the SQL), and never a real key, text or time.
_FIRST_NUMBER = -2_000_000_000
_FIRST_TIME = datetime(1901, 1, 1, tzinfo=UTC)
_FIRST_DAY = date(1901, 1, 1)
# Shapes kept per query (a purchase order's SKU count is one): each is a few kilobytes of SQL.
MAX_SHAPES = 256


def _stand_in(kind: type, index: int) -> Any:
    if kind is int:
        return _FIRST_NUMBER - index
    if kind is str:
        return f"\ue000prepared-{index}\ue000"
    if kind is datetime:
        return _FIRST_TIME + timedelta(seconds=index)
    if kind is date:
        return _FIRST_DAY + timedelta(days=index)
    raise ImproperlyConfigured(
        f"A prepared query takes int, str, date or datetime values, not {kind}."
    )


@dataclass(frozen=True)
class _Compiled:
    queryset: QuerySet
    compiler: SQLCompiler
    sql: str
    params: tuple[Any, ...]
    # (position among the parameters, the value's name, its place in a list value or None)
    slots: tuple[tuple[int, str, int | None], ...]
    lengths: tuple[tuple[str, int], ...]  # of the list values it was compiled for


class PreparedQuery(Generic[M]):
    """``build(shape, **values)`` returns the queryset; ``values`` names each value's type,
    ``int``, ``str``, ``date`` or ``datetime``, or a one-item list of it for a list of values (whose
    length must then be part of ``shape``)."""

    def __init__(self, build: Callable[..., QuerySet[M]], **values: type | list[type]) -> None:
        self._build = build
        self._values = values
        self._compiled: dict[tuple[str, Hashable], _Compiled] = {}
        self._model: type[Model] | None = None
        self._for_write = False
        self._lock = threading.Lock()

    def run(self, shape: Hashable = (), **values: Any) -> list[M]:
        """The rows of the query of ``shape`` for ``values``, as the queryset would give them."""
        if set(values) != set(self._values):
            raise TypeError(f"expected the values {sorted(self._values)}, got {sorted(values)}")
        # Where the query goes now: the router may pin a request's reads to the primary, and a
        # query that locks its rows (``select_for_update``) goes where writes go.
        route = router.db_for_write if self._for_write else router.db_for_read
        alias = route(self._model) if self._model is not None else None
        compiled = self._compiled.get((alias, shape)) if alias is not None else None
        if compiled is None:
            compiled = self._compile(shape, values)
        alias = compiled.queryset.db
        for name, length in compiled.lengths:
            if len(values[name]) != length:
                raise ValueError(
                    f"{name} has {len(values[name])} values where the query of this shape was "
                    f"compiled for {length}: a list value's length is part of the shape."
                )
        if compiled.queryset.query.select_for_update and connections[alias].get_autocommit():
            # As the ORM refuses it: a lock outside a transaction ends before it is used.
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        params = list(compiled.params)
        for position, name, item in compiled.slots:
            params[position] = values[name] if item is None else values[name][item]
        compiler = copy.copy(compiled.compiler)
        # The connection is the running thread's own; the compiled SQL is the same for it.
        compiler.connection = connections[alias]
        sql = compiled.sql
        compiler.as_sql = lambda *args, **kwargs: (sql, tuple(params))  # type: ignore[method-assign]
        query = copy.copy(compiled.queryset.query)
        query.get_compiler = lambda *args, **kwargs: compiler  # type: ignore[method-assign]
        template = compiled.queryset
        queryset = template.__class__(model=template.model, query=query, using=alias)
        queryset._iterable_class = template._iterable_class
        queryset._fields = template._fields
        return list(queryset)

    def _stand_ins(self, values: dict[str, Any]) -> dict[str, Any]:
        stand_ins: dict[str, Any] = {}
        index = 0
        for name, kind in self._values.items():
            if isinstance(kind, list):
                length = len(values[name])
                stand_ins[name] = [_stand_in(kind[0], index + n) for n in range(length)]
                index += length
            else:
                stand_ins[name] = _stand_in(kind, index)
                index += 1
        return stand_ins

    def _compile(self, shape: Hashable, values: dict[str, Any]) -> _Compiled:
        with self._lock:
            stand_ins = self._stand_ins(values)
            built = self._build(shape, **stand_ins)
            alias = built.db
            if (alias, shape) in self._compiled:
                return self._compiled[(alias, shape)]
            queryset = built.using(alias)
            compiler = queryset.query.get_compiler(using=alias)
            sql, params = compiler.as_sql()
            slots = _slots(params, stand_ins)
            lengths = tuple((n, len(v)) for n, v in stand_ins.items() if isinstance(v, list))
            compiled = _Compiled(queryset, compiler, sql, tuple(params), slots, lengths)
            # A bound on what is kept: past it, a new shape is compiled for its run only.
            if len(self._compiled) < MAX_SHAPES:
                self._compiled[(alias, shape)] = compiled
            self._model = queryset.model
            self._for_write = queryset._for_write
            return compiled


def _slots(
    params: Sequence[Any], stand_ins: dict[str, Any]
) -> tuple[tuple[int, str, int | None], ...]:
    wanted: dict[Any, tuple[str, int | None]] = {}
    for name, value in stand_ins.items():
        if isinstance(value, list):
            wanted.update({(type(v), v): (name, n) for n, v in enumerate(value)})
        else:
            wanted[(type(value), value)] = (name, None)
    slots = []
    seen: set[tuple[str, int | None]] = set()
    for position, param in enumerate(params):
        try:
            found = wanted.get((type(param), param))
        except TypeError:  # an unhashable parameter (a list of literals) holds no stand-in
            found = None
        if found is not None:
            slots.append((position, *found))
            seen.add(found)
    missing = set(wanted.values()) - seen
    if missing:
        raise ImproperlyConfigured(
            "A prepared query's SQL does not carry the values "
            f"{sorted(name for name, _item in missing)}: they were changed or dropped on the "
            "way to the ORM (pass them through unchanged, and put what shapes the SQL in shape)."
        )
    return tuple(slots)
