"""Fixtures of the failure drills: a Redis server of the drill's own (never the machine's), the
Celery app of this process pointed at it with real publishing, and the environment for the
worker and web processes, which use this run's test database."""

from __future__ import annotations

import pytest
from django.db import connection

from scripts.drills.processes import RedisServer, process_env


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/drills/" in str(item.fspath):
            item.add_marker(pytest.mark.drill)


@pytest.fixture
def own_redis(tmp_path):
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


@pytest.fixture
def real_broker(own_redis, settings):
    """Tasks enqueued by this process go to ``own_redis`` for real (not run eagerly)."""
    from network import metrics
    from network.celery import app

    def point_at(url: str) -> None:
        app.conf.broker_url = url
        app.conf.task_always_eager = False
        app._pool = None
        app.amqp._producer_pool = None
        settings.CELERY_BROKER_URL = url
        metrics._redis = None

    broker_url = app.conf.broker_url
    point_at(own_redis.url)
    yield own_redis
    app.conf.broker_url = broker_url
    app.conf.task_always_eager = True
    app._pool = None
    app.amqp._producer_pool = None
    metrics._redis = None


@pytest.fixture
def drill_env(own_redis, carrier_server):
    """Environment of the drill's worker and web processes: this run's test database, and the
    carrier process (answering at once) as the carriers."""
    database = connection.settings_dict
    auth = database["USER"] + (f":{database['PASSWORD']}" if database["PASSWORD"] else "")
    url = f"postgres://{auth}@{database['HOST']}:{database['PORT'] or 5432}/"
    return process_env(
        database_url=url + database["NAME"],
        redis_url=own_redis.url,
        **carrier_server.network_env(),
    )
