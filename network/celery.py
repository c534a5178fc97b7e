"""The Celery application: JSON only, enqueued after commit, late acks for idempotent tasks.

Each worker keeps a heartbeat key in Redis (refreshed every ``HEARTBEAT_SECONDS``, expiring
after ``HEARTBEAT_TTL``) so that ``/healthz`` can tell whether workers are alive with one
bounded Redis read, instead of a broadcast that can hang on a busy broker."""

import contextlib
import os
import threading
import time

from celery import Celery
from celery.signals import worker_ready, worker_shutdown

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "network.settings")

app = Celery("network", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

HEARTBEAT_PREFIX = "network:worker-heartbeat:"
HEARTBEAT_SECONDS = 5
HEARTBEAT_TTL = 20
_stop_heartbeat = threading.Event()


def _redis_client():
    import redis

    return redis.Redis.from_url(app.conf.broker_url, socket_timeout=2, socket_connect_timeout=2)


@worker_ready.connect
def _start_heartbeat(sender, **kwargs):
    key = f"{HEARTBEAT_PREFIX}{sender.hostname}"

    def beat():
        import redis

        client = _redis_client()
        while not _stop_heartbeat.is_set():
            # When Redis is down, /healthz reports that on its own.
            with contextlib.suppress(redis.RedisError):
                client.setex(key, HEARTBEAT_TTL, int(time.time()))
            _stop_heartbeat.wait(HEARTBEAT_SECONDS)

    threading.Thread(target=beat, name="network-heartbeat", daemon=True).start()


@worker_shutdown.connect
def _stop(sender, **kwargs):
    import redis

    _stop_heartbeat.set()
    with contextlib.suppress(redis.RedisError):
        _redis_client().delete(f"{HEARTBEAT_PREFIX}{sender.hostname}")
