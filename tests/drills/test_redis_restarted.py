"""Redis stopped and started again mid-run: pages keep rendering (the cache degrades to a miss),
/healthz says what is wrong, a purchase order placed while Redis is down is committed without
an error, and after the restart both the order queued before the outage (kept by Redis's
append-only file) and the one placed during it (re-driven by beat) are fanned out once."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from network.celery import app
from network.models import Role
from scripts.drills.processes import celery_worker, wait_for
from tests.factories import OrganizationFactory, member
from tests.orders import factories as order_factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def redis_cache(settings, real_broker):
    settings.CACHES = {
        "default": {
            "BACKEND": "network.health.DegradingRedisCache",
            "LOCATION": real_broker.url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
    settings.REDIS_URL = real_broker.url
    return real_broker


def test_redis_restarted_mid_run_loses_no_order(client, redis_cache, drill_env, tmp_path):
    from orders.models import MerchantOrder, PurchaseOrder

    buyer_org, buyer_user = order_factories.buyer()
    maple, maple_owner = order_factories.merchant("Great Lakes Maple Co.")
    syrup = order_factories.sku(maple, maple_owner, code="MAPLE-500")
    outsider_org = OrganizationFactory(name="Harbour Imports", kind="buyer")
    outsider = member(outsider_org, Role.OWNER)

    before_outage = order_factories.place(buyer_org, buyer_user, [(syrup, 12)])
    assert client.get("/catalog/").status_code == 200

    redis_cache.stop()
    client.force_login(buyer_user)
    assert client.get("/catalog/").status_code == 200
    assert client.get(f"/orders/purchase-orders/{before_outage.number}/").status_code == 200
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json()["redis"].startswith("error")
    assert health.json()["database"] == "ok"
    during_outage = order_factories.place(buyer_org, buyer_user, [(syrup, 12)])
    # The outsider still cannot see the buyer's order, outage or not.
    client.force_login(outsider)
    assert client.get(f"/orders/purchase-orders/{during_outage.number}/").status_code in (
        403,
        404,
    )

    redis_cache.start()
    worker = celery_worker(drill_env, tmp_path / "worker.log", name="drill")
    try:
        with scopes_disabled():
            # The order queued before the outage comes back from the append-only file.
            wait_for(
                lambda: PurchaseOrder.objects.get(pk=before_outage.pk).fanned_out_at,
                seconds=60,
                what="the order queued before the outage to be fanned out",
            )
            assert not PurchaseOrder.objects.get(pk=during_outage.pk).fanned_out_at
            app.send_task(
                "orders.tasks.redrive_purchase_order_fan_outs", kwargs={"older_than_seconds": 0}
            )
            wait_for(
                lambda: PurchaseOrder.objects.get(pk=during_outage.pk).fanned_out_at,
                seconds=60,
                what="the order placed during the outage to be re-driven",
            )
    finally:
        worker.stop()
    with scopes_disabled():
        for order in (before_outage, during_outage):
            assert MerchantOrder.objects.filter(purchase_order=order).count() == 1
    client.force_login(buyer_user)
    assert client.get("/healthz").json()["redis"] == "ok"
