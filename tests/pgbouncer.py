"""A real PgBouncer in transaction pooling, in front of this test process's database.

``pgbouncer_process``: one PgBouncer per test session (per xdist worker), on a free port, from
deploy/pgbouncer/pgbouncer.ini with a pool of two server connections, so that the clients of a
test really share them. ``through_pgbouncer``: for one transactional test, every connection the
test and its threads open goes through it, with the settings of ``DATABASE_PGBOUNCER=true``::

    @pytest.mark.pgbouncer
    @pytest.mark.django_db(transaction=True)
    def test_x(through_pgbouncer):
        outcomes, seen = through_pgbouncer.run_in_threads(work, count=6)
        assert len(seen.server_pids) <= through_pgbouncer.pool_size
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

POOL_SIZE = 2


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "pgbouncer: runs through a real PgBouncer in transaction pooling"
    )


@dataclass
class Seen:
    """What PgBouncer and PostgreSQL showed while every thread still held its connection."""

    server_pids: set[int] = field(default_factory=set)
    clients: list[dict] = field(default_factory=list)
    servers: list[dict] = field(default_factory=list)


class ThroughPgBouncer:
    def __init__(self, bouncer, database: str) -> None:
        self.bouncer = bouncer
        self.database = database
        self.pool_size = POOL_SIZE

    def admin(self, command: str) -> list[dict]:
        """Rows of the admin console for this test's database (SHOW POOLS, CLIENTS, …)."""
        return [row for row in self.bouncer.admin(command) if row.get("database") == self.database]

    def transactions(self) -> int:
        """Transactions PgBouncer has passed to this database so far."""
        (row,) = self.admin("SHOW STATS") or [{"total_xact_count": 0}]
        return int(row["total_xact_count"])

    def run_in_threads(self, work: Callable[[int], Any], *, count: int) -> tuple[list, Seen]:
        """``work(n)`` for n in 0..count-1, each in a thread of its own (so on a Django
        connection of its own), started together; an exception is returned as the outcome."""
        from django.db import connection

        start = threading.Barrier(count, timeout=60)
        holding = threading.Barrier(count + 1, timeout=60)
        release = threading.Event()
        outcomes: list = [None] * count
        seen = Seen()
        lock = threading.Lock()

        def run(n: int) -> None:
            try:
                start.wait()
                outcomes[n] = work(n)
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    with lock:
                        seen.server_pids.add(cursor.fetchone()[0])
            except Exception as error:  # noqa: BLE001 - the test looks at it
                outcomes[n] = error
            finally:
                try:
                    holding.wait()
                    release.wait(60)
                finally:
                    connection.close()

        threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
        for thread in threads:
            thread.start()
        try:
            holding.wait()
            seen.clients = self.admin("SHOW CLIENTS")
            seen.servers = self.admin("SHOW SERVERS")
        finally:
            release.set()
            for thread in threads:
                thread.join(60)
        return outcomes, seen


@pytest.fixture(scope="session")
def pgbouncer_process(django_db_setup):
    from django.db import connections

    from scripts.local_proxies import PGBOUNCER, LocalPgBouncer, ProxyError

    database = connections["default"].settings_dict
    bouncer = LocalPgBouncer(
        server_host=database["HOST"] or "127.0.0.1",
        server_port=int(database["PORT"] or 5432),
        user=database["USER"],
        settings={
            "default_pool_size": POOL_SIZE,
            "reserve_pool_size": 0,
            "max_client_conn": 100,
            "query_wait_timeout": 30,
        },
    )
    try:
        bouncer.start()
    except ProxyError as error:
        pytest.skip(f"PgBouncer is not available ({PGBOUNCER}): {error}")
    yield bouncer
    bouncer.stop()


@pytest.fixture
def through_pgbouncer(transactional_db, pgbouncer_process):
    """This test's connections, and its threads', go through ``pgbouncer_process`` with the
    settings ``DATABASE_PGBOUNCER=true`` gives; afterwards straight to PostgreSQL again."""
    from django.db import connection, connections

    changed = {"HOST": "127.0.0.1", "PORT": pgbouncer_process.port}
    changed["DISABLE_SERVER_SIDE_CURSORS"] = True
    # Threads build their connections from connections.settings; this thread's wrapper has
    # the same dictionary, but say so rather than rely on it.
    dictionaries = {id(d): d for d in (connections.settings["default"], connection.settings_dict)}
    saved = [(d, {key: d.get(key) for key in changed}) for d in dictionaries.values()]
    connection.close()
    for settings_dict, _before in saved:
        settings_dict.update(changed)
    try:
        yield ThroughPgBouncer(pgbouncer_process, connection.settings_dict["NAME"])
    finally:
        connection.close()
        for settings_dict, before in saved:
            settings_dict.update(before)
            if before["DISABLE_SERVER_SIDE_CURSORS"] is None:
                settings_dict.pop("DISABLE_SERVER_SIDE_CURSORS")
