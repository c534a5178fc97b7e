"""``make run`` keeps the network up: the Celery worker killed with SIGKILL is started again
after its back-off, with a line saying so, while web keeps serving and ``/healthz`` turns green
with the new worker; so is web; SIGTERM then stops every process it started."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import psutil
import pytest
import redis
from django.conf import settings

from network.celery import HEARTBEAT_PREFIX
from scripts.drills.processes import ROOT, port_open, spare_port, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


class Output:
    """The supervisor's stdout, line by line, read in a thread so the test can wait on it with
    a deadline."""

    def __init__(self, stream):
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream) -> None:
        for line in stream:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def expect(self, pattern: str, *, seconds: float) -> re.Match:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            self.lines.append(line)
            if match := re.search(pattern, line):
                return match
        raise AssertionError(f"no line matching {pattern!r}; the run printed:\n" + self.text())

    def text(self) -> str:
        return "\n".join(self.lines)


def _healthz(url: str) -> dict:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:  # noqa: S310
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        return json.loads(error.read())
    except (urllib.error.URLError, OSError):
        return {}


def _alive(pid: int) -> bool:
    with contextlib.suppress(psutil.NoSuchProcess):
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    return False


def _session_members(session_leader: int) -> list[int]:
    """Live processes still in the process group the dead child led."""
    members = []
    for process in psutil.process_iter(["pid", "status"]):
        with contextlib.suppress(ProcessLookupError, psutil.Error):
            if (
                os.getpgid(process.info["pid"]) == session_leader
                and process.info["status"] != psutil.STATUS_ZOMBIE
            ):
                members.append(process.info["pid"])
    return members


def test_killed_worker_and_web_are_restarted_and_sigterm_stops_everything(
    drill_env, own_redis, tmp_path
):
    data = tmp_path / "data"
    port = spare_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **drill_env,
        "NETWORK_DATA_DIR": str(data),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "RUN_SEED_DEMO": "false",
        "WEB_CONCURRENCY": "1",
        "WORKER_CONCURRENCY": "1",
        "START_TIMEOUT": "180",
    }
    supervisor = subprocess.Popen(
        [sys.executable, "-m", "network.run"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output = Output(supervisor.stdout)
    started: set[int] = set()
    try:
        output.expect(r"Global US Merchants Network is running\.", seconds=240)
        pids = json.loads((data / "run.json").read_text())["processes"]
        started.update(pids.values())
        old_worker = pids["worker"]

        os.kill(old_worker, signal.SIGKILL)
        # Its heartbeat would stay for its time to live: without it, only a new worker can
        # turn /healthz green again.
        broker = redis.Redis.from_url(own_redis.url)
        for key in broker.scan_iter(match=f"{HEARTBEAT_PREFIX}*"):
            broker.delete(key)

        output.expect(
            rf"the worker process \(pid {old_worker}\) stopped \(exit -9, killed by SIGKILL\); "
            r"restarting it in 1 s, at \d\d:\d\d:\d\d\. See .*worker\.log\.",
            seconds=30,
        )
        new_worker = int(
            output.expect(r"the worker process restarted \(pid (\d+)\)\.", seconds=30).group(1)
        )
        started.add(new_worker)
        assert new_worker != old_worker and _alive(new_worker)
        assert json.loads((data / "run.json").read_text())["processes"] == {
            **pids,
            "worker": new_worker,
        }
        # The dead worker's pool process went with it; the other processes never stopped.
        wait_for(
            lambda: _session_members(old_worker) == [],
            seconds=30,
            what="the dead worker's pool process to be gone",
        )
        assert all(_alive(pid) for name, pid in pids.items() if name != "worker")
        # The new worker and the others (one per kind of work), their heartbeats back.
        health = wait_for(
            lambda: (
                (answer := _healthz(url)).get("status") == "ok"
                and answer.get("worker_count") == len(settings.WORKER_QUEUES)
                and answer
            ),
            seconds=90,
            what="/healthz to report the new worker beside the others",
        )
        assert health["workers"] == "ok"
        deaths = [line for line in output.lines if " process (pid " in line]
        assert len(deaths) == 1 and f"(pid {old_worker})" in deaths[0], output.text()

        # Web too: the dead master's workers are killed, so the new one gets the port.
        os.kill(pids["web"], signal.SIGKILL)
        output.expect(
            rf"the web process \(pid {pids['web']}\) stopped \(exit -9, killed by SIGKILL\); "
            r"restarting it in 1 s",
            seconds=30,
        )
        new_web = int(
            output.expect(r"the web process restarted \(pid (\d+)\)\.", seconds=30).group(1)
        )
        started.add(new_web)
        wait_for(
            lambda: _healthz(url).get("status") == "ok",
            seconds=90,
            what="/healthz from the new web process",
        )
        assert _alive(new_worker) and _alive(pids["beat"])

        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(90) == 0
        for pid in started:
            wait_for(lambda pid=pid: not _alive(pid), seconds=30, what=f"pid {pid} to exit")
        assert not port_open(port)
        assert not (data / "run.json").exists()
    finally:
        if supervisor.poll() is None:
            supervisor.send_signal(signal.SIGTERM)
            try:
                supervisor.wait(90)
            except subprocess.TimeoutExpired:
                supervisor.kill()
                supervisor.wait()
        for pid in started:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
