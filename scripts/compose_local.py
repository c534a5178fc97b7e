"""Run the processes of docker-compose.yml, with its commands, on this machine's PostgreSQL and
Redis: migrate, then web (gunicorn), the workers and beat; wait for the health checks, check
/healthz and /metrics, and stop everything again. It proves the compose commands right without
Docker.

    .venv/bin/python scripts/compose_local.py

DATABASE_URL names the server to use (default postgres://postgres@127.0.0.1:5432/postgres); a
database of its own is created there and dropped at the end. REDIS_URL defaults to database 15
of the machine's Redis, so queues never mix with another instance's. The commands below are the
compose file's, word for word (tests/network/test_deployment_files.py checks it); the only
change at run time is the bind address, 127.0.0.1 and a free port instead of 0.0.0.0:8000.
"""

from __future__ import annotations

import json
import os
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


def main() -> int:
    server_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    redis_url = os.environ.get("COMPOSE_LOCAL_REDIS_URL", "redis://127.0.0.1:6379/15")
    database = f"network_compose_{os.getpid()}"
    port = int(os.environ.get("COMPOSE_LOCAL_PORT") or _free_port())
    token = secrets.token_urlsafe(24)
    work = Path(tempfile.mkdtemp(prefix="network-compose-"))
    parsed = urlparse(server_url)
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": parsed._replace(path=f"/{database}").geturl(),
            "REDIS_URL": redis_url,
            "DJANGO_PRODUCTION": "true",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
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
    admin.cursor().execute(f'CREATE DATABASE "{database}"')
    processes: dict[str, subprocess.Popen] = {}
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
        for name, words in COMMANDS.items():
            command = [interpolate(word, env) for word in words]
            command[0] = _executable(command[0])
            if name == "web":
                command[command.index("0.0.0.0:8000")] = f"127.0.0.1:{port}"
            print(f"{name}: {' '.join(words)}", flush=True)
            log = open(logs / f"{name}.log", "wb")  # noqa: SIM115 - the child writes to it
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
            if name == "migrate":  # service_completed_successfully before the others start
                if process.wait(600) != 0:
                    raise SystemExit(f"migrate failed; see {logs / 'migrate.log'}")
                continue
            processes[name] = process

        deadline = time.monotonic() + float(os.environ.get("COMPOSE_LOCAL_TIMEOUT", "120"))
        status, body = 0, ""
        while time.monotonic() < deadline:
            for name, process in processes.items():
                if process.poll() is not None:
                    raise SystemExit(f"{name} exited; see {logs / (name + '.log')}")
            status, body = _get(
                f"http://127.0.0.1:{port}/healthz", **{"X-Forwarded-Proto": "https"}
            )
            if status == 200:
                break
            time.sleep(1)
        print(f"/healthz: {status} {body}", flush=True)
        if status != 200:
            raise SystemExit("web did not become healthy")
        health = json.loads(body)
        # CMD-SHELL in compose: a shell expands $HOSTNAME (the container's, here this host's).
        ping = subprocess.run(
            ["/bin/sh", "-c", WORKER_HEALTHCHECK],
            cwd=ROOT,
            env=dict(env, HOSTNAME=socket.gethostname(), PATH=f"{BIN}{os.pathsep}{env['PATH']}"),
            capture_output=True,
            text=True,
            timeout=60,
        )
        print(f"worker healthcheck: exit {ping.returncode}", flush=True)
        metrics_status, metrics_body = _get(
            f"http://127.0.0.1:{port}/metrics", Authorization=f"Bearer {token}"
        )
        print(f"/metrics: {metrics_status}", flush=True)
        ok = (
            health["database"] == "ok"
            and health["redis"] == "ok"
            and health["worker_count"] >= 1
            and ping.returncode == 0
            and metrics_status == 200
            and "http_requests_total" in metrics_body
        )
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
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
