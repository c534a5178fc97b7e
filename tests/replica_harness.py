"""A primary and its streaming replica, from the embedded PostgreSQL wheel, for the read-replica
tests: ``pg_basebackup -R`` of a primary with ``wal_level=replica``, started as a hot standby.

The primary gets the worker's test database as the suite migrated it, copied with the wheel's
``pg_dump`` (schema and the few rows migrations left: content types, permissions, applied
migrations), which costs a fraction of running the migrations. ``django_pointed_at`` then sends
Django's ``default`` to the primary and ``replica1`` to the replica, and puts things back after.

As root, the servers run as the wheel's system user (PostgreSQL refuses root), as
``network.devservices`` runs its own; their folders live under the data folder, since pytest's
temporary folders are private to root."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg2

from network import devservices

DATABASE = "network"
COLUMN_OPTIONS = re.compile(rb"^ALTER TABLE ONLY [^\n]* ALTER COLUMN [^\n]* SET \([^\n]*\);$", re.M)
# Fast and throw-away: nothing here needs to survive a crash of the machine.
PRIMARY_SETTINGS = (
    "wal_level = replica",
    "max_wal_senders = 4",
    "hot_standby = on",
    "fsync = off",
    "full_page_writes = off",
    "shared_buffers = 16MB",
    "max_connections = 30",
)


@dataclass
class ReplicaPair:
    root: Path
    primary_port: int
    replica_port: int
    run_as: dict

    @property
    def primary_dir(self) -> Path:
        return self.root / "primary"

    @property
    def replica_dir(self) -> Path:
        return self.root / "replica"

    # --- Life cycle -------------------------------------------------------------------------

    @classmethod
    def start(cls, *, copy_of: dict) -> ReplicaPair:
        """A primary holding the database ``copy_of`` (a Django settings dict) names, and its
        replica, both started and caught up."""
        parent = devservices.data_dir() / "test-replicas"
        parent.mkdir(parents=True, exist_ok=True)
        root = Path(tempfile.mkdtemp(dir=parent))
        ports = {devservices._free_port()}
        while len(ports) < 2:
            ports.add(devservices._free_port())
        primary_port, replica_port = sorted(ports)
        pair = cls(
            root=root,
            primary_port=primary_port,
            replica_port=replica_port,
            run_as=devservices._pg_run_as(),
        )
        try:
            pair.primary_dir.mkdir()
            devservices._pg_prepare_permissions(root, pair.primary_dir, pair.run_as)
            pair._run(
                "initdb",
                "-D",
                str(pair.primary_dir),
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
                "-U",
                "postgres",
            )
            with open(pair.primary_dir / "postgresql.conf", "a") as conf:
                conf.write("\n".join(PRIMARY_SETTINGS) + "\n")
            pair._pg_ctl_start(pair.primary_dir, pair.primary_port)
            pair._copy_database(copy_of)
            pair._run(
                "pg_basebackup",
                "-h",
                "127.0.0.1",
                "-p",
                str(pair.primary_port),
                "-U",
                "postgres",
                "-D",
                str(pair.replica_dir),
                "-R",  # standby.signal and primary_conninfo: it follows the primary
                "-X",
                "stream",
                "--no-sync",
                "--no-manifest",
                "-c",
                "fast",
            )
            pair.start_replica()
            pair.wait_until_caught_up()
        except BaseException:
            pair.stop()
            raise
        return pair

    def start_replica(self) -> None:
        self._pg_ctl_start(self.replica_dir, self.replica_port)

    def stop_replica(self) -> None:
        """Gone at once, as a crashed server: connections to it break."""
        self._run("pg_ctl", "-D", str(self.replica_dir), "-m", "immediate", "-w", "stop")

    def stop(self) -> None:
        for folder in (self.replica_dir, self.primary_dir):
            if (folder / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(folder), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def _pg_ctl_start(self, folder: Path, port: int) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories=''"
        log_file = self.root / f"{folder.name}.log"
        log_file.touch()
        if self.run_as:
            import pwd

            entry = pwd.getpwnam(self.run_as["user"])
            os.chown(log_file, entry.pw_uid, entry.pw_gid)
        self._run(
            "pg_ctl", "-D", str(folder), "-w", "-t", "60", "-l", str(log_file), "-o", options,
            "start",
        )  # fmt: skip

    def _run(self, program: str, *args: str, check: bool = True) -> None:
        result = subprocess.run(
            [devservices._pg_bin(program), *args],
            capture_output=True,
            text=True,
            check=False,
            **self.run_as,
        )
        if check and result.returncode != 0:
            logs = "".join(path.read_text()[-2000:] for path in sorted(self.root.glob("*.log")))
            raise RuntimeError(f"{program} failed: {result.stderr.strip()}\n{logs}")

    def _copy_database(self, source: dict) -> None:
        """The worker's test database, schema and rows, into the primary's ``network``."""
        self.execute("primary", f'CREATE DATABASE "{DATABASE}"', dbname="postgres")
        dump = subprocess.run(
            [
                devservices._pg_bin("pg_dump"),
                "--no-owner",
                "--no-privileges",
                "--no-statistics",
                "-h",
                source["HOST"] or "127.0.0.1",
                "-p",
                str(source["PORT"] or 5432),
                "-U",
                source["USER"],
                "-d",
                source["NAME"],
            ],
            capture_output=True,
            check=False,
            env={**os.environ, "PGPASSWORD": source["PASSWORD"] or ""},
        )
        if dump.returncode != 0:
            raise RuntimeError(f"pg_dump failed: {dump.stderr.decode().strip()}")
        # Per-column options a server of another version may not know (Django sets none).
        script = COLUMN_OPTIONS.sub(b"", dump.stdout)
        restore = subprocess.run(
            [
                devservices._pg_bin("psql"),
                "-q",
                "-X",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.primary_port),
                "-U",
                "postgres",
                "-d",
                DATABASE,
            ],
            input=script,
            capture_output=True,
            check=False,
        )
        if restore.returncode != 0:
            raise RuntimeError(f"Restoring the test database failed: {restore.stderr.decode()}")

    # --- What the tests do to the servers ---------------------------------------------------

    def settings_dict(self, base: dict, which: str) -> dict:
        """``base`` (Django's configured settings of ``default``) sent to one of the servers."""
        port = self.primary_port if which == "primary" else self.replica_port
        test = {**base["TEST"], "NAME": DATABASE}
        if which == "replica":
            test["MIRROR"] = "default"
        return {
            **base,
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "NAME": DATABASE,
            "USER": "postgres",
            "PASSWORD": "",
            "CONN_MAX_AGE": 0,
            "OPTIONS": {**base.get("OPTIONS", {}), "connect_timeout": 2},
            "TEST": test,
        }

    def execute(self, which: str, statement: str, *, dbname: str = DATABASE):
        """Run one statement on ``primary`` or ``replica`` (autocommit); its rows, if any."""
        port = self.primary_port if which == "primary" else self.replica_port
        connection = psycopg2.connect(
            host="127.0.0.1", port=port, user="postgres", dbname=dbname, connect_timeout=5
        )
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(statement)
                return cursor.fetchall() if cursor.description else None
        finally:
            connection.close()

    def pause_replay(self) -> None:
        self.execute("replica", "SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        self.execute("replica", "SELECT pg_wal_replay_resume()")

    def wait_until_caught_up(self, seconds: float = 20) -> None:
        """Until the replica has replayed everything the primary wrote so far."""
        (target,) = self.execute("primary", "SELECT pg_current_wal_lsn()::text")[0]
        self._wait_for(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn", seconds, "replay")

    def wait_until_received(self, seconds: float = 20) -> None:
        """Until the replica has received (not necessarily replayed) everything written."""
        (target,) = self.execute("primary", "SELECT pg_current_wal_lsn()::text")[0]
        self._wait_for(
            f"SELECT pg_last_wal_receive_lsn() >= '{target}'::pg_lsn", seconds, "receive"
        )

    def _wait_for(self, query: str, seconds: float, what: str) -> None:
        deadline = time.monotonic() + seconds
        while True:
            with contextlib.suppress(psycopg2.OperationalError):
                if self.execute("replica", query)[0][0]:
                    return
            if time.monotonic() > deadline:
                raise AssertionError(f"The replica did not {what} the primary's WAL in time.")
            time.sleep(0.05)


@contextlib.contextmanager
def django_pointed_at(pair: ReplicaPair) -> Iterator[None]:
    """Django's ``default`` on the pair's primary and ``replica1`` on its replica, until the
    block ends: then both are closed and the previous databases are back."""
    from django.conf import settings
    from django.db import connections

    original = connections.settings
    original_setting = settings.DATABASES
    base = original["default"]
    swapped = {
        "default": pair.settings_dict(base, "primary"),
        "replica1": pair.settings_dict(base, "replica"),
    }
    _forget_connections(connections)
    connections.settings = swapped
    settings.DATABASES = swapped
    try:
        yield
    finally:
        _forget_connections(connections)
        connections.settings = original
        settings.DATABASES = original_setting


def _forget_connections(connections) -> None:
    for alias in list(connections.settings):
        with contextlib.suppress(Exception):
            connections[alias].close()
        with contextlib.suppress(AttributeError):
            del connections[alias]
