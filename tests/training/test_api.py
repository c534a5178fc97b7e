"""/api/v1/ seminars (public) and a person's seminar registrations (private)."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from network.models import Organization, Role
from tests.factories import OrganizationFactory, member
from tests.training.factories import OnlineSeminarFactory, SeminarFactory, attendee
from training import services
from training.models import Seminar

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def test_seminars_are_public_without_the_join_link(api, django_assert_num_queries):
    OnlineSeminarFactory(title="Taobao Global onboarding for buyers", language="zh-hans")
    SeminarFactory(title="Detroit", capacity=120)
    SeminarFactory(title="Draft", status=Seminar.Status.DRAFT)
    # the page of published upcoming seminars (cursor pages need no count)
    with django_assert_num_queries(1):
        response = api.get(reverse("api_seminar_list"))
    assert response.status_code == 200
    titles = [s["title"] for s in response.json()["results"]]
    assert sorted(titles) == ["Detroit", "Taobao Global onboarding for buyers"]
    detroit = next(s for s in response.json()["results"] if s["title"] == "Detroit")
    assert detroit["seats_left"] == 120
    assert detroit["registration_open"] is True
    assert detroit["agenda"][0] == {"time": "09:00", "item": "Welcome"}
    assert "join_url" not in detroit
    assert "meet.example.com" not in response.content.decode()
    SeminarFactory.create_batch(4)
    with django_assert_num_queries(1):
        api.get(reverse("api_seminar_list"))
    filtered = api.get(reverse("api_seminar_list"), {"language": "zh-hans"}).json()["results"]
    assert [s["title"] for s in filtered] == ["Taobao Global onboarding for buyers"]


def test_register_list_and_cancel_through_the_api(api):
    seminar = OnlineSeminarFactory(capacity=1)
    user, org = attendee()
    api.force_login(user)
    response = api.post(reverse("api_seminar_register", args=[seminar.slug]))
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "confirmed"
    assert body["join_url"] == seminar.join_url
    again = api.post(reverse("api_seminar_register", args=[seminar.slug]))
    assert again.status_code == 409
    assert again.json()["code"] == "already_registered"

    mine = api.get(reverse("api_seminar_registration_list")).json()["results"]
    assert [r["id"] for r in mine] == [body["id"]]

    cancelled = api.post(reverse("api_seminar_registration_cancel", args=[body["id"]]))
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["join_url"] is None


def test_a_waitlisted_registration_reports_its_place(api):
    seminar = SeminarFactory(capacity=1)
    first, org = attendee()
    services.registration_create(seminar=seminar, organization=org, acting_user=first)
    second = member(org, Role.STAFF)
    api.force_login(second)
    body = api.post(reverse("api_seminar_register", args=[seminar.slug])).json()
    assert (body["status"], body["waitlist_position"]) == ("waitlisted", 1)
    listed = api.get(reverse("api_seminar_registration_list")).json()["results"]
    assert listed[0]["waitlist_position"] == 1


def test_an_outsider_gets_404_for_someone_elses_registration(api):
    seminar = OnlineSeminarFactory()
    user, org = attendee()
    registration = services.registration_create(seminar=seminar, organization=org, acting_user=user)
    for outsider in (member(org, Role.ADMIN), attendee()[0]):
        api.force_login(outsider)
        assert (
            api.get(reverse("api_seminar_registration_detail", args=[registration.pk])).status_code
            == 404
        )
        assert (
            api.post(reverse("api_seminar_registration_cancel", args=[registration.pk])).status_code
            == 404
        )
        assert api.get(reverse("api_seminar_registration_list")).json()["results"] == []
    registration.refresh_from_db()
    assert registration.status == "confirmed"


def test_only_merchant_and_buyer_staff_register_through_the_api(api):
    seminar = SeminarFactory()
    api.force_login(member(OrganizationFactory(kind=Organization.Kind.MERCHANT), Role.VIEWER))
    assert api.post(reverse("api_seminar_register", args=[seminar.slug])).status_code == 403
    api.force_login(member(OrganizationFactory(kind=Organization.Kind.OPERATOR), Role.OWNER))
    response = api.post(reverse("api_seminar_register", args=[seminar.slug]))
    assert response.status_code == 403  # an operator without a second factor
    api.logout()
    assert api.post(reverse("api_seminar_register", args=[seminar.slug])).status_code == 401
