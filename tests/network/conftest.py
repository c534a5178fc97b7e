import socket

import pytest

from tests.network.receivers import FakeDns, Receiver


@pytest.fixture
def fake_dns(monkeypatch):
    """Chosen answers for chosen host names (see ``FakeDns``)."""
    dns = FakeDns(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", dns)
    return dns


@pytest.fixture
def local_receivers_allowed(settings):
    """Webhooks may go to this machine's test receivers (never allowed in production)."""
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True


@pytest.fixture
def receiver(local_receivers_allowed):
    server = Receiver()
    yield server
    server.close()
