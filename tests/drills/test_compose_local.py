"""scripts/compose_local.py runs docker-compose.yml's commands (migrate, gunicorn web, worker,
beat) on this machine and finds /healthz green, the worker's compose health check answering
and /metrics answering its token. Its database and Redis are its own."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.db import connection

from scripts.drills.processes import ROOT

pytestmark = pytest.mark.django_db


def test_the_compose_commands_start_a_healthy_network(own_redis, drill_env):
    database = connection.settings_dict
    auth = database["USER"] + (f":{database['PASSWORD']}" if database["PASSWORD"] else "")
    env = dict(
        drill_env,
        DATABASE_URL=f"postgres://{auth}@{database['HOST']}:{database['PORT'] or 5432}/postgres",
        COMPOSE_LOCAL_REDIS_URL=own_redis.url,
    )
    result = subprocess.run(
        [sys.executable, "scripts/compose_local.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=500,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert '/healthz: 200 {"status": "ok"' in result.stdout
    assert "worker healthcheck: exit 0" in result.stdout
    assert "/metrics: 200" in result.stdout
    with connection.cursor() as cursor:  # its database is gone again
        cursor.execute("SELECT count(*) FROM pg_database WHERE datname LIKE 'network_compose_%%'")
        assert cursor.fetchone()[0] == 0
