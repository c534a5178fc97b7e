"""Carrier connections: every carrier speaks the DCSA APIs over HTTP (``http``), configured
from the environment per SCAC."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shipping.carriers.base import CarrierAdapter, CarrierReply
from shipping.carriers.dcsa import DcsaCarrierAdapter
from shipping.carriers.http import CarrierClient, carrier_connection, client_for

if TYPE_CHECKING:
    from shipping.models import Carrier

__all__ = [
    "CarrierAdapter",
    "CarrierClient",
    "CarrierReply",
    "adapter_for",
    "carrier_connection",
    "client_for",
]


def adapter_for(carrier: Carrier) -> CarrierAdapter:
    """The adapter that talks to ``carrier``: DCSA over HTTP. A carrier without a configured
    connection is unavailable (its bookings stay held and are retried)."""
    return DcsaCarrierAdapter(CarrierClient(carrier_connection(carrier.scac)))
