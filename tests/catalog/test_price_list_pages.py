"""A merchant's buyer price lists on its pages: created for a buyer named exactly, products with
a discount or own tiers, ended; the buyer reads them and is told by webhook; another buyer and
another merchant see nothing of them.

People: the maple merchant's owner, its buyer (Shanghai Fine Foods), another buyer and a rival
merchant."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from catalog.models import SKU, PriceList, PriceListTier
from catalog.pricing import buyer_unit_price
from network import services as network_services
from network.models import Organization, WebhookDelivery
from network.selectors import exchange_rate_day
from tests.catalog.factories import merchant, product
from tests.factories import OrganizationFactory, member

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
    organization = OrganizationFactory(
        name="Shanghai Fine Foods", slug="shanghai-fine-foods", kind=Organization.Kind.BUYER
    )
    return organization, member(organization)


def _create(client, buyer_name="shanghai-fine-foods", **changes):
    data = {
        "buyer": buyer_name,
        "name": "Shanghai 2027",
        "discount_percent": "5",
        "valid_from": exchange_rate_day().isoformat(),
        "valid_until": "",
        **changes,
    }
    return client.post(reverse("catalog:price_lists"), data)


def test_a_merchant_grants_a_buyer_its_own_prices(client, maple, buyer):
    organization, owner, listing, sku = maple
    buyer_org, buyer_user = buyer
    network_services.webhook_endpoint_create(
        organization=buyer_org,
        url="https://erp.shanghai-fine-foods.example/hooks",
        events=["price_list.changed"],
        acting_user=buyer_user,
    )
    client.force_login(owner)
    unknown = _create(client, buyer_name="Shanghai Fine")
    assert (
        unknown.status_code == 400 and "No buyer organisation is called" in unknown.content.decode()
    )
    response = _create(client)
    price_list = PriceList.objects.visible_to(organization).get()
    assert response.url == reverse("catalog:price_list", args=[price_list.pk])
    url = reverse("catalog:price_list", args=[price_list.pk])
    bad = client.post(url, {"form": "product", "product": listing.pk, "tiers": "NOPE-1, 12, 7.00"})
    assert "NOPE-1 is not a SKU of this product" in bad.content.decode()
    client.post(
        url,
        {
            "form": "product",
            "product": listing.pk,
            "tiers": "MAPLE-500, 48, 7.10\nMAPLE-500, 144, 6.80",
        },
    )
    with scopes_disabled():
        assert list(PriceListTier.objects.values_list("min_quantity", "unit_price_usd")) == [
            (48, Decimal("7.10")),
            (144, Decimal("6.80")),
        ]
    # 12 units: the list's 5 % off 8.50 = 8.075 → 8.08; 48 units: its own 7.10.
    assert buyer_unit_price(sku=sku, quantity=12, buyer=buyer_org).unit_price_usd == Decimal("8.08")
    assert buyer_unit_price(sku=sku, quantity=48, buyer=buyer_org).unit_price_usd == Decimal("7.10")
    with scopes_disabled():
        changes = list(
            WebhookDelivery.objects.order_by("pk").values_list("organization_id", "payload")
        )
    assert {org for org, _payload in changes} == {buyer_org.pk}
    assert [payload["change"] for _org, payload in changes] == ["created", "updated"]

    client.force_login(buyer_user)
    page = client.get(reverse("catalog:price_lists")).content.decode()
    assert "Shanghai 2027" in page and "Great Lakes Maple Co." in page
    detail = client.get(url).content.decode()
    assert "MAPLE-500: 144+ US$6.80" in detail and "Add a product" not in detail
    assert client.post(url, {"form": "terms", "name": "Mine now"}).status_code == 404


def test_ending_a_list_stops_its_prices_today(client, maple, buyer):
    organization, owner, listing, sku = maple
    buyer_org, _buyer_user = buyer
    client.force_login(owner)
    _create(client, valid_from=(exchange_rate_day() - timedelta(days=10)).isoformat())
    price_list = PriceList.objects.visible_to(organization).get()
    client.post(
        reverse("catalog:price_list", args=[price_list.pk]),
        {"form": "product", "product": listing.pk, "discount_percent": "10"},
    )
    assert buyer_unit_price(sku=sku, quantity=12, buyer=buyer_org).source == "price_list"
    client.post(reverse("catalog:price_list_end", args=[price_list.pk]))
    price_list.refresh_from_db()
    assert price_list.valid_until == exchange_rate_day() - timedelta(days=1)
    assert buyer_unit_price(sku=sku, quantity=12, buyer=buyer_org).source == "tiers"


def test_other_buyers_and_merchants_see_nothing(client, maple, buyer):
    organization, owner, listing, _sku = maple
    client.force_login(owner)
    _create(client)
    price_list = PriceList.objects.visible_to(organization).get()
    url = reverse("catalog:price_list", args=[price_list.pk])
    other_buyer = OrganizationFactory(kind=Organization.Kind.BUYER)
    rival, rival_owner = merchant("Cascadia Botanicals")
    for outsider in (member(other_buyer), rival_owner):
        client.force_login(outsider)
        assert client.get(url).status_code == 404
        assert "Shanghai 2027" not in client.get(reverse("catalog:price_lists")).content.decode()
    assert client.post(reverse("catalog:price_list_end", args=[price_list.pk])).status_code == 404
    assert PriceList.objects.visible_to(organization).get().valid_until is None


def test_search_results_show_the_buyers_own_price(client, maple, buyer):
    organization, owner, listing, _sku = maple
    buyer_org, buyer_user = buyer
    client.force_login(owner)
    _create(client, discount_percent="10")
    price_list = PriceList.objects.visible_to(organization).get()
    client.post(
        reverse("catalog:price_list", args=[price_list.pk]),
        {"form": "product", "product": listing.pk},
    )
    client.force_login(buyer_user)
    page = client.get(reverse("catalog:browse"), {"q": "maple"}).content.decode()
    # 8.50 at the MOQ of 12, less 10 %: 7.65.
    assert "Your price</span> US$7.65" in page
    client.force_login(member(OrganizationFactory(kind=Organization.Kind.BUYER)))
    other = client.get(reverse("catalog:browse"), {"q": "maple"}).content.decode()
    assert listing.title_en in other and "Your price" not in other


def _lists(organization, owner, buyer_org, listing, count):
    from catalog.services import price_lists

    for n in range(count):
        price_list = price_lists.price_list_create(
            organization=organization,
            buyer=buyer_org,
            values={"name": f"Terms {n}", "discount_percent": "5", "valid_from": "2026-01-01"},
            acting_user=owner,
        )
        price_lists.price_list_entry_set(
            price_list=price_list,
            product=listing,
            discount_percent=None,
            tiers=[price_lists.OwnTier("MAPLE-500", 48, Decimal("7.00"))],
            acting_user=owner,
        )


PAGE_AND_ENDPOINT_QUERIES = [7, 6]


def test_the_list_page_and_endpoint_do_not_grow_with_the_lists(client, maple, buyer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    organization, owner, listing, _sku = maple
    buyer_org, buyer_user = buyer
    _lists(organization, owner, buyer_org, listing, 1)

    def counts(user):
        client.force_login(user)
        numbers = []
        for url in (reverse("catalog:price_lists"), "/api/v1/price-lists/"):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code in (200, 403)
            numbers.append(len(queries))
        return numbers

    counts(owner), counts(buyer_user)  # the header's unread count is cached on first sight
    before = counts(owner), counts(buyer_user)
    _lists(organization, owner, buyer_org, listing, 4)
    after = counts(owner), counts(buyer_user)
    # The page: the session, the user and the membership (with its organisation), the lists
    # with their parties and product counts, and the session's save (savepoint, update,
    # release). The endpoint: the same three, the lists, their products, the own tiers.
    assert after == before
    assert after[1] == PAGE_AND_ENDPOINT_QUERIES
