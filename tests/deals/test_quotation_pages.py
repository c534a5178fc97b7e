"""The quotation pages: the buyer asks (with a file), merchants of the category read and quote,
the buyer compares side by side and accepts; a merchant never sees another's quotation and an
outsider finds nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled

from catalog.models import Category
from deals.models import QuotationRequest
from tests.catalog.factories import png_upload
from tests.deals.quotation_world import world
from tests.factories import sign_in
from tests.orders.factories import buyer

pytestmark = pytest.mark.django_db


def client_of(user) -> Client:
    client = Client()
    sign_in(client, user)
    return client


def quote_by_page(client, number: str, sku_id: int, price: str):
    valid = (timezone.localdate() + timedelta(days=7)).isoformat()
    return client.post(
        f"/deals/quotations/{number}/quote/",
        {
            "lines-TOTAL_FORMS": "3",
            "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "20",
            "lines-0-sku": str(sku_id),
            "lines-0-quantity": "240",
            "lines-0-tier_1_quantity": "96",
            "lines-0-tier_1_price": price,
            "moq": "96",
            "lead_time_days": "14",
            "valid_until": valid,
            "note": "FOB Chicago",
        },
    )


def test_request_quote_compare_and_accept_through_the_pages():
    w = world()
    buyer_client = client_of(w.buyer_user)
    form = buyer_client.get("/deals/quotations/new/")
    assert form.status_code == 200
    category = Category.objects.get(slug="maple-syrup")
    sent = buyer_client.post(
        "/deals/quotations/new/",
        {
            "title": "Maple syrup for Hangzhou stores",
            "category": category.pk,
            "quantity": "240",
            "incoterm": "FOB",
            "files": [png_upload("label.png")],
        },
    )
    assert sent.status_code == 302, sent.content
    with scopes_disabled():
        rfq = QuotationRequest.objects.get()
    assert sent["Location"] == f"/deals/quotations/{rfq.number}/"

    maple, sugar = client_of(w.maple_user), client_of(w.sugar_user)
    assert rfq.number in maple.get("/deals/quotations/").content.decode()
    page = maple.get(f"/deals/quotations/{rfq.number}/").content.decode()
    assert "Maple syrup for Hangzhou stores" in page and "label.png" in page
    with scopes_disabled():
        upload = rfq.files.get()
    file = maple.get(f"/deals/quotations/{rfq.number}/files/{upload.pk}/")
    assert file.status_code == 200 and file["Content-Type"] == "image/png"

    assert quote_by_page(maple, rfq.number, w.maple_sku.pk, "7.20").status_code == 302
    assert "data-quoted" in maple.get("/deals/quotations/").content.decode()
    assert "data-quoted" not in sugar.get("/deals/quotations/").content.decode()
    bad = quote_by_page(sugar, rfq.number, w.maple_sku.pk, "6.90")  # not its own SKU
    # Another merchant's SKU is not among its choices: the form says so, nothing is sent.
    assert bad.status_code == 200 and 'class="errorlist' in bad.content.decode()
    with scopes_disabled():
        assert not rfq.quotations.filter(merchant=w.sugar).exists()
    assert quote_by_page(sugar, rfq.number, w.sugar_sku.pk, "6.90").status_code == 302

    sugar_page = sugar.get(f"/deals/quotations/{rfq.number}/").content.decode()
    assert "Vermont Sugarhouse" in sugar_page and "Great Lakes Maple Co." not in sugar_page
    assert "7.20" not in sugar_page

    compare = buyer_client.get(f"/deals/quotations/{rfq.number}/").content.decode()
    assert "Great Lakes Maple Co." in compare and "Vermont Sugarhouse" in compare
    assert 'data-total="1656.00"' in compare  # 240 × 6.90
    assert 'data-total="1728.00"' in compare  # 240 × 7.20
    with scopes_disabled():
        chosen = rfq.quotations.get(merchant=w.sugar)
    accepted = buyer_client.post(f"/deals/quotations/quotation/{chosen.number}/accept/")
    assert accepted.status_code == 302 and accepted["Location"] == "/orders/cart/"
    cart = buyer_client.get("/orders/cart/").content.decode()
    assert chosen.number in cart


def test_outsiders_find_nothing():
    w = world()
    rfq = w.request()
    quotation = w.quote(rfq, "maple")
    outsider_buyer, outsider_user = buyer("Shenzhen Harbour Imports")
    for user in (w.vitamins_user, outsider_user):
        client = client_of(user)
        assert client.get(f"/deals/quotations/{rfq.number}/").status_code == 404
        assert rfq.number not in client.get("/deals/quotations/").content.decode()
    sugar = client_of(w.sugar_user)
    assert (
        sugar.post(f"/deals/quotations/quotation/{quotation.number}/withdraw/").status_code == 404
    )
    maple = client_of(w.maple_user)
    # A merchant cannot accept; the buyer cannot withdraw.
    assert maple.post(f"/deals/quotations/quotation/{quotation.number}/accept/").status_code == 403
    assert (
        client_of(w.buyer_user)
        .post(f"/deals/quotations/quotation/{quotation.number}/withdraw/")
        .status_code
        == 403
    )


def test_a_buyer_asks_about_a_product_from_its_page():
    w = world()
    buyer_client = client_of(w.buyer_user)
    product_id = w.maple_sku.product_id
    page = buyer_client.get(f"/catalog/products/{product_id}/").content.decode()
    link = f"/deals/quotations/new/?product={product_id}"
    assert link in page
    assert (
        link not in client_of(w.maple_user).get(f"/catalog/products/{product_id}/").content.decode()
    )
    form = buyer_client.get(link).content.decode()
    assert "Great Lakes Maple Co." in form
    sent = buyer_client.post(link, {"title": "Syrup", "quantity": "120", "incoterm": "FOB"})
    assert sent.status_code == 302
    with scopes_disabled():
        rfq = QuotationRequest.objects.get()
    assert rfq.product_id == product_id and rfq.category.slug == "maple-syrup"


def test_the_quotation_form_offers_the_merchants_skus_with_the_asked_one_chosen():
    """The SKU list is written in one pass (network.forms.LongSelect): every quotable SKU of
    the merchant on every line, the one the buyer asked about chosen on the first."""
    w = world()
    product_id = w.maple_sku.product_id
    sent = client_of(w.buyer_user).post(
        f"/deals/quotations/new/?product={product_id}",
        {"title": "Syrup", "quantity": "120", "incoterm": "FOB"},
    )
    assert sent.status_code == 302
    with scopes_disabled():
        rfq = QuotationRequest.objects.get()
    page = client_of(w.maple_user).get(f"/deals/quotations/{rfq.number}/quote/")
    html = page.content.decode()
    first = html.split('name="lines-0-sku"', 1)[1].split("</select>", 1)[0]
    assert f'<option value="{w.maple_sku.pk}" selected>{w.maple_sku.code} · ' in first
    second = html.split('name="lines-1-sku"', 1)[1].split("</select>", 1)[0]
    assert f'<option value="{w.maple_sku.pk}">' in second
    assert '<option value="" selected>' in second
    assert 'id="id_lines-0-sku"' in html
