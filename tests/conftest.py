"""Test set-up: PostgreSQL (embedded unless DATABASE_URL is set), Celery eager, mail in memory.

Embedded services that this run started are stopped again when it ends."""

from __future__ import annotations

import os

import pytest

from network import devservices

os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
_STARTED: list[str] = []


def pytest_configure(config):
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"], fresh = devservices.start_postgres()
        if fresh:
            _STARTED.append("postgres")
    if not os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"], fresh = devservices.start_redis()
        if fresh:
            _STARTED.append("redis")


def pytest_sessionfinish(session, exitstatus):
    # Only the controller process of a run stops what it started.
    if hasattr(session.config, "workerinput"):
        return
    if "postgres" in _STARTED:
        devservices.stop_postgres()
    if "redis" in _STARTED:
        devservices.stop_redis()


@pytest.fixture(autouse=True)
def _test_settings(settings):
    # One process-local cache per test: rate-limit counters never leak between tests, and a
    # running laptop instance sharing the Redis server is left alone.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.SITE_URL = "http://testserver"
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _celery_eager():
    from network.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield


@pytest.fixture
def tenant_scope_off():
    from django_scopes import scopes_disabled

    with scopes_disabled():
        yield
