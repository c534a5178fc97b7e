"""The carrier clients of a process share one TLS context: building one reads the whole bundle of
authorities (about 20 ms of CPU), which every call to a carrier once paid. Sharing it must not
loosen what is checked: certificates and host names are still verified."""

from __future__ import annotations

import ssl

import pytest

from network import outbound
from shipping.carriers import client_for
from shipping.carriers import http as carrier_http


@pytest.fixture
def contexts_built(monkeypatch):
    built: list[ssl.SSLContext] = []
    real = ssl.create_default_context

    def counting(*args, **kwargs):
        built.append(real(*args, **kwargs))
        return built[-1]

    monkeypatch.setattr(ssl, "create_default_context", counting)
    carrier_http.tls_context.cache_clear()
    outbound.tls_context.cache_clear()
    yield built
    carrier_http.tls_context.cache_clear()
    outbound.tls_context.cache_clear()


def test_clients_of_every_carrier_share_one_verifying_context(contexts_built):
    clients = [client_for("MAEU"), client_for("CMDU"), client_for("MAEU")]
    assert len(contexts_built) == 1
    context = carrier_http.tls_context()
    assert context is contexts_built[0]
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert all(client.http is not None for client in clients)


def test_a_certificate_file_named_in_the_environment_is_trusted(contexts_built, monkeypatch):
    import certifi

    monkeypatch.setenv("SSL_CERT_FILE", certifi.where())
    context = carrier_http.tls_context()
    assert context.cert_store_stats()["x509_ca"] > 0
    assert context.verify_mode == ssl.CERT_REQUIRED


def test_webhook_deliveries_share_one_context(contexts_built):
    assert outbound.tls_context() is outbound.tls_context()
    assert len(contexts_built) == 1
