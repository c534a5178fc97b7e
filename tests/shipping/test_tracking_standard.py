"""The network's Track & Trace requests, checked by Stoplight Prism against the published
standard (dcsa-tnt-2.2.0): the event subscription, its end, and the events of a booking."""

from __future__ import annotations

import pytest

from shipping.carriers import tracking as carrier_tracking
from tests.prism import TRACKING_SPEC

# The carrier client keeps each carrier's connection health on its row.
pytestmark = pytest.mark.django_db


@pytest.fixture
def carrier_behind_prism(prism_proxy, monkeypatch):
    base_url = prism_proxy(TRACKING_SPEC)
    monkeypatch.setenv("CARRIER_MAEU_API_URL", base_url)
    monkeypatch.delenv("CARRIER_MAEU_TOKEN_URL", raising=False)
    return "MAEU"


def test_the_subscription_request_follows_the_standard(carrier_behind_prism):
    subscription_id = carrier_tracking.subscribe(
        carrier_behind_prism,
        callback_url="https://network.example/api/v1/shipping/tracking/1.abc/events/",
        secret=carrier_tracking.new_secret(),
        carrier_booking_reference="MAEU240011",
    )
    assert subscription_id  # the standard's example answer


def test_ending_a_subscription_follows_the_standard(carrier_behind_prism):
    carrier_tracking.unsubscribe(
        carrier_behind_prism, subscription_id="8fbdc2d8-57c8-48b9-a04b-18fd8ec1d809"
    )
