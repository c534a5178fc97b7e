"""A Taobao Global store owner who reads Chinese sees no English on their main pages — home,
catalogue, a product, cart, purchase orders and a printed one, reports, notifications,
seminars and registrations, the merchant directory and a profile, and their account's pages —
beyond what may stay English: data merchants and people wrote in English only, codes, and a
few fixed abbreviations (``tests.i18n_leaks``).

The data is the demo network (``seed_demo``), seen by its buyer owner, 王丽 Wang Li."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from catalog.models import ListingState, Product
from deals.models import QuotationRequest
from moderation import services as brands
from moderation.models import ListingReport
from network.demo import DEMO_BUYER_SLUG
from network.errors import DomainError
from network.models import Organization, User
from orders.models import CartLine, PurchaseOrder
from tests.i18n_leaks import database_allow_list, english_words, pages_with_english
from training.models import Registration
from training.selectors import seminars_public
from training.services import registration_create

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def buyer_main_pages(buyer: User, store: Organization) -> list[str]:
    """The pages a buyer uses most, with one of each kind of object of theirs."""
    with scopes_disabled():
        purchase_order = PurchaseOrder.objects.filter(organization=store).order_by("-pk").first()
        line = CartLine.objects.filter(organization=store).select_related("sku").first()
        product = Product.objects.filter(state=ListingState.ACTIVE).order_by("pk").first()
        report = ListingReport.objects.filter(reporter=buyer).first()
        registration = Registration.objects.filter(user=buyer).first()
        rfq = QuotationRequest.objects.filter(buyer=store, status="open").first()
    merchant_slug = product.organization.slug
    return [
        reverse("home"),
        reverse("catalog:browse"),
        reverse("catalog:product", args=[product.pk]),
        reverse("catalog:product", args=[line.sku.product_id]),
        reverse("orders:cart"),
        reverse("orders:checkout"),
        reverse("orders:purchase_order_list"),
        reverse("orders:purchase_order_detail", args=[purchase_order.number]),
        reverse("orders:purchase_order_print", args=[purchase_order.number]),
        reverse("catalog:my_reports"),
        reverse("catalog:report", args=[report.pk]),
        reverse("notifications"),
        reverse("training:seminar_list"),
        reverse("training:my_registrations"),
        reverse("training:registration_detail", args=[registration.pk]),
        reverse("merchants:directory"),
        reverse("merchants:profile", args=[merchant_slug]),
        reverse("preferences"),
        reverse("members"),
        reverse("account_change_password"),
        reverse("account_email"),
        reverse("account_reauthenticate"),
        reverse("account_request_reauthentication_code"),
        reverse("mfa_index"),
        reverse("deals:quotation_requests"),
        reverse("deals:quotation_request_create"),
        reverse("deals:quotation_request", args=[rfq.number]),
    ]


def give_the_buyer_one_of_each(buyer: User, store: Organization) -> None:
    """A report and a seminar registration of the buyer's own, which the demo leaves to the
    buyer's teammates."""
    with scopes_disabled():
        if not ListingReport.objects.filter(reporter=buyer).exists():
            product = Product.objects.filter(state=ListingState.ACTIVE).order_by("-pk").first()
            brands.report_create(
                product=product,
                reason="counterfeit",
                details="包装上的商标与品牌官网不一致。",
                reporter_organization=store,
                acting_user=buyer,
            )
        if not Registration.objects.filter(user=buyer).exists():
            for seminar in seminars_public():
                try:
                    registration_create(seminar=seminar, organization=store, acting_user=buyer)
                except DomainError:
                    continue
                break


@pytest.fixture
def demo_buyer(demo_seeded_for_module):
    with scopes_disabled():
        store = Organization.objects.get(slug=DEMO_BUYER_SLUG)
        owner = User.objects.get(email="buyer.owner@example.com")
    give_the_buyer_one_of_each(owner, store)
    return owner, store


def test_a_chinese_buyer_sees_no_english_on_their_main_pages(client, demo_buyer):
    owner, store = demo_buyer
    assert owner.language == "zh-hans"
    client.force_login(owner)
    urls = buyer_main_pages(owner, store)
    assert all(client.get(url).status_code == 200 for url in urls)
    assert pages_with_english(client, urls, allowed=database_allow_list()) == {}


def test_the_checker_finds_english_in_text_and_read_attributes_only():
    html = """<html><head><title>订单 Orders</title><style>.a{color:red}</style></head><body>
      <h1>采购订单 PO7K2M9QX</h1>
      <p>Great Lakes Maple Co. · 密歇根州 · SKU MAPLE-500 · US$8.50 · FOB · 12 kg</p>
      <img src="/x.png" alt="Maple syrup bottle">
      <input type="search" placeholder="搜索 products">
      <input type="hidden" name="next" value="Hidden value">
      <button type="submit" name="language" value="en">发送</button>
      <input type="submit" value="Send now">
      <a href="/catalog/" title="目录" aria-label="Open catalogue">目录</a>
      <script>var label = "Not visible";</script><pre>Stack trace</pre><code>curl</code>
      <p>wang.li@example.com · https://maple.example/about · Asia/Shanghai · 日历（.ics）</p>
      <h2>枫糖浆</h2><p class="alt-title" lang="en">Pure maple syrup</p><p>Written later</p>
      <select><option>America/Detroit</option><option>UTC</option></select>
    </body></html>"""
    assert english_words(html, allowed={"Great Lakes Maple Co."}) == [
        "Orders",
        "Maple",
        "syrup",
        "bottle",
        "products",
        "Send",
        "now",
        "Open",
        "catalogue",
        "Written",
        "later",
    ]


@pytest.mark.parametrize("role", ["anonymous", "buyer owner"])
def test_no_english_on_any_page_a_chinese_buyer_can_open(client, demo_buyer, role):
    """The whole crawl (``tests.site_pages``: every HTML page the person can open, new pages
    included) read in Chinese, by a visitor and by the demo buyer."""
    from django.conf import settings

    from tests.site_pages import demo_people, html_pages_for

    person = demo_people()[role]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    pages = html_pages_for(client, person)
    assert len(pages) > (10 if person is None else 30)
    allowed = database_allow_list()
    leaks = {url: words for url, html in pages.items() if (words := english_words(html, allowed))}
    assert leaks == {}, "\n".join(f"{url}: {' '.join(words)}" for url, words in leaks.items())
