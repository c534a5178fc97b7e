"""The applicant reads when they submitted in their language and zone, the zone named, and the
sentence ends with one full stop ("7:16 PM UTC.", never "7:16 p.m..")."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from merchants.models import ApplicationStatus
from network.models import Role
from tests.factories import OrganizationFactory, member
from tests.merchants.conftest import make_application

pytestmark = pytest.mark.django_db

EVENING = datetime(2026, 12, 6, 19, 16, tzinfo=UTC)


@pytest.mark.parametrize(
    ("language", "time_zone", "sentence"),
    [
        ("en", "", "Submitted on Dec 6, 2026, 7:16 PM UTC. "),
        ("en", "America/Detroit", "Submitted on Dec 6, 2026, 2:16 PM EST. "),
        ("zh-hans", "", "已于 2026年12月6日 19:16 UTC 提交。"),
    ],
)
def test_the_submission_date_ends_its_sentence_once(client, language, time_zone, sentence):
    organization = OrganizationFactory(name="Great Lakes Maple Co.")
    owner = member(organization, Role.OWNER, language=language, time_zone=time_zone)
    make_application(organization, status=ApplicationStatus.SUBMITTED, submitted_at=EVENING)
    client.force_login(owner)
    page = client.get(reverse("merchants:application")).content.decode()
    assert sentence in page
    assert "p.m." not in page and ".." not in page.split("<main", 1)[1]
