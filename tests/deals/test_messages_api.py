"""Messages in the API: a buyer's key starts a conversation about a product, the merchant's key
reads it and answers with an attachment; another buyer finds nothing; bad input is a 4xx with a
code."""

from __future__ import annotations

import pytest
from django.test import Client
from django_scopes import scopes_disabled

from deals.models import Message
from network import services as network_services
from network.models import ApiScope
from tests.deals.messaging import ask, pair, pdf
from tests.factories import member

pytestmark = pytest.mark.django_db


def key_client(organization, user, scopes=None) -> Client:
    """A key of ``organization``, made by an admin (the key acts for the organisation)."""
    admin = user if user.memberships.get().role in ("owner", "admin") else member(organization)
    _key, raw = network_services.api_key_create(
        organization=organization,
        name="ERP",
        scopes=scopes or list(ApiScope.values),
        acting_user=admin,
    )
    return Client(headers={"Authorization": f"Bearer {raw}"})


def test_a_buyer_asks_and_the_merchant_answers_through_the_api():
    world = pair(buyer_language="zh-hans")
    buyer = key_client(world.buyer, world.buyer_user)
    created = buyer.post(
        "/api/v1/deals/threads/",
        {"product": world.product.pk, "body": "Do you ship to Ningbo?"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    thread = created.json()
    assert thread["merchant"] == world.merchant.slug and thread["buyer"] == world.buyer.slug
    assert [m["body"] for m in thread["messages"]] == ["Do you ship to Ningbo?"]

    merchant = key_client(world.merchant, world.merchant_user)
    listed = merchant.get("/api/v1/deals/threads/").json()
    assert [(t["id"], t["unread"]) for t in listed] == [(thread["id"], True)]
    detail = merchant.get(f"/api/v1/deals/threads/{thread['id']}/").json()
    assert "Simplified Chinese" in detail["other_side_languages"]
    answered = merchant.post(
        f"/api/v1/deals/threads/{thread['id']}/messages/",
        {"body": "Yes: our spec sheet.", "attachments": [pdf()]},
    )
    assert answered.status_code == 201, answered.content
    assert answered.json()["attachments"][0]["content_type"] == "application/pdf"
    messages = buyer.get(f"/api/v1/deals/threads/{thread['id']}/messages/").json()
    assert [m["author_organization"] for m in messages] == [world.buyer.name, world.merchant.name]


def test_another_buyer_finds_nothing_and_bad_input_has_a_code():
    world = pair()
    thread, _ = ask(world)
    outsider = key_client(world.outsider, world.outsider_user)
    assert outsider.get(f"/api/v1/deals/threads/{thread.pk}/").status_code == 404
    posted = outsider.post(
        f"/api/v1/deals/threads/{thread.pk}/messages/",
        {"body": "Hi"},
        content_type="application/json",
    )
    assert (posted.status_code, posted.json()["code"]) == (404, "not_found")
    assert outsider.get("/api/v1/deals/threads/").json() == []

    buyer = key_client(world.buyer, world.buyer_user)
    empty = buyer.post(
        f"/api/v1/deals/threads/{thread.pk}/messages/",
        {"body": "   "},
        content_type="application/json",
    )
    assert empty.status_code == 400
    nobody = buyer.post(
        "/api/v1/deals/threads/", {"body": "Hello?"}, content_type="application/json"
    )
    assert (nobody.status_code, nobody.json()["code"]) == (400, "message_invalid")
    with scopes_disabled():
        assert Message.objects.count() == 1


def test_a_key_without_the_orders_scope_is_refused():
    world = pair()
    catalog_only = key_client(world.buyer, world.buyer_user, scopes=["catalog:read"])
    assert catalog_only.get("/api/v1/deals/threads/").status_code == 403


def test_a_body_that_is_not_an_object_is_a_400_not_a_500(client):
    from network.models import ApiScope, Role
    from network.services import api_key_create
    from tests.orders.factories import buyer as make_buyer

    organization, owner = make_buyer("Array Store", role=Role.OWNER)
    _key, raw = api_key_create(
        organization=organization, name="ERP", scopes=list(ApiScope.values), acting_user=owner
    )
    for url, body in (
        (url, body)
        for url in ("/api/v1/deals/threads/", "/api/v1/deals/quotation-requests/")
        for body in ("[]", '["body"]', '"text"', "3")
    ):
        response = client.post(
            url,
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {raw}",
            HTTP_IDEMPOTENCY_KEY=f"array-{url}-{body}",
        )
        assert response.status_code == 400, (body, response.content)
        assert response.json()["code"]
