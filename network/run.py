"""Run the whole network on one machine: web, the Celery workers (one per kind of work, as
``WORKER_QUEUES`` in the settings says) and beat, on PostgreSQL and Redis, with the carrier
process (``python -m carriersim``) playing Maersk and CMA CGM unless ``CARRIER_MAEU_API_URL``
names a real carrier.

    python -m network.run            (what `make run` calls after installing)

Without ``DATABASE_URL`` / ``REDIS_URL`` it starts the embedded servers and stops them again
on exit. It migrates, loads the demo data (unless ``RUN_SEED_DEMO=false``), waits until
``/healthz`` is green and prints the URL and the demo logins. A process that dies afterwards is
started again after a back-off, with a line saying so. Ctrl-C (or SIGTERM) stops everything it
started.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path

from network import devservices

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent

# A process that dies is started again after RESTART_FIRST_DELAY seconds, then twice as long
# after each death in a row up to RESTART_MAX_DELAY; one that had run RESTART_RESET_AFTER
# seconds before dying counts as a first death again.
RESTART_FIRST_DELAY = 1.0
RESTART_MAX_DELAY = 30.0
RESTART_RESET_AFTER = 60.0


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


def _wait_healthy(url: str, children: dict[str, Child], seconds: float) -> dict:
    deadline = time.monotonic() + seconds
    last: dict = {}
    while time.monotonic() < deadline:
        for name, child in children.items():
            # Dying before the network is up is a configuration to fix, not a crash to retry.
            if child.exited():
                fail(f"the {name} process exited during start-up; see {_shown(child.log)}")
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


def _banner(url: str, *, demo: bool, carriers_url: str = "") -> str:
    from network.demo import DEMO_ACCOUNTS, DEMO_OPERATOR_TOTP_SECRET, DEMO_PASSWORD

    width = max(len(account.email) for account in DEMO_ACCOUNTS)
    lines = [
        "",
        "  Global US Merchants Network is running.",
        "",
        f"  Open  {url}",
        f"  Health {url}/healthz",
        "",
    ]
    if carriers_url:
        lines += [
            f"  Carriers {carriers_url}/MAEU, {carriers_url}/CMDU (the carrier process, playing",
            "  Maersk and CMA CGM; credentials in var/carriers.env)",
            "",
        ]
    if demo:
        lines.append(f"  Demo logins (password for all: {DEMO_PASSWORD})")
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
        ]
    else:
        lines += ["  No demo data was loaded (RUN_SEED_DEMO=false).", ""]
    lines += ["  Mail is written to var/mail/; logs to var/log/. Press Ctrl-C to stop.", ""]
    return "\n".join(lines)


def _clock(at: float | None = None) -> str:
    return time.strftime("%H:%M:%S", time.localtime(at))


def _exit_text(returncode: int) -> str:
    if returncode < 0:
        with contextlib.suppress(ValueError):
            return f"exit {returncode}, killed by {signal.Signals(-returncode).name}"
    return f"exit {returncode}"


STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Ctrl-C and SIGTERM wait until the block is over, so a child is never started without
    being recorded for ``stop_all``."""
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


def _unblock_stop_signals() -> None:
    # A child inherits the signal mask: it is started inside ``_signals_held`` and must still
    # stop on SIGTERM. (The supervisor runs no threads, so a pre-exec function is safe here.)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


class Child:
    """One of the carrier process, web, worker and beat: started in a session of its own
    (Ctrl-C in the terminal reaches only the supervisor, which stops the children in order), its
    output in its log."""

    def __init__(self, name: str, command: list[str], log: Path) -> None:
        self.name = name
        self.command = command
        self.log = log
        self.process: subprocess.Popen | None = None
        self.started_at = 0.0
        self.delay = RESTART_FIRST_DELAY
        self.restart_at: float | None = None

    def start(self, env: dict[str, str]) -> None:
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_unblock_stop_signals,  # noqa: PLW1509 - no threads (see above)
            )
        self.started_at = time.monotonic()
        self.restart_at = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def exited(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def kill_leftovers(self) -> None:
        """What the process left in its session: a worker's pool processes, gunicorn's
        workers still holding the port."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)

    def schedule_restart(self, now: float) -> str:
        """Plan the restart after the back-off; the line to print."""
        assert self.process is not None
        if now - self.started_at >= RESTART_RESET_AFTER:
            self.delay = RESTART_FIRST_DELAY
        self.kill_leftovers()
        self.restart_at = now + self.delay
        line = (
            f"{_clock()} the {self.name} process (pid {self.pid}) stopped "
            f"({_exit_text(self.process.returncode)}); restarting it in {self.delay:g} s, at "
            f"{_clock(time.time() + self.delay)}. See {_shown(self.log)}."
        )
        self.delay = min(self.delay * 2, RESTART_MAX_DELAY)
        return line


def _shown(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.relative_to(BASE_DIR))
    return str(path)


def _write_state(data: Path, url: str, children: dict[str, Child]) -> None:
    """``run.json``: where the network runs and the pids of its processes now."""
    state = {
        "pid": os.getpid(),
        "url": url,
        "processes": {name: child.pid for name, child in children.items() if child.process},
    }
    (data / "run.state.tmp").write_text(json.dumps(state))
    (data / "run.state.tmp").replace(data / "run.json")


def _supervise(env: dict[str, str], data: Path, url: str, children: dict[str, Child]) -> None:
    """Keep web, worker and beat running until Ctrl-C or SIGTERM: a process that dies is
    started again after its back-off, and each death and restart is one printed line."""
    while True:
        now = time.monotonic()
        for child in children.values():
            if child.restart_at is None and child.exited():
                print(child.schedule_restart(now), flush=True)
            elif child.restart_at is not None and now >= child.restart_at:
                with _signals_held():
                    child.start(env)
                    _write_state(data, url, children)
                print(
                    f"{_clock()} the {child.name} process restarted (pid {child.pid}).", flush=True
                )
        time.sleep(0.25)


# The carriers the carrier process plays, and how it behaves unless CARRIER_SIM_* say otherwise:
# an answer after about five seconds, one request in twenty rejected, one call in fifty failing,
# a tracking event every twenty seconds.
SIMULATED_CARRIERS = ("MAEU", "CMDU")
CARRIER_SIM_DEFAULTS = {
    "CARRIER_SIM_DELAY": "5",
    "CARRIER_SIM_REJECTION_RATE": "0.05",
    "CARRIER_SIM_FAILURE_RATE": "0.02",
    "CARRIER_SIM_EVENT_INTERVAL": "20",
}
BOOKING_NOTIFICATIONS_PATH = "/api/v1/shipping/carriers/{scac}/booking-notifications/"


def carrier_credentials(data: Path) -> dict[str, str]:
    """The demo carriers' client credentials and notification secrets, made once and kept in
    ``var/carriers.env`` (mode 600) so that tokens and signatures survive a restart."""
    path = data / "carriers.env"
    if not path.exists():
        lines = []
        for scac in SIMULATED_CARRIERS:
            lines += [
                f"CARRIER_{scac}_CLIENT_ID=network-demo-{scac.lower()}",
                f"CARRIER_{scac}_CLIENT_SECRET={secrets.token_urlsafe(32)}",
                f"CARRIER_{scac}_NOTIFICATION_SECRET={secrets.token_urlsafe(32)}",
            ]
        path.touch(mode=0o600)
        path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
    values = {}
    for line in path.read_text().splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip() and not name.lstrip().startswith("#"):
            values[name.strip()] = value.strip()
    return values


def carrier_process(env: dict[str, str], data: Path, *, port: int, site_url: str) -> list[str]:
    """Point the network at the carrier process on ``port`` (adding to ``env``); its command."""
    for name, value in carrier_credentials(data).items():
        env.setdefault(name, value)
    base = f"http://127.0.0.1:{port}"
    for scac in SIMULATED_CARRIERS:
        env[f"CARRIER_{scac}_API_URL"] = f"{base}/{scac}"
        env[f"CARRIER_{scac}_TOKEN_URL"] = f"{base}/{scac}/oauth2/token"
    option = {name: env.get(name) or default for name, default in CARRIER_SIM_DEFAULTS.items()}
    return [
        PYTHON,
        "-m",
        "carriersim",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--carriers",
        ",".join(SIMULATED_CARRIERS),
        "--delay",
        option["CARRIER_SIM_DELAY"],
        "--rejection-rate",
        option["CARRIER_SIM_REJECTION_RATE"],
        "--failure-rate",
        option["CARRIER_SIM_FAILURE_RATE"],
        "--event-interval",
        option["CARRIER_SIM_EVENT_INTERVAL"],
        "--booking-callback",
        site_url.rstrip("/") + BOOKING_NOTIFICATIONS_PATH,
    ]


# Processes per worker unless <NAME>_CONCURRENCY (WORKER_CONCURRENCY, WORKER_SHIPPING_CONCURRENCY,
# WORKER_MAIL_CONCURRENCY) says otherwise; docker-compose.yml has the same defaults.
WORKER_CONCURRENCY = {"worker": 2, "worker-shipping": 2, "worker-mail": 1}


def concurrency_variable(worker: str) -> str:
    return f"{worker.upper().replace('-', '_')}_CONCURRENCY"


def worker_commands(environ: Mapping[str, str]) -> dict[str, list[str]]:
    """One Celery worker per entry of ``settings.WORKER_QUEUES``, consuming only its queues:
    the fan-out never waits behind mail or carrier calls."""
    from django.conf import settings

    return {
        name: [
            str(BIN / "celery"),
            "-A",
            "network",
            "worker",
            "--loglevel",
            "INFO",
            "-Q",
            ",".join(queues),
            "--concurrency",
            environ.get(concurrency_variable(name)) or str(WORKER_CONCURRENCY.get(name, 1)),
            "--hostname",
            f"{name}-{os.getpid()}@%h",
        ]
        for name, queues in settings.WORKER_QUEUES.items()
    }


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
    simulate_carriers = not os.environ.get("CARRIER_MAEU_API_URL")
    carrier_port = 0
    if simulate_carriers:
        carrier_port_text = os.environ.get("CARRIER_SIM_PORT") or str(port + 1)
        if not carrier_port_text.isdigit() or not 0 < int(carrier_port_text) < 65536:
            fail(f"CARRIER_SIM_PORT={carrier_port_text!r} is not a port number; set it to 1-65535.")
        carrier_port = int(carrier_port_text)
        if carrier_port == port or not devservices._port_is_free(carrier_port):
            fail(
                f"port {carrier_port} (the carrier process) is already in use; stop what uses it "
                f"or run with CARRIER_SIM_PORT={carrier_port + 1}."
            )

    env = dict(os.environ)
    started: list[str] = []
    try:
        if not env.get("DATABASE_URL"):
            env["DATABASE_URL"], fresh = devservices.start_postgres()
            if fresh:
                started.append("postgres")
        if not env.get("REDIS_URL") and env.get("REDIS_BROKER_URL") and env.get("REDIS_CACHE_URL"):
            # Both roles named: REDIS_URL, their default, is then the broker's.
            env["REDIS_URL"] = env["REDIS_BROKER_URL"]
        if not env.get("REDIS_URL"):
            env["REDIS_URL"], fresh = devservices.start_redis()
            if fresh:
                started.append("redis")
    except devservices.ServiceError as error:
        fail(str(error))
    env.setdefault("SITE_URL", url)
    carriers_command = (
        carrier_process(env, data, port=carrier_port, site_url=env["SITE_URL"])
        if simulate_carriers
        else None
    )
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "REDIS_URL", "SITE_URL")})

    from django.core.exceptions import ImproperlyConfigured

    try:
        import django

        django.setup()
    except ImproperlyConfigured as error:
        fail(str(error))

    logs = data / "log"
    logs.mkdir(exist_ok=True)
    children: dict[str, Child] = {}
    seed_demo = os.environ.get("RUN_SEED_DEMO", "true").strip().lower() not in ("false", "0", "no")

    def stop_all(*_args) -> None:
        # Stopping is bounded (15 s a process); a second Ctrl-C must not cut it short and
        # leave processes or the embedded servers behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        running = [child for child in children.values() if child.process is not None]
        for child in running:
            if not child.exited():
                child.process.terminate()
        for child in running:
            try:
                child.process.wait(15)
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()
            child.kill_leftovers()
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
        print(
            "Preparing the database (migrate, demo data)…"
            if seed_demo
            else "Preparing the database (migrate)…",
            flush=True,
        )
        for command in [["migrate", "--noinput"]] + ([["seed_demo"]] if seed_demo else []):
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
        commands = {"carriers": carriers_command} if carriers_command else {}
        commands |= {
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
            **worker_commands(os.environ),
            "beat": [str(BIN / "celery"), "-A", "network", "beat", "--loglevel", "INFO"],
        }
        for name, command in commands.items():
            with _signals_held():
                children[name] = Child(name, command, logs / f"{name}.log")
                children[name].start(env)
        _write_state(data, url, children)
        _wait_healthy(url, children, float(os.environ.get("START_TIMEOUT", "90")))
        carriers_url = f"http://127.0.0.1:{carrier_port}" if carriers_command else ""
        print(_banner(url, demo=seed_demo, carriers_url=carriers_url), flush=True)
        _supervise(env, data, url, children)
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
    finally:
        stop_all()
        lock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
