"""The admin lists seminars and registrations of every tenant, read-only where services rule."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory, sign_in
from tests.training.factories import SeminarFactory, attendee
from training import services

pytestmark = pytest.mark.django_db


def test_the_admin_pages_load(client):
    seminar = SeminarFactory()
    user, org = attendee(full_name="Dana Whitfield")
    registration = services.registration_create(seminar=seminar, organization=org, acting_user=user)
    sign_in(client, UserFactory(is_staff=True, is_superuser=True))
    for url in [
        reverse("admin:training_seminar_changelist"),
        reverse("admin:training_seminar_change", args=[seminar.pk]),
        reverse("admin:training_registration_changelist"),
        reverse("admin:training_registration_change", args=[registration.pk]),
        reverse("admin:training_feedback_changelist"),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
    assert (
        "Dana Whitfield"
        in client.get(reverse("admin:training_registration_changelist")).content.decode()
    )
