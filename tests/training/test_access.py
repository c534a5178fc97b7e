"""Who sees what: a registration, its QR code, invitation, certificate and the join link are the
registrant's (and the operators'); a teammate or another tenant gets 404."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from network.models import Membership, Organization, Role
from network.tenancy import RecordNotFound
from tests.factories import OrganizationFactory, member, sign_in
from tests.training.factories import OnlineSeminarFactory, SeminarFactory, attendee, operator
from training import selectors, services
from training.models import Seminar

pytestmark = pytest.mark.django_db

PRIVATE_PAGES = [
    "training:registration_detail",
    "training:registration_qr",
    "training:registration_ics",
    "training:registration_certificate",
]


@pytest.fixture
def attended():
    """A merchant's attended registration of an in-person seminar (the kind with a check-in
    code) that has just ended."""
    seminar = SeminarFactory()
    owner, org = attendee(full_name="Dana Whitfield")
    registration = services.registration_create(
        seminar=seminar, organization=org, acting_user=owner
    )
    Seminar.objects.filter(pk=seminar.pk).update(
        start_at=timezone.now() - timedelta(hours=1), end_at=timezone.now() + timedelta(hours=1)
    )
    services.registration_check_in(registration=registration, acting_user=operator())
    Seminar.objects.filter(pk=seminar.pk).update(end_at=timezone.now() - timedelta(minutes=1))
    return registration


def _get(client, name, registration):
    return client.get(reverse(name, args=[registration.pk]))


def test_the_registrant_sees_everything_of_their_own(client, attended):
    client.force_login(attended.user)
    for name in PRIVATE_PAGES:
        assert _get(client, name, attended).status_code == 200, name


@pytest.mark.parametrize("who", ["teammate", "admin", "outsider", "buyer", "anonymous"])
def test_nobody_else_sees_a_registration_qr_invitation_or_certificate(client, attended, who):
    if who == "teammate":
        client.force_login(member(attended.organization, Role.STAFF))
    elif who == "admin":
        client.force_login(member(attended.organization, Role.ADMIN))
    elif who == "outsider":
        client.force_login(attendee()[0])
    elif who == "buyer":
        client.force_login(member(OrganizationFactory(kind=Organization.Kind.BUYER), Role.OWNER))
    for name in PRIVATE_PAGES:
        response = _get(client, name, attended)
        if who == "anonymous":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        else:
            assert response.status_code == 404, (who, name)


def test_an_operator_sees_the_registration_and_its_qr_code_but_not_the_invitation(client, attended):
    sign_in(client, operator())
    assert _get(client, "training:registration_detail", attended).status_code == 200
    assert _get(client, "training:registration_certificate", attended).status_code == 200
    assert _get(client, "training:registration_ics", attended).status_code == 404


def test_the_join_link_is_shown_only_to_confirmed_attendees(client):
    seminar = OnlineSeminarFactory(capacity=1)
    confirmed, org = attendee()
    services.registration_create(seminar=seminar, organization=org, acting_user=confirmed)
    waiting = member(org, Role.STAFF)
    services.registration_create(seminar=seminar, organization=org, acting_user=waiting)
    url = reverse("training:seminar_detail", args=[seminar.slug])

    client.force_login(confirmed)
    assert seminar.join_url in client.get(url).content.decode()
    for person in (waiting, member(org, Role.OWNER), attendee()[0]):
        client.force_login(person)
        assert seminar.join_url not in client.get(url).content.decode()
    client.logout()
    assert seminar.join_url not in client.get(url).content.decode()
    assert (
        seminar.join_url
        not in client.get(reverse("api_seminar_detail", args=[seminar.slug])).content.decode()
    )


def test_another_tenant_cannot_cancel_a_registration(client):
    seminar = SeminarFactory()
    user, org = attendee()
    registration = services.registration_create(seminar=seminar, organization=org, acting_user=user)
    client.force_login(attendee()[0])
    response = client.post(reverse("training:registration_cancel", args=[registration.pk]))
    assert response.status_code == 404
    registration.refresh_from_db()
    assert registration.status == "confirmed"


def test_an_admin_of_the_organisation_can_cancel_a_colleagues_seat(client):
    seminar = SeminarFactory()
    user, org = attendee()
    registration = services.registration_create(seminar=seminar, organization=org, acting_user=user)
    admin = member(org, Role.ADMIN)
    client.force_login(admin)
    page = client.get(reverse("training:my_registrations")).content.decode()
    assert user.email in page
    client.post(reverse("training:registration_cancel", args=[registration.pk]))
    registration.refresh_from_db()
    assert registration.status == "cancelled"


def test_drafts_are_not_public(client):
    draft = SeminarFactory(status=Seminar.Status.DRAFT, title="Secret plans")
    assert client.get(reverse("training:seminar_detail", args=[draft.slug])).status_code == 404
    assert "Secret plans" not in client.get(reverse("training:seminar_list")).content.decode()
    sign_in(client, operator())
    assert client.get(reverse("training:seminar_detail", args=[draft.slug])).status_code == 200


def test_materials_go_to_attendees_after_the_event_only(client, attended):
    from django.core.files.uploadedfile import SimpleUploadedFile

    material = services.material_add(
        seminar=attended.seminar,
        title="Slides",
        upload=SimpleUploadedFile("slides.pdf", b"%PDF-1.4 slides", content_type="application/pdf"),
        acting_user=operator(),
    )
    url = reverse("training:material_download", args=[material.pk])
    client.force_login(attended.user)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 slides"
    client.force_login(attendee()[0])
    assert client.get(url).status_code == 404
    Seminar.objects.filter(pk=attended.seminar_id).update(
        end_at=timezone.now() + timedelta(hours=1)
    )
    client.force_login(attended.user)
    assert client.get(url).status_code == 404


# --- The access functions behind those pages ----------------------------------------------------


def _operators():
    return operator().memberships.get().organization


def test_a_registration_is_reached_by_its_organisation_and_operators_only(attended):
    own = attended.organization
    assert selectors.access_registration(organization=own, pk=attended.pk) == attended
    assert selectors.access_registration(organization=_operators(), pk=attended.pk) == attended
    mine = selectors.access_registration(organization=own, pk=attended.pk, registrant=attended.user)
    assert mine == attended
    for stranger in (attendee()[1], OrganizationFactory(kind=Organization.Kind.BUYER), None):
        with pytest.raises(RecordNotFound):
            selectors.access_registration(organization=stranger, pk=attended.pk)
    teammate = member(own, Role.ADMIN)
    with pytest.raises(RecordNotFound):
        selectors.access_registration(organization=own, pk=attended.pk, registrant=teammate)


def test_the_api_answers_404_not_found_for_another_tenants_registration(attended):
    from rest_framework.test import APIClient

    api = APIClient()
    detail = reverse("api_seminar_registration_detail", args=[attended.pk])
    cancel = reverse("api_seminar_registration_cancel", args=[attended.pk])
    api.force_login(attendee()[0])
    response = api.get(detail)
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    response = api.post(cancel)
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    api.force_login(attended.user)
    assert api.get(detail).json()["id"] == attended.pk


def test_a_checkin_code_is_found_by_operators_only(client, attended):
    token = attended.checkin_token
    found = selectors.access_registration_by_checkin_token(organization=_operators(), token=token)
    assert found == attended
    with pytest.raises(RecordNotFound):
        selectors.access_registration_by_checkin_token(organization=attendee()[1], token=token)
    sign_in(client, operator())
    scan = client.get(reverse("training:check_in_scan", args=[token]))
    assert scan.status_code == 302 and token in scan["Location"]
    assert client.get(reverse("training:check_in_scan", args=["not-a-code"])).status_code == 404


def test_an_operator_checks_in_only_a_registration_of_that_seminar(client, attended):
    other = SeminarFactory()
    sign_in(client, operator())
    response = client.post(
        reverse("training:manage_check_in", args=[other.pk]), {"registration": attended.pk}
    )
    assert response.status_code == 404


def test_feedback_is_read_by_operators_and_the_attendees_organisation_only(attended):
    services.feedback_submit(
        registration=attended, rating=5, comment="Clear and useful", acting_user=attended.user
    )
    seminar = attended.seminar
    assert selectors.feedback_summary(organization=_operators(), seminar=seminar).count == 1
    assert selectors.feedback_summary(organization=attendee()[1], seminar=seminar).count == 0
    assert selectors.has_feedback(organization=attended.organization, registration=attended)
    assert not selectors.has_feedback(organization=attendee()[1], registration=attended)


def test_a_persons_calendar_holds_their_seats_in_each_of_their_organisations():
    first, second = SeminarFactory(), SeminarFactory()
    person, merchant = attendee()
    buyer = OrganizationFactory(kind=Organization.Kind.BUYER)
    Membership.objects.create(user=person, organization=buyer, role=Role.STAFF)
    services.registration_create(seminar=first, organization=merchant, acting_user=person)
    services.registration_create(seminar=second, organization=buyer, acting_user=person)
    colleague = member(merchant, Role.STAFF)
    services.registration_create(seminar=first, organization=merchant, acting_user=colleague)
    seats = selectors.feed_registrations(user=person)
    assert {(r.seminar_id, r.user_id) for r in seats} == {
        (first.pk, person.pk),
        (second.pk, person.pk),
    }
