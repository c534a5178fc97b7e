"""``make run``'s back-off before starting a dead process again: 1 s, doubling to 30 s, and 1 s
again for a process that had run a minute (the restart itself is a drill:
tests/drills/test_run_supervisor.py)."""

from __future__ import annotations

import os

from network.run import Child


def _dies(child: Child, *, after: float) -> tuple[float, str]:
    """Start ``child``, let it exit, and plan its restart as if ``after`` seconds had passed."""
    child.start(dict(os.environ))
    child.process.wait(30)
    now = child.started_at + after
    line = child.schedule_restart(now)
    return child.restart_at - now, line


def test_restarts_wait_longer_after_each_death_in_a_row_and_start_over_after_a_minute(tmp_path):
    child = Child("worker", ["sh", "-c", "exit 3"], tmp_path / "worker.log")
    delays = [_dies(child, after=2)[0] for _ in range(7)]
    assert delays == [1, 2, 4, 8, 16, 30, 30]
    delay, line = _dies(child, after=61)
    assert delay == 1
    assert f"the worker process (pid {child.pid}) stopped (exit 3); restarting it in 1 s" in line
    assert line.endswith(f"See {tmp_path / 'worker.log'}.")
