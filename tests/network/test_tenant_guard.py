"""The tenant guard: tenant-owned rows are reachable only inside an organisation's scope."""

import pytest
from django.urls import reverse
from django_scopes import ScopeError, scope

from network import services
from network.models import AuditEvent, Invitation, Organization
from tests.factories import OrganizationFactory, member

pytestmark = pytest.mark.django_db


def _invite(organization, email):
    owner = organization.memberships.get().user
    return services.invitation_create(
        organization=organization, email=email, role="viewer", acting_user=owner
    )[0]


def test_an_unscoped_query_on_a_tenant_owned_model_raises():
    with pytest.raises(ScopeError):
        list(Invitation.objects.all())
    with pytest.raises(ScopeError):
        AuditEvent.objects.filter(action="organization.created").count()


def test_a_scoped_query_sees_only_its_own_organisation():
    ours, theirs = OrganizationFactory(), OrganizationFactory()
    member(ours), member(theirs)
    _invite(ours, "ours@example.com")
    _invite(theirs, "theirs@example.com")
    with scope(organization=ours):
        assert [i.email for i in Invitation.objects.all()] == ["ours@example.com"]
    with scope(organization=theirs):
        assert [i.email for i in Invitation.objects.all()] == ["theirs@example.com"]


def test_an_anonymous_request_runs_in_an_empty_scope(client):
    with scope(organization=None):
        assert list(Invitation.objects.all()) == []
    assert client.get(reverse("home")).status_code == 200


def test_a_page_shows_only_the_active_organisations_private_rows(client):
    ours, theirs = OrganizationFactory(), OrganizationFactory(kind=Organization.Kind.BUYER)
    owner = member(ours)
    member(theirs)
    _invite(ours, "ours@example.com")
    _invite(theirs, "theirs@example.com")
    client.force_login(owner)
    page = client.get(reverse("members")).content.decode()
    assert "ours@example.com" in page
    assert "theirs@example.com" not in page
