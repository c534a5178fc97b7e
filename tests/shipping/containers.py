"""Shared containers for the consolidation tests, opened through the service as an operator
would open them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django_scopes import scopes_disabled

from shipping import services
from shipping.models import ConsolidationContainer, SpaceRequest


def open_container(sailing, operator_user, **overrides) -> ConsolidationContainer:
    values = {
        "capacity_m3": Decimal("58.0"),
        "capacity_kg": 26_000,
        "price_per_wm": Decimal("48.00"),
        "forwarder_price_per_wm": Decimal("95.00"),
        "warehouse_name": "Gateway CFS Carson",
        "warehouse_address": "1200 E Sepulveda Blvd\nCarson, CA 90745",
        "receiving_cutoff": sailing.cargo_cutoff - timedelta(days=2),
        **overrides,
    }
    return services.container_open(sailing=sailing, acting_user=operator_user, **values)


def book_space(organization, container, user, *, volume="5.0", weight_kg=1200, **overrides):
    return services.space_request_create(
        organization=organization,
        container=container,
        volume_m3=Decimal(volume),
        weight_kg=weight_kg,
        no_dangerous_goods=overrides.pop("no_dangerous_goods", True),
        acting_user=user,
        **overrides,
    )


def reload_container(container) -> ConsolidationContainer:
    with scopes_disabled():
        return ConsolidationContainer.objects.select_related("booking", "sailing").get(
            pk=container.pk
        )


def reload_space(space_request) -> SpaceRequest:
    with scopes_disabled():
        return SpaceRequest.objects.get(pk=space_request.pk)
