"""The Celery application: JSON only, enqueued after commit, late acks for idempotent tasks.

Each worker keeps a heartbeat key in Redis (refreshed every ``HEARTBEAT_SECONDS``, expiring
after ``HEARTBEAT_TTL``) so that ``/healthz`` can tell whether workers are alive with one
bounded Redis read, instead of a broadcast that can hang on a busy broker."""

import contextlib
import functools
import logging
import os
import threading
import time

from celery import Celery
from celery.contrib.django.task import DjangoTask
from celery.signals import (
    before_task_publish,
    setup_logging,
    task_failure,
    task_postrun,
    task_prerun,
    task_retry,
    task_success,
    worker_ready,
    worker_shutdown,
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "network.settings")

logger = logging.getLogger(__name__)


class NetworkTask(DjangoTask):
    """Enqueued after commit. If the broker is unreachable at that moment the row is already
    committed, so the failure is logged instead of turning the finished request into a 500; the
    beat re-drives (``orders.tasks.redrive_purchase_order_fan_outs``,
    ``shipping.tasks.redrive_booking_syncs``) enqueue the lost work again."""

    def delay_on_commit(self, *args, **kwargs) -> None:
        from django.db import transaction

        transaction.on_commit(functools.partial(self._send_or_log, self.delay, args, kwargs))

    def apply_async_on_commit(self, *args, **kwargs) -> None:
        from django.db import transaction

        transaction.on_commit(functools.partial(self._send_or_log, self.apply_async, args, kwargs))

    def _send_or_log(self, send, args, kwargs) -> None:
        import kombu.exceptions
        import redis

        if self.app.conf.task_always_eager:
            send(*args, **kwargs)
            return
        try:
            send(*args, **kwargs)
        except (kombu.exceptions.OperationalError, redis.RedisError, OSError) as error:
            logger.error(
                "task %s not enqueued, the broker is unreachable (%s); the re-drive sends it",
                self.name,
                error.__class__.__name__,
            )


app = Celery("network", task_cls=NetworkTask)
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


# --- Logs and metrics: the request id travels with the task ----------------------------------


@setup_logging.connect
def _configure_logging(**kwargs):
    """Use the settings' LOGGING (JSON lines) instead of Celery's own log format."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


@before_task_publish.connect
def _add_request_ids(sender=None, headers=None, **kwargs):
    from network import metrics, observability

    if headers is not None:
        observability.task_headers_for_publish(headers)
    metrics.count_task(sender or "unknown", "sent")


_task_tokens: dict[str, object] = {}


@task_prerun.connect
def _enter_task(sender=None, task_id=None, task=None, **kwargs):
    from network import metrics, observability

    context = observability.task_context_from(task.request)
    context.update({"task_name": task.name, "task_id": task_id})
    _task_tokens[task_id] = observability.task_context_var.set(context)
    if not task.request.is_eager:
        metrics.count_task(task.name, "started")


@task_postrun.connect
def _leave_task(sender=None, task_id=None, **kwargs):
    from network import observability

    token = _task_tokens.pop(task_id, None)
    if token is not None:
        observability.task_context_var.reset(token)


def _count(sender, state: str) -> None:
    from network import metrics

    if sender is not None and not sender.request.is_eager:
        metrics.count_task(sender.name, state)


@task_success.connect
def _succeeded(sender=None, **kwargs):
    _count(sender, "succeeded")


@task_failure.connect
def _failed(sender=None, **kwargs):
    _count(sender, "failed")


@task_retry.connect
def _retried(sender=None, **kwargs):
    _count(sender, "retried")
