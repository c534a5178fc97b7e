"""Bad input to the API gets a 4xx in the one error shape with a machine-readable code, never a
500: NUL characters (PostgreSQL refuses them), JSON nested a thousand deep, a body that is not a
JSON object, whole numbers beyond their column, a body over the upload limit, an unknown
address, and filters, page sizes and cursors the API does not know."""

from __future__ import annotations

import json

import pytest
from django_scopes import scopes_disabled

from catalog.models import SKU
from network import services
from network.models import ApiScope, Role
from orders.models import PurchaseOrderStatus
from tests.factories import operator, sign_in
from tests.orders.factories import buyer, merchant, place, sku
from tests.shipping.factories import SailingFactory

pytestmark = pytest.mark.django_db

TOO_BIG = 2**31


def _key(organization, user) -> dict:
    _api_key, raw = services.api_key_create(
        organization=organization, name="ERP", scopes=list(ApiScope.values), acting_user=user
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def world():
    maple, maple_owner = merchant()
    store, wang = buyer(role=Role.OWNER)
    syrup = sku(maple, maple_owner, code="MAPLE-500")
    return {
        "merchant_key": _key(maple, maple_owner),
        "buyer_key": _key(store, wang),
        "purchase_order": place(store, wang, [(syrup, 48)]),
    }


def _post(client, url, body, headers, method="post"):
    data = body if isinstance(body, str) else json.dumps(body)
    return getattr(client, method)(url, data, content_type="application/json", **headers)


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) >= {"code", "message", "fields"}
    assert body["code"] == code, body
    return body


def _still_placed(purchase_order) -> bool:
    with scopes_disabled():
        purchase_order.refresh_from_db()
    return purchase_order.status == PurchaseOrderStatus.PLACED


# --- NUL characters ----------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/v1/products/?q=%00", "/api/v1/seminars/?topic=logistics%00"])
def test_a_nul_in_the_query_string_is_refused_even_anonymously(client, url):
    body = _error(client.get(url), 400, "invalid_characters")
    assert list(body["fields"]) == [url.split("?")[1].split("=")[0]]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/orders/merchant-orders/MO%00-1/",
        "/api/v1/shipping/bookings/BK%00/",
        "/api/v1/shipping/bookings/BK%00/cancel/",
        "/api/v1/products/SKU%00",
    ],
)
def test_a_nul_in_a_path_value_is_refused(client, world, url):
    _error(client.get(url, **world["merchant_key"]), 400, "invalid_characters")


def test_a_nul_in_a_free_text_field_is_refused_and_nothing_changes(client, world):
    purchase_order = world["purchase_order"]
    url = f"/api/v1/orders/purchase-orders/{purchase_order.number}/cancel/"
    response = _post(client, url, {"reason": "changed\x00plans"}, world["buyer_key"])
    body = _error(response, 400, "invalid_characters")
    assert list(body["fields"]) == ["reason"]
    assert _still_placed(purchase_order)


def test_a_nul_deep_in_a_body_or_in_a_key_is_refused(client, world):
    body = {"rows": [{"sku": "MAPLE-500", "quantity": 10}], "note": "recount\x00"}
    response = _post(client, "/api/v1/inventory/set", body, world["merchant_key"])
    assert _error(response, 400, "invalid_characters")["fields"] == {
        "note": ["The request contains a NUL character, which is not allowed."]
    }
    body = {"rows": [{"sku": "MAPLE-500", "quantity": 10, "why\x00": "x"}]}
    response = _post(client, "/api/v1/inventory/set", body, world["merchant_key"])
    assert list(_error(response, 400, "invalid_characters")["fields"]) == ["rows.0.why\\u0000"]
    with scopes_disabled():
        assert SKU.objects.get(code="MAPLE-500").inventory.on_hand == 500


# --- JSON that is not what an endpoint takes ---------------------------------------------------


def test_json_nested_a_thousand_deep_is_a_parse_error(client, world):
    for body in ("[" * 1000 + "]" * 1000, '{"a":' * 1000 + "1" + "}" * 1000):
        response = _post(client, "/api/v1/merchant/products/", body, world["merchant_key"])
        assert "nested" in _error(response, 400, "parse_error")["message"]


@pytest.mark.parametrize("body", ["null", "[]", '"x"', "1", '[{"reason": "x"}]'])
def test_a_body_that_is_not_an_object_is_a_validation_error(client, world, body):
    purchase_order = world["purchase_order"]
    url = f"/api/v1/orders/purchase-orders/{purchase_order.number}/cancel/"
    _error(_post(client, url, body, world["buyer_key"]), 400, "validation_error")
    assert _still_placed(purchase_order)


def test_a_body_that_is_not_json_is_an_unsupported_media_type(client, world):
    purchase_order = world["purchase_order"]
    url = f"/api/v1/orders/purchase-orders/{purchase_order.number}/cancel/"
    multipart = client.post(url, {"reason": "x"}, **world["buyer_key"])
    _error(multipart, 415, "unsupported_media_type")
    form = "application/x-www-form-urlencoded"
    urlencoded = client.post(url, "reason=x", content_type=form, **world["buyer_key"])
    _error(urlencoded, 415, "unsupported_media_type")
    assert _still_placed(purchase_order)


# --- Whole numbers beyond their column ---------------------------------------------------------


def _new_product(**sku_fields) -> dict:
    return {
        "category": "maple-syrup",
        "title_en": "Big numbers",
        "description_en": "x",
        "weight_kg": "1.000",
        "length_cm": "1.0",
        "width_cm": "1.0",
        "height_cm": "1.0",
        "lead_time_days": 5,
        "skus": [
            {
                "code": "BIG-1",
                "moq": 12,
                "tiers": [{"min_quantity": 12, "unit_price_usd": "1.00"}],
                **sku_fields,
            }
        ],
    }


@pytest.mark.parametrize(
    ("sku_fields", "where"),
    [
        ({"on_hand": TOO_BIG}, "on_hand"),
        ({"low_stock_threshold": TOO_BIG}, "low_stock_threshold"),
        (
            {
                "tiers": [
                    {"min_quantity": 12, "unit_price_usd": "2.00"},
                    {"min_quantity": TOO_BIG, "unit_price_usd": "1.00"},
                ]
            },
            "tiers",
        ),
    ],
)
def test_a_number_beyond_its_column_is_a_validation_error(client, world, sku_fields, where):
    response = _post(
        client, "/api/v1/merchant/products/", _new_product(**sku_fields), world["merchant_key"]
    )
    body = _error(response, 400, "validation_error")
    assert where in json.dumps(body["fields"])
    with scopes_disabled():
        assert not SKU.objects.filter(code="BIG-1").exists()


def test_a_booking_weight_beyond_its_column_is_a_validation_error(client, world):
    body = {
        "sailing": SailingFactory().pk,
        "equipment": "40HC",
        "units": 1,
        "commodity_description": "Maple syrup",
        "hs_codes": ["170220"],
        "gross_weight_kg": TOO_BIG,
        "shipper_name": "Great Lakes Maple Co.",
        "shipper_address": "Marquette, MI",
        "consignee_name": "Hangzhou Westlake",
        "consignee_address": "Hangzhou",
    }
    response = _post(client, "/api/v1/shipping/bookings/", body, world["merchant_key"])
    assert list(_error(response, 400, "validation_error")["fields"]) == ["gross_weight_kg"]


def test_query_numbers_beyond_any_column_or_date_are_validation_errors(client, world):
    for query in ("max_moq=99999999999999999999", "price_min=1e999999", "price_max=NaN"):
        response = client.get(f"/api/v1/products/?{query}", **world["merchant_key"])
        _error(response, 400, "validation_error")
    sign_in(client, operator())
    response = client.get("/api/v1/applications/?older_than_days=99999999999")
    assert list(_error(response, 400, "validation_error")["fields"]) == ["older_than_days"]


# --- Size and address --------------------------------------------------------------------------


def test_a_body_over_the_upload_limit_is_a_json_413(client, world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = {"rows": [{"sku": "MAPLE-500", "quantity": 1}], "note": "x" * 20_000}
    response = _post(client, "/api/v1/inventory/set", body, world["merchant_key"])
    _error(response, 413, "request_too_large")


def test_a_ten_megabyte_body_is_a_json_413(client, world):
    body = {"rows": [{"sku": "MAPLE-500", "quantity": 1}], "note": "x" * 10 * 2**20}
    response = _post(client, "/api/v1/inventory/set", body, world["merchant_key"])
    _error(response, 413, "request_too_large")


@pytest.mark.parametrize(
    "url", ["/api/v1/no-such-thing/", "/api/nowhere", "/api/v1/merchant/products/x/"]
)
def test_an_unknown_address_under_api_is_a_json_404(client, world, url):
    _error(client.get(url), 404, "not_found")
    _error(client.post(url, "{}", content_type="application/json"), 404, "not_found")
    # Pages keep their own 404 page.
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


# --- Filters and pages the API does not know ---------------------------------------------------


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/orders/merchant-orders/?status=lost", "status"),
        ("/api/v1/orders/merchant-orders/?status=", "status"),
        ("/api/v1/merchant/products/?state=gone", "state"),
        ("/api/v1/products/?in_stock=maybe", "in_stock"),
        ("/api/v1/products/?sort=cheapest", "sort"),
        ("/api/v1/products/?page=0", "page"),
        ("/api/v1/shipping/sailings/?origin=", "origin"),
        ("/api/v1/shipping/sailings/?equipment=40hc", "equipment"),
        ("/api/v1/seminars/?when=later", "when"),
        ("/api/v1/seminars/?topic=cooking", "topic"),
        ("/api/v1/merchant/inventory/?page_size=null", "page_size"),
        ("/api/v1/merchant/inventory/?page_size=0", "page_size"),
        ("/api/v1/merchant/inventory/?page_size=501", "page_size"),
    ],
)
def test_an_unknown_filter_value_or_page_size_is_a_validation_error(client, world, url, field):
    body = _error(client.get(url, **world["merchant_key"]), 400, "validation_error")
    assert list(body["fields"]) == [field]


def test_a_filter_by_format_filters_rather_than_picking_a_renderer(client):
    from tests.training.factories import OnlineSeminarFactory, SeminarFactory

    SeminarFactory(title="In Detroit")
    OnlineSeminarFactory(title="Online")
    response = client.get("/api/v1/seminars/?format=online")
    assert response.status_code == 200
    assert [row["title"] for row in response.json()["results"]] == ["Online"]


@pytest.mark.parametrize("cursor", ["not-a-cursor", "cD1ub3QtYS1kYXRl", "bz1hYmM="])
def test_a_cursor_the_api_did_not_hand_out_is_a_404(client, world, cursor):
    for url in ("/api/v1/orders/merchant-orders/", "/api/v1/merchant/inventory/"):
        response = client.get(f"{url}?cursor={cursor}", **world["merchant_key"])
        _error(response, 404, "invalid_cursor")
