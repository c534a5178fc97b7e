"""PgBouncer and HAProxy on this machine, run from docker-compose.yml's own configuration files
(deploy/pgbouncer/pgbouncer.ini, deploy/haproxy/haproxy.cfg) rendered with local addresses:
for scripts/compose_local.py, the tests that run through PgBouncer, and load tests that put
groups of gunicorn processes behind one balancer. Debian's packages provide both programs
(`scripts/ensure_test_servers.sh` installs them).

    from scripts.local_proxies import LocalHAProxy, LocalPgBouncer

    with LocalPgBouncer(server_host="127.0.0.1", server_port=5432, user="postgres") as bouncer:
        database_url = bouncer.url("network")            # postgres://postgres@127.0.0.1:P/network
        bouncer.admin("SHOW POOLS")                       # the admin console, as dicts
    with LocalHAProxy(servers=[("127.0.0.1", 8101), ("127.0.0.1", 8102)]) as balancer:
        balancer.url                                      # http://127.0.0.1:P
        balancer.server_stats()                           # {"web1": {"status": "UP", ...}, ...}

Only the listening addresses, the servers behind and (for PgBouncer) the authentication of a
local, trusting PostgreSQL differ from what compose runs; every other setting is the file's.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PGBOUNCER_INI = ROOT / "deploy" / "pgbouncer" / "pgbouncer.ini"
HAPROXY_CFG = ROOT / "deploy" / "haproxy" / "haproxy.cfg"
PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
START_SECONDS = 15.0


class ProxyError(RuntimeError):
    """A proxy that could not be configured or started; the message says why."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_listening(port: int, process: subprocess.Popen, log: Path, name: str) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ProxyError(f"{name} exited at start-up: {log.read_text()[-2000:]}")
        with socket.socket() as probe:
            probe.settimeout(0.2)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise ProxyError(f"{name} did not listen on port {port}: {log.read_text()[-2000:]}")


def _readable_folder(prefix: str) -> Path:
    # Run as root, PgBouncer switches to an unprivileged user, who must still read its files.
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    folder.chmod(0o755)
    return folder


def _stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


# --- PgBouncer -----------------------------------------------------------------------------------


def render_pgbouncer_ini(
    *,
    server_host: str,
    server_port: int,
    listen_port: int,
    auth_file: str | Path,
    listen_addr: str = "127.0.0.1",
    auth_type: str = "trust",
    admin_users: str = "",
    settings: Mapping[str, str | int] | None = None,
    template: str | None = None,
) -> str:
    """deploy/pgbouncer/pgbouncer.ini with its databases on ``server_host:server_port``,
    listening on ``listen_addr:listen_port``, and ``settings`` (e.g. a smaller
    ``default_pool_size``) replacing or adding lines of its [pgbouncer] section."""
    text = template if template is not None else PGBOUNCER_INI.read_text()
    values: dict[str, str] = {
        "listen_addr": listen_addr,
        "listen_port": str(listen_port),
        "auth_type": auth_type,
        "auth_file": str(auth_file),
        **({"admin_users": admin_users} if admin_users else {}),
        **{key: str(value) for key, value in (settings or {}).items()},
    }
    lines, section, replaced = [], "", False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            section = stripped
        elif section == "[databases]" and stripped.startswith("* ="):
            line = f"* = host={server_host} port={server_port}"
            replaced = True
        elif section == "[pgbouncer]" and "=" in stripped and not stripped.startswith(";"):
            key = stripped.split("=", 1)[0].strip()
            if key in values:
                line = f"{key} = {values.pop(key)}"
        lines.append(line)
    if not replaced or section != "[pgbouncer]":
        raise ProxyError("pgbouncer.ini no longer has a '* =' database and a last [pgbouncer]")
    lines.extend(f"{key} = {value}" for key, value in values.items())
    return "\n".join(lines) + "\n"


class LocalPgBouncer:
    """PgBouncer on a free port in front of a PostgreSQL on this machine that trusts local
    connections; ``user`` may log in (no password) and use the admin console."""

    def __init__(
        self,
        *,
        server_host: str = "127.0.0.1",
        server_port: int = 5432,
        user: str = "postgres",
        settings: Mapping[str, str | int] | None = None,
        port: int | None = None,
    ) -> None:
        self.server_host, self.server_port, self.user = server_host, server_port, user
        self.settings = dict(settings or {})
        self.port = port or free_port()
        self.folder: Path | None = None
        self.process: subprocess.Popen | None = None

    @property
    def log_path(self) -> Path:
        assert self.folder is not None
        return self.folder / "pgbouncer.log"

    def start(self) -> LocalPgBouncer:
        if not os.access(PGBOUNCER, os.X_OK):
            raise ProxyError(f"{PGBOUNCER} is missing: apt-get install pgbouncer")
        self.folder = _readable_folder("network-pgbouncer-")
        auth_file = self.folder / "userlist.txt"
        auth_file.write_text(f'"{self.user}" ""\n')
        ini = self.folder / "pgbouncer.ini"
        ini.write_text(
            render_pgbouncer_ini(
                server_host=self.server_host,
                server_port=self.server_port,
                listen_port=self.port,
                auth_file=auth_file,
                admin_users=self.user,
                settings=self.settings,
            )
        )
        for path in (auth_file, ini):
            path.chmod(0o644)
        command = [PGBOUNCER, str(ini)]
        if os.geteuid() == 0:  # PgBouncer refuses to run as root
            command[1:1] = ["-u", "nobody"]
        log = open(self.log_path, "wb")  # noqa: SIM115 - the child writes to it
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        _wait_listening(self.port, self.process, self.log_path, "pgbouncer")
        return self

    def stop(self) -> None:
        _stop(self.process)
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> LocalPgBouncer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def url(self, database: str) -> str:
        return f"postgres://{self.user}@127.0.0.1:{self.port}/{database}"

    def admin(self, command: str) -> list[dict]:
        """A command of the admin console (``SHOW POOLS``, ``SHOW STATS``…), as rows."""
        import psycopg2

        connection = psycopg2.connect(
            host="127.0.0.1", port=self.port, user=self.user, dbname="pgbouncer"
        )
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(command)
                names = [column.name for column in cursor.description or ()]
                return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        finally:
            connection.close()


# --- HAProxy -------------------------------------------------------------------------------------

_SITE_BIND = re.compile(r"^(\s*)bind :8000$", re.MULTILINE)
_MONITOR_BIND = re.compile(r"^(\s*)bind :8404$", re.MULTILINE)
_TEMPLATE = re.compile(
    r"^(\s*)server-template (\S+) 1-\d+ web:8000 (.*?)\s*resolvers docker init-addr none$",
    re.MULTILINE,
)
_RESOLVERS = re.compile(r"^(# .*\n)*resolvers docker\n(    .*\n)+\n", re.MULTILINE)


def render_haproxy_cfg(
    *,
    port: int,
    servers: Sequence[tuple[str, int]],
    monitor_port: int,
    host: str = "127.0.0.1",
    check_interval: str | None = None,
    template: str | None = None,
) -> str:
    """deploy/haproxy/haproxy.cfg listening on ``host:port`` (the site) and
    ``host:monitor_port`` (/lb-healthz, /stats), balancing over ``servers`` (web1, web2…)
    instead of the replicas Docker's DNS names; ``check_interval`` (e.g. "1s") shortens the
    health checks' period for a short local run."""
    if not servers:
        raise ProxyError("a balancer needs at least one server")
    text = template if template is not None else HAPROXY_CFG.read_text()

    def servers_for(match: re.Match) -> str:
        indent, name, options = match.groups()
        return "\n".join(
            f"{indent}server {name}{n} {address}:{server_port} {options}".rstrip()
            for n, (address, server_port) in enumerate(servers, start=1)
        )

    text, sites = _SITE_BIND.subn(rf"\g<1>bind {host}:{port}", text)
    text, monitors = _MONITOR_BIND.subn(rf"\g<1>bind {host}:{monitor_port}", text)
    text, templates = _TEMPLATE.subn(servers_for, text)
    text, resolvers = _RESOLVERS.subn("", text)
    if (sites, monitors, resolvers) != (1, 1, 1) or not templates:
        raise ProxyError("haproxy.cfg no longer has the binds, servers or resolvers expected")
    if check_interval:
        text = re.sub(r"\binter \S+", f"inter {check_interval}", text)
    return text


class LocalHAProxy:
    """HAProxy on free ports in front of ``servers`` [(host, port)], named web1, web2… in
    the order given (and web-any1… as the unchecked backups of the compose file)."""

    def __init__(
        self,
        *,
        servers: Sequence[tuple[str, int]],
        port: int | None = None,
        monitor_port: int | None = None,
        check_interval: str | None = "1s",
        tls_proxies: str = "",
    ) -> None:
        self.servers = list(servers)
        self.port = port or free_port()
        self.monitor_port = monitor_port or free_port()
        self.check_interval = check_interval
        self.tls_proxies = tls_proxies
        self.folder: Path | None = None
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        assert self.folder is not None
        return self.folder / "haproxy.log"

    def start(self) -> LocalHAProxy:
        if not os.access(HAPROXY, os.X_OK):
            raise ProxyError(f"{HAPROXY} is missing: apt-get install haproxy")
        self.folder = _readable_folder("network-haproxy-")
        config = self.folder / "haproxy.cfg"
        config.write_text(
            render_haproxy_cfg(
                port=self.port,
                servers=self.servers,
                monitor_port=self.monitor_port,
                check_interval=self.check_interval,
            )
        )
        env = dict(os.environ, LB_TLS_PROXIES=self.tls_proxies)
        log = open(self.log_path, "wb")  # noqa: SIM115 - the child writes to it
        # -db: in the foreground, as in the container; -W: a master that reloads on SIGUSR2.
        self.process = subprocess.Popen(
            [HAPROXY, "-W", "-db", "-f", str(config)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        _wait_listening(self.monitor_port, self.process, self.log_path, "haproxy")
        return self

    def stop(self) -> None:
        _stop(self.process)
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> LocalHAProxy:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def server_stats(self) -> dict[str, dict[str, str]]:
        """Per server of the web backend: its row of /stats;csv (``status``: UP, DOWN…;
        ``stot``: requests sent to it; ``hrsp_2xx``…)."""
        url = f"http://127.0.0.1:{self.monitor_port}/stats;csv"
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - local
            rows = csv.DictReader(io.StringIO(response.read().decode().lstrip("# ")))
            return {
                row["svname"]: row
                for row in rows
                if row["pxname"] == "web" and row["svname"] not in {"FRONTEND", "BACKEND"}
            }
