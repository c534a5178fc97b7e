"""Role checks on every page of the platform core: an owner, a teammate and an outsider."""

import pytest
from django.urls import reverse

from network.models import Invitation, Membership, Organization, Role
from network.services import invitation_create
from tests.factories import OrganizationFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return OrganizationFactory(name="Great Lakes Maple Co.")


@pytest.fixture
def owner(org):
    return member(org, Role.OWNER, email="owner@maple.example")


@pytest.fixture
def teammate(org):
    return member(org, Role.VIEWER, email="viewer@maple.example")


@pytest.fixture
def outsider():
    return member(
        OrganizationFactory(name="Cascadia Botanicals"), Role.OWNER, email="owner@cascadia.example"
    )


def test_anonymous_people_are_sent_to_log_in(client, org, owner):
    for name, args in [
        ("members", []),
        ("preferences", []),
        ("notifications", []),
        ("organization_create", []),
    ]:
        response = client.get(reverse(name, args=args))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_owner_sees_members_and_the_invitation_form(client, org, owner, teammate):
    client.force_login(owner)
    page = client.get(reverse("members")).content.decode()
    assert "viewer@maple.example" in page
    assert "Send invitation" in page


def test_viewer_sees_members_but_cannot_invite(client, org, owner, teammate):
    client.force_login(teammate)
    page = client.get(reverse("members")).content.decode()
    assert "owner@maple.example" in page
    assert "Send invitation" not in page
    response = client.post(
        reverse("members"), {"email": "new@example.com", "role": "staff"}, follow=True
    )
    assert "Only an owner or admin can invite people." in response.content.decode()
    from django_scopes import scope

    with scope(organization=org):
        assert Invitation.objects.count() == 0


def test_viewer_cannot_change_roles(client, org, owner, teammate):
    client.force_login(teammate)
    membership = Membership.objects.get(user=owner)
    response = client.post(
        reverse("member_change_role", args=[membership.pk]), {f"m{membership.pk}-role": "viewer"}
    )
    assert response.status_code == 403
    membership.refresh_from_db()
    assert membership.role == Role.OWNER


def test_outsider_never_sees_or_changes_another_organisations_members(
    client, org, owner, teammate, outsider
):
    client.force_login(outsider)
    page = client.get(reverse("members")).content.decode()
    assert "viewer@maple.example" not in page
    target = Membership.objects.get(user=teammate)
    for name in ("member_change_role", "member_remove"):
        response = client.post(reverse(name, args=[target.pk]), {f"m{target.pk}-role": "admin"})
        assert response.status_code == 404
    target.refresh_from_db()
    assert target.role == Role.VIEWER


def test_outsider_cannot_revoke_another_organisations_invitation(client, org, owner, outsider):
    invitation, _token = invitation_create(
        organization=org, email="new@example.com", role=Role.STAFF, acting_user=owner
    )
    client.force_login(outsider)
    response = client.post(reverse("invitation_revoke", args=[invitation.pk]))
    assert response.status_code == 404
    from django_scopes import scopes_disabled

    with scopes_disabled():
        invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


def test_admin_changes_a_role_and_the_last_owner_cannot_be_demoted(client, org, owner, teammate):
    client.force_login(owner)
    target = Membership.objects.get(user=teammate)
    client.post(reverse("member_change_role", args=[target.pk]), {f"m{target.pk}-role": "admin"})
    target.refresh_from_db()
    assert target.role == Role.ADMIN
    mine = Membership.objects.get(user=owner)
    response = client.post(
        reverse("member_change_role", args=[mine.pk]), {f"m{mine.pk}-role": "viewer"}, follow=True
    )
    assert "An organisation must keep at least one owner." in response.content.decode()
    mine.refresh_from_db()
    assert mine.role == Role.OWNER


def test_a_buyer_role_cannot_be_given_in_a_merchant_organisation(client, org, owner, teammate):
    client.force_login(owner)
    target = Membership.objects.get(user=teammate)
    response = client.post(
        reverse("member_change_role", args=[target.pk]),
        {f"m{target.pk}-role": "buyer"},
        follow=True,
    )
    assert "Choose a valid role." in response.content.decode()
    target.refresh_from_db()
    assert target.role == Role.VIEWER


def test_a_member_can_leave_but_not_the_last_owner(client, org, owner, teammate):
    client.force_login(teammate)
    client.post(reverse("member_remove", args=[Membership.objects.get(user=teammate).pk]))
    assert not Membership.objects.filter(user=teammate).exists()
    client.force_login(owner)
    response = client.post(
        reverse("member_remove", args=[Membership.objects.get(user=owner).pk]), follow=True
    )
    assert "An organisation must keep at least one owner." in response.content.decode()
    assert Membership.objects.filter(user=owner, organization=org).exists()


def test_a_person_without_an_organisation_is_asked_to_create_one(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("organization_create")


def test_creating_an_organisation_makes_the_creator_its_owner(client):
    from tests.factories import UserFactory

    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("organization_create"),
        {"name": "Driftless Cheese Makers", "kind": "merchant", "country": "US"},
        follow=True,
    )
    assert "Driftless Cheese Makers is ready." in response.content.decode()
    membership = Membership.objects.get(user=user)
    assert membership.role == Role.OWNER
    assert membership.organization.kind == Organization.Kind.MERCHANT
    assert membership.organization.slug == "driftless-cheese-makers"


def test_a_merchant_outside_the_us_is_refused_with_a_message(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    response = client.post(
        reverse("organization_create"),
        {"name": "Shenzhen Gadgets", "kind": "merchant", "country": "CN"},
    )
    assert "Merchants in the network are US companies." in response.content.decode()
    assert not Organization.objects.filter(name="Shenzhen Gadgets").exists()
