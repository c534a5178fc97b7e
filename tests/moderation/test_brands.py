"""The brand registry and the listing rules: a protected brand is listed only by its owner and
the resellers it authorises; a look-alike title or a copied photo holds a listing for review.

People: the brand owner (Great Lakes Maple Co.), a teammate, an authorised reseller, and an
outsider merchant (Copycat Trading) who is refused."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled
from PIL import Image, ImageDraw

from catalog import services
from catalog.errors import BrandNotAuthorised, BrandRejected, CatalogPermissionDenied
from catalog.models import ListingState, Product, ProductImage
from catalog.selectors import product_search_ids
from moderation import services as brands
from moderation.models import Brand, BrandGrant, ListingReport
from network.models import Role
from tests.catalog.factories import merchant, product
from tests.factories import member, operator
from tests.merchants.conftest import pdf_upload

pytestmark = pytest.mark.django_db


# --- Helpers shared by the brand, report and moderation tests ----------------------------------


def picture(seed: int = 0, *, side: int = 600, fmt: str = "PNG") -> bytes:
    """A photo-like test image: a diagonal gradient with shapes placed by ``seed``, so two seeds
    give visibly different pictures (plain cards would all hash alike)."""
    small = Image.new("RGB", (64, 64))
    pixels = small.load()
    for x in range(64):
        for y in range(64):
            pixels[x, y] = ((x * 4 * (seed + 1)) % 256, (y * 8 + seed * 40) % 256, (x + y) * 2)
    image = small.resize((side, side), Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(image)
    box = side // 4
    for i in range(4):
        x = (seed * 97 + i * 131) % (side - box)
        y = (seed * 53 + i * 211) % (side - box)
        draw.ellipse((x, y, x + box, y + box), fill="white")
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def picture_upload(seed: int = 0, **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(f"p{seed}.png", picture(seed, **kwargs), content_type="image/png")


def listing(organization, user, *, seed: int = 0, publish: bool = True, **fields) -> Product:
    """A product with one photo of ``seed`` (published unless ``publish`` is False; the rules
    may hold it for review instead)."""
    created = product(organization, user, image=False, publish=False, **fields)
    with scopes_disabled():
        services.product_image_add(product=created, upload=picture_upload(seed), acting_user=user)
        if publish:
            services.product_publish(product=created, acting_user=user)
        created.refresh_from_db()
    return created


def protected_brand(owner_org, owner_user, name: str = "Great Lakes") -> Brand:
    brand = brands.brand_register(
        organization=owner_org,
        name=name,
        trademark_number="5123456",
        trademark_office="USPTO",
        evidence=pdf_upload(),
        acting_user=owner_user,
    )
    return brands.brand_verify(brand=brand, acting_user=operator())


def state_of(item: Product) -> str:
    with scopes_disabled():
        return Product.objects.get(pk=item.pk).state


@pytest.fixture
def owner():
    organization, user = merchant("Great Lakes Maple Co.", slug="great-lakes")
    brand = protected_brand(organization, user)
    return {"org": organization, "user": user, "brand": brand}


@pytest.fixture
def outsider():
    organization, user = merchant("Copycat Trading", slug="copycat")
    return {"org": organization, "user": user}


@pytest.fixture
def reseller():
    organization, user = merchant("Lakeside Wholesale", slug="lakeside")
    return {"org": organization, "user": user}


# --- Registry ------------------------------------------------------------------------------------


def test_a_registered_brand_is_protected_only_once_verified(outsider):
    organization, user = merchant("Driftless Cheese", slug="driftless")
    brand = brands.brand_register(
        organization=organization,
        name="Driftless",
        trademark_number="4987654",
        trademark_office="USPTO",
        acting_user=user,
    )
    assert brand.status == Brand.Status.PENDING
    # Pending: anyone may still use the name.
    item = listing(outsider["org"], outsider["user"], brand="Driftless", title_en="Cheese curds")
    assert state_of(item) == ListingState.ACTIVE
    brands.brand_verify(brand=brand, acting_user=operator())
    with pytest.raises(BrandNotAuthorised):
        listing(outsider["org"], outsider["user"], brand="Driftless", title_en="Curds", seed=3)


def test_only_operators_verify_and_names_are_unique(owner, outsider):
    organization, user = merchant("Badger Foods", slug="badger")
    brand = brands.brand_register(
        organization=organization,
        name="Badger",
        trademark_number="4111111",
        trademark_office="USPTO",
        acting_user=user,
    )
    with pytest.raises(CatalogPermissionDenied):
        brands.brand_verify(brand=brand, acting_user=outsider["user"])
    with pytest.raises(BrandRejected, match="already in the brand registry"):
        brands.brand_register(
            organization=outsider["org"],
            name="great LAKES",
            trademark_number="5999999",
            trademark_office="USPTO",
            acting_user=outsider["user"],
        )
    # A staff member (below admin) cannot register brands for the company.
    staff = member(organization, Role.STAFF)
    with pytest.raises(CatalogPermissionDenied):
        brands.brand_register(
            organization=organization,
            name="Badger Gold",
            trademark_number="4222222",
            trademark_office="USPTO",
            acting_user=staff,
        )


def test_brands_page_registers_and_outsider_cannot_grant_someone_elses_brand(
    client, owner, outsider, reseller
):
    client.force_login(owner["user"])
    page = client.get(reverse("catalog:brands")).content.decode()
    assert "Great Lakes" in page and "Verified" in page
    response = client.post(
        reverse("catalog:brands"),
        {
            "name": "Lake Effect",
            "trademark_office": "USPTO",
            "trademark_number": "6123456",
            "evidence": pdf_upload(),
        },
    )
    assert response.status_code == 302
    assert (
        Brand.objects.visible_to(owner["org"]).get(name="Lake Effect").status
        == Brand.Status.PENDING
    )
    # The outsider can neither grant nor revoke on the owner's brand.
    client.force_login(outsider["user"])
    url = reverse("catalog:brand_grant_add", args=[owner["brand"].pk])
    expires = (timezone.now() + timedelta(days=30)).date().isoformat()
    assert client.post(url, {"reseller": "copycat", "expires_at": expires}).status_code == 404
    assert not BrandGrant.objects.visible_to(owner["org"]).filter(brand=owner["brand"]).exists()
    assert "Great Lakes" not in client.get(reverse("catalog:brands")).content.decode()
    # The evidence is the owner's and the operators' only.
    evidence = reverse("catalog:brand_evidence", args=[owner["brand"].pk])
    assert client.get(evidence).status_code == 404
    client.force_login(owner["user"])
    assert client.get(evidence).status_code == 200
    client.post(url, {"reseller": "lakeside", "expires_at": expires})
    grant = BrandGrant.objects.visible_to(owner["org"]).filter(brand=owner["brand"]).get()
    assert grant.reseller == reseller["org"] and grant.is_active()


# --- Listing rule: protected brand -------------------------------------------------------------


def test_unauthorised_merchant_is_refused_with_a_clear_message(client, owner, outsider):
    item = listing(outsider["org"], outsider["user"], brand="great lakes ", publish=False)
    client.force_login(outsider["user"])
    response = client.post(
        reverse("catalog:product_transition", args=[item.pk, "publish"]), follow=True
    )
    assert "Great Lakes is a protected brand" in response.content.decode()
    assert state_of(item) == ListingState.DRAFT


def test_owner_and_authorised_reseller_may_list(owner, reseller):
    own = listing(owner["org"], owner["user"], brand="Great Lakes")
    assert state_of(own) == ListingState.ACTIVE
    brands.brand_grant_add(
        brand=owner["brand"],
        reseller=reseller["org"],
        expires_at=timezone.now() + timedelta(days=90),
        acting_user=owner["user"],
    )
    # Even with the owner's own photo (resellers use the brand's pictures).
    theirs = listing(reseller["org"], reseller["user"], brand="Great Lakes", title_en="Syrup")
    assert state_of(theirs) == ListingState.ACTIVE


def test_expired_or_revoked_grant_no_longer_authorises(owner, reseller):
    grant = brands.brand_grant_add(
        brand=owner["brand"],
        reseller=reseller["org"],
        expires_at=timezone.now() + timedelta(days=1),
        acting_user=owner["user"],
    )
    grant.expires_at = timezone.now() - timedelta(minutes=1)
    grant.save()
    with pytest.raises(BrandNotAuthorised):
        listing(reseller["org"], reseller["user"], brand="Great Lakes", title_en="Syrup")
    grant = brands.brand_grant_add(
        brand=owner["brand"],
        reseller=reseller["org"],
        expires_at=timezone.now() + timedelta(days=30),
        acting_user=owner["user"],
    )
    brands.brand_grant_revoke(grant=grant, acting_user=owner["user"])
    with pytest.raises(BrandNotAuthorised):
        listing(reseller["org"], reseller["user"], brand="Great Lakes", title_en="Syrup", seed=2)


def test_only_the_owner_grants(owner, reseller, outsider):
    with pytest.raises(CatalogPermissionDenied):
        brands.brand_grant_add(
            brand=owner["brand"],
            reseller=outsider["org"],
            expires_at=timezone.now() + timedelta(days=30),
            acting_user=outsider["user"],
        )
    # An admin of the owner's company may.
    teammate = member(owner["org"], Role.ADMIN)
    grant = brands.brand_grant_add(
        brand=owner["brand"],
        reseller=reseller["org"],
        expires_at=timezone.now() + timedelta(days=30),
        acting_user=teammate,
    )
    assert grant.is_active() and grant.granted_by == teammate


# --- Listing rule: look-alike titles -------------------------------------------------------------


@pytest.mark.parametrize(
    "title",
    ["Graet Lakes Maple Syrup 500 ml", "GreatLakes amber syrup", "Great Lake's finest syrup"],
)
def test_title_resembling_a_protected_brand_goes_to_review(owner, outsider, title):
    item = listing(outsider["org"], outsider["user"], brand="Generic", title_en=title, seed=5)
    assert state_of(item) == ListingState.IN_REVIEW
    report = ListingReport.objects.visible_to(outsider["org"]).get(product=item)
    assert report.source == ListingReport.Source.AUTOMATIC
    assert report.matched_brand == owner["brand"]
    assert report.snapshot["title_en"] == title
    assert item.pk not in product_search_ids("syrup")


@pytest.mark.parametrize(
    "title", ["Lake Superior Smoked Fish", "Great Plains Honey", "Maple Leaf Cookies"]
)
def test_unrelated_titles_publish(owner, outsider, title):
    item = listing(outsider["org"], outsider["user"], brand="Generic", title_en=title, seed=6)
    assert state_of(item) == ListingState.ACTIVE
    assert not ListingReport.objects.visible_to(outsider["org"]).filter(product=item).exists()


@pytest.mark.parametrize(
    ("text", "resembles"),
    [
        ("Graet Lakes syrup", True),
        ("Great-Lakes syrup", True),
        ("great lake syrup", True),
        ("Great Plains Honey", False),
        ("The great outdoors lake cabin", False),
        ("Lakes of the great north", False),
    ],
)
def test_brand_resemblance(text, resembles):
    assert (
        brands.brand_resemblance("Great Lakes", text) >= settings.BRAND_SIMILARITY_THRESHOLD
    ) is (resembles)


def test_similar_protected_brands_only_verified_and_not_excluded(owner):
    found = brands.similar_protected_brands("graet lakes syrup", exclude_ids=set())
    assert [brand.name for brand, _score in found] == ["Great Lakes"]
    assert brands.similar_protected_brands("graet lakes", exclude_ids={owner["brand"].pk}) == []
    assert brands.similar_protected_brands("lake superior fish", exclude_ids=set()) == []


def test_the_similarity_threshold_is_read_when_a_title_is_checked(owner, settings):
    settings.BRAND_SIMILARITY_THRESHOLD = 0.99
    assert brands.similar_protected_brands("graet lakes syrup", exclude_ids=set()) == []
    settings.BRAND_SIMILARITY_THRESHOLD = 0.2
    found = brands.similar_protected_brands("great lakes syrup", exclude_ids=set())
    assert [brand.name for brand, _score in found] == ["Great Lakes"]


# --- Listing rule: copied photos ---------------------------------------------------------------


def test_dhash_matches_a_resized_recompressed_copy_not_another_picture():
    original = brands.image_dhash(picture(1))
    smaller = Image.open(io.BytesIO(picture(1))).resize((450, 450))
    buffer = io.BytesIO()
    smaller.save(buffer, "JPEG", quality=70)
    copy = brands.image_dhash(buffer.getvalue())
    other = brands.image_dhash(picture(7))
    assert brands.hamming(original, copy) <= settings.BRAND_IMAGE_MATCH_BITS
    assert brands.hamming(original, other) > settings.BRAND_IMAGE_MATCH_BITS


def test_every_product_image_gets_a_hash(owner):
    item = listing(owner["org"], owner["user"], seed=1)
    with scopes_disabled():
        image = ProductImage.objects.get(product=item)
    assert image.dhash is not None


def test_copied_photo_of_a_protected_listing_goes_to_review(owner, outsider):
    listing(owner["org"], owner["user"], brand="Great Lakes", seed=1)
    copy = listing(
        outsider["org"], outsider["user"], brand="Northwoods", title_en="Amber syrup", seed=1
    )
    assert state_of(copy) == ListingState.IN_REVIEW
    report = ListingReport.objects.visible_to(outsider["org"]).get(product=copy)
    assert report.reason == "copied" and report.matched_brand == owner["brand"]
    own_photo = listing(
        outsider["org"], outsider["user"], brand="Northwoods", title_en="Dark syrup", seed=9
    )
    assert state_of(own_photo) == ListingState.ACTIVE


def test_dismissed_review_publishes_and_is_not_asked_again(owner, outsider):
    item = listing(outsider["org"], outsider["user"], brand="Generic", title_en="Graet Lakes jam")
    report = ListingReport.objects.visible_to(outsider["org"]).get(product=item)
    staff = operator()
    brands.report_decide(
        report=report, decision="dismiss", reason="Jam, no confusion.", acting_user=staff
    )
    assert state_of(item) == ListingState.ACTIVE
    with scopes_disabled():
        services.product_pause(product=item, acting_user=outsider["user"])
        services.product_publish(product=item, acting_user=outsider["user"])
    assert state_of(item) == ListingState.ACTIVE
    assert ListingReport.objects.visible_to(outsider["org"]).filter(product=item).count() == 1
