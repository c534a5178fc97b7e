"""Factories of the training tests."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from network.models import Organization, Role
from tests.factories import OrganizationFactory, member
from training.models import Seminar, Topic


class SeminarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Seminar

    title = factory.Sequence(lambda n: f"Shipping to China, session {n}")
    slug = factory.Sequence(lambda n: f"shipping-to-china-{n}")
    topic = Topic.LOGISTICS
    language = "en"
    summary = "How to get a pallet from Michigan to a Taobao Global buyer."
    format = Seminar.Format.IN_PERSON
    venue = "Huntington Place"
    address = "1 Washington Blvd"
    city = "Detroit, MI"
    time_zone = "America/Detroit"
    start_at = factory.LazyFunction(
        lambda: (timezone.now() + timedelta(days=30)).replace(second=0, microsecond=0)
    )
    end_at = factory.LazyAttribute(lambda s: s.start_at + timedelta(hours=7))
    capacity = 120
    status = Seminar.Status.PUBLISHED
    agenda = "09:00 Welcome\n10:00 Ocean freight basics"
    speakers = "Jane Doe, Maersk"


class OnlineSeminarFactory(SeminarFactory):
    format = Seminar.Format.ONLINE
    venue = ""
    address = ""
    city = ""
    join_url = "https://meet.example.com/j/8675309"
    time_zone = "Asia/Shanghai"
    capacity = 500


def attendee(organization: Organization | None = None, **user_fields):
    """A staff member of a (new) merchant organisation, who may register."""
    organization = organization or OrganizationFactory(kind=Organization.Kind.MERCHANT)
    return member(organization, Role.STAFF, **user_fields), organization


def operator(**user_fields):
    """An operator with a second factor set up, as the operator pages require."""
    from allauth.mfa.totp.internal.auth import TOTP

    organization = Organization.objects.filter(kind=Organization.Kind.OPERATOR).first()
    if organization is None:
        organization = OrganizationFactory(kind=Organization.Kind.OPERATOR, name="Network Ops")
    user = member(organization, Role.STAFF, **user_fields)
    TOTP.activate(user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    return user
