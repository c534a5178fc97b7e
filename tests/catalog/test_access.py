"""Who reaches a catalogue row by its id: each access function gives its merchant (and, but for
imports, the network's operators) the row, and refuses another merchant and a buyer with
``RecordNotFound``, which pages and the API answer with a 404. What anyone may read is
``objects.public()``: active listings of approved merchants, their SKUs, photos and stock."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from catalog import selectors
from catalog.models import SKU, ImportJob, Inventory, ListingState, Product, ProductImage
from merchants.models import ApplicationStatus, MerchantApplication
from network.models import Organization, Role
from network.tenancy import RecordNotFound
from tests.catalog.factories import merchant, product
from tests.factories import OrganizationFactory, member, operator

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    maple, owner = merchant()
    other, other_owner = merchant("Other Co.", slug="other-co")
    buyer_org = OrganizationFactory(kind=Organization.Kind.BUYER, name="Hangzhou Store")
    draft = product(maple, owner, title_en="Secret Maple Draft", code="DRAFT-1", publish=False)
    active = product(maple, owner, title_en="Public Maple Syrup", code="LIVE-1")
    with scopes_disabled():
        sku = SKU.objects.get(product=draft)
        image = ProductImage.objects.filter(product=draft).first()
        job = ImportJob.objects.create(
            organization=maple, created_by=owner, original_name="file.csv", file_format="csv"
        )
    operator_user = operator()
    return {
        "maple": maple,
        "owner": owner,
        "other": other,
        "other_owner": other_owner,
        "buyer": buyer_org,
        "buyer_user": member(buyer_org, Role.OWNER),
        "operators": operator_user.memberships.get().organization,
        "draft": draft,
        "active": active,
        "sku": sku,
        "image": image,
        "job": job,
    }


def _access(world):
    """(access function, its key) of each row of the world's draft listing."""
    return [
        (selectors.access_product, {"pk": world["draft"].pk}),
        (selectors.access_sku, {"pk": world["sku"].pk}),
        (selectors.access_sku_by_code, {"code": world["sku"].code}),
        (selectors.access_product_image, {"pk": world["image"].pk}),
        (selectors.access_import_job, {"pk": world["job"].pk}),
    ]


def test_the_merchant_reaches_its_own_rows(world):
    found = [access(organization=world["maple"], **key) for access, key in _access(world)]
    assert [row.pk for row in found] == [
        world["draft"].pk,
        world["sku"].pk,
        world["sku"].pk,
        world["image"].pk,
        world["job"].pk,
    ]


@pytest.mark.parametrize("outsider", ["other", "buyer"])
def test_another_merchant_and_a_buyer_are_refused_every_row_of_a_draft(world, outsider):
    for access, key in _access(world):
        with pytest.raises(RecordNotFound):
            access(organization=world[outsider], **key)


def test_operators_reach_listings_but_not_a_merchants_imports(world):
    operators = world["operators"]
    assert selectors.access_product(organization=operators, pk=world["draft"].pk) == world["draft"]
    assert selectors.access_sku(organization=operators, pk=world["sku"].pk) == world["sku"]
    assert (
        selectors.access_product_image(organization=operators, pk=world["image"].pk)
        == world["image"]
    )
    with pytest.raises(RecordNotFound):
        selectors.access_import_job(organization=operators, pk=world["job"].pk)


def test_a_sku_code_is_found_among_the_merchants_own_codes_only(world):
    other_listing = product(
        world["other"], world["other_owner"], code="SHARED-1", title_en="Other Syrup"
    )
    assert other_listing.pk
    with pytest.raises(RecordNotFound):
        selectors.access_sku_by_code(organization=world["maple"], code="SHARED-1")
    with pytest.raises(RecordNotFound):
        selectors.access_product(organization=world["maple"], pk=other_listing.pk)


def test_pages_answer_404_to_another_merchant(client, world):
    client.force_login(world["other_owner"])
    draft, sku, image, job = world["draft"], world["sku"], world["image"], world["job"]
    for name, args in [
        ("catalog:product_edit", [draft.pk]),
        ("catalog:sku_create", [draft.pk]),
        ("catalog:sku_edit", [sku.pk]),
        ("catalog:import_job", [job.pk]),
        ("catalog:import_job_progress", [job.pk]),
        ("catalog:import_job_errors", [job.pk]),
        ("catalog:product", [draft.pk]),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 404, name
    for name, args in [
        ("catalog:image_remove", [image.pk]),
        ("catalog:sku_delete", [sku.pk]),
        ("catalog:stock_update", [sku.pk]),
        ("catalog:image_upload", [draft.pk]),
    ]:
        assert client.post(reverse(name, args=args), {"on_hand": 1}).status_code == 404, name
    with scopes_disabled():
        assert ProductImage.objects.filter(pk=image.pk).exists()
        assert SKU.objects.filter(pk=sku.pk).exists()
        assert Inventory.objects.get(sku=sku).on_hand == 500


def test_a_buyer_gets_404_for_a_draft_on_its_page_image_and_api(client, world):
    client.force_login(world["buyer_user"])
    draft, image = world["draft"], world["image"]
    assert client.get(reverse("catalog:product", args=[draft.pk])).status_code == 404
    assert client.get(reverse("catalog:image", args=[image.pk, "thumb"])).status_code == 404
    response = client.get(f"/api/v1/products/{draft.pk}/")
    assert response.status_code == 404
    # The active listing is public: its page and API answer.
    assert client.get(reverse("catalog:product", args=[world["active"].pk])).status_code == 200
    assert client.get(f"/api/v1/products/{world['active'].pk}/").json()["skus"][0]["code"] == (
        "LIVE-1"
    )


def test_the_merchant_api_answers_404_to_another_merchant(client, world):
    client.force_login(world["other_owner"])
    draft, sku = world["draft"], world["sku"]
    response = client.get(f"/api/v1/merchant/products/{draft.pk}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    response = client.patch(
        f"/api/v1/merchant/products/{draft.pk}/",
        {"brand": "Hijacked"},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert client.get(f"/api/v1/products/{sku.code}").status_code == 404
    with scopes_disabled():
        assert Product.objects.get(pk=draft.pk).brand == "Great Lakes"


def test_public_rows_are_active_listings_of_approved_merchants_only(world):
    maple, owner = world["maple"], world["owner"]
    paused = product(maple, owner, title_en="Paused Syrup", code="PAUSED-1")
    with scopes_disabled():
        Product.objects.filter(pk=paused.pk).update(state=ListingState.PAUSED)
    suspended, suspended_owner = merchant("Suspended Co.", slug="suspended-co")
    theirs = product(suspended, suspended_owner, title_en="Suspended Syrup", code="SUSP-1")
    assert theirs.state == ListingState.ACTIVE
    with scopes_disabled():
        MerchantApplication.objects.filter(organization=suspended).update(
            status=ApplicationStatus.SUSPENDED
        )
    active = world["active"]
    assert set(Product.objects.public().values_list("pk", flat=True)) == {active.pk}
    assert set(SKU.objects.public().values_list("code", flat=True)) == {"LIVE-1"}
    assert set(Inventory.objects.public().values_list("sku__code", flat=True)) == {"LIVE-1"}
    assert set(ProductImage.objects.public().values_list("product_id", flat=True)) == {active.pk}
    assert selectors.public_products().count() == 1
