"""The operators' China tariff table (list with filter, a row added, corrected or scheduled, a
CSV file all or nothing), the SKU's tariff code suggested from the product's HS code, and the
landed cost, sample offer and a buyer's own prices on the product page.

People: an operator, the merchant's owner, a buyer with a price list and a buyer without."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scopes_disabled

from catalog import freight
from catalog.models import SKU, PriceList, PriceListEntry, TariffLine
from network import services as network_services
from network.models import ApiScope, ExchangeRate, Organization
from network.selectors import exchange_rate_day
from tests.catalog.factories import api_product_body, merchant, product
from tests.factories import OrganizationFactory, member, operator, sign_in

pytestmark = pytest.mark.django_db


def line(code="17022000", **values):
    defaults = {
        "hs6": code[:6],
        "description_en": "Maple sugar and maple syrup",
        "description_zh_hans": "槭糖及槭糖浆",
        "mfn_duty_percent": Decimal("30"),
        "additional_duty_percent": Decimal("10"),
        "consumption_tax_percent": Decimal("0"),
        "vat_percent": Decimal("13"),
        "cross_border_positive_list": True,
        "effective_from": date(2026, 1, 1),
    }
    return TariffLine.objects.create(code=code, **{**defaults, **values})


@pytest.fixture
def staff(client):
    user = operator()
    sign_in(client, user)
    return user


def form(code="17022000", **changes):
    data = {
        "code": code,
        "hs6": code[:6],
        "description_en": "Maple sugar and maple syrup",
        "description_zh_hans": "",
        "mfn_duty_percent": "30",
        "additional_duty_percent": "10",
        "consumption_tax_percent": "0",
        "vat_percent": "13",
        "cross_border_positive_list": "on",
        "effective_from": "2026-01-01",
    }
    return {**data, **changes}


def test_operators_filter_the_rows_in_force(client, staff):
    line()
    line(vat_percent=Decimal("9"), effective_from=exchange_rate_day() + timedelta(days=30))
    line("33049900", description_en="Other beauty preparations", cross_border_positive_list=False)
    page = client.get(reverse("catalog:tariff_lines")).content.decode()
    assert "17022000" in page and "33049900" in page
    assert "Scheduled" not in page  # only the rows in force today
    every = client.get(reverse("catalog:tariff_lines"), {"all_rows": "on"}).content.decode()
    assert "Scheduled" in every and "9.00 %" in every
    beauty = client.get(reverse("catalog:tariff_lines"), {"q": "beauty"}).content.decode()
    assert "33049900" in beauty and "17022000" not in beauty
    listed = client.get(reverse("catalog:tariff_lines"), {"positive_list": "on"}).content.decode()
    assert "17022000" in listed and "33049900" not in listed


def test_add_correct_and_schedule_a_row(client, staff):
    response = client.post(reverse("catalog:tariff_line_create"), form())
    assert response.status_code == 302
    row = TariffLine.objects.get()
    assert (row.code, row.vat_percent, row.created_by) == ("17022000", Decimal("13.00"), staff)
    client.post(reverse("catalog:tariff_line_edit", args=[row.pk]), form(vat_percent="12"))
    row.refresh_from_db()
    assert row.vat_percent == Decimal("12.00")
    client.post(
        reverse("catalog:tariff_line_create"), form(vat_percent="9", effective_from="2027-01-01")
    )
    assert list(TariffLine.objects.values_list("vat_percent", flat=True)) == [
        Decimal("9.00"),
        Decimal("12.00"),
    ]
    wrong = client.post(
        reverse("catalog:tariff_line_create"), form(hs6="330499", effective_from="2027-02-01")
    )
    assert wrong.status_code == 400
    assert "first six digits" in wrong.content.decode()
    again = client.post(reverse("catalog:tariff_line_create"), form(effective_from="2027-01-01"))
    assert "already exists" in again.content.decode()
    assert TariffLine.objects.count() == 2


def test_a_tariff_file_is_saved_whole_or_not_at_all(client, staff):
    header = (
        "code,hs6,description_en,description_zh_hans,mfn_duty_percent,additional_duty_percent,"
        "consumption_tax_percent,vat_percent,cross_border_positive_list,effective_from\n"
    )
    good = "17022000,,Maple syrup,槭糖浆,30,10,0,13,yes,2026-01-01\n"
    bad = "3304990,,Beauty,,5,10,15,13,no,2026-01-01\n"
    upload = SimpleUploadedFile("tariffs.csv", (header + good + bad).encode())
    refused = client.post(reverse("catalog:tariff_lines_upload"), {"file": upload})
    assert refused.status_code == 400
    assert "Line 3" in refused.content.decode()
    assert not TariffLine.objects.exists()
    upload = SimpleUploadedFile("tariffs.csv", (header + good).encode())
    response = client.post(reverse("catalog:tariff_lines_upload"), {"file": upload}, follow=True)
    assert "1 rows added" in response.content.decode()
    saved = TariffLine.objects.get()
    assert (saved.hs6, saved.description_zh_hans, saved.cross_border_positive_list) == (
        "170220",
        "槭糖浆",
        True,
    )


def test_merchants_and_buyers_do_not_keep_the_table(client):
    organization, owner = merchant()
    client.force_login(owner)
    assert client.get(reverse("catalog:tariff_lines")).status_code == 403
    assert client.post(reverse("catalog:tariff_line_create"), form()).status_code == 403
    assert not TariffLine.objects.exists()


@pytest.fixture
def maple():
    organization, owner = merchant("Great Lakes Maple Co.")
    listing = product(organization, owner, code="MAPLE-500")
    with scopes_disabled():
        sku = SKU.objects.get(product=listing)
    return organization, owner, sku


def _sku_form(sku, **changes):
    return {
        "sku-code": sku.code,
        "sku-case_pack": "6",
        "sku-moq": "12",
        "tiers-TOTAL_FORMS": "1",
        "tiers-INITIAL_FORMS": "1",
        "tiers-MIN_NUM_FORMS": "0",
        "tiers-MAX_NUM_FORMS": "10",
        "tiers-0-min_quantity": "12",
        "tiers-0-unit_price_usd": "8.50",
        **{f"sku-{name}": value for name, value in changes.items()},
    }


def test_the_sku_form_suggests_the_tariff_code_and_takes_a_sample(client, maple):
    _organization, owner, sku = maple
    line()
    line("33049900", description_en="Other beauty preparations")
    client.force_login(owner)
    url = reverse("catalog:sku_edit", args=[sku.pk])
    page = client.get(url).content.decode()
    assert "Suggested from the HS code 1702200000: 17022000 (Maple sugar and maple syrup)" in page
    assert '<option value="17022000">' in page and "33049900" not in page
    unknown = client.post(url, _sku_form(sku, cn_tariff_code="17029000"))
    assert unknown.status_code == 400
    assert "17029000 is not in the network" in unknown.content.decode()
    response = client.post(
        url,
        _sku_form(
            sku, cn_tariff_code="17022000", sample_price_usd="12.00", sample_limit_per_buyer="2"
        ),
    )
    assert response.status_code == 302
    with scopes_disabled():
        sku.refresh_from_db()
    assert (sku.cn_tariff_code, sku.sample_price_usd, sku.sample_limit_per_buyer) == (
        "17022000",
        Decimal("12.00"),
        2,
    )


def test_the_product_page_shows_landed_cost_sample_and_the_buyers_own_price(client, maple):
    organization, _owner, sku = maple
    line()
    ExchangeRate.objects.create(rate=Decimal("7.10"), effective_date=date(2026, 1, 1))
    with scopes_disabled():
        SKU.objects.filter(pk=sku.pk).update(
            cn_tariff_code="17022000", sample_price_usd=Decimal("12.00")
        )
    buyer = OrganizationFactory(name="Shanghai Fine Foods", kind=Organization.Kind.BUYER)
    listed = PriceList.objects.create(
        organization=organization,
        buyer=buyer,
        name="Shanghai 2027",
        discount_percent=Decimal("10"),
        valid_from=exchange_rate_day(),
    )
    PriceListEntry.objects.create(
        organization=organization, buyer=buyer, price_list=listed, product_id=sku.product_id
    )
    saved = list(freight._rate_source)
    freight.register_shared_container_rate(lambda: None)
    try:
        client.force_login(member(buyer))
        page = client.get(reverse("catalog:product", args=[sku.product_id])).content.decode()
        other = OrganizationFactory(kind=Organization.Kind.BUYER)
        client.force_login(member(other))
        other_page = client.get(reverse("catalog:product", args=[sku.product_id])).content.decode()
    finally:
        freight._rate_source[:] = saved
    # 8.50 at the MOQ, less 10 % = 7.65 for this buyer.
    assert "Your prices" in page and "US$7.65" in page and "Shanghai 2027" in page
    assert "Your prices" not in other_page and "Shanghai 2027" not in other_page
    assert "Estimated landed cost in China" in page and "Cross-border e-commerce" in page
    assert "freight is left out" in page
    assert 'name="sample" value="1"' in page and "US$12.00 a unit" in page


def test_the_sku_api_reads_and_writes_the_sample_and_the_tariff_code(client, maple):
    organization, owner, sku = maple
    _key, raw = network_services.api_key_create(
        organization=organization, name="ERP", scopes=list(ApiScope.values), acting_user=owner
    )
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    body = api_product_body(
        sample_price_usd="12.00",
        sample_limit_per_buyer=3,
        cn_tariff_code="17022000",
    )
    response = client.put(
        f"/api/v1/products/{sku.code}", body, content_type="application/json", **headers
    )
    assert response.status_code == 200, response.json()
    [read] = response.json()["skus"]
    assert (read["sample_price_usd"], read["sample_limit_per_buyer"], read["cn_tariff_code"]) == (
        "12.00",
        3,
        "17022000",
    )
    body["sku"] = {**body["sku"], "cn_tariff_code": "1702"}
    refused = client.put(
        f"/api/v1/products/{sku.code}", body, content_type="application/json", **headers
    )
    assert refused.status_code == 400
