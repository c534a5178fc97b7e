"""Run the whole network on one machine: web, Celery worker and beat, on PostgreSQL and Redis.

    python -m network.run            (what `make run` calls after installing)

Without ``DATABASE_URL`` / ``REDIS_URL`` it starts the embedded servers and stops them again
on exit. It migrates, loads the demo data, waits until ``/healthz`` is green and prints the
URL and the demo logins. Ctrl-C stops everything it started.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from network import devservices

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent


def fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    sys.exit(1)


def _acquire_run_lock(data: Path):
    """One run per checkout: a second one says where the first is, instead of fighting it."""
    lock_file = open(data / "run.lock", "a+")  # noqa: SIM115 - held for the process lifetime
    try:
        fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        state = {}
        with contextlib.suppress(OSError, ValueError):
            state = json.loads((data / "run.json").read_text())
        fail(
            f"the network is already running (pid {state.get('pid', '?')}) at "
            f"{state.get('url', 'its URL')}; stop it with Ctrl-C in its terminal or "
            "`make stop`, then run again."
        )
    return lock_file


def _wait_healthy(url: str, processes: dict[str, subprocess.Popen], seconds: float) -> dict:
    deadline = time.monotonic() + seconds
    last: dict = {}
    while time.monotonic() < deadline:
        for name, process in processes.items():
            if process.poll() is not None:
                fail(f"the {name} process exited during start-up; see var/log/{name}.log")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:  # noqa: S310
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            with contextlib.suppress(ValueError):
                last = json.loads(error.read())
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    fail(f"the network did not become healthy in {seconds:.0f}s: {last or 'no answer'}")
    return last


def _banner(url: str) -> str:
    from network.demo import DEMO_ACCOUNTS, DEMO_OPERATOR_TOTP_SECRET, DEMO_PASSWORD

    width = max(len(account.email) for account in DEMO_ACCOUNTS)
    lines = [
        "",
        "  Global US Merchants Network is running.",
        "",
        f"  Open  {url}",
        f"  Health {url}/healthz",
        "",
        f"  Demo logins (password for all: {DEMO_PASSWORD})",
    ]
    for account in DEMO_ACCOUNTS:
        lines.append(
            f"    {account.email.ljust(width)}  {account.organization_slug} · {account.role}"
        )
    lines += [
        "",
        "  Operators sign in with a second factor. Add this TOTP secret to an authenticator",
        f"  app: {DEMO_OPERATOR_TOTP_SECRET}, or print the current code with:",
        "    .venv/bin/python manage.py totp_code operator@example.com",
        "",
        "  Mail is written to var/mail/; logs to var/log/. Press Ctrl-C to stop.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "network.settings")
    data = devservices.data_dir()
    data.mkdir(parents=True, exist_ok=True)
    lock = _acquire_run_lock(data)

    host = os.environ.get("HOST", "127.0.0.1")
    port_text = os.environ.get("PORT", "8000")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        fail(f"PORT={port_text!r} is not a port number; set it to 1-65535.")
    port = int(port_text)
    if not devservices._port_is_free(port):
        fail(f"port {port} is already in use; stop what uses it or run with PORT={port + 1}.")
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"  # noqa: S104

    env = dict(os.environ)
    started: list[str] = []
    try:
        if not env.get("DATABASE_URL"):
            env["DATABASE_URL"], fresh = devservices.start_postgres()
            if fresh:
                started.append("postgres")
        if not env.get("REDIS_URL"):
            env["REDIS_URL"], fresh = devservices.start_redis()
            if fresh:
                started.append("redis")
    except devservices.ServiceError as error:
        fail(str(error))
    env.setdefault("SITE_URL", url)
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "REDIS_URL", "SITE_URL")})

    from django.core.exceptions import ImproperlyConfigured

    try:
        import django

        django.setup()
    except ImproperlyConfigured as error:
        fail(str(error))

    logs = data / "log"
    logs.mkdir(exist_ok=True)
    processes: dict[str, subprocess.Popen] = {}

    def stop_all(*_args) -> None:
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
        for process in processes.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        if "postgres" in started:
            devservices.stop_postgres()
        if "redis" in started:
            devservices.stop_redis()
        (data / "run.json").unlink(missing_ok=True)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    # Started in the background by a non-interactive shell, SIGINT arrives ignored; Ctrl-C must
    # still stop everything cleanly.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        print("Preparing the database (migrate, demo data)…", flush=True)
        for command in (["migrate", "--noinput"], ["seed_demo"]):
            result = subprocess.run(
                [PYTHON, "manage.py", *command],
                cwd=BASE_DIR,
                env=env,
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                fail(
                    f"manage.py {' '.join(command)} failed: "
                    f"{(result.stderr.strip().splitlines() or ['?'])[-1]}"
                )
        commands = {
            "web": [
                str(BIN / "gunicorn"),
                "network.wsgi:application",
                "--bind",
                f"{host}:{port}",
                "--workers",
                os.environ.get("WEB_CONCURRENCY", "2"),
                # JSON log lines, and /metrics summed over the gunicorn workers (as deployed).
                "--config",
                "python:network.gunicorn_config",
                "--timeout",
                "60",
            ],
            "worker": [
                str(BIN / "celery"),
                "-A",
                "network",
                "worker",
                "--loglevel",
                "INFO",
                "-Q",
                "default,notifications,orders,shipping",
                "--concurrency",
                os.environ.get("WORKER_CONCURRENCY", "2"),
                "--hostname",
                f"worker-{os.getpid()}@%h",
            ],
            "beat": [str(BIN / "celery"), "-A", "network", "beat", "--loglevel", "INFO"],
        }
        for name, command in commands.items():
            log = open(logs / f"{name}.log", "a")  # noqa: SIM115 - the child keeps it open
            processes[name] = subprocess.Popen(
                command,
                cwd=BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        (data / "run.json").write_text(json.dumps({"pid": os.getpid(), "url": url}))
        _wait_healthy(url, processes, float(os.environ.get("START_TIMEOUT", "90")))
        print(_banner(url), flush=True)
        while True:
            for name, process in processes.items():
                if process.poll() is not None:
                    fail(
                        f"the {name} process stopped (exit {process.returncode}); "
                        f"see var/log/{name}.log"
                    )
            time.sleep(1)
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
    finally:
        stop_all()
        lock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
