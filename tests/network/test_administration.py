"""The admin is for the network's administrators: the operator organisation's owners and admins
(after their second factor, as every operator) and staff. The link to it shows exactly to those
it lets in."""

from __future__ import annotations

import pytest
from django.urls import reverse

from network.models import Organization, Role
from tests.factories import OrganizationFactory, member, operator, sign_in

pytestmark = pytest.mark.django_db

ADMINISTRATION = ">Administration</a>"


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_operator_owners_and_admins_administer(client, role):
    user = operator(role)
    sign_in(client, user)
    home = client.get(reverse("home")).content.decode()
    assert home.count(ADMINISTRATION) == 2  # the operator console card and the account menu
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    page = index.content.decode()
    assert "Records of every organisation" in page
    assert "You don’t have permission" not in page
    assert "Organisations" in page and "Purchase orders" in page
    changelist = client.get(reverse("admin:network_organization_changelist"))
    assert changelist.status_code == 200 and "Network Operations" in changelist.content.decode()
    # They change people's records, but only a superuser hands out staff or superuser status.
    change = client.get(reverse("admin:network_user_change", args=[user.pk])).content.decode()
    assert 'name="full_name"' in change
    assert 'name="is_superuser"' not in change and 'name="is_staff"' not in change


@pytest.mark.parametrize("role", [Role.STAFF, Role.VIEWER])
def test_other_operators_see_no_link_and_are_refused(client, role):
    sign_in(client, operator(role))
    assert ADMINISTRATION not in client.get(reverse("home")).content.decode()
    assert client.get(reverse("admin:index"), follow=True).status_code == 403


def test_members_of_other_organisations_see_no_link(client):
    for kind in (Organization.Kind.MERCHANT, Organization.Kind.BUYER):
        client.force_login(member(OrganizationFactory(kind=kind), Role.OWNER))
        assert ADMINISTRATION not in client.get(reverse("home")).content.decode()
        assert client.get(reverse("admin:index"), follow=True).status_code == 403


def test_a_suspended_operator_organisation_administers_nothing(client):
    user = operator(Role.OWNER)
    Organization.objects.filter(kind=Organization.Kind.OPERATOR).update(
        status=Organization.Status.SUSPENDED
    )
    sign_in(client, user)
    assert client.get(reverse("admin:index"), follow=True).status_code == 403
    assert not user.has_perm("network.change_organization")


def test_staff_status_still_opens_the_admin(client):
    user = operator(Role.STAFF)
    user.is_staff = True
    user.save()
    sign_in(client, user)
    assert ADMINISTRATION in client.get(reverse("home")).content.decode()
    assert client.get(reverse("admin:index")).status_code == 200
