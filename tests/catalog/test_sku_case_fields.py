"""A SKU's packed case (gross weight and length × width × height) is entered on the SKU page
and through the API, read back by the API, and its size is all three figures or none."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from catalog.models import SKU
from network import services as network_services
from network.models import ApiScope
from tests.catalog.factories import api_product_body, merchant, product

pytestmark = pytest.mark.django_db


@pytest.fixture
def maple():
    organization, owner = merchant("Great Lakes Maple Co.")
    draft = product(organization, owner, code="MAPLE-500", image=False, publish=False)
    with scopes_disabled():
        sku = SKU.objects.get(product=draft)
    return organization, owner, sku


def _edit(client, sku, **case):
    data = {
        "sku-code": sku.code,
        "sku-variant_en": "",
        "sku-variant_zh_hans": "",
        "sku-case_pack": "6",
        "sku-moq": "12",
        "tiers-TOTAL_FORMS": "1",
        "tiers-INITIAL_FORMS": "1",
        "tiers-MIN_NUM_FORMS": "0",
        "tiers-MAX_NUM_FORMS": "10",
        "tiers-0-min_quantity": "12",
        "tiers-0-unit_price_usd": "8.50",
        **{f"sku-{name}": value for name, value in case.items()},
    }
    return client.post(reverse("catalog:sku_edit", args=[sku.pk]), data)


def test_the_sku_page_takes_the_case_weight_and_size(client, maple):
    _organization, owner, sku = maple
    client.force_login(owner)
    page = client.get(reverse("catalog:sku_edit", args=[sku.pk])).content.decode()
    assert 'name="sku-case_gross_weight_kg"' in page and 'name="sku-case_height_cm"' in page
    response = _edit(
        client,
        sku,
        case_gross_weight_kg="5.20",
        case_length_cm="30",
        case_width_cm="20",
        case_height_cm="25",
    )
    assert response.status_code == 302
    with scopes_disabled():
        sku.refresh_from_db()
    assert (sku.case_gross_weight_kg, sku.case_length_cm, sku.case_height_cm) == (
        Decimal("5.20"),
        Decimal("30.0"),
        Decimal("25.0"),
    )
    partial = _edit(client, sku, case_length_cm="30")
    assert partial.status_code == 400
    assert "length, width and height together" in partial.content.decode()


def test_the_api_reads_and_writes_the_case(client, maple):
    organization, owner, sku = maple
    _key, raw = network_services.api_key_create(
        organization=organization, name="ERP", scopes=list(ApiScope.values), acting_user=owner
    )
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    body = api_product_body(
        case_gross_weight_kg="5.20",
        case_length_cm="30.0",
        case_width_cm="20.0",
        case_height_cm="25.0",
    )
    response = client.put(
        f"/api/v1/products/{sku.code}", body, content_type="application/json", **headers
    )
    assert response.status_code == 200, response.json()
    [read] = response.json()["skus"]
    assert (read["case_gross_weight_kg"], read["case_width_cm"]) == ("5.20", "20.0")
    body["sku"] = {**body["sku"], "case_width_cm": None}
    refused = client.put(
        f"/api/v1/products/{sku.code}", body, content_type="application/json", **headers
    )
    assert refused.status_code == 400
    assert "case_length_cm" in refused.json()["fields"]["sku"]
