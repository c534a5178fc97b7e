"""Bad input on the pages gets a 400 page or a form error, never a 500: a NUL character in the
address, the query string or a form (PostgreSQL cannot store or compare one), a body over the
upload limit, and whole numbers beyond what their database column holds."""

from __future__ import annotations

import importlib

import pytest
from django import forms
from django.apps import apps
from django.urls import reverse
from django_scopes import scopes_disabled

from catalog.models import Inventory, PriceTier
from network.models import Role
from orders.models import PurchaseOrderStatus
from tests.catalog.factories import merchant, product
from tests.factories import operator, sign_in
from tests.orders.factories import buyer, place, sku

pytestmark = pytest.mark.django_db

TOO_BIG = str(2**31)
BAD_REQUEST_PAGE = "This request cannot be processed"


def _bad_request_page(response) -> bool:
    return response.status_code == 400 and BAD_REQUEST_PAGE in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/catalog/?q=%00",
        "/catalog/?q=maple%00syrup&sort=newest",
        "/training/?topic=%00",
        "/merchants/?q=%00",
        "/?next=%00",
    ],
)
def test_an_anonymous_nul_in_the_query_string_gets_the_400_page(client, url):
    assert _bad_request_page(client.get(url))


def test_a_signed_in_nul_in_the_query_string_or_the_address_gets_the_400_page(client):
    organization, owner = merchant()
    client.force_login(owner)
    assert _bad_request_page(client.get("/catalog/manage/?q=%00"))
    assert _bad_request_page(client.get("/orders/incoming/MO%00-1/"))
    assert _bad_request_page(client.get("/shipping/bookings/BK%00/"))


def test_the_400_page_speaks_the_visitors_language(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    response = client.get("/catalog/?q=%00")
    assert response.status_code == 400
    assert "无法处理此请求" in response.content.decode()


def test_a_nul_in_a_form_field_gets_the_400_page_and_changes_nothing(client):
    maple, maple_owner = merchant()
    store, wang = buyer(role=Role.OWNER)
    purchase_order = place(store, wang, [(sku(maple, maple_owner, code="MAPLE-500"), 48)])
    client.force_login(wang)
    response = client.post(
        reverse("orders:purchase_order_cancel", args=[purchase_order.number]),
        {"reason": "changed\x00plans"},
    )
    assert _bad_request_page(response)
    with scopes_disabled():
        purchase_order.refresh_from_db()
    assert purchase_order.status == PurchaseOrderStatus.PLACED


def test_a_body_over_the_upload_limit_gets_the_400_page(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    organization, owner = merchant()
    client.force_login(owner)
    response = client.post(reverse("catalog:product_create"), {"description_en": "x" * 5000})
    assert _bad_request_page(response)


# --- Whole numbers beyond their column ---------------------------------------------------------


@pytest.fixture
def maple():
    organization, owner = merchant()
    listing = product(organization, owner, publish=False, image=False)
    with scopes_disabled():
        sku_row = listing.skus.get()
    return {"owner": owner, "product": listing, "sku": sku_row}


def test_stock_on_hand_beyond_the_column_is_a_form_error(client, maple):
    client.force_login(maple["owner"])
    response = client.post(
        reverse("catalog:stock_update", args=[maple["sku"].pk]),
        {"on_hand": TOO_BIG, "reason": "count"},
        follow=True,
    )
    assert response.status_code == 200
    assert "less than or equal to 2147483647" in response.content.decode()
    with scopes_disabled():
        assert Inventory.objects.get(sku=maple["sku"]).on_hand < 2**31


def _product_form(**overrides) -> dict:
    from catalog.models import Category

    data = {
        "title_en": "Big Numbers",
        "category": Category.objects.get(slug="maple-syrup").pk,
        "description_en": "x",
        "country_of_origin": "US",
        "lead_time_days": 1,
        "weight_kg": "1",
        "length_cm": "1",
        "width_cm": "1",
        "height_cm": "1",
        "sku-code": "BIG-1",
        "sku-case_pack": "4",
        "sku-moq": "8",
        "sku-on_hand": "0",
        "sku-low_stock_threshold": "0",
        "tiers-TOTAL_FORMS": "2",
        "tiers-INITIAL_FORMS": "0",
        "tiers-MIN_NUM_FORMS": "0",
        "tiers-MAX_NUM_FORMS": "10",
        "tiers-0-min_quantity": "8",
        "tiers-0-unit_price_usd": "5.00",
        "tiers-1-min_quantity": "40",
        "tiers-1-unit_price_usd": "4.00",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    "field", ["sku-on_hand", "sku-low_stock_threshold", "tiers-1-min_quantity"]
)
def test_a_new_product_with_a_number_beyond_its_column_is_a_form_error(client, maple, field):
    client.force_login(maple["owner"])
    response = client.post(reverse("catalog:product_create"), _product_form(**{field: TOO_BIG}))
    assert response.status_code == 400
    assert "less than or equal to 2147483647" in response.content.decode()
    with scopes_disabled():
        assert not PriceTier.objects.filter(sku__code="BIG-1").exists()


def test_a_review_queue_age_beyond_any_date_is_a_form_error(client):
    sign_in(client, operator())
    response = client.get(reverse("merchants:review_queue"), {"older_than": "99999999999"})
    assert response.status_code == 200
    assert "less than or equal to 36500" in response.content.decode()


def _project_forms():
    for config in apps.get_app_configs():
        if config.name not in (
            "network",
            "merchants",
            "catalog",
            "moderation",
            "orders",
            "shipping",
            "training",
        ):
            continue
        try:
            module = importlib.import_module(f"{config.name}.forms")
        except ModuleNotFoundError:
            continue
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, forms.BaseForm)
                and value.__module__ == module.__name__
            ):
                yield value


def test_every_whole_number_a_form_takes_is_bounded_by_its_column():
    """A model form's own fields are checked against the model field's range when the form
    validates the instance; every other whole number a form declares has a maximum
    (``network.fields.IntegerFormField``)."""
    unbounded = []
    for form_class in _project_forms():
        model = getattr(getattr(form_class, "_meta", None), "model", None)
        model_fields = {f.name for f in model._meta.get_fields()} if model else set()
        for name, field in form_class.base_fields.items():
            whole_number = isinstance(field, forms.IntegerField) and not isinstance(
                field, forms.DecimalField | forms.FloatField
            )
            if whole_number and field.max_value is None and name not in model_fields:
                unbounded.append(f"{form_class.__module__}.{form_class.__name__}.{name}")
    assert unbounded == []
