"""The embedded PostgreSQL and Redis: start on demand, reuse, stop, survive a kill; and the
one-line errors of the run command and of a bad configuration."""

import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg2
import pytest
import redis

from network import devservices

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def data_dir(monkeypatch):
    # Under the checkout's data folder rather than pytest's temporary folder, which is private
    # to root (the server runs as its own system user when the tests run as root).
    parent = devservices.data_dir() / "test-devservices"
    parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(dir=parent))
    monkeypatch.setenv("NETWORK_DATA_DIR", str(folder))
    monkeypatch.delenv("EMBEDDED_POSTGRES_PORT", raising=False)
    monkeypatch.delenv("EMBEDDED_REDIS_PORT", raising=False)
    yield folder
    devservices.stop_postgres()
    devservices.stop_redis()
    shutil.rmtree(folder, ignore_errors=True)


def _sql(url: str, statement: str):
    connection = psycopg2.connect(url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
            return cursor.fetchall() if cursor.description else None
    finally:
        connection.close()


def test_postgres_starts_is_reused_stops_and_keeps_its_data(data_dir):
    url, started = devservices.start_postgres()
    assert started
    assert (data_dir / "postgres" / "data" / "PG_VERSION").exists()
    assert devservices.start_postgres() == (url, False)  # a second start reuses the server
    _sql(url, "CREATE TABLE sailing (id int); INSERT INTO sailing VALUES (42)")

    assert devservices.stop_postgres()
    assert devservices.postgres_running() is None
    again, started = devservices.start_postgres()
    assert started
    assert again == url  # the same port, when it is still free
    assert _sql(again, "SELECT id FROM sailing") == [(42,)]


def test_a_killed_postgres_leaves_nothing_that_blocks_the_next_start(data_dir):
    url, _ = devservices.start_postgres()
    _sql(url, "CREATE TABLE teu (n int); INSERT INTO teu VALUES (7)")
    os.kill(devservices.postgres_running().pid, signal.SIGKILL)
    time.sleep(0.5)
    assert (data_dir / "postgres" / "data" / "postmaster.pid").exists()  # stale
    url, started = devservices.start_postgres()
    assert started
    assert _sql(url, "SELECT n FROM teu") == [(7,)]


def test_redis_starts_is_reused_stops_and_survives_a_kill(data_dir):
    url, started = devservices.start_redis()
    assert started
    assert redis.Redis.from_url(url).ping()
    assert devservices.start_redis() == (url, False)
    os.kill(devservices.redis_running().pid, signal.SIGKILL)
    time.sleep(0.3)
    assert devservices.redis_running() is None
    url, started = devservices.start_redis()
    assert started and redis.Redis.from_url(url).ping()
    assert devservices.stop_redis()
    assert devservices.redis_running() is None


def test_a_port_in_use_is_one_clear_error(data_dir, monkeypatch):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setenv("EMBEDDED_REDIS_PORT", str(port))
        with pytest.raises(devservices.ServiceError) as error:
            devservices.start_redis()
    assert str(error.value) == (
        f"Port {port} (EMBEDDED_REDIS_PORT) is already in use; free it or set "
        "EMBEDDED_REDIS_PORT to another port."
    )


def _run(args, **env):
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "DATABASE_URL",
            "mysql//nowhere",
            "error: DATABASE_URL is malformed ('mysql//nowhere'); "
            "expected postgres://USER:PASSWORD@HOST:PORT/NAME.",
        ),
        (
            "REDIS_URL",
            "localhost:6379",
            "error: REDIS_URL is malformed ('localhost:6379'); expected redis://HOST:PORT/DB.",
        ),
    ],
)
def test_a_malformed_url_is_one_line_not_a_traceback(variable, value, message):
    result = _run(["manage.py", "check"], **{variable: value})
    assert result.returncode == 1
    assert result.stderr.strip() == message
    assert "Traceback" not in result.stdout + result.stderr


def test_a_second_run_says_the_network_is_already_running(tmp_path):
    (tmp_path / "run.json").write_text(json.dumps({"pid": 4242, "url": "http://127.0.0.1:8000"}))
    with open(tmp_path / "run.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        result = _run(["-m", "network.run"], NETWORK_DATA_DIR=str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: the network is already running (pid 4242) at http://127.0.0.1:8000; stop it "
        "with Ctrl-C in its terminal or `make stop`, then run again."
    )


def test_the_run_command_refuses_a_web_port_in_use(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _run(["-m", "network.run"], NETWORK_DATA_DIR=str(tmp_path), PORT=str(port))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"error: port {port} is already in use; stop what uses it or run with PORT={port + 1}."
    )
