"""The brands step of the application: an owned brand needs its USPTO number, and a claimed
brand is corrected in place while the application is open for changes.

People: the applicant's owner, and an outsider merchant who is refused."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_scopes import scopes_disabled

from merchants import services
from merchants.models import ApplicationStatus, BrandClaim
from network.models import Role
from tests.factories import OrganizationFactory, member
from tests.merchants.conftest import make_application

pytestmark = pytest.mark.django_db

NEEDS_NUMBER = "A brand you own needs its USPTO registration number (7 or 8 digits)."


def claims_of(application) -> list[tuple[str, str, str]]:
    with scopes_disabled():
        return list(
            BrandClaim.objects.filter(application=application)
            .order_by("name")
            .values_list("name", "relationship", "trademark_number")
        )


def test_an_owned_brand_without_its_uspto_number_is_refused_on_the_page(
    client, merchant_org, merchant_owner
):
    client.force_login(merchant_owner)
    page = client.get(reverse("merchants:application_step", args=["brands"])).content.decode()
    assert "Required for a brand you own: its USPTO registration number" in page
    response = client.post(
        reverse("merchants:brand_add"),
        {"name": "Great Lakes", "relationship": "owner", "trademark_number": " "},
    )
    assert response.status_code == 400
    assert NEEDS_NUMBER in response.content.decode()
    with scopes_disabled():
        assert not BrandClaim.objects.exists()
    # A resold brand needs none (its authorisation letter is a document).
    response = client.post(
        reverse("merchants:brand_add"),
        {"name": "Lake Effect", "relationship": "authorised", "trademark_number": ""},
    )
    assert response.status_code == 302


def test_the_service_refuses_an_owned_brand_without_its_number(merchant_org, merchant_owner):
    application = make_application(merchant_org, with_documents=False)
    with pytest.raises(ValidationError) as refused:
        services.brand_claim_add(
            application=application,
            name="Lake Effect",
            relationship=BrandClaim.Relationship.OWNER,
            trademark_number="",
            acting_user=merchant_owner,
        )
    assert refused.value.message_dict == {"trademark_number": [NEEDS_NUMBER]}
    assert claims_of(application) == [("Great Lakes", "owner", "5123456")]


def test_a_claimed_brand_is_edited_in_place(client, merchant_org, merchant_owner):
    application = make_application(
        merchant_org, status=ApplicationStatus.CHANGES_REQUESTED, with_documents=False
    )
    with scopes_disabled():
        claim = BrandClaim.objects.get(application=application)
    client.force_login(merchant_owner)
    step = client.get(reverse("merchants:application_step", args=["brands"])).content.decode()
    edit_url = reverse("merchants:brand_edit", args=[claim.pk])
    assert edit_url in step
    form = client.get(edit_url).content.decode()
    assert "Edit Great Lakes" in form and 'value="5123456"' in form

    # Clearing the number of an owned brand is refused and changes nothing.
    response = client.post(
        edit_url, {"name": "Great Lakes", "relationship": "owner", "trademark_number": ""}
    )
    assert response.status_code == 400
    assert NEEDS_NUMBER in response.content.decode()
    assert claims_of(application) == [("Great Lakes", "owner", "5123456")]

    response = client.post(
        edit_url,
        {"name": "Great Lakes Maple", "relationship": "owner", "trademark_number": "6234567"},
        follow=True,
    )
    assert "Great Lakes Maple saved." in response.content.decode()
    assert claims_of(application) == [("Great Lakes Maple", "owner", "6234567")]


def test_a_claim_cannot_be_edited_once_submitted_nor_by_an_outsider(
    client, merchant_org, merchant_owner
):
    application = make_application(
        merchant_org, status=ApplicationStatus.SUBMITTED, with_documents=False
    )
    with scopes_disabled():
        claim = BrandClaim.objects.get(application=application)
    edit_url = reverse("merchants:brand_edit", args=[claim.pk])
    client.force_login(merchant_owner)
    response = client.post(
        edit_url,
        {"name": "Other", "relationship": "owner", "trademark_number": "6234567"},
        follow=True,
    )
    assert "Your application is not open for changes right now." in response.content.decode()
    with pytest.raises(Exception, match="cannot be edited now"):
        services.brand_claim_update(
            claim=claim,
            name="Other",
            relationship="owner",
            trademark_number="6234567",
            acting_user=merchant_owner,
        )

    outsider = member(OrganizationFactory(name="Copycat Trading"), Role.OWNER)
    client.force_login(outsider)
    assert client.get(edit_url).status_code == 404
    assert claims_of(application) == [("Great Lakes", "owner", "5123456")]
