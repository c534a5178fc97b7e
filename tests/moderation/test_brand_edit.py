"""The owner corrects a brand in the registry; a verified brand whose trademark data changes
goes back to verification and is not protected meanwhile.

People: the brand owner (Great Lakes Maple Co.), a teammate below admin, and an outsider
merchant (Copycat Trading) who is refused."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from catalog.errors import BrandRejected
from moderation import selectors
from moderation import services as brands
from moderation.models import Brand
from network.models import AuditEvent, Organization, Role
from tests.catalog.factories import merchant
from tests.factories import member, operator
from tests.merchants.conftest import pdf_upload
from tests.moderation.test_brands import protected_brand

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    organization, user = merchant("Great Lakes Maple Co.", slug="great-lakes")
    return {"org": organization, "user": user, "brand": protected_brand(organization, user)}


def edit(client, brand, **changes):
    data = {
        "name": brand.name,
        "trademark_office": brand.trademark_office,
        "trademark_number": brand.trademark_number,
        **changes,
    }
    return client.post(reverse("catalog:brand_edit", args=[brand.pk]), data, follow=True)


def test_a_verified_brand_with_a_new_number_goes_back_to_verification(client, owner):
    client.force_login(owner["user"])
    page = client.get(reverse("catalog:brands")).content.decode()
    assert reverse("catalog:brand_edit", args=[owner["brand"].pk]) in page
    form = client.get(reverse("catalog:brand_edit", args=[owner["brand"].pk])).content.decode()
    assert 'value="5123456"' in form
    assert "sends the brand back to verification" in form

    # Saving the same data changes nothing: still verified.
    edit(client, owner["brand"])
    assert (
        Brand.objects.visible_to(owner["org"]).get(pk=owner["brand"].pk).status
        == Brand.Status.VERIFIED
    )

    page = edit(client, owner["brand"], trademark_number="6543210").content.decode()
    assert "goes back to verification: it is not protected" in page
    brand = Brand.objects.visible_to(owner["org"]).get(pk=owner["brand"].pk)
    assert (brand.trademark_number, brand.status) == ("6543210", Brand.Status.PENDING)
    assert brand.verified_at is None and brand.verified_by is None
    operators = Organization.objects.get(kind=Organization.Kind.OPERATOR)
    assert brand in selectors.brands_to_verify(organization=operators)
    assert brands.protected_brand_named("Great Lakes") is None
    with scopes_disabled():
        entry = AuditEvent.objects.get(action="brand.updated")
    assert entry.changes["status"] == ["verified", "pending"]


def test_a_rejected_brand_with_a_new_certificate_is_verified_again(owner):
    brand = brands.brand_reject(
        brand=owner["brand"], reason="Certificate unreadable", acting_user=operator()
    )
    updated = brands.brand_update(
        brand=brand,
        name=brand.name,
        trademark_number=brand.trademark_number,
        trademark_office=brand.trademark_office,
        evidence=pdf_upload("clear.pdf", "Registration certificate"),
        acting_user=owner["user"],
    )
    assert updated.status == Brand.Status.PENDING and updated.decision_note == ""


def test_bad_edits_are_refused_with_a_message(client, owner):
    other_org, other_user = merchant("Badger Foods", slug="badger")
    brands.brand_register(
        organization=other_org,
        name="Badger",
        trademark_number="4111111",
        trademark_office="USPTO",
        acting_user=other_user,
    )
    client.force_login(owner["user"])
    response = edit(client, owner["brand"], name="BADGER")
    assert response.status_code == 400
    assert "BADGER is already in the brand registry" in response.content.decode()
    response = edit(client, owner["brand"], trademark_number="")
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    brand = Brand.objects.visible_to(owner["org"]).get(pk=owner["brand"].pk)
    assert (brand.name, brand.trademark_number, brand.status) == (
        "Great Lakes",
        "5123456",
        Brand.Status.VERIFIED,
    )
    with pytest.raises(BrandRejected):
        brands.brand_update(
            brand=brand,
            name="badger",
            trademark_number="5123456",
            trademark_office="USPTO",
            acting_user=owner["user"],
        )


def test_only_the_owners_admins_edit_a_brand(client, owner):
    staff = member(owner["org"], Role.STAFF)
    client.force_login(staff)
    page = client.get(reverse("catalog:brands")).content.decode()
    assert reverse("catalog:brand_edit", args=[owner["brand"].pk]) not in page
    assert edit(client, owner["brand"], trademark_number="6543210").status_code == 403
    _outsider_org, outsider = merchant("Copycat Trading", slug="copycat")
    client.force_login(outsider)
    assert edit(client, owner["brand"], trademark_number="6543210").status_code == 404
    brand = Brand.objects.visible_to(owner["org"]).get(pk=owner["brand"].pk)
    assert (brand.trademark_number, brand.status) == ("5123456", Brand.Status.VERIFIED)
