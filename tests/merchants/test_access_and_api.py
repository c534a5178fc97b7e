"""Who reaches which application, by page and by API: owner, teammate, outsider, operator."""

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from merchants.models import ApplicationStatus as S
from merchants.models import MerchantApplication
from network.models import Organization, Role
from tests.factories import OrganizationFactory, member, sign_in
from tests.merchants.conftest import make_application

pytestmark = pytest.mark.django_db


def test_each_merchant_sees_only_its_own_application(client, merchant_org, merchant_owner):
    make_application(merchant_org, legal_name="Great Lakes Maple Co. Inc.")
    other = OrganizationFactory(name="Cascadia Botanicals")
    other_owner = member(other, Role.OWNER)
    make_application(other, legal_name="Cascadia Botanicals LLC", ein="93-7654321", dba="")

    client.force_login(merchant_owner)
    page = client.get(reverse("merchants:application")).content.decode()
    assert "Great Lakes Maple Co. Inc." in page and "Cascadia" not in page
    data = client.get("/api/v1/merchant/application/").json()
    assert data["legal_name"] == "Great Lakes Maple Co. Inc."

    client.force_login(other_owner)
    page = client.get(reverse("merchants:application_step", args=["company"])).content.decode()
    assert "Cascadia Botanicals LLC" in page and "Great Lakes" not in page
    assert client.get("/api/v1/merchant/application/").json()["legal_name"] == (
        "Cascadia Botanicals LLC"
    )


def test_a_viewer_can_read_but_not_edit_the_application(client, merchant_org, merchant_owner):
    application = make_application(merchant_org)
    viewer = member(merchant_org, Role.VIEWER)
    client.force_login(viewer)
    assert client.get(reverse("merchants:application")).status_code == 200
    response = client.post(
        reverse("merchants:application_step", args=["company"]), {"legal_name": "Hijacked"}
    )
    assert response.status_code == 403
    with scopes_disabled():
        application.refresh_from_db()
    assert application.legal_name == "Great Lakes Maple Co. Inc."


def test_staff_saves_steps_but_only_an_admin_submits(client, merchant_org, merchant_owner):
    application = make_application(merchant_org)
    staff = member(merchant_org, Role.STAFF)
    client.force_login(staff)
    assert client.post(reverse("merchants:application_submit")).status_code == 403
    client.force_login(merchant_owner)
    response = client.post(reverse("merchants:application_submit"), follow=True)
    assert "Your application is submitted" in response.content.decode()
    with scopes_disabled():
        application.refresh_from_db()
    assert application.status == S.SUBMITTED


def test_buyers_and_anonymous_people_cannot_reach_applications_or_the_queue(client, merchant_org):
    application = make_application(merchant_org, status=S.SUBMITTED)
    buyer = member(OrganizationFactory(kind=Organization.Kind.BUYER), Role.OWNER)
    client.force_login(buyer)
    for url in [
        reverse("merchants:application"),
        reverse("merchants:review_queue"),
        reverse("merchants:review", args=[application.pk]),
    ]:
        assert client.get(url).status_code == 403
    assert client.get("/api/v1/applications/").status_code == 403
    assert client.get(f"/api/v1/applications/{application.pk}/").status_code == 403
    response = client.post(
        f"/api/v1/applications/{application.pk}/decision/",
        {"action": "start_review"},
        content_type="application/json",
    )
    assert response.status_code == 403
    client.logout()
    assert client.get(reverse("merchants:review_queue")).status_code == 302
    response = client.get("/api/v1/applications/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_merchants_cannot_use_the_operator_api(client, merchant_org, merchant_owner):
    application = make_application(merchant_org, status=S.SUBMITTED)
    client.force_login(merchant_owner)
    response = client.post(
        f"/api/v1/applications/{application.pk}/decision/",
        {"action": "approve"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_operators_decide_through_the_api(client, merchant_org, operator):
    application = make_application(merchant_org, status=S.SUBMITTED)
    sign_in(client, operator)
    listing = client.get("/api/v1/applications/").json()
    assert [row["id"] for row in listing["results"]] == [application.pk]

    def decide(**body):
        return client.post(
            f"/api/v1/applications/{application.pk}/decision/",
            body,
            content_type="application/json",
        )

    assert decide(action="approve").json()["code"] == "illegal_transition"
    assert decide(action="start_review").json()["status"] == "in_review"
    response = decide(action="approve")
    assert response.status_code == 400
    assert response.json()["code"] == "application_incomplete"
    response = client.put(
        f"/api/v1/applications/{application.pk}/checklist/",
        {c: True for c in MerchantApplication.CHECKLIST},
        content_type="application/json",
    )
    assert response.json()["check_categories"] is True
    response = decide(action="reject")
    assert response.status_code == 400 and response.json()["code"] == "validation_error"
    assert decide(action="approve").json()["status"] == "approved"
    response = decide(action="fly")
    assert response.status_code == 400 and "action" in response.json()["fields"]


def test_the_public_profile_shows_no_private_fields(client, merchant_org):
    make_application(
        merchant_org, status=S.APPROVED, badges=["verified"], contact_phone="+13135550199"
    )
    buyer = member(OrganizationFactory(kind=Organization.Kind.BUYER), Role.BUYER)
    client.force_login(buyer)
    page = client.get(reverse("merchants:profile", args=["great-lakes-maple-co"])).content.decode()
    assert "Great Lakes Maple" in page and "Verified" in page and "Michigan" in page
    for private in ("38-1234567", "313", "Mark Maple", "1 Woodward Ave"):
        assert private not in page
    directory = client.get(reverse("merchants:directory")).content.decode()
    assert "Great Lakes Maple" in directory


def test_unapproved_merchants_have_no_public_profile(client, merchant_org):
    make_application(merchant_org, status=S.SUBMITTED)
    assert (
        client.get(reverse("merchants:profile", args=["great-lakes-maple-co"])).status_code == 404
    )
    assert "Great Lakes" not in client.get(reverse("merchants:directory")).content.decode()
