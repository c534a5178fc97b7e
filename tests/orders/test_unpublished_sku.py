"""A SKU that is not published (a draft, paused, in review or taken-down listing, or one of a
suspended merchant) is answered exactly as a SKU id that does not exist, in the API and on the
pages: the refusal never names its code."""

from __future__ import annotations

import re

import pytest
from django.contrib import messages
from django.db.models import Max
from django.urls import reverse
from django_scopes import scopes_disabled

from catalog.models import SKU, ListingState, Product
from merchants.models import ApplicationStatus, MerchantApplication
from network.models import Role
from tests.orders.factories import buyer, merchant, sku

pytestmark = pytest.mark.django_db

CSRF_TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"|"X-CSRFToken": "[^"]*"')
UNPUBLISHED = [
    ListingState.DRAFT,
    ListingState.PAUSED,
    ListingState.IN_REVIEW,
    ListingState.TAKEN_DOWN,
    "merchant_suspended",
]


@pytest.fixture
def world():
    orchard, orchard_owner = merchant("Hudson Valley Orchards")
    cider = sku(orchard, orchard_owner, code="SECRET-CIDER-42", title="Hard cider, unreleased")
    store, wang = buyer(role=Role.OWNER)
    with scopes_disabled():
        missing_id = (SKU.objects.aggregate(top=Max("pk"))["top"] or 0) + 1000
    return {"orchard": orchard, "cider": cider, "wang": wang, "missing_id": missing_id}


def _unpublish(world, how: str) -> None:
    with scopes_disabled():
        if how == "merchant_suspended":
            MerchantApplication.objects.filter(organization=world["orchard"]).update(
                status=ApplicationStatus.SUSPENDED
            )
        else:
            Product.objects.filter(pk=world["cider"].product_id).update(state=how)


def _place(client, sku_id: int):
    return client.post(
        "/api/v1/orders/purchase-orders/",
        {
            "lines": [{"sku_id": sku_id, "quantity": 12}],
            "delivery_location": "Ningbo Meishan bonded warehouse",
        },
        content_type="application/json",
    )


def _without(content: bytes, sku_id: int) -> bytes:
    return content.replace(str(sku_id).encode(), b"<id>")


@pytest.mark.parametrize("how", UNPUBLISHED)
def test_api_answers_an_unpublished_sku_as_a_missing_one(client, world, how):
    _unpublish(world, how)
    client.force_login(world["wang"])
    unpublished = _place(client, world["cider"].pk)
    missing = _place(client, world["missing_id"])
    assert unpublished.status_code == missing.status_code == 409
    assert unpublished.json()["code"] == "product_unavailable"
    assert b"SECRET-CIDER-42" not in unpublished.content
    assert _without(unpublished.content, world["cider"].pk) == _without(
        missing.content, world["missing_id"]
    )
    assert unpublished["Content-Type"] == missing["Content-Type"]


@pytest.mark.parametrize("how", UNPUBLISHED)
def test_add_to_cart_page_answers_an_unpublished_sku_as_a_missing_one(client, world, how):
    _unpublish(world, how)
    client.force_login(world["wang"])

    def add(sku_id: int):
        response = client.post(
            reverse("orders:cart_add"), {"sku": sku_id, "quantity": 12}, follow=True
        )
        shown = [(m.level, str(m)) for m in response.context["messages"]]
        page = CSRF_TOKEN.sub(b"", response.content)
        return response.status_code, response.redirect_chain, shown, page

    unpublished, missing = add(world["cider"].pk), add(world["missing_id"])
    assert unpublished[2] == [(messages.ERROR, "This product is not available to order.")]
    assert unpublished == missing
    assert b"SECRET-CIDER-42" not in unpublished[3]
