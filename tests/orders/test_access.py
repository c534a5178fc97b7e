"""Who reaches a purchase order, a merchant order and a cart line: the access functions return
the row to its parties (the buyer, the merchant of a merchant order, the network's operators)
and refuse an outsider buyer and an outsider merchant alike with ``RecordNotFound``; the pages
and the API that use them answer 404 (``not_found``) and change nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from network.models import Organization, Role
from network.tenancy import RecordNotFound
from orders import selectors
from orders.models import Cart, CartLine, MerchantOrder, PurchaseOrder
from orders.models import MerchantOrderStatus as S
from tests.factories import operator, sign_in
from tests.orders.factories import buyer, fan_out, merchant, merchant_order_of, place, sku

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    maple, maple_owner = merchant("Great Lakes Maple Co.")
    cheese, cheese_owner = merchant("Driftless Cheese Makers")
    candles, candles_owner = merchant("Green Mountain Candle Co.")
    syrup = sku(maple, maple_owner, code="MAPLE-500")
    cheddar = sku(
        cheese, cheese_owner, code="CHEDDAR", title="Aged cheddar", moq=6, tiers=((6, "9.00"),)
    )
    store, wang = buyer(role=Role.OWNER)
    other_store, li = buyer("Shenzhen Harbour Imports", role=Role.OWNER)
    purchase_order = place(store, wang, [(syrup, 48), (cheddar, 12)])
    fan_out(purchase_order)
    maple_part = merchant_order_of(purchase_order, maple)
    cheese_part = merchant_order_of(purchase_order, cheese)
    olivia = operator()
    operators = Organization.objects.get(kind=Organization.Kind.OPERATOR)
    return locals()


def test_a_purchase_order_is_its_buyers_and_the_operators_only(world):
    number = world["purchase_order"].number
    for party in (world["store"], world["operators"]):
        found = selectors.access_purchase_order(organization=party, reference=number)
        assert found.pk == world["purchase_order"].pk
    # Another buyer, a merchant with no part in it, and even a merchant with a part (it sees
    # its merchant order, not the buyer's whole purchase order).
    for outsider in (world["other_store"], world["candles"], world["maple"]):
        with pytest.raises(RecordNotFound):
            selectors.access_purchase_order(organization=outsider, reference=number)


def test_buyer_merchant_and_operator_each_reach_a_merchant_order(world):
    number = world["maple_part"].number
    for party in (world["store"], world["maple"], world["operators"]):
        found = selectors.access_merchant_order(organization=party, reference=number)
        assert found.pk == world["maple_part"].pk
        assert found.organization == world["maple"] and found.buyer == world["store"]


def test_an_outsider_buyer_or_merchant_gets_record_not_found_for_a_merchant_order(world):
    number = world["maple_part"].number
    # Another buyer, a merchant with no part in the order, and the merchant of the other part.
    for outsider in (world["other_store"], world["candles"], world["cheese"]):
        with pytest.raises(RecordNotFound):
            selectors.access_merchant_order(organization=outsider, reference=number)


def test_a_cart_line_is_its_buyers_only(world):
    with scopes_disabled():
        cart = Cart.objects.create(organization=world["store"])
        line = CartLine.objects.create(
            organization=world["store"], cart=cart, sku=world["syrup"], quantity=24
        )
    found = selectors.access_cart_line(organization=world["store"], line_id=line.pk)
    assert found.pk == line.pk
    for outsider in (world["other_store"], world["maple"]):
        with pytest.raises(RecordNotFound):
            selectors.access_cart_line(organization=outsider, line_id=line.pk)


def test_pages_answer_404_to_an_outsider_buyer_and_change_nothing(client, world):
    purchase_order, maple_part = world["purchase_order"], world["maple_part"]
    client.force_login(world["li"])
    for name in ("orders:purchase_order_detail", "orders:purchase_order_print"):
        assert client.get(reverse(name, args=[purchase_order.number])).status_code == 404
    cancel = reverse("orders:purchase_order_cancel", args=[purchase_order.number])
    assert client.post(cancel, {"reason": "mine now"}).status_code == 404
    withdraw = reverse("orders:buyer_merchant_order_action", args=[maple_part.number, "cancel"])
    assert client.post(withdraw, {"reason": "mine now"}).status_code == 404
    with scopes_disabled():
        assert PurchaseOrder.objects.get(pk=purchase_order.pk).cancelled_at is None
        assert MerchantOrder.objects.get(pk=maple_part.pk).status == S.PENDING


def test_pages_answer_404_to_an_outsider_merchant_and_change_nothing(client, world):
    maple_part = world["maple_part"]
    for person in (world["candles_owner"], world["cheese_owner"]):
        client.force_login(person)
        detail = reverse("orders:merchant_order_detail", args=[maple_part.number])
        assert client.get(detail).status_code == 404
        accept = reverse("orders:merchant_order_action", args=[maple_part.number, "accept"])
        assert client.post(accept, {"scope": "all"}).status_code == 404
    with scopes_disabled():
        assert MerchantOrder.objects.get(pk=maple_part.pk).status == S.PENDING


def test_a_cart_line_page_answers_404_to_another_buyer(client, world):
    client.force_login(world["wang"])
    client.post(reverse("orders:cart_add"), {"sku": world["syrup"].pk, "quantity": 24})
    with scopes_disabled():
        line = CartLine.objects.get(organization=world["store"])
    client.force_login(world["li"])
    update = reverse("orders:cart_line_update", args=[line.pk])
    assert client.post(update, {"quantity": 12}).status_code == 404
    assert client.post(reverse("orders:cart_line_remove", args=[line.pk])).status_code == 404
    with scopes_disabled():
        assert CartLine.objects.get(pk=line.pk).quantity == 24


def test_api_answers_not_found_to_outsiders(client, world):
    purchase_order, maple_part = world["purchase_order"], world["maple_part"]
    client.force_login(world["li"])
    url = f"/api/v1/orders/purchase-orders/{purchase_order.number}/"
    for response in (
        client.get(url),
        client.post(url + "cancel/", {"reason": "mine"}, content_type="application/json"),
    ):
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    url = f"/api/v1/orders/merchant-orders/{maple_part.number}/"
    for person in (world["candles_owner"], world["cheese_owner"]):
        client.force_login(person)
        for response in (
            client.get(url),
            client.post(url + "accept/", {}, content_type="application/json"),
        ):
            assert response.status_code == 404 and response.json()["code"] == "not_found"
    with scopes_disabled():
        assert PurchaseOrder.objects.get(pk=purchase_order.pk).cancelled_at is None
        assert MerchantOrder.objects.get(pk=maple_part.pk).status == S.PENDING


def test_buyer_merchant_and_operator_pages_each_show_the_merchant_order(client, world):
    purchase_order, maple_part = world["purchase_order"], world["maple_part"]
    client.force_login(world["wang"])
    page = client.get(reverse("orders:purchase_order_detail", args=[purchase_order.number]))
    assert page.status_code == 200 and maple_part.number in page.content.decode()
    client.force_login(world["maple_owner"])
    page = client.get(reverse("orders:merchant_order_detail", args=[maple_part.number]))
    assert page.status_code == 200 and "MAPLE-500" in page.content.decode()
    assert "CHEDDAR" not in page.content.decode()
    client.force_login(world["maple_owner"])
    response = client.get(f"/api/v1/orders/merchant-orders/{maple_part.number}/")
    assert response.status_code == 200 and response.json()["number"] == maple_part.number
    sign_in(client, world["olivia"])
    page = client.get(reverse("orders:operator_order_detail", args=[purchase_order.number]))
    assert page.status_code == 200 and maple_part.number in page.content.decode()
