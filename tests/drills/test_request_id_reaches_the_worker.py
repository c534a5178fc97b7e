"""One id from the browser to the worker: a purchase order placed in a request with an
``X-Request-ID`` is fanned out by a real Celery worker whose JSON log lines carry that id and
the buyer's user and organisation ids, and /metrics then counts the task and reads the queues
from Redis. An outsider's request shares nothing with it."""

from __future__ import annotations

import json

import pytest
from django.http import JsonResponse
from django.urls import path
from django_scopes import scopes_disabled

from network import urls as network_urls
from network.models import Role
from scripts.drills.processes import celery_worker, wait_for
from tests.factories import OrganizationFactory, member
from tests.orders import factories as order_factories

pytestmark = pytest.mark.django_db(transaction=True)
TOKEN = "metrics-token-for-drills-0123456789"


def _place(request):
    sku_id = int(request.GET["sku"])
    from catalog.models import SKU

    with scopes_disabled():
        sku = SKU.objects.get(pk=sku_id)
    order = order_factories.place(request.organization, request.user, [(sku, 12)])
    return JsonResponse({"number": order.number})


urlpatterns = [path("place/", _place), *network_urls.urlpatterns]


def _lines(log: str) -> list[dict]:
    lines = []
    for raw in log.splitlines():
        if raw.startswith("{"):
            lines.append(json.loads(raw))
    return lines


@pytest.mark.urls(__name__)
def test_the_request_id_and_tenant_reach_the_workers_log_lines(
    client, real_broker, drill_env, tmp_path, settings
):
    settings.METRICS_TOKEN = TOKEN
    buyer_org, buyer_user = order_factories.buyer()
    teammate = member(buyer_org, Role.BUYER)
    maple, maple_owner = order_factories.merchant("Great Lakes Maple Co.")
    syrup = order_factories.sku(maple, maple_owner, code="MAPLE-500")
    outsider = member(OrganizationFactory(name="Harbour Imports", kind="buyer"), Role.OWNER)

    client.force_login(teammate)
    response = client.get(f"/place/?sku={syrup.pk}", HTTP_X_REQUEST_ID="checkout-4f2a9e01")
    assert response.status_code == 200
    assert response["X-Request-ID"] == "checkout-4f2a9e01"
    client.force_login(outsider)
    assert client.get("/orders/purchase-orders/").status_code == 200

    # The merchant's mail waits a second for others to go with it (one second, not the
    # deployed thirty), then goes out from the mail queue.
    drill_env = {**drill_env, "NOTIFICATION_MAIL_WINDOW_SECONDS": "1"}
    worker = celery_worker(drill_env, tmp_path / "worker.log", name="drill")

    def succeeded(task_name: str) -> list[dict]:
        return [
            line
            for line in _lines(worker.output())
            if line.get("task_name") == task_name and "succeeded" in line["message"]
        ]

    try:
        # The fan-out, then the merchant's mail it enqueues in turn from inside the worker.
        wait_for(
            lambda: (
                succeeded("orders.tasks.purchase_order_fan_out")
                and succeeded("network.tasks.notification_mail_batch")
            ),
            seconds=90,
            what="the worker to fan the order out and mail the merchant",
        )
    finally:
        worker.stop()
    task_lines = [
        line
        for line in _lines(worker.output())
        if line.get("task_name")
        in ("orders.tasks.purchase_order_fan_out", "network.tasks.notification_mail_batch")
    ]
    assert {line["task_name"] for line in task_lines} == {
        "orders.tasks.purchase_order_fan_out",
        "network.tasks.notification_mail_batch",
    }
    for line in task_lines:
        assert line["request_id"] == "checkout-4f2a9e01"
        assert line["user_id"] == teammate.pk
        assert line["organization_id"] == buyer_org.pk
    assert not any(line.get("user_id") == outsider.pk for line in _lines(worker.output()))

    client.logout()
    body = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    assert (
        'celery_tasks_total{state="succeeded",task="orders.tasks.purchase_order_fan_out"} 1.0'
        in body
    )
    assert 'celery_tasks_total{state="sent",task="orders.tasks.purchase_order_fan_out"} 1.0' in body
    assert 'celery_queue_length{queue="orders"} 0.0' in body
    assert "celery_broker_up 1.0" in body
