"""Prepared queries (``network.prepared``): compiled once, run with new values, they answer
exactly what the queryset answers — for each value, after the data changes, in several threads
at once — and a building function that loses a value on its way to the SQL is refused."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.utils import timezone
from django_scopes import scopes_disabled

from network import services
from network.models import ApiKey, ApiScope, Organization, Role
from network.prepared import PreparedQuery
from tests.factories import OrganizationFactory, member


def _organizations(shape, *, kind: str, ids: list[int], created_before):
    return Organization.objects.filter(
        kind=kind, pk__in=ids, created_at__lt=created_before
    ).order_by("pk")


ORGANIZATIONS = PreparedQuery(_organizations, kind=str, ids=[int], created_before=datetime)


def _plain(*, kind, ids, created_before):
    return list(_organizations((), kind=kind, ids=ids, created_before=created_before))


@pytest.mark.django_db
def test_each_run_answers_what_the_queryset_answers_for_its_values(django_assert_num_queries):
    merchants = [OrganizationFactory(kind="merchant") for _ in range(3)]
    buyers = [OrganizationFactory(kind="buyer") for _ in range(2)]
    ids = [o.pk for o in merchants + buyers]
    soon = timezone.now() + timedelta(minutes=1)
    for kind in ("merchant", "buyer", "operator"):
        for chosen in (ids, ids[:2], ids[3:]):
            with django_assert_num_queries(1):
                rows = ORGANIZATIONS.run(
                    shape=len(chosen), kind=kind, ids=chosen, created_before=soon
                )
            assert rows == _plain(kind=kind, ids=chosen, created_before=soon)
            assert all(isinstance(row, Organization) and row.kind == kind for row in rows)
    assert ORGANIZATIONS.run(shape=len(ids), kind="merchant", ids=ids, created_before=soon)
    earlier = timezone.now() - timedelta(days=1)
    assert ORGANIZATIONS.run(shape=len(ids), kind="merchant", ids=ids, created_before=earlier) == []


@pytest.mark.django_db
def test_the_key_behind_an_api_call_is_read_afresh_each_time():
    organization = OrganizationFactory(kind="merchant")
    owner = member(organization, Role.OWNER)
    key, raw = services.api_key_create(
        organization=organization, name="ERP", scopes=list(ApiScope.values), acting_user=owner
    )
    other, other_raw = services.api_key_create(
        organization=organization, name="Shop", scopes=list(ApiScope.values), acting_user=owner
    )
    found = services.api_key_authenticate(raw)
    assert found == key and found.organization == organization
    assert found.creator_membership.role == Role.OWNER
    assert services.api_key_authenticate(other_raw) == other
    assert services.api_key_authenticate(raw[:-1] + ("x" if raw[-1] != "x" else "y")) is None
    with scopes_disabled():
        services.api_key_revoke(api_key=key, acting_user=owner)
    assert services.api_key_authenticate(raw) is None
    assert services.api_key_authenticate(other_raw) == other
    with scopes_disabled():
        ApiKey.objects.filter(pk=other.pk).update(revoked_at=timezone.now())
    assert services.api_key_authenticate(other_raw) is None


@pytest.mark.django_db(transaction=True)
def test_threads_run_one_prepared_query_on_their_own_connections():
    merchants = [OrganizationFactory(kind="merchant") for _ in range(4)]
    soon = timezone.now() + timedelta(minutes=1)
    expected = {o.pk for o in merchants}
    answers: list[set[int]] = []
    failures: list[BaseException] = []

    def read(count: int) -> None:
        try:
            for _ in range(count):
                ids = [o.pk for o in merchants]
                rows = ORGANIZATIONS.run(shape=4, kind="merchant", ids=ids, created_before=soon)
                answers.append({row.pk for row in rows})
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=read, args=(20,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert answers == [expected] * 80


@pytest.mark.django_db
def test_a_value_lost_on_the_way_to_the_sql_is_refused():
    def ignores_kind(shape, *, kind: str):
        return Organization.objects.filter(kind="merchant" if kind else "buyer")

    def decides_by_id(shape, *, id: int):
        return Organization.objects.filter(pk__gt=0) if id < 0 else Organization.objects.none()

    with pytest.raises(ImproperlyConfigured, match="kind"):
        PreparedQuery(ignores_kind, kind=str).run(kind="buyer")
    with pytest.raises(ImproperlyConfigured, match="id"):
        PreparedQuery(decides_by_id, id=int).run(id=1)
    with pytest.raises(TypeError):
        ORGANIZATIONS.run(shape=1, kind="buyer", ids=[1])
    soon = timezone.now() + timedelta(minutes=1)
    ORGANIZATIONS.run(shape="two", kind="buyer", ids=[1, 2], created_before=soon)
    with pytest.raises(ValueError, match="part of the shape"):
        ORGANIZATIONS.run(shape="two", kind="buyer", ids=[1, 2, 3], created_before=soon)


@pytest.mark.django_db
def test_past_the_bound_a_new_shape_is_compiled_for_its_run_only(monkeypatch):
    from network import prepared

    monkeypatch.setattr(prepared, "MAX_SHAPES", 1)
    query = PreparedQuery(_organizations, kind=str, ids=[int], created_before=datetime)
    merchants = [OrganizationFactory(kind="merchant") for _ in range(2)]
    soon = timezone.now() + timedelta(minutes=1)
    for count in (1, 2, 2):
        ids = [o.pk for o in merchants[:count]]
        rows = query.run(shape=count, kind="merchant", ids=ids, created_before=soon)
        assert rows == merchants[:count]
    assert len(query._compiled) == 1


def _locked(shape, *, ids):
    return Organization.objects.select_for_update().filter(pk__in=ids).order_by("pk")


LOCKED = PreparedQuery(_locked, ids=[int])


@pytest.mark.django_db(transaction=True)
def test_a_query_that_locks_its_rows_goes_where_writes_go_and_only_in_a_transaction(
    monkeypatch,
):
    from django.db import router, transaction
    from django.db.transaction import TransactionManagementError

    organizations = [OrganizationFactory(kind="merchant") for _ in range(2)]
    ids = [o.pk for o in organizations]
    asked: list[str] = []
    monkeypatch.setattr(router, "db_for_read", lambda model, **hints: asked.append("read"))
    original_write = router.db_for_write
    monkeypatch.setattr(
        router,
        "db_for_write",
        lambda model, **hints: asked.append("write") or original_write(model, **hints),
    )
    with transaction.atomic():
        assert LOCKED.run(shape=2, ids=ids) == organizations
        with connection.cursor() as cursor:  # the rows are this transaction's until commit
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND mode = %s",
                ["RowShareLock"],
            )
            assert cursor.fetchone()[0] >= 1
    assert asked and set(asked) == {"write"}
    # Outside a transaction the lock would end with the statement: refused, as the ORM does.
    with pytest.raises(TransactionManagementError):
        LOCKED.run(shape=2, ids=ids)
