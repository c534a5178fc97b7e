"""Read replicas: lag-tolerant pages read a real streaming replica; whoever just wrote, stock and
money, a lagging replica and a dead one all read the primary, and nobody gets a 500.

One test walks through the whole story on one primary/replica pair (tests/replica_harness.py),
so the pair starts once, in the one xdist worker that runs it. The rest need no server."""

from __future__ import annotations

import logging
import runpy
import time
from pathlib import Path

import pytest
from django.apps import apps
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

from catalog import services as catalog_services
from catalog.models import SKU, Product
from network import db_router
from network import services as network_services
from network.models import ApiScope
from tests.catalog.factories import merchant, product
from tests.replica_harness import ReplicaPair, django_pointed_at

ROOT = Path(__file__).resolve().parents[2]
BOTH = ["default", "replica1"]


@pytest.fixture(scope="module")
def replica_pair(django_db_setup, django_db_blocker):
    from django.db import connections

    with django_db_blocker.unblock():
        pair = ReplicaPair.start(copy_of=connections["default"].settings_dict)
    try:
        with django_pointed_at(pair):
            db_router.forget_replica_health()
            yield pair
    finally:
        db_router.forget_replica_health()
        pair.stop()


def _browse(client: Client, **params) -> str:
    response = client.get(reverse("catalog:browse"), params)
    assert response.status_code == 200
    return response.content.decode()


def _until(seconds: float, condition) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_lag_tolerant_reads_use_the_replica_until_a_write_lag_or_failure_says_otherwise(
    replica_pair, settings, caplog, monkeypatch
):
    # Tolerant enough that a paused replica stays in use; a result read on it is kept 1 s.
    settings.REPLICA_MAX_LAG_SECONDS = 60
    settings.REPLICA_STICKY_SECONDS = 61
    caplog.set_level(logging.WARNING, logger="network.db_router")
    organization, owner = merchant("Great Lakes Maple Co.")
    product(organization, owner, title_en="Amber Maple Syrup", code="MS-1")
    birch = product(organization, owner, title_en="Birch Syrup", code="BS-1", publish=False)
    _key, raw_key = network_services.api_key_create(
        organization=organization, name="ERP", scopes=list(ApiScope.values), acting_user=owner
    )
    integration = Client(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    visitor, merchant_browser = Client(), Client()
    merchant_browser.force_login(owner)
    replica_pair.wait_until_caught_up()
    assert "Amber Maple Syrup" in _browse(visitor)

    replica_pair.pause_replay()
    try:
        # Lag made visible: the primary has a new listing, the anonymous page does not yet.
        product(organization, owner, title_en="Sumac Syrup", code="SU-1")
        assert "Sumac Syrup" not in _browse(visitor)

        # The merchant publishes: their own browse reads the primary for the sticky window,
        # while a visitor still sees the replica.
        published = merchant_browser.post(
            reverse("catalog:product_transition", args=[birch.pk, "publish"])
        )
        assert published.status_code == 302
        assert db_router.STICKY_COOKIE in merchant_browser.cookies
        merchant_page = _browse(merchant_browser)
        assert "Birch Syrup" in merchant_page and "Sumac Syrup" in merchant_page
        assert "Birch Syrup" not in _browse(visitor)

        # The integration's catalogue search reads the replica, but stock is always read on
        # the primary, list endpoint or not (the API key itself is newer than the replica).
        search = integration.get("/api/v1/products/", {"q": "birch"})
        assert search.status_code == 200 and search.json()["count"] == 0
        with scopes_disabled():
            catalog_services.inventory_set(
                sku=SKU.objects.get(code="BS-1"), on_hand=7, acting_user=owner
            )
        stock = integration.get("/api/v1/merchant/inventory/")
        assert stock.status_code == 200
        assert {row["sku"]: row["on_hand"] for row in stock.json()["results"]}["BS-1"] == 7

        # Once the integration writes, its organisation reads the primary too (no cookies:
        # a short-lived cache key).
        written = integration.post(
            "/api/v1/inventory/set",
            {"rows": [{"sku": "BS-1", "quantity": 9}]},
            content_type="application/json",
        )
        assert written.status_code == 200, written.content
        assert integration.get("/api/v1/products/", {"q": "birch"}).json()["count"] == 1
    finally:
        replica_pair.resume_replay()

    # Replayed: everyone sees both listings (a page read on the replica is kept 1 s here).
    replica_pair.wait_until_caught_up()
    assert _until(5, lambda: "Birch Syrup" in (page := _browse(visitor)) and "Sumac" in page)

    # A replica further behind than REPLICA_MAX_LAG_SECONDS is passed over.
    settings.REPLICA_MAX_LAG_SECONDS = 0
    replica_pair.pause_replay()
    try:
        product(organization, owner, title_en="Maple Sugar Candy", code="MC-1")
        replica_pair.wait_until_received()
        db_router.forget_replica_health()
        assert "Maple Sugar Candy" in _browse(visitor)
        assert "Replica replica1 is" in caplog.text and "behind" in caplog.text
    finally:
        replica_pair.resume_replay()
    replica_pair.wait_until_caught_up()
    settings.REPLICA_MAX_LAG_SECONDS = 60
    db_router.forget_replica_health()
    assert "Maple Sugar Candy" in _browse(visitor, q="candy")  # on the replica again

    # The replica dies while this process still trusts it: the page is read again on the
    # primary, with a warning, not a 500. Then the next check finds it down.
    monkeypatch.setattr(db_router, "HEALTH_KEPT_SECONDS", 3600.0)
    replica_pair.stop_replica()
    product(organization, owner, title_en="Black Walnut Syrup", code="BW-1")
    assert "Black Walnut Syrup" in _browse(visitor)
    assert "Replica replica1 failed" in caplog.text
    db_router.forget_replica_health()
    assert "Black Walnut Syrup" in _browse(visitor, q="walnut")
    assert "Replica replica1 is unreachable" in caplog.text


# --- Without a server -----------------------------------------------------------------------


def _primary_only_models():
    return [
        model
        for model in apps.get_models()
        if model._meta.app_label in db_router.PRIMARY_ONLY_APPS
        or model._meta.label in db_router.PRIMARY_ONLY_MODELS
    ]


def test_every_primary_only_model_exists():
    for label in db_router.PRIMARY_ONLY_MODELS:
        apps.get_model(label)
    assert {m._meta.app_label for m in _primary_only_models()} >= {"payments", "catalog"}


@pytest.mark.parametrize("model", _primary_only_models(), ids=lambda m: m._meta.label)
def test_stock_capacity_seats_and_money_are_read_on_the_primary_even_where_lag_is_tolerated(
    rf, model
):
    reads = db_router.RequestReads(request=rf.get("/"), tolerates_lag=True, alias="replica1")
    token = db_router._reads.set(reads)
    try:
        router = db_router.ReplicaRouter()
        assert router.db_for_read(Product) == "replica1"  # what the replica is there for
        assert router.db_for_read(model) == "default"
        assert router.db_for_write(model) == "default"
    finally:
        db_router._reads.reset(token)


def test_writes_and_migrations_stay_on_the_primary_and_relations_span_the_copies():
    router = db_router.ReplicaRouter()
    assert router.db_for_write(Product) == "default"
    assert router.allow_migrate("default", "catalog") is True
    assert router.allow_migrate("replica1", "catalog") is False
    primary_copy, replica_copy = Product(), Product()
    primary_copy._state.db, replica_copy._state.db = "default", "replica2"
    assert router.allow_relation(primary_copy, replica_copy) is True


@pytest.mark.django_db
def test_without_replicas_routing_adds_no_query_and_no_cache_call(
    rf, django_assert_num_queries, monkeypatch
):
    cache_calls = []
    backend = caches["default"]
    for name in ("get", "get_many", "set", "add", "incr", "delete"):
        original = getattr(backend, name)
        monkeypatch.setattr(
            backend,
            name,
            lambda *args, _name=name, _original=original, **kwargs: (
                cache_calls.append(_name) or _original(*args, **kwargs)
            ),
        )
    router = db_router.ReplicaRouter()

    def view(request):
        assert router.db_for_read(Product) is None  # Django's default: the primary
        assert router.db_for_write(Product) == "default"
        assert not db_router.reads_from_replica()
        return HttpResponse()

    handler = db_router.ReplicaReadsMiddleware(db_router.tolerates_lag(view))
    with django_assert_num_queries(0):
        for request in (rf.get("/"), rf.post("/")):
            response = handler(request)
            assert db_router.STICKY_COOKIE not in response.cookies
    assert cache_calls == []


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        (
            {"DATABASE_REPLICA_URLS": "mysql://app:secret@db/replica"},
            "entry 1 is not a PostgreSQL URL",
        ),
        (
            {"DATABASE_REPLICA_URLS": "postgres://r1:5432/network,postgres://r1:5432/network"},
            "entry 2 names the database of DATABASE_URL or of an earlier entry",
        ),
        ({"REPLICA_STICKY_SECONDS": "soon"}, "are numbers of seconds"),
        ({"REPLICA_MAX_LAG_SECONDS": "-1"}, "from 0 to 3600 seconds"),
    ],
)
def test_bad_replica_settings_say_what_is_wrong(monkeypatch, environment, message):
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=message) as raised:
        runpy.run_path(str(ROOT / "network" / "settings.py"))
    assert "secret" not in str(raised.value)


def test_replica_urls_become_test_mirrors_of_the_primary(monkeypatch):
    monkeypatch.setenv(
        "DATABASE_REPLICA_URLS", "postgres://app:secret@r1:5432/network, postgres://r2/network"
    )
    values = runpy.run_path(str(ROOT / "network" / "settings.py"))
    databases = values["DATABASES"]
    assert list(databases) == ["default", "replica1", "replica2"]
    assert databases["replica1"]["HOST"] == "r1" and databases["replica2"]["HOST"] == "r2"
    assert databases["replica1"]["TEST"] == {"MIRROR": "default"}
    assert values["DATABASE_ROUTERS"] == ["network.db_router.ReplicaRouter"]
