"""/metrics under gunicorn with several worker processes: whichever worker answers the scrape,
it reports the requests every worker served (multi-process mode), and it refuses a scraper
without the token."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from scripts.drills.processes import gunicorn, spare_port, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
TOKEN = "metrics-token-for-drills-0123456789"


def _get(url: str, **headers) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - http to ourselves
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except (urllib.error.URLError, OSError):
        return 0, ""


def _served(body: str, route: str) -> float:
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in body.splitlines()
        if line.startswith("http_requests_total{") and f'route="{route}"' in line
    )


def test_every_gunicorn_workers_requests_are_counted(drill_env, tmp_path):
    port = spare_port()
    web = gunicorn(dict(drill_env, METRICS_TOKEN=TOKEN), tmp_path / "web.log", port=port, workers=3)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _get(f"{base}/training/")[0] == 200, seconds=60, what="gunicorn")
        for _ in range(30):
            assert _get(f"{base}/training/")[0] == 200
        assert _get(f"{base}/metrics")[0] == 401
        assert _get(f"{base}/metrics", Authorization="Bearer not-the-token")[0] == 401
        for _ in range(6):  # scrapes land on different workers; each sees the total
            status, body = _get(f"{base}/metrics", Authorization=f"Bearer {TOKEN}")
            assert status == 200
            assert _served(body, "/training/") == 31
    finally:
        web.stop()
    assert '"route": "/training/"' in web.output()  # the JSON request log line
