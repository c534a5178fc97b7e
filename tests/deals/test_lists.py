"""Buying again: reorder a past purchase order (a vanished listing and a raised MOQ are said
line by line), quick order by pasting SKU,quantity lines (a code two merchants use is reported
with how to write it), and saved lists (create, save from the product page, rename, to the cart,
delete); another buyer finds none of it."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from catalog.models import SKU, ListingState, Product
from deals.models import SavedList, SavedListItem
from network.models import Role
from orders.models import CartLine
from tests.factories import member
from tests.orders.factories import buyer, merchant, place, sku

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    maple, owner = merchant("Great Lakes Maple Co.")
    syrup = sku(maple, owner, code="MAPLE-500")
    candy = sku(maple, owner, code="CANDY-100", title="Maple candy 100 g")
    store, wang = buyer("Hangzhou Westlake Global Store", Role.BUYER)
    return {
        "maple": maple,
        "owner": owner,
        "syrup": syrup,
        "candy": candy,
        "store": store,
        "wang": wang,
    }


def cart_of(store) -> dict[str, int]:
    with scopes_disabled():
        return {
            line.sku.code: line.quantity
            for line in CartLine.objects.filter(organization=store).select_related("sku")
        }


def test_reorder_says_line_by_line_what_is_gone_or_below_moq(client, shop):
    order = place(shop["store"], shop["wang"], [(shop["syrup"], 48), (shop["candy"], 12)])
    with scopes_disabled():
        Product.objects.filter(pk=shop["candy"].product_id).update(state=ListingState.PAUSED)
    client.force_login(shop["wang"])
    url = reverse("deals:reorder", args=[order.number])
    page = client.get(url).content.decode()
    assert "MAPLE-500" in page and "CANDY-100" in page
    result = client.post(url).content.decode()
    assert "48 units added" in result
    assert "no longer available" in result
    assert cart_of(shop["store"]) == {"MAPLE-500": 48}

    # The merchant raises the MOQ above what was ordered: the line is refused, and says why.
    with scopes_disabled():
        CartLine.objects.all().delete()
        SKU.objects.filter(pk=shop["syrup"].pk).update(moq=60)
    result = client.post(url).content.decode()
    assert 'class="outcome-below_moq"' in result
    assert cart_of(shop["store"]) == {}


def test_reorder_of_another_buyers_order_is_not_found(client, shop):
    order = place(shop["store"], shop["wang"], [(shop["syrup"], 48)])
    other, li = buyer("Suzhou Lake Trading", Role.OWNER)
    client.force_login(li)
    assert client.get(reverse("deals:reorder", args=[order.number])).status_code == 404
    assert client.post(reverse("deals:reorder", args=[order.number])).status_code == 404
    assert cart_of(other) == {}


def test_quick_order_reports_ambiguous_unknown_and_bad_lines(client, shop):
    # Another merchant uses the same code.
    other_shop, other_owner = merchant("Vermont Sugarhouse", slug="vermont-sugarhouse")
    sku(other_shop, other_owner, code="MAPLE-500")
    client.force_login(shop["wang"])
    text = "\n".join(
        [
            "CANDY-100, 24",
            "MAPLE-500,48",
            f"{shop['maple'].slug}/MAPLE-500;12",
            "NOPE-1,6",
            "CANDY-100 lots",
        ]
    )
    page = client.post(reverse("deals:quick_order"), {"lines": text}).content.decode()
    assert "Several merchants use the SKU code MAPLE-500" in page
    assert f"{shop['maple'].slug}/MAPLE-500" in page and "vermont-sugarhouse/MAPLE-500" in page
    assert "No product on sale has the SKU code NOPE-1" in page
    assert 'data-line="5"' in page
    assert cart_of(shop["store"]) == {"CANDY-100": 24, "MAPLE-500": 12}


def test_saved_lists_from_the_product_page_to_the_cart(client, shop):
    client.force_login(shop["wang"])
    product_url = reverse("catalog:product", args=[shop["syrup"].product_id])
    assert reverse("deals:saved_list_add") in client.get(product_url).content.decode()
    for item, quantity in ((shop["syrup"], 48), (shop["candy"], 12)):
        response = client.post(
            reverse("deals:saved_list_add"),
            {"sku": item.pk, "quantity": quantity, "list_name": "Spring", "next": product_url},
        )
        assert response.url == product_url
    with scopes_disabled():
        spring = SavedList.objects.get(organization=shop["store"])
        assert spring.name == "Spring" and spring.items.count() == 2

    client.post(reverse("deals:saved_list_rename", args=[spring.pk]), {"name": "Spring 2027"})
    page = client.get(reverse("deals:saved_list", args=[spring.pk])).content.decode()
    assert "Spring 2027" in page and "CANDY-100" in page

    with scopes_disabled():
        Product.objects.filter(pk=shop["candy"].product_id).update(state=ListingState.PAUSED)
    result = client.post(reverse("deals:saved_list_to_cart", args=[spring.pk])).content.decode()
    assert "48 units added" in result and "no longer available" in result
    assert cart_of(shop["store"]) == {"MAPLE-500": 48}

    # A name already used is refused; deleting takes the list and its items.
    client.post(reverse("deals:saved_list_create"), {"name": "Summer"})
    client.post(reverse("deals:saved_list_rename", args=[spring.pk]), {"name": "summer"})
    with scopes_disabled():
        assert SavedList.objects.get(pk=spring.pk).name == "Spring 2027"
    client.post(reverse("deals:saved_list_delete", args=[spring.pk]))
    with scopes_disabled():
        assert list(SavedList.objects.values_list("name", flat=True)) == ["Summer"]
        assert not SavedListItem.objects.exists()


def test_another_buyer_and_a_viewer(client, shop):
    client.force_login(shop["wang"])
    client.post(reverse("deals:saved_list_create"), {"name": "Spring"})
    with scopes_disabled():
        spring = SavedList.objects.get()
    _other, li = buyer("Suzhou Lake Trading", Role.OWNER)
    client.force_login(li)
    for name in ("deals:saved_list", "deals:saved_list_to_cart", "deals:saved_list_delete"):
        method = client.get if name == "deals:saved_list" else client.post
        assert method(reverse(name, args=[spring.pk])).status_code == 404
    assert "Spring" not in client.get(reverse("deals:buy_again")).content.decode()

    client.force_login(member(shop["store"], Role.VIEWER))
    assert client.get(reverse("deals:saved_list", args=[spring.pk])).status_code == 200
    assert client.post(reverse("deals:saved_list_delete", args=[spring.pk])).status_code == 403


def test_reorder_with_a_vanished_sku(client, shop):
    order = place(shop["store"], shop["wang"], [(shop["syrup"], 48), (shop["candy"], 12)])
    with scopes_disabled():
        SKU.objects.filter(pk=shop["candy"].pk).delete()
    client.force_login(shop["wang"])
    result = client.post(reverse("deals:reorder", args=[order.number])).content.decode()
    assert 'class="outcome-added" data-sku="MAPLE-500"' in result
    assert 'class="outcome-unavailable" data-sku="CANDY-100"' in result
    assert "no longer available" in result
    assert cart_of(shop["store"]) == {"MAPLE-500": 48}


def test_the_buy_again_pages_read_a_fixed_number_of_queries(
    client, shop, django_assert_max_num_queries
):
    from deals.services import lists

    def grow(n: int) -> SavedList:
        saved = lists.saved_list_create(
            organization=shop["store"], name=f"List {n}", acting_user=shop["wang"]
        )
        for item in (shop["syrup"], shop["candy"]):
            lists.saved_list_add_item(
                organization=shop["store"],
                saved_list=saved,
                sku=item,
                quantity=12,
                acting_user=shop["wang"],
            )
        place(shop["store"], shop["wang"], [(shop["syrup"], 48)])
        return saved

    first = grow(1)
    client.force_login(shop["wang"])
    pages = [reverse("deals:buy_again"), reverse("deals:saved_list", args=[first.pk])]
    counts = {}
    for url in pages:
        client.get(url)
        with django_assert_max_num_queries(20) as captured:
            assert client.get(url).status_code == 200
        counts[url] = len(captured.captured_queries)
    for n in range(2, 5):
        grow(n)
        lists.saved_list_add_item(
            organization=shop["store"],
            saved_list=first,
            sku=sku(shop["maple"], shop["owner"], code=f"EXTRA-{n}"),
            quantity=12,
            acting_user=shop["wang"],
        )
    for url in pages:
        client.get(url)
        with django_assert_max_num_queries(counts[url]):
            assert client.get(url).status_code == 200
