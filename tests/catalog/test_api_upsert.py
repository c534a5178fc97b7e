"""PUT /api/v1/products/{sku}: creates the product and SKU (201) or replaces them (200), with
an ETag on every read and write and If-Match checked; outsiders never reach another
merchant's product."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from catalog.models import SKU, PriceTier, Product
from network import services as network_services
from network.models import ApiScope, AuditEvent, Role
from tests.catalog.factories import merchant, product
from tests.factories import member

pytestmark = pytest.mark.django_db


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
    return {
        "maple": maple,
        "owner": owner,
        "teammate": teammate,
        "other": other,
        "other_owner": other_owner,
        "key": f"Bearer {raw}",
        "other_key": f"Bearer {other_raw}",
    }


def _body(**changes):
    body = {
        "category": "maple-syrup",
        "title_en": "Dark Maple Syrup 1 l",
        "description_en": "Grade A dark, robust taste.",
        "hs_code": "1702200000",
        "country_of_origin": "US",
        "weight_kg": "1.400",
        "length_cm": "9.0",
        "width_cm": "9.0",
        "height_cm": "26.0",
        "lead_time_days": 5,
        "sku": {
            "variant_en": "1 l",
            "case_pack": 6,
            "moq": 12,
            "tiers": [
                {"min_quantity": 12, "unit_price_usd": "14.00"},
                {"min_quantity": 48, "unit_price_usd": "12.50"},
            ],
        },
    }
    body.update(changes)
    return body


def _put(client, key, code, body, **headers):
    return client.put(
        f"/api/v1/products/{code}",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=key,
        **headers,
    )


def test_put_creates_then_updates_the_same_product(client, world):
    created = _put(client, world["key"], "MAPLE-1L", _body())
    assert created.status_code == 201, created.json()
    assert created["ETag"].startswith('"')
    assert created.json()["skus"][0]["code"] == "MAPLE-1L"
    assert created.json()["state"] == "draft"

    updated = _put(client, world["key"], "MAPLE-1L", _body(title_en="Dark Maple Syrup, 1 litre"))
    assert updated.status_code == 200
    assert updated.json()["id"] == created.json()["id"]
    assert updated["ETag"] != created["ETag"]
    with scopes_disabled():
        assert Product.objects.filter(organization=world["maple"]).count() == 1
        assert Product.objects.get().title_en == "Dark Maple Syrup, 1 litre"
        actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert {"product.created", "sku.created", "product.updated", "sku.updated"} <= set(actions)


def test_put_replaces_the_price_tiers(client, world):
    _put(client, world["key"], "MAPLE-1L", _body())
    body = _body()
    body["sku"]["tiers"] = [{"min_quantity": 12, "unit_price_usd": "13.00"}]
    assert _put(client, world["key"], "MAPLE-1L", body).status_code == 200
    with scopes_disabled():
        tiers = list(PriceTier.objects.values_list("min_quantity", "unit_price_usd"))
    assert [(q, str(p)) for q, p in tiers] == [(12, "13.00")]


def test_get_and_put_agree_on_the_etag_and_if_match_is_checked(client, world):
    _put(client, world["key"], "MAPLE-1L", _body())
    read = client.get("/api/v1/products/MAPLE-1L", HTTP_AUTHORIZATION=world["key"])
    assert read.status_code == 200
    etag = read["ETag"]

    ok = _put(client, world["key"], "MAPLE-1L", _body(lead_time_days=9), HTTP_IF_MATCH=etag)
    assert ok.status_code == 200
    stale = _put(client, world["key"], "MAPLE-1L", _body(lead_time_days=3), HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition_failed"
    with scopes_disabled():
        assert Product.objects.get().lead_time_days == 9


def test_if_match_on_a_missing_sku_creates_nothing(client, world):
    response = _put(client, world["key"], "NEW-1", _body(), HTTP_IF_MATCH='"abc"')
    assert response.status_code == 412
    with scopes_disabled():
        assert not SKU.objects.exists()


def test_patch_by_id_honours_if_match_too(client, world):
    created = _put(client, world["key"], "MAPLE-1L", _body()).json()
    url = f"/api/v1/merchant/products/{created['id']}/"
    etag = client.get(url, HTTP_AUTHORIZATION=world["key"])["ETag"]
    stale = client.patch(
        url,
        {"brand": "Sugarbush"},
        content_type="application/json",
        HTTP_AUTHORIZATION=world["key"],
        HTTP_IF_MATCH='"stale"',
    )
    assert stale.status_code == 412
    fresh = client.patch(
        url,
        {"brand": "Sugarbush"},
        content_type="application/json",
        HTTP_AUTHORIZATION=world["key"],
        HTTP_IF_MATCH=etag,
    )
    assert fresh.status_code == 200
    assert fresh.json()["brand"] == "Sugarbush"


def test_validation_errors_are_in_the_one_error_shape(client, world):
    body = _body()
    del body["title_en"]
    body["sku"]["tiers"] = []
    response = _put(client, world["key"], "MAPLE-1L", body)
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "validation_error"
    assert "title_en" in data["fields"] and "tiers" in data["fields"]["sku"]

    bad_tiers = _body()
    bad_tiers["sku"]["tiers"] = [{"min_quantity": 10, "unit_price_usd": "14.00"}]
    response = _put(client, world["key"], "MAPLE-1L", bad_tiers)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_price_tiers"
    with scopes_disabled():
        # one transaction: the product of the refused SKU was not left behind
        assert not Product.objects.exists()

    spaced = _put(client, world["key"], "MAPLE%201L", _body())
    assert spaced.status_code == 400
    assert "sku" in spaced.json()["fields"]


def test_a_numeric_sku_code_is_not_taken_for_a_product_id(client, world):
    response = _put(client, world["key"], "100200", _body())
    assert response.status_code == 201
    assert (
        client.get("/api/v1/products/100200", HTTP_AUTHORIZATION=world["key"]).json()["skus"][0][
            "code"
        ]
        == "100200"
    )


def test_a_viewer_may_read_but_not_write(client, world):
    _put(client, world["key"], "MAPLE-1L", _body())
    client.force_login(world["teammate"])
    assert client.get("/api/v1/products/MAPLE-1L").status_code == 200
    response = client.put("/api/v1/products/MAPLE-1L", _body(), content_type="application/json")
    assert response.status_code == 403


def test_a_key_without_catalog_write_is_refused(client, world):
    _key, raw = network_services.api_key_create(
        organization=world["maple"],
        name="read only",
        scopes=["catalog:read"],
        acting_user=world["owner"],
    )
    response = _put(client, f"Bearer {raw}", "MAPLE-1L", _body())
    assert response.status_code == 403
    with scopes_disabled():
        assert not Product.objects.exists()


def test_an_outsider_never_reaches_another_merchants_sku(client, world):
    existing = product(world["maple"], world["owner"], code="MAPLE-500")
    assert (
        client.get("/api/v1/products/MAPLE-500", HTTP_AUTHORIZATION=world["other_key"]).status_code
        == 404
    )
    # The same code is the outsider's own, separate SKU: ours is untouched.
    response = _put(client, world["other_key"], "MAPLE-500", _body(title_en="Copy"))
    assert response.status_code == 201
    assert response.json()["id"] != existing.pk
    with scopes_disabled():
        existing.refresh_from_db()
        assert existing.title_en == "Pure Michigan Maple Syrup 500 ml"
        assert SKU.objects.filter(code="MAPLE-500").count() == 2
