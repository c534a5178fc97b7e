"""The API of price lists and the tariff table: a merchant creates a list with products and
own tiers, changes and deletes it; the buyer reads it and nobody else does; any member reads the
tariff table and only operators write it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django_scopes import scopes_disabled

from catalog.models import SKU, PriceList, TariffLine
from network.models import Organization
from tests.catalog.factories import merchant, product
from tests.factories import OrganizationFactory, member, operator, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def maple():
    organization, owner = merchant("Great Lakes Maple Co.")
    listing = product(organization, owner, code="MAPLE-500")
    with scopes_disabled():
        sku = SKU.objects.get(product=listing)
    return organization, owner, listing, sku


@pytest.fixture
def buyer():
    return OrganizationFactory(
        name="Shanghai Fine Foods", slug="shanghai-fine-foods", kind=Organization.Kind.BUYER
    )


def _body(listing, **changes):
    return {
        "buyer": "Shanghai Fine Foods",
        "name": "Shanghai 2027",
        "discount_percent": "5.00",
        "valid_from": "2026-12-01",
        "products": [
            {
                "product": listing.pk,
                "tiers": [{"sku": "MAPLE-500", "min_quantity": 48, "unit_price_usd": "7.10"}],
            }
        ],
        **changes,
    }


def test_a_merchant_manages_a_price_list_and_only_its_buyer_reads_it(client, maple, buyer):
    organization, owner, listing, _sku = maple
    client.force_login(owner)
    created = client.post(
        "/api/v1/merchant/price-lists/", _body(listing), content_type="application/json"
    )
    assert created.status_code == 201, created.json()
    data = created.json()
    assert (data["buyer"], data["in_force"]) == ("shanghai-fine-foods", True)
    assert data["products"][0]["tiers"] == [
        {"sku": "MAPLE-500", "min_quantity": 48, "unit_price_usd": "7.10"}
    ]
    url = f"/api/v1/merchant/price-lists/{data['id']}/"
    changed = client.patch(
        url,
        {"discount_percent": "8.00", "products": []},
        content_type="application/json",
    )
    assert changed.json()["discount_percent"] == "8.00" and changed.json()["products"] == []
    refused = client.post(
        "/api/v1/merchant/price-lists/",
        _body(listing, buyer="Nobody Ltd"),
        content_type="application/json",
    )
    assert (refused.status_code, refused.json()["code"]) == (404, "buyer_not_found")

    client.force_login(member(buyer))
    [granted] = client.get("/api/v1/price-lists/").json()
    assert granted["name"] == "Shanghai 2027" and granted["merchant"] == organization.slug
    assert client.get(f"/api/v1/price-lists/{data['id']}/").status_code == 200
    assert client.get(url).status_code == 403  # the merchant's endpoints are not a buyer's

    client.force_login(member(OrganizationFactory(kind=Organization.Kind.BUYER)))
    assert client.get("/api/v1/price-lists/").json() == []
    assert client.get(f"/api/v1/price-lists/{data['id']}/").status_code == 404
    _rival, rival_owner = merchant("Cascadia Botanicals")
    client.force_login(rival_owner)
    assert client.get(url).status_code == 404
    assert client.delete(url).status_code == 404

    client.force_login(owner)
    assert client.delete(url).status_code == 204
    assert not PriceList.objects.visible_to(organization).exists()


def test_the_tariff_table_is_read_by_all_and_written_by_operators(client, maple):
    _organization, owner, _listing, _sku = maple
    row = {
        "code": "17022000",
        "hs6": "170220",
        "description_en": "Maple sugar and maple syrup",
        "description_zh_hans": "槭糖及槭糖浆",
        "mfn_duty_percent": "30.00",
        "additional_duty_percent": "10.00",
        "consumption_tax_percent": "0.00",
        "vat_percent": "13.00",
        "cross_border_positive_list": True,
        "effective_from": "2026-01-01",
    }
    client.force_login(owner)
    refused = client.post("/api/v1/tariff-lines/", row, content_type="application/json")
    assert refused.status_code == 403
    assert not TariffLine.objects.exists()
    sign_in(client, operator())
    created = client.post("/api/v1/tariff-lines/", row, content_type="application/json")
    assert created.status_code == 201, created.json()
    again = client.post(
        "/api/v1/tariff-lines/", {**row, "vat_percent": "9.00"}, content_type="application/json"
    )
    assert again.status_code == 201 and TariffLine.objects.get().vat_percent == Decimal("9.00")
    client.force_login(owner)
    [read] = client.get("/api/v1/tariff-lines/", {"q": "1702"}).json()
    assert (read["code"], read["vat_percent"], read["effective_from"]) == (
        "17022000",
        "9.00",
        date(2026, 1, 1).isoformat(),
    )
    assert client.get(f"/api/v1/tariff-lines/{read['id']}/").json()["hs6"] == "170220"
