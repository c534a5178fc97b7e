"""Carrier connections: one adapter per carrier, chosen by the carrier's ``adapter`` field."""

from __future__ import annotations

from shipping.carriers.base import CarrierAdapter, CarrierReply
from shipping.carriers.dcsa import CmaCgmAdapter, MaerskAdapter
from shipping.carriers.simulated import SimulatedCarrier

__all__ = ["CarrierAdapter", "CarrierReply", "adapter_for"]

_ADAPTERS = {"maersk": MaerskAdapter, "cma_cgm": CmaCgmAdapter}


def adapter_for(carrier) -> CarrierAdapter:
    """The adapter that talks to ``carrier`` (the simulated one unless configured otherwise)."""
    adapter_class = _ADAPTERS.get(carrier.adapter)
    if adapter_class is None:
        return SimulatedCarrier(scac=carrier.scac)
    return adapter_class()
