"""Who reaches an application, its KYC documents, brand claims and review notes: the applicant
organisation and the operators; any other organisation is told the record does not exist, by
the access function (RecordNotFound) and by the page or API that uses it (404). Approved
profiles, with their brands, are public."""

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from merchants import selectors, services
from merchants.models import ApplicationStatus, BrandClaim, MerchantDocument
from network.models import Organization, Role
from network.tenancy import RecordNotFound
from tests.factories import OrganizationFactory, member, sign_in
from tests.merchants.conftest import make_application

pytestmark = pytest.mark.django_db


@pytest.fixture
def application(merchant_org):
    return make_application(merchant_org, status=ApplicationStatus.CHANGES_REQUESTED)


@pytest.fixture
def outsider_org():
    return OrganizationFactory(name="Cascadia Botanicals")


@pytest.fixture
def outsider(outsider_org):
    make_application(outsider_org)
    return member(outsider_org, Role.OWNER, email="owner@cascadia.example")


def _document(application) -> MerchantDocument:
    with scopes_disabled():
        return application.documents.get(kind="w9")


def _claim(application) -> BrandClaim:
    with scopes_disabled():
        return application.brands.get()


def test_an_application_is_reached_by_its_applicant_and_operators_only(
    application, merchant_org, operator_org, outsider_org
):
    for party in (merchant_org, operator_org):
        found = selectors.access_merchant_application(organization=party, pk=application.pk)
        assert found == application
    for stranger in (outsider_org, None):
        with pytest.raises(RecordNotFound):
            selectors.access_merchant_application(organization=stranger, pk=application.pk)


def test_the_review_page_and_api_answer_404_for_an_unknown_application(
    client, application, operator
):
    sign_in(client, operator)
    assert client.get(reverse("merchants:review", args=[application.pk])).status_code == 200
    assert client.get(reverse("merchants:review", args=[application.pk + 999])).status_code == 404
    response = client.get(reverse("api-application", args=[application.pk + 999]))
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_a_kyc_document_is_reached_by_its_applicant_and_operators_only(
    application, merchant_org, operator_org, outsider_org
):
    document = _document(application)
    for party in (merchant_org, operator_org):
        assert selectors.access_merchant_document(organization=party, pk=document.pk) == document
    for stranger in (outsider_org, None):
        with pytest.raises(RecordNotFound):
            selectors.access_merchant_document(organization=stranger, pk=document.pk)


def test_an_outsider_gets_404_for_a_kyc_document_and_cannot_remove_it(
    client, application, merchant_owner, operator, outsider
):
    document = _document(application)
    client.force_login(outsider)
    assert client.get(reverse("merchants:document_file", args=[document.pk])).status_code == 404
    remove = reverse("merchants:document_remove", args=[document.pk])
    assert client.post(remove).status_code == 404
    with scopes_disabled():
        assert MerchantDocument.objects.filter(pk=document.pk).exists()

    client.force_login(merchant_owner)
    assert client.get(reverse("merchants:document_file", args=[document.pk])).status_code == 200
    sign_in(client, operator)
    assert client.get(reverse("merchants:document_file", args=[document.pk])).status_code == 200


def test_a_brand_claim_is_reached_by_its_applicant_and_operators_only(
    application, merchant_org, operator_org, outsider_org
):
    claim = _claim(application)
    for party in (merchant_org, operator_org):
        assert selectors.access_brand_claim(organization=party, pk=claim.pk) == claim
    with pytest.raises(RecordNotFound):
        selectors.access_brand_claim(organization=outsider_org, pk=claim.pk)


def test_an_outsider_gets_404_for_a_brand_claim_and_cannot_change_it(
    client, application, merchant_owner, outsider
):
    claim = _claim(application)
    client.force_login(outsider)
    assert client.get(reverse("merchants:brand_edit", args=[claim.pk])).status_code == 404
    response = client.post(
        reverse("merchants:brand_edit", args=[claim.pk]),
        {"name": "Taken Over", "relationship": "authorised", "trademark_number": ""},
    )
    assert response.status_code == 404
    assert client.post(reverse("merchants:brand_remove", args=[claim.pk])).status_code == 404
    with scopes_disabled():
        assert BrandClaim.objects.get(pk=claim.pk).name == "Great Lakes"

    client.force_login(merchant_owner)
    assert client.get(reverse("merchants:brand_edit", args=[claim.pk])).status_code == 200


def test_review_notes_are_listed_for_operators_only(
    client, application, merchant_org, merchant_owner, operator, operator_org
):
    with scopes_disabled():
        application.status = ApplicationStatus.IN_REVIEW
        application.save()
    services.application_add_note(
        application=application, body="EIN letter looks edited.", acting_user=operator
    )
    notes = selectors.review_notes(organization=operator_org, application=application)
    assert [note.body for note in notes] == ["EIN letter looks edited."]
    assert list(selectors.review_notes(organization=merchant_org, application=application)) == []

    sign_in(client, operator)
    review = client.get(reverse("merchants:review", args=[application.pk])).content.decode()
    assert "EIN letter looks edited." in review
    client.force_login(merchant_owner)
    page = client.get(reverse("merchants:application")).content.decode()
    assert "EIN letter looks edited." not in page


def test_an_approved_profile_and_its_brands_are_public(client, merchant_org):
    make_application(merchant_org, status=ApplicationStatus.APPROVED)
    profile = selectors.merchant_profile(slug=merchant_org.slug)
    assert profile.organization == merchant_org
    response = client.get(reverse("merchants:profile", args=[merchant_org.slug]))
    assert response.status_code == 200
    # The claimed brand, read by anyone (not only the applicant's own guard).
    assert "<strong>Great Lakes</strong>" in response.content.decode()
    assert "No brands listed." not in response.content.decode()
    directory = client.get(reverse("merchants:directory"), {"q": "Great Lakes"})
    assert reverse("merchants:profile", args=[merchant_org.slug]) in directory.content.decode()


@pytest.mark.parametrize(
    "status", [ApplicationStatus.SUBMITTED, ApplicationStatus.SUSPENDED, ApplicationStatus.DRAFT]
)
def test_no_profile_before_approval_or_while_suspended(client, merchant_org, status):
    make_application(merchant_org, status=status)
    with pytest.raises(RecordNotFound):
        selectors.merchant_profile(slug=merchant_org.slug)
    assert client.get(reverse("merchants:profile", args=[merchant_org.slug])).status_code == 404


def test_a_merchant_asks_only_about_its_own_standing(merchant_org, outsider_org):
    make_application(merchant_org, status=ApplicationStatus.APPROVED)
    assert selectors.merchant_can_trade(organization=merchant_org)
    assert not selectors.merchant_can_trade(organization=outsider_org)
    assert selectors.merchant_application(organization=merchant_org).organization == merchant_org
    assert selectors.merchant_application(organization=outsider_org) is None
    buyer = OrganizationFactory(kind=Organization.Kind.BUYER)
    assert not selectors.merchant_can_trade(organization=buyer)
