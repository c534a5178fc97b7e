"""Invitations by email with an expiring token."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from network import services
from network.errors import DomainError
from network.models import Invitation, Membership, Organization, Role
from tests.factories import OrganizationFactory, UserFactory, member

pytestmark = pytest.mark.django_db


def _link_from_mail() -> str:
    return re.search(r"http://testserver(/invitations/\S+/)", mail.outbox[-1].body).group(1)


@pytest.fixture
def buyer_org():
    return OrganizationFactory(name="Hangzhou Westlake Global Store", kind=Organization.Kind.BUYER)


@pytest.fixture
def owner(buyer_org):
    return member(buyer_org, Role.OWNER)


def test_an_admin_invites_by_email_and_the_colleague_joins(
    client, buyer_org, owner, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("members"), {"email": "Colleague@Example.com", "role": "buyer"}, follow=True
        )
    assert "Invitation sent to colleague@example.com." in response.content.decode()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["colleague@example.com"]
    assert "Hangzhou Westlake Global Store" in mail.outbox[0].subject
    link = _link_from_mail()
    with scopes_disabled():
        invitation = Invitation.objects.get()
    assert link.split("/")[2] not in invitation.token_hash  # only a hash is stored

    colleague = UserFactory(email="colleague@example.com")
    client.force_login(colleague)
    assert "Accept invitation" in client.get(link).content.decode()
    response = client.post(link, follow=True)
    assert "Welcome to Hangzhou Westlake Global Store." in response.content.decode()
    assert Membership.objects.get(user=colleague).role == Role.BUYER
    with scopes_disabled():
        invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ACCEPTED
    # A used link cannot be used again.
    with pytest.raises(DomainError, match="already been used"):
        services.invitation_accept(token=link.split("/")[2], user=colleague)


def test_the_invitation_is_refused_for_another_email(client, buyer_org, owner):
    _, token = services.invitation_create(
        organization=buyer_org, email="right@example.com", role=Role.BUYER, acting_user=owner
    )
    intruder = UserFactory(email="wrong@example.com")
    client.force_login(intruder)
    response = client.post(reverse("invitation_accept", args=[token]), follow=True)
    assert "This invitation was sent to right@example.com" in response.content.decode()
    assert not Membership.objects.filter(user=intruder).exists()


def test_an_expired_invitation_is_refused(client, buyer_org, owner):
    invitation, token = services.invitation_create(
        organization=buyer_org, email="late@example.com", role=Role.BUYER, acting_user=owner
    )
    with scopes_disabled():
        Invitation.objects.filter(pk=invitation.pk).update(
            expires_at=timezone.now() - timedelta(minutes=1)
        )
    late = UserFactory(email="late@example.com")
    client.force_login(late)
    response = client.post(reverse("invitation_accept", args=[token]), follow=True)
    assert "This invitation expired" in response.content.decode()
    assert not Membership.objects.filter(user=late).exists()


def test_a_revoked_invitation_is_refused(client, buyer_org, owner):
    invitation, token = services.invitation_create(
        organization=buyer_org, email="gone@example.com", role=Role.BUYER, acting_user=owner
    )
    client.force_login(owner)
    client.post(reverse("invitation_revoke", args=[invitation.pk]))
    gone = UserFactory(email="gone@example.com")
    with pytest.raises(DomainError, match="not valid"):
        services.invitation_accept(token=token, user=gone)


def test_an_unknown_token_is_a_404(client):
    assert client.get(reverse("invitation_accept", args=["nope"])).status_code == 404


def test_an_anonymous_visitor_is_asked_to_sign_up_with_the_invited_address(
    client, buyer_org, owner
):
    _, token = services.invitation_create(
        organization=buyer_org, email="new@example.com", role=Role.VIEWER, acting_user=owner
    )
    page = client.get(reverse("invitation_accept", args=[token])).content.decode()
    assert "This invitation is for new@example.com, as Viewer." in page
    assert reverse("account_signup") in page


def test_inviting_an_existing_member_is_refused_with_a_message(client, buyer_org, owner):
    client.force_login(owner)
    response = client.post(reverse("members"), {"email": owner.email, "role": "buyer"})
    assert f"{owner.email} is already a member." in response.content.decode()
    assert len(mail.outbox) == 0


def test_a_staff_role_does_not_exist_in_a_buyer_organisation(buyer_org, owner):
    with pytest.raises(DomainError, match="does not exist"):
        services.invitation_create(
            organization=buyer_org, email="x@example.com", role=Role.STAFF, acting_user=owner
        )


def test_the_invitation_mail_is_in_the_invited_persons_language(
    buyer_org, owner, django_capture_on_commit_callbacks
):
    UserFactory(email="zh@example.com", language="zh-hans")
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_create(
            organization=buyer_org, email="zh@example.com", role=Role.BUYER, acting_user=owner
        )
    assert "邀请" in mail.outbox[-1].subject


def test_creating_an_invitation_is_audited(buyer_org, owner):
    services.invitation_create(
        organization=buyer_org, email="a@example.com", role=Role.BUYER, acting_user=owner
    )
    from network.models import AuditEvent

    with scopes_disabled():
        event = AuditEvent.objects.get(action="invitation.created")
    assert event.actor == owner
    assert event.organization == buyer_org
    assert event.changes == {"email": "a@example.com", "role": "buyer"}
