"""The active organisation is chosen per session with the switcher."""

import pytest
from django.urls import reverse

from network.models import Membership, Organization, Role
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_person_in_two_organisations_switches_between_them(client):
    person = UserFactory()
    maple = OrganizationFactory(name="Great Lakes Maple Co.")
    store = OrganizationFactory(name="Ningbo Imports", kind=Organization.Kind.BUYER)
    Membership.objects.create(user=person, organization=maple, role=Role.OWNER)
    Membership.objects.create(user=person, organization=store, role=Role.BUYER)
    client.force_login(person)

    page = client.get(reverse("home")).content.decode()
    assert "<h1>Great Lakes Maple Co.</h1>" in page  # alphabetical first is active by default
    response = client.post(reverse("organization_switch"), {"organization": store.pk}, follow=True)
    page = response.content.decode()
    assert "You are now working as Ningbo Imports." in page
    assert "<h1>Ningbo Imports</h1>" in page
    # The choice sticks for the session.
    assert "<h1>Ningbo Imports</h1>" in client.get(reverse("home")).content.decode()


def test_switching_to_an_organisation_one_is_not_in_is_refused(client):
    person = UserFactory()
    mine = OrganizationFactory(name="Mine")
    other = OrganizationFactory(name="Not Mine")
    Membership.objects.create(user=person, organization=mine, role=Role.OWNER)
    client.force_login(person)
    response = client.post(reverse("organization_switch"), {"organization": other.pk}, follow=True)
    page = response.content.decode()
    assert "You are not a member of that organisation." in page
    assert "<h1>Mine</h1>" in page


def test_a_signed_out_session_cannot_switch_to_any_organisation(rf):
    from django.contrib.auth.models import AnonymousUser

    from network.services import PermissionDenied, organization_switch

    request = rf.post("/organizations/switch/")
    request.user = AnonymousUser()
    request.session = {}
    with pytest.raises(PermissionDenied):
        organization_switch(request=request, organization_id=OrganizationFactory().pk)
    assert request.session == {}
