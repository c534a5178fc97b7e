"""The database connection dropped under a running gunicorn: pages answer 503 with the
translated "temporarily unavailable" page (never a 500), /healthz names the database, and once
the database is back the same processes serve again without a restart."""

from __future__ import annotations

import urllib.error
import urllib.request

import psutil
import pytest
from django.db import connection

from scripts.drills.processes import TcpProxy, gunicorn, spare_port, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _get(url: str, **headers) -> tuple[int, str, dict]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - http to ourselves
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), dict(error.headers)
    except (urllib.error.URLError, OSError):
        return 0, "", {}  # not listening yet


def test_a_dropped_database_is_a_503_and_recovers_without_a_restart(drill_env, tmp_path):
    database = connection.settings_dict
    proxy = TcpProxy(int(database["PORT"] or 5432)).restore()
    auth = database["USER"] + (f":{database['PASSWORD']}" if database["PASSWORD"] else "")
    env = dict(
        drill_env,
        DATABASE_URL=f"postgres://{auth}@127.0.0.1:{proxy.port}/{database['NAME']}",
    )
    port = spare_port()
    web = gunicorn(env, tmp_path / "web.log", port=port, workers=2)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _get(f"{base}/training/")[0] == 200, seconds=60, what="gunicorn to serve")
        processes = {p.pid for p in psutil.Process(web.pid).children(recursive=True)}

        proxy.cut()
        for _ in range(4):  # every gunicorn worker, whichever answers
            status, body, headers = _get(f"{base}/training/", **{"X-Request-ID": "drill-db-0001"})
            assert status == 503, body[:300]
            assert "Temporarily unavailable" in body
            assert headers["Retry-After"] == "30"
            assert headers["X-Request-ID"] == "drill-db-0001"
        status, body, _headers = _get(f"{base}/training/", **{"Accept-Language": "zh-hans"})
        assert status == 503
        assert 'lang="zh-hans"' in body
        status, body, _headers = _get(f"{base}/healthz")
        assert status == 503
        assert '"database": "error' in body

        proxy.restore()
        wait_for(
            lambda: all(_get(f"{base}/training/")[0] == 200 for _ in range(4)),
            seconds=30,
            what="pages to be served again",
        )
        assert web.alive()
        assert {p.pid for p in psutil.Process(web.pid).children(recursive=True)} == processes
        assert '"status": 500' not in web.output()
    finally:
        web.stop()
        proxy.cut()
