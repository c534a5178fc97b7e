"""Claim pages: the buyer opens a claim from its order and answers an offer, the merchant
answers, the operators decide from their queue; each party sees the claim and its photos,
outsiders find nothing; in Chinese for a Chinese buyer."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django_scopes import scopes_disabled

from network.models import Membership, Role
from payments.models import Claim
from payments.services import claims
from tests.factories import member, operator, sign_in
from tests.i18n_leaks import database_allow_list, pages_with_english
from tests.payments.trade import TOTAL, photo, trade

pytestmark = pytest.mark.django_db


def open_claim(world, **fields) -> Claim:
    values = {
        "reason": "damaged",
        "description": "Six bottles broken.",
        "amount_usd": "100.00",
        "photos": [photo()],
    }
    values.update(fields)
    return claims.claim_open(
        merchant_order=world.merchant_order, acting_user=world.buyer_user, **values
    )


def partial(world, user) -> str:
    request = RequestFactory().get("/")
    request.user = user
    with scopes_disabled():
        request.membership = Membership.objects.select_related("organization").get(user=user)
    request.organization = request.membership.organization
    return render_to_string(
        "payments/claims/_order_claims.html",
        {"merchant_order": world.merchant_order, "request": request},
    )


def test_the_buyer_opens_a_claim_from_the_order(client):
    world = trade(status="delivered")
    html = partial(world, world.buyer_user)
    url = reverse("payments:claim_open", args=[world.merchant_order.number])
    assert url in html and "Open a claim" in html
    assert "Open a claim" not in partial(world, world.merchant_user)
    sign_in(client, world.buyer_user)
    page = client.get(url)
    assert page.status_code == 200
    assert "379.20" in page.content.decode()
    refused = client.post(
        url,
        {
            "reason": "damaged",
            "description": "Broken.",
            "amount_usd": "500",
            "refund_method": "credit",
            "photos": [photo()],
        },
    )
    assert refused.status_code == 200
    assert "at most US$379.20" in refused.content.decode()
    response = client.post(
        url,
        {
            "reason": "damaged",
            "description": "Broken.",
            "amount_usd": "120.00",
            "refund_method": "credit",
            "photos": [photo(), photo("b.png", "PNG")],
        },
    )
    with scopes_disabled():
        claim = Claim.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("payments:claim_detail", args=[claim.number])
    detail = client.get(response["Location"]).content.decode()
    assert claim.number in detail and "Withdraw the claim" in detail
    with scopes_disabled():
        photo_ids = list(claim.photos.values_list("pk", flat=True))
    assert len(photo_ids) == 2
    image = client.get(reverse("payments:claim_photo", args=[claim.number, photo_ids[0]]))
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    # The order page's claims: the claim listed, no second "Open a claim".
    html = partial(world, world.buyer_user)
    assert claim.number in html and "Open a claim" not in html


def test_merchant_offers_and_buyer_accepts_on_the_pages(client):
    world = trade(status="delivered")
    claim = open_claim(world)
    sign_in(client, world.merchant_user)
    detail = client.get(reverse("payments:claim_detail", args=[claim.number])).content.decode()
    assert "Answer the claim" in detail and "Withdraw" not in detail
    response = client.post(
        reverse("payments:claim_respond", args=[claim.number]),
        {"action": "offer", "offer_usd": "60.00", "text": "Half the broken ones."},
        follow=True,
    )
    assert "Your answer was sent" in response.content.decode()
    client.logout()
    sign_in(client, world.buyer_user)
    detail = client.get(reverse("payments:claim_detail", args=[claim.number])).content.decode()
    assert "Accept US$60.00" in detail
    client.post(reverse("payments:claim_answer", args=[claim.number]), {"action": "accept_offer"})
    with scopes_disabled():
        claim = Claim.objects.get(pk=claim.pk)
    assert claim.status == "refunded" and claim.refund_usd == Decimal("60.00")
    assert world.buyer_credit() == Decimal("60.00")


def test_operators_decide_from_their_queue(client):
    world = trade(status="delivered")
    claim = open_claim(world, reason="not_as_described")
    claims.claim_respond(
        claim=claim, action="dispute", text="As listed.", acting_user=world.merchant_user
    )
    staff = operator()
    sign_in(client, staff)
    queue = client.get(reverse("payments:claims_queue")).content.decode()
    assert claim.number in queue
    detail = client.get(reverse("payments:claim_detail", args=[claim.number])).content.decode()
    assert "Record the decision" in detail
    refused = client.post(
        reverse("payments:claim_decide", args=[claim.number]),
        {"outcome": "refund", "refund_usd": "999", "refund_method": "credit", "note": "x"},
        follow=True,
    )
    assert "At most US$379.20" in refused.content.decode()
    client.post(
        reverse("payments:claim_decide", args=[claim.number]),
        {"outcome": "refund", "refund_usd": "75.00", "refund_method": "credit", "note": "Agreed."},
    )
    with scopes_disabled():
        claim = Claim.objects.get(pk=claim.pk)
    assert claim.status == "refunded" and claim.refund_usd == Decimal("75.00")
    assert world.escrow() == TOTAL - Decimal("75.00")


def test_outsiders_find_no_claim_and_no_photo(client):
    world = trade(status="delivered")
    claim = open_claim(world)
    other = trade(status="delivered", merchant_name="Driftless Cheese Makers", buyer_name="B2")
    with scopes_disabled():
        photo_id = claim.photos.get().pk
    for user in (other.buyer_user, other.merchant_user):
        client.logout()
        sign_in(client, user)
        assert client.get(reverse("payments:claim_detail", args=[claim.number])).status_code == 404
        url = reverse("payments:claim_photo", args=[claim.number, photo_id])
        assert client.get(url).status_code == 404
        listing = client.get(reverse("payments:claims")).content.decode()
        assert claim.number not in listing
    # Another buyer cannot open a claim on this order, nor answer this claim.
    url = reverse("payments:claim_open", args=[world.merchant_order.number])
    client.logout()
    sign_in(client, other.buyer_user)
    assert client.get(url).status_code == 404
    response = client.post(
        reverse("payments:claim_answer", args=[claim.number]), {"action": "withdraw"}
    )
    assert response.status_code == 404
    # A merchant cannot reach the operators' queue.
    client.logout()
    sign_in(client, world.merchant_user)
    assert client.get(reverse("payments:claims_queue")).status_code == 403


def test_a_chinese_buyer_reads_its_claim_in_chinese(client):
    world = trade(status="delivered", language="zh-hans")
    claim = open_claim(world)
    sign_in(client, world.buyer_user)
    page = client.get(
        reverse("payments:claim_detail", args=[claim.number]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "撤回" in page  # "Withdraw the claim"
    listing = client.get(reverse("payments:claims"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "索赔" in listing.content.decode()


def test_a_chinese_buyer_sees_no_english_on_the_claim_pages(client):
    world = trade(status="delivered", language="zh-hans")
    claim = open_claim(world, description="六瓶破损，外箱一侧被压扁。")
    claims.claim_respond(
        claim=claim,
        action="offer",
        offer_usd="50",
        text="我们退还破损的部分。",
        acting_user=world.merchant_user,
    )
    other = trade(
        status="shipped",
        language="zh-hans",
        merchant_name="Driftless Cheese Makers",
        buyer_name="B2",
    )
    client.force_login(world.buyer_user)
    urls = [
        reverse("payments:claim_detail", args=[claim.number]),
        reverse("payments:claims"),
        reverse("payments:claim_open", args=[world.merchant_order.number]),
    ]
    assert all(client.get(url).status_code == 200 for url in urls)
    # The names of photo formats and of bank codes stay as the world writes them.
    allowed = database_allow_list() | {"JPEG", "PNG", "WebP", "IBAN", "SWIFT", "BIC"}
    leaks = pages_with_english(client, urls, allowed=allowed)
    assert leaks == {}, leaks
    client.force_login(other.buyer_user)
    form = reverse("payments:claim_open", args=[other.merchant_order.number])
    assert pages_with_english(client, [form], allowed=allowed) == {}


def test_a_merchant_viewer_reads_the_claim_without_the_answer_form(client):
    world = trade(status="delivered")
    claim = open_claim(world)
    viewer = member(world.merchant, Role.VIEWER)
    sign_in(client, viewer)
    page = client.get(reverse("payments:claim_detail", args=[claim.number])).content.decode()
    assert claim.number in page and "Answer the claim" not in page
    response = client.post(
        reverse("payments:claim_respond", args=[claim.number]), {"action": "accept"}
    )
    assert response.status_code == 403


def test_operators_land_on_their_queue(client):
    sign_in(client, operator())
    response = client.get(reverse("payments:claims"))
    assert response.status_code == 302 and response["Location"] == reverse("payments:claims_queue")
