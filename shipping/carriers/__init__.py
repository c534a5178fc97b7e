"""Carrier connections: every carrier speaks the DCSA APIs over HTTP (``http``), configured
from the environment per SCAC."""

from __future__ import annotations

from shipping.carriers.base import CarrierAdapter, CarrierReply
from shipping.carriers.dcsa import DcsaCarrierAdapter
from shipping.carriers.http import CarrierClient, carrier_connection, client_for
from shipping.carriers.simulated import SimulatedCarrier

__all__ = [
    "CarrierAdapter",
    "CarrierClient",
    "CarrierReply",
    "adapter_for",
    "carrier_connection",
    "client_for",
]


def adapter_for(carrier) -> CarrierAdapter:
    """The adapter that talks to ``carrier``."""
    connection = carrier_connection(carrier.scac)
    if not connection.configured:
        # Interim: the in-process simulated carrier until every test and the demo use the
        # carrier process.
        return SimulatedCarrier(scac=carrier.scac)
    return DcsaCarrierAdapter(CarrierClient(connection))
