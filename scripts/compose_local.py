"""Run the services of docker-compose.yml, with its commands and configuration files, on this
machine's PostgreSQL and Redis: PgBouncer (deploy/pgbouncer) in front of PostgreSQL, migrate
straight to PostgreSQL, then two web processes (gunicorn) behind HAProxy (deploy/haproxy), the
workers and beat through PgBouncer; wait for the health checks, check /healthz and /metrics
through the balancer, that requests reached both web processes and that the app's transactions
went through PgBouncer, and stop everything again. It proves the compose file right without
Docker.

    .venv/bin/python scripts/compose_local.py

DATABASE_URL names the server to use (default postgres://postgres@127.0.0.1:5432/postgres, which
must trust local connections); a database of its own is created there and dropped at the end.
COMPOSE_LOCAL_REDIS_URL (the broker, default database 15 of the machine's Redis) and
COMPOSE_LOCAL_REDIS_CACHE_URL (the cache, default the broker's server, one database lower) keep
queues and cache apart from any other instance's. COMPOSE_LOCAL_DATABASE_TEMPLATE names an
already migrated database to start the new one from (the tests pass theirs). The commands
below are the compose file's, word for word (tests/network/test_deployment_files.py checks
it); the configuration files are rendered with local addresses by scripts/local_proxies.py, and
the web processes bind to 127.0.0.1 and free ports instead of 0.0.0.0:8000.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

if __package__ in (None, ""):  # run as a script: the checkout is the import root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.local_proxies import (  # noqa: E402 - after the path above
    HAPROXY_CFG,
    PGBOUNCER_INI,
    LocalHAProxy,
    LocalPgBouncer,
    ProxyError,
)

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

# ${WEB_CONCURRENCY:-2} and the workers' ${…_CONCURRENCY:-n} are read from the environment as
# compose does.
COMMANDS: dict[str, list[str]] = {
    "migrate": ["python", "manage.py", "migrate", "--noinput"],
    "web": [
        "gunicorn",
        "network.wsgi:application",
        "--config",
        "python:network.gunicorn_config",
        "--bind",
        "0.0.0.0:8000",
        "--workers",
        "${WEB_CONCURRENCY:-2}",
        "--timeout",
        "60",
    ],
    "worker": [
        "celery",
        "-A",
        "network",
        "worker",
        "-Q",
        "orders,payments",
        "--loglevel",
        "INFO",
        "--concurrency",
        "${WORKER_CONCURRENCY:-2}",
    ],
    "worker-shipping": [
        "celery",
        "-A",
        "network",
        "worker",
        "-Q",
        "shipping",
        "--loglevel",
        "INFO",
        "--concurrency",
        "${WORKER_SHIPPING_CONCURRENCY:-2}",
    ],
    "worker-mail": [
        "celery",
        "-A",
        "network",
        "worker",
        "-Q",
        "mail,notifications,default",
        "--loglevel",
        "INFO",
        "--concurrency",
        "${WORKER_MAIL_CONCURRENCY:-1}",
    ],
    "beat": ["celery", "-A", "network", "beat", "--loglevel", "INFO"],
}
WORKER_HEALTHCHECK = "celery -A network inspect ping --destination celery@$HOSTNAME --timeout 5"
# The compose services that run an image of their own with a configuration file of this
# checkout, and where compose mounts it; rendered here with local addresses.
CONFIG_FILES = {
    "pgbouncer": (PGBOUNCER_INI, "/etc/pgbouncer/pgbouncer.ini"),
    "lb": (HAPROXY_CFG, "/usr/local/etc/haproxy/haproxy.cfg"),
}
# Web processes behind the balancer, as `docker compose up --scale web=2` runs them.
WEB_REPLICAS = 2
# Requests sent through the balancer to see each web process answer some.
BALANCED_REQUESTS = 4


def interpolate(word: str, env: dict) -> str:
    """``${NAME:-default}`` as compose reads it."""
    if word.startswith("${") and word.endswith("}") and ":-" in word:
        name, default = word[2:-1].split(":-", 1)
        return env.get(name) or default
    return word


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _executable(word: str) -> str:
    """``python``, ``gunicorn`` and ``celery`` from this virtualenv, as the image's PATH has."""
    return str(BIN / word) if (BIN / word).exists() else word


def _admin_connection(server_url: str):
    import psycopg2

    parsed = urlparse(server_url)
    connection = psycopg2.connect(
        host=parsed.hostname,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        dbname="postgres",
    )
    connection.autocommit = True
    return connection


def _get(url: str, **headers) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - http to ourselves
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except (urllib.error.URLError, OSError):
        return 0, ""


def _encoding(url: str) -> str:
    """How the server encodes ``url`` for a browser that takes brotli and gzip."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": "br, gzip"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return f"{response.status} {response.headers.get('Content-Encoding') or 'identity'}"
    except urllib.error.HTTPError as error:
        return f"{error.code}"
    except (urllib.error.URLError, OSError):
        return "0"


def _cache_url(broker_url: str) -> str:
    """The broker's Redis server, one database lower (or database 1 below database 0)."""
    parsed = urlparse(broker_url)
    database = int(parsed.path.strip("/") or 0)
    return parsed._replace(path=f"/{database - 1 if database else 1}").geturl()


def _start(name: str, words: list[str], env: dict, logs: Path, **bind) -> subprocess.Popen:
    command = [interpolate(word, env) for word in words]
    command[0] = _executable(command[0])
    if "port" in bind:
        command[command.index("0.0.0.0:8000")] = f"127.0.0.1:{bind['port']}"
    print(f"{name}: {' '.join(words)}", flush=True)
    log = open(logs / f"{name}.log", "wb")  # noqa: SIM115 - the child writes to it
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def main() -> int:
    server_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    broker_url = os.environ.get("COMPOSE_LOCAL_REDIS_URL", "redis://127.0.0.1:6379/15")
    cache_url = os.environ.get("COMPOSE_LOCAL_REDIS_CACHE_URL") or _cache_url(broker_url)
    database = f"network_compose_{os.getpid()}"
    port = int(os.environ.get("COMPOSE_LOCAL_PORT") or _free_port())
    token = secrets.token_urlsafe(24)
    work = Path(tempfile.mkdtemp(prefix="network-compose-"))
    parsed = urlparse(server_url)
    direct_url = parsed._replace(path=f"/{database}").geturl()
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": direct_url,
            "DATABASE_PGBOUNCER": "false",
            "REDIS_BROKER_URL": broker_url,
            "REDIS_CACHE_URL": cache_url,
            "REDIS_URL": broker_url,
            "DJANGO_PRODUCTION": "true",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "TRUSTED_PROXY_COUNT": "1",
            "SITE_URL": f"http://127.0.0.1:{port}",
            "NETWORK_DATA_DIR": str(work / "data"),
            "STATIC_ROOT": str(work / "staticfiles"),
            "MEDIA_ROOT": str(work / "data" / "media"),
            "PRIVATE_MEDIA_ROOT": str(work / "data" / "private"),
            "LOG_FORMAT": "json",
            "METRICS_TOKEN": token,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "HOSTNAME": f"compose-local-{os.getpid()}",
            "PYTHONUNBUFFERED": "1",
        }
    )
    admin = _admin_connection(server_url)
    # A copy of an already migrated database, when given one (the tests' template: migrating
    # from nothing is tested where that template is made), leaves migrate nothing to apply.
    template = os.environ.get("COMPOSE_LOCAL_DATABASE_TEMPLATE", "")
    if template and not re.fullmatch(r"[a-z0-9_]+", template):
        raise SystemExit(f"COMPOSE_LOCAL_DATABASE_TEMPLATE is not a database name: {template!r}")
    copy_of = f' TEMPLATE "{template}"' if template else ""
    admin.cursor().execute(f'CREATE DATABASE "{database}"{copy_of}')
    processes: dict[str, subprocess.Popen] = {}
    bouncer = LocalPgBouncer(
        server_host=parsed.hostname or "127.0.0.1",
        server_port=parsed.port or 5432,
        user=parsed.username or "postgres",
    )
    web_ports = [_free_port() for _replica in range(WEB_REPLICAS)]
    balancer = LocalHAProxy(servers=[("127.0.0.1", p) for p in web_ports], port=port)
    logs = work / "logs"
    logs.mkdir()
    ok = False
    try:
        # What the image's build does: static files collected once (the Dockerfile's RUN).
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        bouncer.start()
        print(f"pgbouncer: {PGBOUNCER_INI.relative_to(ROOT)} on port {bouncer.port}", flush=True)
        # migrate: straight to PostgreSQL, as compose runs it (service_completed_successfully
        # before the others start).
        if _start("migrate", COMMANDS["migrate"], env, logs).wait(600) != 0:
            raise SystemExit(f"migrate failed; see {logs / 'migrate.log'}")
        pooled = dict(env, DATABASE_URL=bouncer.url(database), DATABASE_PGBOUNCER="true")
        for replica, web_port in enumerate(web_ports, start=1):
            processes[f"web{replica}"] = _start(
                f"web{replica}", COMMANDS["web"], pooled, logs, port=web_port
            )
        for name in ("worker", "worker-shipping", "worker-mail", "beat"):
            processes[name] = _start(name, COMMANDS[name], pooled, logs)
        balancer.start()
        print(f"lb: {HAPROXY_CFG.relative_to(ROOT)} on port {port}", flush=True)

        deadline = time.monotonic() + float(os.environ.get("COMPOSE_LOCAL_TIMEOUT", "120"))
        status, body, states = 0, "", {}
        while time.monotonic() < deadline:
            for name, process in processes.items():
                if process.poll() is not None:
                    raise SystemExit(f"{name} exited; see {logs / (name + '.log')}")
            states = {name: row["status"] for name, row in balancer.server_stats().items()}
            if all(states.get(f"web{n}") == "UP" for n in range(1, WEB_REPLICAS + 1)):
                status, body = _get(f"{balancer.url}/healthz")
                if status == 200:
                    break
            time.sleep(1)
        print(f"/healthz: {status} {body}", flush=True)
        if status != 200:
            raise SystemExit(f"web did not become healthy behind the balancer: {states}")
        health = json.loads(body)
        # CMD-SHELL in compose: a shell expands $HOSTNAME (the container's, here this host's).
        ping = subprocess.run(
            ["/bin/sh", "-c", WORKER_HEALTHCHECK],
            cwd=ROOT,
            env=dict(pooled, HOSTNAME=socket.gethostname(), PATH=f"{BIN}{os.pathsep}{env['PATH']}"),
            capture_output=True,
            text=True,
            timeout=60,
        )
        print(f"worker healthcheck: exit {ping.returncode}", flush=True)
        answers = [
            _get(f"{balancer.url}/metrics", Authorization=f"Bearer {token}")
            for _request in range(BALANCED_REQUESTS)
        ]
        metrics_status, metrics_body = answers[0]
        print(f"/metrics: {metrics_status}", flush=True)
        stats = balancer.server_stats()
        served = {
            f"web{n}": (logs / f"web{n}.log").read_text().count("GET /metrics 200")
            for n in range(1, WEB_REPLICAS + 1)
        }
        print(
            "balanced: "
            + ", ".join(f"{name} {count} requests" for name, count in served.items())
            + " ("
            + ", ".join(f"{name} {stats[name]['stot']}" for name in served)
            + " by the balancer's count)",
            flush=True,
        )
        # The build's static files as browsers get them: the style sheet compressed, a source
        # map (for developer tools) as it is.
        manifest = json.loads((work / "staticfiles" / "staticfiles.json").read_text())["paths"]
        redoc_map = "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js.map"
        for name in ("css/app.css", redoc_map):
            print(f"static {name}: {_encoding(f'{balancer.url}/static/{manifest[name]}')}")
        (pool,) = [row for row in bouncer.admin("SHOW STATS") if row["database"] == database]
        print(f"pgbouncer: {pool['total_xact_count']} transactions", flush=True)
        ok = (
            health["database"] == "ok"
            and health["redis"] == "ok"
            and health["cache"] == "ok"
            and health["worker_count"] >= 1
            and ping.returncode == 0
            and all(status == 200 for status, _body in answers)
            and "http_requests_total" in metrics_body
            and all(count >= 1 for count in served.values())
            and int(pool["total_xact_count"]) > 0
        )
    except ProxyError as error:
        print(f"error: {error}", flush=True)
    finally:
        balancer.stop()
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        bouncer.stop()
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.close()
        if ok:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"logs kept in {logs}", flush=True)
    print("compose commands: OK" if ok else "compose commands: FAILED", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
