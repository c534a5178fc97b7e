"""Request ids, JSON log lines, /metrics and the 503 page, in one web process.

The owner and a teammate of one merchant get log lines with their own ids; an outsider of
another organisation gets theirs, never the first one's; anonymous scrapers of /metrics are
refused."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest
from django.db import OperationalError
from django.urls import path

from network import metrics, observability
from network.models import Role
from tests.factories import OrganizationFactory, member

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-for-tests-0123456789"
logger = logging.getLogger("network.tests.observability")


def _logs_a_line(request):
    from django.http import HttpResponse

    logger.info("inside the view")
    return HttpResponse("ok")


def _database_lost(request):
    raise OperationalError("server closed the connection unexpectedly")


def _broken(request):
    raise ValueError("a bug")


urlpatterns = [
    path("logs/", _logs_a_line),
    path("database-lost/", _database_lost),
    path("broken/", _broken),
]
handler500 = "network.observability.server_error"


@pytest.fixture
def json_lines():
    """Every log line written while the test runs, as the deployed console handler writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(observability.JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line]
    root.removeHandler(handler)
    root.setLevel(previous)


@pytest.fixture
def merchant():
    return OrganizationFactory(name="Lakeshore Tools")


def test_a_well_formed_incoming_request_id_is_kept_and_echoed(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="edge-7f3a9c21-0001")
    assert response["X-Request-ID"] == "edge-7f3a9c21-0001"


@pytest.mark.parametrize(
    "incoming", ["", "short", "has spaces in it", "new\nline-0000000", "x" * 200, "<script>aaaa"]
)
def test_a_malformed_request_id_is_replaced_by_a_new_one(client, incoming):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=incoming)
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_each_request_gets_its_own_id(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert first != second


@pytest.mark.urls(__name__)
def test_log_lines_are_json_with_the_request_and_tenant_ids(client, merchant, json_lines):
    owner = member(merchant, Role.OWNER)
    teammate = member(merchant, Role.STAFF)
    outsider_org = OrganizationFactory(name="Harbour Imports")
    outsider = member(outsider_org, Role.OWNER)
    seen = {}
    for person in (owner, teammate, outsider):
        client.force_login(person)
        response = client.get("/logs/", HTTP_X_REQUEST_ID=f"req-{person.pk:08d}")
        assert response.status_code == 200
        seen[person.pk] = [
            line for line in json_lines() if line["request_id"] == f"req-{person.pk:08d}"
        ]
    for person, organization in ((owner, merchant), (teammate, merchant), (outsider, outsider_org)):
        lines = seen[person.pk]
        view_line = next(line for line in lines if line["message"] == "inside the view")
        assert view_line["logger"] == "network.tests.observability"
        assert view_line["level"] == "INFO"
        assert view_line["user_id"] == person.pk
        assert view_line["organization_id"] == organization.pk
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", view_line["time"])
        access = next(line for line in lines if line["logger"] == "network.request")
        assert access["status"] == 200
        assert access["route"] == "/logs/"
        assert access["method"] == "GET"
    # The outsider's lines never carry the merchant's organisation.
    assert all(line["organization_id"] != merchant.pk for line in seen[outsider.pk])


def test_an_anonymous_request_logs_no_user(client, json_lines):
    client.get("/healthz", HTTP_X_REQUEST_ID="anonymous-0001")
    line = next(line for line in json_lines() if line["request_id"] == "anonymous-0001")
    assert line["user_id"] is None
    assert line["organization_id"] is None


def test_a_task_published_during_a_request_carries_its_ids(rf, merchant):
    owner = member(merchant, Role.OWNER)
    request = rf.get("/")
    request.user = owner
    request.organization = merchant
    headers: dict = {}

    def view(request):
        observability.task_headers_for_publish(headers)
        from django.http import HttpResponse

        return HttpResponse()

    response = observability.RequestIdMiddleware(view)(request)
    assert headers == {
        "network_request_id": response["X-Request-ID"],
        "network_user_id": owner.pk,
        "network_organization_id": merchant.pk,
    }


def test_the_worker_side_reads_the_ids_back_from_the_task_headers():
    class TaskRequest:
        network_request_id = "req-from-web-01"
        network_user_id = 7
        network_organization_id = 9

    assert observability.task_context_from(TaskRequest()) == {
        "request_id": "req-from-web-01",
        "user_id": 7,
        "organization_id": 9,
    }
    token = observability.task_context_var.set(observability.task_context_from(TaskRequest()))
    try:
        line = json.loads(
            observability.JsonFormatter().format(
                logging.LogRecord("celery.app.trace", logging.INFO, "", 0, "done", (), None)
            )
        )
    finally:
        observability.task_context_var.reset(token)
    assert (line["request_id"], line["user_id"], line["organization_id"]) == (
        "req-from-web-01",
        7,
        9,
    )


# --- /metrics ----------------------------------------------------------------------------------


def test_metrics_are_off_without_a_token(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404


def test_metrics_refuse_a_missing_or_wrong_token(client, settings, merchant):
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    # Being signed in, even as an organisation's owner, is not the token.
    client.force_login(member(merchant, Role.OWNER))
    assert client.get("/metrics").status_code == 401


def test_metrics_count_requests_by_method_route_and_status(client, settings):
    settings.METRICS_TOKEN = TOKEN

    def requests_to_healthz() -> float:
        body = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
        total = 0.0
        for line in body.splitlines():
            if line.startswith("http_requests_total{") and 'route="/healthz"' in line:
                total += float(line.rsplit(" ", 1)[1])
        return total

    before = requests_to_healthz()
    for _ in range(3):
        client.get("/healthz")
    assert requests_to_healthz() == before + 3
    body = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    assert 'http_request_duration_seconds_bucket{le="0.01",method="GET",route="/healthz"}' in body
    assert "celery_queue_length{" in body or "celery_broker_up 0.0" in body


def test_an_unknown_path_is_one_label_not_one_per_path(client, settings):
    settings.METRICS_TOKEN = TOKEN
    client.get("/no-such-page-1/")
    client.get("/no-such-page-2/")
    body = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    assert "no-such-page" not in body
    assert 'route="unmatched",status="404"' in body


def test_queue_depth_and_task_counts_are_read_from_redis(settings):
    import redis

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    prefix = "network-metrics-test"
    settings.CELERY_TASK_DEFAULT_QUEUE = f"{prefix}-default"
    settings.CELERY_TASK_ROUTES = {"orders.tasks.*": {"queue": f"{prefix}-orders"}}
    client.delete(f"{prefix}-orders", f"{prefix}-default")
    client.rpush(f"{prefix}-orders", "a", "b", "c")
    try:
        families = {family.name: family for family in metrics.RedisCollector().collect()}
    finally:
        client.delete(f"{prefix}-orders")
    depths = {s.labels["queue"]: s.value for s in families["celery_queue_length"].samples}
    assert depths == {f"{prefix}-default": 0, f"{prefix}-orders": 3}
    assert families["celery_broker_up"].samples[0].value == 1


def test_an_unreachable_broker_is_reported_not_raised(settings, monkeypatch):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    monkeypatch.setattr(metrics, "_redis", None)
    families = {family.name: family for family in metrics.RedisCollector().collect()}
    assert families["celery_broker_up"].samples[0].value == 0
    monkeypatch.setattr(metrics, "_redis", None)


# --- 503 when the database is gone -------------------------------------------------------------


@pytest.mark.urls(__name__)
def test_a_lost_database_is_a_translated_503_page(client):
    client.raise_request_exception = False
    response = client.get("/database-lost/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "Temporarily unavailable" in response.content.decode()
    client.cookies["network_language"] = "zh-hans"
    response = client.get("/database-lost/")
    assert response.status_code == 503
    assert "暂时无法访问" in response.content.decode()


@pytest.mark.urls(__name__)
def test_any_other_error_stays_a_500(client):
    client.raise_request_exception = False
    response = client.get("/broken/")
    assert response.status_code == 500
