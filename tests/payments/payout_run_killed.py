"""Runs this week's payout run in a process of its own that kills itself (SIGKILL, as ``kill -9``
would) the moment its first payout has committed: what a worker dying mid-run leaves behind.

    DATABASE_URL=… python -m tests.payments.payout_run_killed"""

from __future__ import annotations

import os
import signal

import django


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "network.settings")
    django.setup()
    from payments.services.payouts import payout_run_execute

    payout_run_execute(after_payout=lambda payout: os.kill(os.getpid(), signal.SIGKILL))


if __name__ == "__main__":
    main()
