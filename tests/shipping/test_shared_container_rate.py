"""The freight rate the landed-cost estimate reads (catalog.freight, registered by shipping):
the lowest price per W/M among shared containers open for space with a departure ahead."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from catalog.freight import shared_container_rate
from shipping.models import ConsolidationContainer, ContainerStatus
from tests.shipping.containers import open_container
from tests.shipping.factories import SailingFactory

pytestmark = pytest.mark.django_db


def test_the_cheapest_open_container_sets_the_rate(sailing, operator):
    assert shared_container_rate() is None
    open_container(sailing, operator, price_per_wm=Decimal("48.00"))
    assert shared_container_rate() == Decimal("48.00")
    cheaper = open_container(SailingFactory(), operator, price_per_wm=Decimal("40.00"))
    assert shared_container_rate() == Decimal("40.00")
    with scopes_disabled():
        ConsolidationContainer.objects.filter(pk=cheaper.pk).update(status=ContainerStatus.CLOSED)
    assert shared_container_rate() == Decimal("48.00")
    with scopes_disabled():
        ConsolidationContainer.objects.update(receiving_cutoff=timezone.now() - timedelta(hours=1))
    assert shared_container_rate() is None
