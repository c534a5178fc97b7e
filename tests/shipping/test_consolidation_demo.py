"""The demo's shared containers: two open ones on the next sailings, with space sold to the demo
merchant and others, consistent with their booked figures; seeding twice changes nothing."""

import pytest
from django.core.management import call_command
from django_scopes import scopes_disabled

from shipping.models import ConsolidationContainer, SpaceRequest
from shipping.services.consolidation import container_space_totals

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_the_demo_has_two_open_shared_containers_and_is_idempotent():
    call_command("seed_demo", apps="network,merchants,shipping")
    call_command("seed_demo", apps="network,merchants,shipping")
    with scopes_disabled():
        containers = list(ConsolidationContainer.objects.select_related("booking"))
        assert len(containers) == 2
        for container in containers:
            assert container.status == "open"
            assert container.booking.status == "CONFIRMED"
            assert container_space_totals(container) == (container.booked_m3, container.booked_kg)
        space = SpaceRequest.objects.all()
        assert space.filter(organization__slug="great-lakes-maple-co").count() == 2
        assert space.exclude(organization__slug="great-lakes-maple-co").count() >= 3
