"""gunicorn settings of the web process: JSON log lines and multi-process Prometheus metrics.

    gunicorn --config python:network.gunicorn_config network.wsgi:application

Requests are logged by ``network.observability.RequestIdMiddleware`` (with their request id),
so gunicorn's own access log stays off; its error log uses the same JSON formatter.
"""

import os
import shutil
from pathlib import Path

# Set here, in the master before it forks, so that every worker writes its metric values to
# files in this folder and a scrape of any one worker sums them all. One folder per master:
# two gunicorns on one host never mix (or wipe) each other's values.
_metrics_dir = os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR",
    f"/tmp/network-prometheus-{os.getpid()}",  # noqa: S108
)

logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "network.observability.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}


def on_starting(server):
    """Values left by an earlier run would be added to this one's: start from an empty folder."""
    shutil.rmtree(_metrics_dir, ignore_errors=True)
    Path(_metrics_dir).mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    shutil.rmtree(_metrics_dir, ignore_errors=True)
