"""Pages: cart, checkout (a double submit places one order), the buyer's purchase orders with
timelines and the printable copy, the merchant's incoming orders and actions, order terms, the
operators' view — each with owner, teammate and outsider, and pinned query counts."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from network.models import Role
from orders.models import CartLine, MerchantOrderSettings, PurchaseOrder
from orders.models import MerchantOrderStatus as S
from tests.factories import member, operator, sign_in
from tests.orders.factories import buyer, fan_out, merchant, merchant_order_of, place, sku, stock
from tests.shipping.factories import CarrierFactory, SailingFactory, request_booking

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    maple, maple_owner = merchant("Great Lakes Maple Co.")
    cheese, cheese_owner = merchant("Driftless Cheese Makers")
    syrup = sku(maple, maple_owner, code="MAPLE-500")
    cheddar = sku(
        cheese,
        cheese_owner,
        code="CHEDDAR",
        title="Aged cheddar",
        moq=6,
        tiers=((6, "8.50"), (48, "7.90")),
    )
    store, wang = buyer()
    return {
        "maple": maple,
        "maple_owner": maple_owner,
        "cheese": cheese,
        "cheese_owner": cheese_owner,
        "syrup": syrup,
        "cheddar": cheddar,
        "store": store,
        "wang": wang,
    }


def _order(world, key=None):
    purchase_order = place(
        world["store"], world["wang"], [(world["syrup"], 48), (world["cheddar"], 12)], key=key
    )
    fan_out(purchase_order)
    return purchase_order


# --- Cart --------------------------------------------------------------------------------------


def test_add_to_cart_enforces_moq_case_pack_and_stock_with_clear_messages(client, world):
    client.force_login(world["wang"])
    add = reverse("orders:cart_add")
    product_page = reverse("catalog:product", args=[world["syrup"].product_id])
    response = client.post(add, {"sku": world["syrup"].pk, "quantity": 6, "next": product_page})
    assert response.status_code == 302 and response.url == product_page
    response = client.get(reverse("orders:cart"))
    assert "The minimum order for MAPLE-500 is 12 units." in response.content.decode()
    client.post(add, {"sku": world["syrup"].pk, "quantity": 13})
    assert (
        "MAPLE-500 is sold in case packs of 6."
        in client.get(reverse("orders:cart")).content.decode()
    )
    client.post(add, {"sku": world["syrup"].pk, "quantity": 600})
    page = client.get(reverse("orders:cart")).content.decode()
    assert "Only 500 units of MAPLE-500 are in stock; you asked for 600." in page
    client.post(add, {"sku": world["syrup"].pk, "quantity": 48, "next": "https://evil.example/"})
    with scopes_disabled():
        assert CartLine.objects.get(organization=world["store"]).quantity == 48


def test_cart_groups_by_merchant_with_tier_prices_savings_and_minimums(client, world):
    with scopes_disabled():
        MerchantOrderSettings.objects.create(
            organization=world["cheese"], minimum_order_value_usd=Decimal("1000")
        )
    client.force_login(world["wang"])
    client.post(reverse("orders:cart_add"), {"sku": world["syrup"].pk, "quantity": 48})
    client.post(reverse("orders:cart_add"), {"sku": world["cheddar"].pk, "quantity": 12})
    response = client.get(reverse("orders:cart"))
    page = response.content.decode()
    assert response.context["cart"].total == Decimal("7.90") * 48 + Decimal("8.50") * 12
    groups = [g.merchant.name for g in response.context["cart"].groups]
    assert groups == ["Driftless Cheese Makers", "Great Lakes Maple Co."]
    assert "US$7.90" in page and "save US$28.80" in page
    assert "Driftless Cheese Makers takes orders from US$1,000.00. Add US$898.00 more" in page
    assert "Check out" not in page  # the minimum is not met
    assert response.context["cart"].problems == 1


def test_cart_quantity_update_and_remove(client, world):
    client.force_login(world["wang"])
    client.post(reverse("orders:cart_add"), {"sku": world["syrup"].pk, "quantity": 12})
    with scopes_disabled():
        line = CartLine.objects.get()
    client.post(reverse("orders:cart_line_update", args=[line.pk]), {"quantity": 144})
    with scopes_disabled():
        assert CartLine.objects.get().quantity == 144
    client.post(reverse("orders:cart_line_remove", args=[line.pk]))
    with scopes_disabled():
        assert not CartLine.objects.exists()


def test_cart_is_for_buyers_only_and_lines_are_private(client, world):
    client.force_login(world["wang"])
    client.post(reverse("orders:cart_add"), {"sku": world["syrup"].pk, "quantity": 12})
    with scopes_disabled():
        line = CartLine.objects.get()
    teammate = member(world["store"], Role.ADMIN)
    client.force_login(teammate)
    assert "MAPLE-500" in client.get(reverse("orders:cart")).content.decode()  # shared cart
    viewer = member(world["store"], Role.VIEWER)
    client.force_login(viewer)
    assert client.get(reverse("orders:cart")).status_code == 403
    outsider_store, outsider = buyer("Shenzhen Bay Imports")
    client.force_login(outsider)
    assert "MAPLE-500" not in client.get(reverse("orders:cart")).content.decode()
    response = client.post(reverse("orders:cart_line_remove", args=[line.pk]))
    assert response.status_code == 404
    client.force_login(world["maple_owner"])
    assert client.get(reverse("orders:cart")).status_code == 403


# --- Checkout ----------------------------------------------------------------------------------

CHECKOUT = {
    "delivery_type": "bonded",
    "delivery_location": "Ningbo Meishan bonded warehouse",
    "incoterm": "FOB",
    "payment_terms": "net30",
    "buyer_reference": "HZ-2026-001",
    "notes": "Bilingual labels please",
}


def test_checkout_double_submit_places_one_order(client, world, django_capture_on_commit_callbacks):
    client.force_login(world["wang"])
    client.post(reverse("orders:cart_add"), {"sku": world["syrup"].pk, "quantity": 48})
    client.post(reverse("orders:cart_add"), {"sku": world["cheddar"].pk, "quantity": 12})
    form_page = client.get(reverse("orders:checkout")).content.decode()
    token = re.search(r'name="checkout_token" value="([0-9a-f-]{36})"', form_page).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(reverse("orders:checkout"), {**CHECKOUT, "checkout_token": token})
    second = client.post(reverse("orders:checkout"), {**CHECKOUT, "checkout_token": token})
    with scopes_disabled():
        purchase_order = PurchaseOrder.objects.get()
        assert purchase_order.merchant_orders.count() == 2
    detail = reverse("orders:purchase_order_detail", args=[purchase_order.number])
    assert first.url == detail and second.url == detail
    assert purchase_order.buyer_reference == "HZ-2026-001"
    assert purchase_order.incoterm == "FOB" and purchase_order.payment_terms == "net30"
    assert stock(world["syrup"]).reserved == 48


def test_checkout_with_short_stock_shows_the_line_and_writes_nothing(client, world):
    client.force_login(world["wang"])
    client.post(reverse("orders:cart_add"), {"sku": world["syrup"].pk, "quantity": 480})
    other_store, li = buyer("Shenzhen Bay Imports")
    place(other_store, li, [(world["syrup"], 60)])
    response = client.post(
        reverse("orders:checkout"),
        {**CHECKOUT, "checkout_token": "6f1c1f9e-8f1e-4a53-9a63-0d1e1b1d2c3a"},
    )
    assert response.status_code == 200
    assert "MAPLE-500: you asked for 480 units, 440 are available." in response.content.decode()
    with scopes_disabled():
        assert PurchaseOrder.objects.filter(organization=world["store"]).count() == 0


# --- Buyer's purchase orders -------------------------------------------------------------------


def test_purchase_order_pages_show_timelines_to_the_team_and_404_to_outsiders(client, world):
    purchase_order = _order(world)
    maple_part = merchant_order_of(purchase_order, world["maple"])
    from orders import services

    services.merchant_order_accept(merchant_order=maple_part, acting_user=world["maple_owner"])
    viewer = member(world["store"], Role.VIEWER)
    for person in (world["wang"], viewer):
        client.force_login(person)
        page = client.get(reverse("orders:purchase_order_detail", args=[purchase_order.number]))
        text = page.content.decode()
        assert page.status_code == 200
        assert "Partly accepted" in text and "Awaiting acceptance" in text
        assert text.count('class="steps order-timeline"') == 2
        printable = client.get(reverse("orders:purchase_order_print", args=[purchase_order.number]))
        assert "HZ-2026-001" in printable.content.decode()
        assert "print.css" in printable.content.decode()
        assert (
            purchase_order.number
            in client.get(reverse("orders:purchase_order_list")).content.decode()
        )
    outsider_store, outsider = buyer("Shenzhen Bay Imports")
    client.force_login(outsider)
    for name in ("orders:purchase_order_detail", "orders:purchase_order_print"):
        assert client.get(reverse(name, args=[purchase_order.number])).status_code == 404
    assert (
        purchase_order.number
        not in client.get(reverse("orders:purchase_order_list")).content.decode()
    )
    response = client.post(
        reverse("orders:buyer_merchant_order_action", args=[maple_part.number, "cancel"])
    )
    assert response.status_code == 404


def test_buyer_list_query_count_does_not_grow_with_orders(client, world, django_assert_num_queries):
    client.force_login(world["wang"])
    url = reverse("orders:purchase_order_list")
    _order(world)
    client.get(url)  # warm the session and content types
    # session, user, memberships, (nav: none), count, page with annotations,
    # merchant orders prefetch with merchants
    with django_assert_num_queries(6):
        client.get(url)
    for _ in range(3):
        _order(world)
    with django_assert_num_queries(6):
        assert client.get(url).status_code == 200


# --- Merchant's incoming orders ----------------------------------------------------------------


def test_merchant_sees_only_its_own_orders_and_lines(client, world):
    purchase_order = _order(world)
    maple_part = merchant_order_of(purchase_order, world["maple"])
    cheese_part = merchant_order_of(purchase_order, world["cheese"])
    client.force_login(world["maple_owner"])
    listing = client.get(reverse("orders:merchant_order_list")).content.decode()
    assert maple_part.number in listing and cheese_part.number not in listing
    detail = client.get(reverse("orders:merchant_order_detail", args=[maple_part.number]))
    assert "MAPLE-500" in detail.content.decode() and "CHEDDAR" not in detail.content.decode()
    assert (
        client.get(reverse("orders:merchant_order_detail", args=[cheese_part.number])).status_code
        == 404
    )
    response = client.post(
        reverse("orders:merchant_order_action", args=[cheese_part.number, "accept"])
    )
    assert response.status_code == 404
    client.force_login(world["wang"])
    assert client.get(reverse("orders:merchant_order_list")).status_code == 403


def test_merchant_accepts_packs_and_ships_from_the_page(client, world):
    purchase_order = _order(world)
    maple_part = merchant_order_of(purchase_order, world["maple"])
    staff = member(world["maple"], Role.STAFF)
    client.force_login(staff)
    act = lambda action, **data: client.post(  # noqa: E731
        reverse("orders:merchant_order_action", args=[maple_part.number, action]), data
    )
    assert act("accept", scope="all").status_code == 302
    assert act("pack").status_code == 302
    response = act("ship", carrier_name="")
    assert response.status_code == 200
    assert "Name the carrier that takes the goods, or give a booking." in response.content.decode()
    # A booking reference must be one of the merchant's own bookings.
    with scopes_disabled():
        maersk = CarrierFactory(tracking_url_template="https://www.maersk.com/tracking/{number}")
        sailing = SailingFactory(carrier=maersk)
        booking = request_booking(world["maple"], sailing, world["maple_owner"])
        rivals = request_booking(
            world["cheese"], SailingFactory(carrier=maersk), world["cheese_owner"]
        )
    for reference in ("MAEU261234567", rivals.reference):
        response = act("ship", carrier_name="Maersk", booking_reference=reference)
        assert response.status_code == 200
        assert f"{reference} is not one of your bookings." in response.content.decode()
    response = act("ship", carrier_name="CMA CGM", booking_reference=booking.reference)
    assert f"Booking {booking.reference} is with Maersk, not CMA CGM." in response.content.decode()
    maple_part.refresh_from_db()
    assert maple_part.status == S.PACKED
    tracking = "MSKU 1234565"
    act("ship", booking_reference=booking.reference.lower(), tracking_number=tracking)
    maple_part.refresh_from_db()
    assert maple_part.status == S.SHIPPED and maple_part.booking_reference == booking.reference
    assert maple_part.carrier_name == "Maersk"
    # The tracking number links to the carrier's tracking page, for the merchant and the buyer.
    link = 'href="https://www.maersk.com/tracking/MSKU%201234565"'
    page = client.get(reverse("orders:merchant_order_detail", args=[maple_part.number]))
    assert link in page.content.decode()
    client.force_login(world["wang"])
    page = client.get(reverse("orders:purchase_order_detail", args=[purchase_order.number]))
    assert link in page.content.decode() and f">{tracking}</a>" in page.content.decode()
    client.force_login(staff)
    viewer = member(world["maple"], Role.VIEWER)
    client.force_login(viewer)
    assert act("deliver").status_code == 403
    page = client.get(reverse("orders:merchant_order_detail", args=[maple_part.number]))
    assert "Mark as delivered" not in page.content.decode()


def test_merchant_rejects_with_a_reason_or_accepts_some_lines(client, world):
    from orders.models import PurchaseOrderLine

    maple_part = merchant_order_of(_order(world), world["maple"])
    client.force_login(world["maple_owner"])
    url = reverse("orders:merchant_order_action", args=[maple_part.number, "reject"])
    assert client.post(url, {"reason": ""}).status_code == 200
    client.post(url, {"reason": "Out of season until March"})
    maple_part.refresh_from_db()
    assert maple_part.status == S.REJECTED
    assert maple_part.status_reason == "Out of season until March"
    # Per-line acceptance on a two-line order.
    candy = sku(world["maple"], world["maple_owner"], code="MAPLE-CANDY", title="Maple candy")
    purchase_order = place(world["store"], world["wang"], [(world["syrup"], 12), (candy, 12)])
    fan_out(purchase_order)
    part = merchant_order_of(purchase_order, world["maple"])
    with scopes_disabled():
        candy_line = PurchaseOrderLine.objects.get(purchase_order=purchase_order, sku=candy)
    client.post(
        reverse("orders:merchant_order_action", args=[part.number, "accept"]),
        {"scope": "lines", "line": [candy_line.pk]},
    )
    with scopes_disabled():
        statuses = dict(
            PurchaseOrderLine.objects.filter(purchase_order=purchase_order).values_list(
                "sku_code", "status"
            )
        )
    assert statuses == {"MAPLE-500": "rejected", "MAPLE-CANDY": "accepted"}


def test_merchant_list_query_count_does_not_grow(client, world, django_assert_num_queries):
    client.force_login(world["maple_owner"])
    url = reverse("orders:merchant_order_list")
    _order(world)
    client.get(url)
    # session, user, memberships, status counts, count, page (buyer and PO joined, lines counted)
    with django_assert_num_queries(6):
        client.get(url)
    for _ in range(3):
        _order(world)
    with django_assert_num_queries(6):
        assert client.get(url).status_code == 200


def test_order_terms_are_set_by_owners_and_admins(client, world):
    client.force_login(world["maple_owner"])
    url = reverse("orders:settings")
    response = client.post(url, {"minimum_order_value_usd": "750.00"})
    assert response.status_code == 302
    with scopes_disabled():
        assert MerchantOrderSettings.objects.get(
            organization=world["maple"]
        ).minimum_order_value_usd == Decimal("750.00")
    staff = member(world["maple"], Role.STAFF)
    client.force_login(staff)
    client.post(url, {"minimum_order_value_usd": "1.00"})
    with scopes_disabled():
        assert MerchantOrderSettings.objects.get().minimum_order_value_usd == Decimal("750.00")
    client.force_login(world["wang"])
    assert client.get(url).status_code == 403


# --- Operators ---------------------------------------------------------------------------------


def test_operators_see_every_order_and_others_are_refused(client, world, django_assert_num_queries):
    purchase_order = _order(world)
    olivia = operator()
    sign_in(client, olivia)
    url = reverse("orders:operator_orders")
    page = client.get(url).content.decode()
    assert purchase_order.number in page and "Hangzhou Westlake Global Store" in page
    detail = client.get(reverse("orders:operator_order_detail", args=[purchase_order.number]))
    assert "MAPLE-500" in detail.content.decode() and "CHEDDAR" in detail.content.decode()
    # session, user, memberships, TOTP check, counts by status, count, page, merchant orders
    with django_assert_num_queries(8):
        client.get(url)
    for _ in range(3):
        _order(world)
    with django_assert_num_queries(8):
        client.get(url)
    for person in (world["wang"], world["maple_owner"]):
        client.force_login(person)
        assert client.get(url).status_code == 403


def test_navigation_links_per_kind(client, world):
    client.force_login(world["wang"])
    home = client.get("/").content.decode()
    assert ">Cart<" in home and ">Purchase orders<" in home
    client.force_login(world["maple_owner"])
    assert ">Orders<" in client.get("/").content.decode()


def test_add_to_cart_snippet_posts_to_the_cart_for_buyers_only(rf, world):
    from django.contrib.auth.models import AnonymousUser
    from django.template.loader import render_to_string

    from network.models import Membership

    request = rf.get(f"/catalog/products/{world['syrup'].product_id}/")
    request.user = world["wang"]
    request.membership = Membership.objects.get(user=world["wang"])
    html = render_to_string(
        "orders/_add_to_cart.html",
        {"sku": world["syrup"], "active_organization": world["store"]},
        request=request,
    )
    assert 'action="/orders/cart/add/"' in html
    assert 'name="quantity" value="12" min="12" step="6"' in html
    request.user, request.membership = AnonymousUser(), None
    html = render_to_string(
        "orders/_add_to_cart.html",
        {"sku": world["syrup"], "active_organization": None},
        request=request,
    )
    assert "Log in as a buyer to order" in html and "<form" not in html
