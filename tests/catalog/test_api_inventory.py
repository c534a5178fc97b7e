"""POST /api/v1/inventory/set and /adjust: stock of many SKUs in one call, compare-and-set on
the expected quantity, all-or-nothing or reject-failed-rows, never below what is reserved;
the ledger, low-stock alerts and inventory.low webhooks as for one row; keys need the
inventory:write scope; outsiders' SKU codes are unknown here."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django_scopes import scopes_disabled

from catalog import services
from catalog.models import SKU, Inventory, InventoryLedger
from network import services as network_services
from network.models import ApiScope, AuditEvent, Notification, Role, WebhookDelivery
from tests.catalog.factories import merchant, product
from tests.factories import member

pytestmark = pytest.mark.django_db


def _skus(organization, owner, count, *, on_hand=100, prefix="MAPLE"):
    listing = product(organization, owner, code=f"{prefix}-0", image=False, publish=False)
    with scopes_disabled():
        Inventory.objects.filter(sku__product=listing).update(on_hand=on_hand)
        for number in range(1, count):
            services.sku_create(
                product=listing,
                values={"code": f"{prefix}-{number}", "case_pack": 6, "moq": 12},
                tiers=[(12, Decimal("8.50"))],
                on_hand=on_hand,
                acting_user=owner,
            )
    return listing


@pytest.fixture
def world():
    maple, owner = merchant("Great Lakes Maple Co.")
    teammate = member(maple, Role.VIEWER)
    other, other_owner = merchant("Driftless Cheese Makers", slug="driftless")
    _key, raw = network_services.api_key_create(
        organization=maple, name="ERP", scopes=list(ApiScope.values), acting_user=owner
    )
    _key, other_raw = network_services.api_key_create(
        organization=other, name="ERP", scopes=list(ApiScope.values), acting_user=other_owner
    )
    _skus(maple, owner, 3)
    _skus(other, other_owner, 1, prefix="CHEDDAR")
    return {
        "maple": maple,
        "owner": owner,
        "teammate": teammate,
        "other": other,
        "key": f"Bearer {raw}",
        "other_key": f"Bearer {other_raw}",
    }


def _post(client, key, operation, body, **headers):
    return client.post(
        f"/api/v1/inventory/{operation}",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=key,
        **headers,
    )


def _on_hand(organization) -> dict[str, int]:
    with scopes_disabled():
        return dict(
            Inventory.objects.filter(organization=organization).values_list("sku__code", "on_hand")
        )


def test_set_and_adjust_write_stock_and_the_ledger(client, world):
    response = _post(
        client,
        world["key"],
        "set",
        {"rows": [{"sku": "MAPLE-0", "quantity": 40}, {"sku": "MAPLE-1", "quantity": 100}]},
    )
    assert response.status_code == 200, response.json()
    assert response.json() == {"mode": "all_or_nothing", "applied": 1, "unchanged": 1, "failed": []}
    response = _post(
        client,
        world["key"],
        "adjust",
        {"rows": [{"sku": "MAPLE-1", "delta": -30}, {"sku": "MAPLE-2", "delta": 25}]},
    )
    assert response.status_code == 200
    assert _on_hand(world["maple"]) == {"MAPLE-0": 40, "MAPLE-1": 70, "MAPLE-2": 125}
    with scopes_disabled():
        entries = list(
            InventoryLedger.objects.filter(reason__in=["count", "correction"], note="")
            .order_by("pk")
            .values_list("sku__code", "reason", "on_hand_before", "on_hand_after", "actor")
        )
        assert AuditEvent.objects.filter(action="inventory.bulk_changed").count() == 2
    assert entries == [
        ("MAPLE-0", "count", 100, 40, world["owner"].pk),
        ("MAPLE-1", "correction", 100, 70, world["owner"].pk),
        ("MAPLE-2", "correction", 100, 125, world["owner"].pk),
    ]


def test_all_or_nothing_writes_nothing_and_lists_every_failed_row(client, world):
    with scopes_disabled():
        Inventory.objects.filter(sku__code="MAPLE-2").update(reserved=60)
    response = _post(
        client,
        world["key"],
        "set",
        {
            "rows": [
                {"sku": "MAPLE-0", "quantity": 10},
                {"sku": "MAPLE-1", "quantity": 10, "expected_quantity": 99},
                {"sku": "MAPLE-2", "quantity": 50},
                {"sku": "NOPE", "quantity": 1},
                {"sku": "MAPLE-0", "quantity": 3},
                {"sku": "MAPLE-3", "quantity": -1},
            ]
        },
    )
    assert response.status_code == 422
    data = response.json()
    assert data["code"] == "rows_rejected"
    assert [(row["index"], row["sku"], row["code"]) for row in data["failed"]] == [
        (1, "MAPLE-1", "quantity_mismatch"),
        (2, "MAPLE-2", "below_reserved"),
        (3, "NOPE", "unknown_sku"),
        (4, "MAPLE-0", "duplicate_sku"),
        (5, "MAPLE-3", "invalid_row"),
    ]
    assert all(row["message"] for row in data["failed"])
    assert _on_hand(world["maple"]) == {"MAPLE-0": 100, "MAPLE-1": 100, "MAPLE-2": 100}
    with scopes_disabled():
        assert not InventoryLedger.objects.filter(reason="count", note="").exists()


def test_reject_failed_rows_applies_the_good_ones(client, world):
    with scopes_disabled():
        Inventory.objects.filter(sku__code="MAPLE-2").update(reserved=60)
    response = _post(
        client,
        world["key"],
        "adjust",
        {
            "mode": "reject_failed_rows",
            "rows": [
                {"sku": "MAPLE-0", "delta": 5, "expected_quantity": 100},
                {"sku": "MAPLE-1", "delta": -200},
                {"sku": "MAPLE-2", "delta": -50},
            ],
        },
    )
    assert response.status_code == 200
    data = response.json()
    assert data["applied"] == 1
    assert [(row["index"], row["code"]) for row in data["failed"]] == [
        (1, "negative_stock"),
        (2, "below_reserved"),
    ]
    assert _on_hand(world["maple"]) == {"MAPLE-0": 105, "MAPLE-1": 100, "MAPLE-2": 100}


def test_crossing_the_threshold_alerts_and_emits_the_webhook(client, world):
    network_services.webhook_endpoint_create(
        organization=world["maple"],
        url="https://erp.example.com/hooks",
        events=["inventory.low"],
        acting_user=world["owner"],
    )
    with scopes_disabled():
        Inventory.objects.filter(organization=world["maple"]).update(low_stock_threshold=20)
    response = _post(
        client,
        world["key"],
        "set",
        {"rows": [{"sku": "MAPLE-0", "quantity": 15}, {"sku": "MAPLE-1", "quantity": 21}]},
    )
    assert response.status_code == 200
    with scopes_disabled():
        deliveries = list(WebhookDelivery.objects.values_list("event", "payload"))
        alerts = Notification.objects.filter(kind="catalog.low_stock")
        assert [d[1]["sku"] for d in deliveries] == ["MAPLE-0"]
        assert deliveries[0][0] == "inventory.low"
        assert alerts.count() == 1 and alerts.get().recipient == world["owner"]


def test_the_number_of_queries_does_not_grow_with_the_rows(
    client, world, django_assert_num_queries
):
    _skus(world["maple"], world["owner"], 40, prefix="BULK")
    _post(client, world["key"], "set", {"rows": [{"sku": "BULK-0", "quantity": 1}]})  # warm up
    for size in (2, 40):
        rows = [{"sku": f"BULK-{n}", "quantity": 7 + size} for n in range(size)]
        # key with its creator's membership (middleware and permission), savepoint, locking
        # select, update with its ledger insert (one statement), audit, release
        with django_assert_num_queries(7):
            assert _post(client, world["key"], "set", {"rows": rows}).status_code == 200
    assert _on_hand(world["maple"])["BULK-39"] == 47


def test_an_idempotency_key_replays_instead_of_applying_twice(client, world):
    body = {"rows": [{"sku": "MAPLE-0", "delta": 10}]}
    first = _post(client, world["key"], "adjust", body, HTTP_IDEMPOTENCY_KEY="count-7")
    again = _post(client, world["key"], "adjust", body, HTTP_IDEMPOTENCY_KEY="count-7")
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert _on_hand(world["maple"])["MAPLE-0"] == 110


def test_the_body_is_checked(client, world):
    for body in ({"rows": []}, {"rows": "x"}, {"rows": [{"sku": "A", "quantity": 1}], "mode": "x"}):
        response = _post(client, world["key"], "set", body)
        assert response.status_code == 400
        assert response.json()["code"] == "validation_error"
    too_many = {"rows": [{"sku": f"S{n}", "quantity": 1} for n in range(10_001)]}
    assert _post(client, world["key"], "set", too_many).status_code == 400


def test_the_inventory_write_scope_is_needed(client, world):
    _key, raw = network_services.api_key_create(
        organization=world["maple"],
        name="catalogue only",
        scopes=["catalog:read", "catalog:write"],
        acting_user=world["owner"],
    )
    response = _post(client, f"Bearer {raw}", "set", {"rows": [{"sku": "MAPLE-0", "quantity": 1}]})
    assert response.status_code == 403
    assert _on_hand(world["maple"])["MAPLE-0"] == 100


def test_a_viewer_is_refused(client, world):
    client.force_login(world["teammate"])
    response = client.post(
        "/api/v1/inventory/set",
        {"rows": [{"sku": "MAPLE-0", "quantity": 1}]},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert _on_hand(world["maple"])["MAPLE-0"] == 100


def test_an_outsider_cannot_touch_another_merchants_stock(client, world):
    response = _post(
        client, world["other_key"], "set", {"rows": [{"sku": "MAPLE-0", "quantity": 1}]}
    )
    assert response.status_code == 422
    assert response.json()["failed"][0]["code"] == "unknown_sku"
    assert _on_hand(world["maple"])["MAPLE-0"] == 100
    with scopes_disabled():
        assert SKU.objects.filter(code="MAPLE-0").count() == 1


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_bulk_counts_and_orders_at_once_never_leave_reserved_above_on_hand():
    """Bulk counts lowering stock run while buyers reserve the same SKUs on other connections:
    both lock in primary-key order, so no deadlock; reserved never exceeds on hand, and the
    ledger's last figure of each SKU is what the row holds."""
    import contextlib
    import threading

    from django.db import connection as default_connection
    from django.db.models import F

    from catalog.inventory import REJECT_FAILED_ROWS, inventory_bulk_change
    from network.errors import DomainError
    from tests.orders.factories import buyer, place
    from tests.orders.factories import sku as orderable_sku

    maple, owner = merchant("Great Lakes Maple Co.")
    skus = [orderable_sku(maple, owner, code=f"RACE-{n}", on_hand=600) for n in range(6)]
    stores = [buyer(f"Store {n}", role=Role.OWNER) for n in range(3)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(stores) + 1, timeout=60)

    def buy(store, user, offset):
        try:
            barrier.wait()
            for round_number in range(6):
                chosen = [skus[(offset + round_number + k) % len(skus)] for k in range(3)]
                # Out of stock after a count is a plain refusal.
                with contextlib.suppress(DomainError):
                    place(store, user, [(s, 48) for s in reversed(chosen)])
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            default_connection.close()

    def count():
        try:
            barrier.wait()
            for round_number in range(6):
                figure = 300 - 40 * round_number
                with scopes_disabled():
                    inventory_bulk_change(
                        organization=maple,
                        operation="set",
                        rows=[{"sku": s.code, "quantity": figure} for s in reversed(skus)],
                        mode=REJECT_FAILED_ROWS,
                        acting_user=owner,
                    )
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            default_connection.close()

    threads = [threading.Thread(target=count)] + [
        threading.Thread(target=buy, args=(store, user, n))
        for n, (store, user) in enumerate(stores)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    with scopes_disabled():
        assert not Inventory.objects.filter(reserved__gt=F("on_hand")).exists()
        for inventory in Inventory.objects.filter(organization=maple):
            last = InventoryLedger.objects.filter(sku_id=inventory.pk).order_by("-pk").first()
            assert (last.on_hand_after, last.reserved_after) == (
                inventory.on_hand,
                inventory.reserved,
            )
        assert InventoryLedger.objects.filter(reason="count", note="").count() > 0
        assert InventoryLedger.objects.filter(reason="reserved").count() > 0
