"""scripts/compose_local.py runs docker-compose.yml's services on this machine: PgBouncer and
HAProxy from the compose file's configuration, migrate, two gunicorn web processes behind the
balancer, the workers and beat through PgBouncer. It finds /healthz green through the balancer,
the worker's compose health check answering, /metrics answering its token from both web
processes, a style sheet served brotli-compressed and a source map as it is, and the app's
transactions counted by PgBouncer. Its database and Redis are its own; the database starts as a
copy of the migrated test template, so migrate has nothing to apply."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from django.db import connection

from scripts.drills.processes import ROOT
from scripts.local_proxies import HAPROXY, PGBOUNCER
from tests.conftest import migrated_template_name

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not (os.access(PGBOUNCER, os.X_OK) and os.access(HAPROXY, os.X_OK)),
        reason="needs Debian's pgbouncer and haproxy (scripts/ensure_test_servers.sh)",
    ),
]


def test_the_compose_services_start_a_healthy_balanced_network(own_redis, drill_env):
    database = connection.settings_dict
    auth = database["USER"] + (f":{database['PASSWORD']}" if database["PASSWORD"] else "")
    env = dict(
        drill_env,
        DATABASE_URL=f"postgres://{auth}@{database['HOST']}:{database['PORT'] or 5432}/postgres",
        COMPOSE_LOCAL_REDIS_URL=own_redis.url,
        COMPOSE_LOCAL_DATABASE_TEMPLATE=migrated_template_name(),
        # One gunicorn worker per web process: two web processes are what is balanced.
        WEB_CONCURRENCY="1",
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
    assert '"cache": "ok"' in result.stdout
    assert "worker healthcheck: exit 0" in result.stdout
    assert "/metrics: 200" in result.stdout
    # Static files come compressed from the build, source maps (not worth it) as they are.
    assert "static css/app.css: 200 br" in result.stdout
    assert "redoc.standalone.js.map: 200 identity" in result.stdout
    balanced = re.search(r"balanced: web1 (\d+) requests, web2 (\d+) requests", result.stdout)
    assert balanced and min(map(int, balanced.groups())) >= 1, result.stdout
    transactions = re.search(r"pgbouncer: (\d+) transactions", result.stdout)
    assert transactions and int(transactions.group(1)) > 0, result.stdout
    with connection.cursor() as cursor:  # its database is gone again
        cursor.execute("SELECT count(*) FROM pg_database WHERE datname LIKE 'network_compose_%%'")
        assert cursor.fetchone()[0] == 0
