"""/healthz reports the database, Redis and the Celery workers, with 200 or 503."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import OperationalError, connection

from network import devservices

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def _isolated_broker(settings, db: int) -> str:
    """A Redis database of its own, so workers of another run on the same server don't answer."""
    url = settings.REDIS_URL.rsplit("/", 1)[0] + f"/{db}"
    settings.REDIS_URL = url
    settings.CELERY_BROKER_URL = url
    return url


@pytest.fixture
def worker(settings):
    url = _isolated_broker(settings, 14)
    env = {**os.environ, "REDIS_URL": url, "CELERY_TASK_ALWAYS_EAGER": "false"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "network",
            "worker",
            "--pool",
            "solo",
            "-Q",
            f"healthcheck-{os.getpid()}",
            "--hostname",
            f"healthcheck-{os.getpid()}@%h",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    from network.health import check_workers

    deadline = time.monotonic() + 60
    while check_workers("ok")[0] != "ok" and time.monotonic() < deadline:
        assert process.poll() is None, "the worker exited"
        time.sleep(0.5)
    yield process
    process.terminate()
    process.wait(20)


def test_all_services_up_answers_200(client, worker):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert (body["database"], body["redis"], body["workers"]) == ("ok", "ok", "ok")
    assert body["worker_count"] >= 1

    # A worker that stops takes its heartbeat with it.
    worker.terminate()
    worker.wait(20)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["workers"] == "error: no worker answered"


def test_no_worker_answers_503(client, settings):
    _isolated_broker(settings, 13)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok"
    assert body["redis"] == "ok"
    assert body["workers"] == "error: no worker answered"


def test_redis_down_answers_503(client, settings):
    closed_port = devservices._free_port()
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port}/0"
    settings.CELERY_BROKER_URL = settings.REDIS_URL
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["redis"] == "error: ConnectionError"
    assert body["workers"].startswith("unreachable")
    assert body["database"] == "ok"


def test_database_down_answers_503(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "error: OperationalError"
