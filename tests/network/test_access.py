"""Who reaches an organisation's API keys, webhook endpoints and deliveries, invitations and a
person's notifications: their own organisation (or person) only; anyone else is answered as for
an id that does not exist (function, page and API)."""

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from network import selectors, services
from network.models import Invitation, Notification, Role
from network.tenancy import RecordNotFound
from tests.factories import OrganizationFactory, member

pytestmark = pytest.mark.django_db

PUBLIC = "93.184.215.14"


@pytest.fixture
def maple():
    return OrganizationFactory(name="Great Lakes Maple Co.")


@pytest.fixture
def owner(maple):
    return member(maple, Role.OWNER, email="owner@maple.example")


@pytest.fixture
def rival():
    return OrganizationFactory(name="Cascadia Botanicals")


@pytest.fixture
def rival_owner(rival):
    return member(rival, Role.OWNER, email="owner@cascadia.example")


@pytest.fixture
def endpoint(maple, owner, fake_dns):
    fake_dns["hooks.maple.example"] = [PUBLIC]
    return services.webhook_endpoint_create(
        organization=maple,
        url="https://hooks.maple.example/in",
        events=["merchant_order.created"],
        acting_user=owner,
    )


@pytest.fixture
def api_key(maple, owner):
    api_key, _raw = services.api_key_create(
        organization=maple, name="ERP", scopes=["orders:read"], acting_user=owner
    )
    return api_key


def test_the_organisation_reaches_its_endpoint_and_key(maple, endpoint, api_key):
    assert selectors.access_webhook_endpoint(organization=maple, pk=endpoint.pk) == endpoint
    assert selectors.access_api_key(organization=maple, pk=api_key.pk) == api_key


def test_another_organisation_does_not_reach_the_endpoint(rival, endpoint):
    with pytest.raises(RecordNotFound) as refused:
        selectors.access_webhook_endpoint(organization=rival, pk=endpoint.pk)
    assert refused.value.code == "not_found"
    with pytest.raises(RecordNotFound):
        selectors.access_webhook_endpoint(organization=rival, pk=endpoint.pk + 1000)


def test_another_organisations_endpoint_page_and_api_answer_404(
    client, rival, rival_owner, endpoint
):
    client.force_login(rival_owner)
    assert client.get(reverse("webhook_detail", args=[endpoint.pk])).status_code == 404
    response = client.post(
        reverse("webhook_detail", args=[endpoint.pk]), {"action": "delete"}, follow=False
    )
    assert response.status_code == 404
    _key, raw = services.api_key_create(
        organization=rival, name="ERP", scopes=["webhooks:read"], acting_user=rival_owner
    )
    response = client.get(
        f"/api/v1/webhook-endpoints/{endpoint.pk}/", HTTP_AUTHORIZATION=f"Bearer {raw}"
    )
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    with scopes_disabled():  # the endpoint is still there
        assert type(endpoint).objects.filter(pk=endpoint.pk).exists()


def test_another_organisation_does_not_reach_the_key(client, rival, rival_owner, api_key):
    with pytest.raises(RecordNotFound):
        selectors.access_api_key(organization=rival, pk=api_key.pk)
    client.force_login(rival_owner)
    assert client.post(reverse("api_key_revoke", args=[api_key.pk])).status_code == 404
    api_key.refresh_from_db()
    assert api_key.revoked_at is None


def test_another_organisation_does_not_revoke_the_invitation(client, maple, owner, rival_owner):
    invitation, _token = services.invitation_create(
        organization=maple, email="new@maple.example", role=Role.STAFF, acting_user=owner
    )
    rival = rival_owner.memberships.get().organization
    with pytest.raises(RecordNotFound):
        selectors.access_invitation(organization=rival, pk=invitation.pk)
    assert selectors.access_invitation(organization=maple, pk=invitation.pk) == invitation
    client.force_login(rival_owner)
    assert client.post(reverse("invitation_revoke", args=[invitation.pk])).status_code == 404
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


def test_a_person_reads_their_own_notifications_only(client, maple, owner, rival, rival_owner):
    """Whichever organisation a notification was sent for, its recipient reads it; nobody else
    marks it read."""
    for_rival = services.notification_send(
        email=owner.email,
        recipient=owner,
        organization=rival,
        kind="test",
        template="network/email/invitation",
        context={"organization": rival.name, "inviter": "Rival", "role": "Staff", "days": 7},
    )
    personal = Notification.objects.create(
        recipient=owner, email=owner.email, kind="test", subject="Your account", body=""
    )
    mine = set(selectors.user_notifications(user=owner))
    assert {for_rival, personal} <= mine
    assert selectors.user_unread_notification_count(user=owner) == len(mine)
    with pytest.raises(RecordNotFound):
        selectors.access_notification(user=rival_owner, pk=personal.pk)
    client.force_login(rival_owner)
    response = client.post(reverse("notifications"), {"notification": personal.pk})
    assert response.status_code == 404
    personal.refresh_from_db()
    assert personal.read_at is None
    client.force_login(owner)
    page = client.get(reverse("notifications")).content.decode()
    assert "Your account" in page
    client.post(reverse("notifications"), {"notification": personal.pk})
    personal.refresh_from_db()
    assert personal.read_at is not None
