"""Feedback after the event: one rating and comment per attendee, summarised for operators."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from network.models import Role
from tests.factories import member, sign_in
from tests.training.factories import SeminarFactory, attendee, operator
from training import selectors, services
from training.errors import FeedbackInvalid, NotAllowed
from training.models import Feedback, Seminar

pytestmark = pytest.mark.django_db


@pytest.fixture
def past_seminar():
    seminar = SeminarFactory(capacity=10)
    people, org = [], None
    for _ in range(4):
        user, org = attendee(org)
        people.append(
            services.registration_create(seminar=seminar, organization=org, acting_user=user)
        )
    Seminar.objects.filter(pk=seminar.pk).update(
        start_at=timezone.now() - timedelta(hours=2), end_at=timezone.now() + timedelta(hours=1)
    )
    staff = operator()
    for registration in people[:3]:
        services.registration_check_in(registration=registration, acting_user=staff)
    Seminar.objects.filter(pk=seminar.pk).update(end_at=timezone.now() - timedelta(minutes=5))
    seminar.refresh_from_db()
    return seminar, people


def test_an_attendee_rates_once_through_the_page(client, past_seminar):
    seminar, people = past_seminar
    registration = people[0]
    client.force_login(registration.user)
    page = client.get(reverse("training:registration_detail", args=[registration.pk]))
    assert "How was the seminar?" in page.content.decode()
    url = reverse("training:registration_feedback", args=[registration.pk])
    client.post(url, {"rating": 5, "comment": "Clear on Incoterms."})
    response = client.post(url, {"rating": 1, "comment": "again"}, follow=True)
    assert "You have already given feedback" in response.content.decode()
    with scopes_disabled():
        assert list(Feedback.objects.values_list("rating", "comment")) == [
            (5, "Clear on Incoterms.")
        ]


def test_only_attendees_give_feedback_and_only_their_own(past_seminar):
    seminar, people = past_seminar
    with pytest.raises(FeedbackInvalid):  # registered but never came
        services.feedback_submit(
            registration=people[3], rating=4, comment="", acting_user=people[3].user
        )
    with pytest.raises(NotAllowed):
        services.feedback_submit(
            registration=people[0], rating=1, comment="", acting_user=people[1].user
        )


def test_an_outsider_cannot_post_feedback_on_someone_elses_registration(client, past_seminar):
    _seminar, people = past_seminar
    client.force_login(member(people[0].organization, Role.STAFF))
    url = reverse("training:registration_feedback", args=[people[0].pk])
    assert client.post(url, {"rating": 1}).status_code == 404


def test_operators_see_the_average_and_distribution(client, past_seminar):
    seminar, people = past_seminar
    for registration, rating, comment in zip(
        people[:3], (5, 4, 5), ("Great", "", "Useful checklists"), strict=True
    ):
        services.feedback_submit(
            registration=registration, rating=rating, comment=comment, acting_user=registration.user
        )
    operator_user = operator()
    operators = operator_user.memberships.get().organization
    summary = selectors.feedback_summary(organization=operators, seminar=seminar)
    assert summary.count == 3
    assert summary.average == pytest.approx(4.67)
    assert summary.distribution == {1: 0, 2: 0, 3: 0, 4: 1, 5: 2}
    assert [f.comment for f in summary.comments] == ["Useful checklists", "Great"]

    sign_in(client, operator_user)
    page = client.get(reverse("training:manage_feedback", args=[seminar.pk])).content.decode()
    assert "4.67" in page
    assert "<svg" in page and "Useful checklists" in page

    client.force_login(people[0].user)
    assert client.get(reverse("training:manage_feedback", args=[seminar.pk])).status_code == 403
