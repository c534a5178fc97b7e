"""``manage.py carrier_check SCAC`` against the carrier process: one line, OK or what went
wrong, exit code 0 or 1, never a secret."""

from __future__ import annotations

import io
import socket

import pytest
from django.core.management import call_command

from shipping.carriers import http as carrier_http
from shipping.models import Lane
from tests.carrier_process import CLIENT_SECRET
from tests.shipping.factories import PortFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    monkeypatch.setattr(carrier_http, "sleep", lambda seconds: None)


def carrier_check(scac: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("carrier_check", scac, stdout=out)
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    else:
        code = 0
    output = out.getvalue()
    assert output.count("\n") == 1, output
    assert CLIENT_SECRET not in output
    return code, output.strip()


def test_a_working_connection_is_ok_with_its_figures(carrier_server):
    code, line = carrier_check("maeu")
    assert code == 0
    assert line.startswith("OK MAEU: token received in ")
    assert "point-to-point routes USLAX->CNSHA" in line
    (call,) = [c for c in carrier_server.requests("MAEU") if c["path"].endswith("routes")]
    assert call["query"]["placeOfReceipt"] == "USLAX"
    assert call["status"] == 200


def test_the_first_active_lane_is_the_one_asked_about(carrier_server):
    Lane.objects.create(
        port_of_loading=PortFactory(un_locode="USOAK", name="Oakland"),
        port_of_discharge=PortFactory(un_locode="CNNGB", name="Ningbo"),
    )
    code, line = carrier_check("MAEU")
    assert code == 0
    assert "USOAK->CNNGB" in line


def test_a_missing_variable_is_named(carrier_server, monkeypatch):
    monkeypatch.delenv("CARRIER_MAEU_API_URL")
    assert carrier_check("MAEU") == (1, "FAIL MAEU: CARRIER_MAEU_API_URL not set")
    monkeypatch.setenv("CARRIER_MAEU_API_URL", carrier_server.url("MAEU"))
    monkeypatch.delenv("CARRIER_MAEU_CLIENT_SECRET")
    assert carrier_check("MAEU") == (1, "FAIL MAEU: CARRIER_MAEU_CLIENT_SECRET not set")


def test_refused_credentials_are_reported_without_the_secret(carrier_server, monkeypatch):
    monkeypatch.setenv("CARRIER_MAEU_CLIENT_SECRET", "not-the-right-secret-41")
    code, line = carrier_check("MAEU")
    assert code == 1
    assert line.startswith("FAIL MAEU: token refused:")
    assert "401" in line or "400" in line
    assert "not-the-right-secret-41" not in line


def test_an_unreachable_host_is_named(carrier_server, monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("CARRIER_MAEU_TOKEN_URL", f"http://127.0.0.1:{port}/MAEU/oauth2/token")
    code, line = carrier_check("MAEU")
    assert code == 1
    assert line.startswith(f"FAIL MAEU: token: 127.0.0.1:{port} is unreachable (ConnectError")


@pytest.mark.parametrize("status", [404, 503])
def test_an_error_status_is_reported_with_its_status(carrier_server, status):
    carrier_server.fault(
        scac="MAEU", method="GET", path="/v1/point-to-point-routes", status=status, count=5
    )
    code, line = carrier_check("MAEU")
    assert code == 1
    assert line.startswith("FAIL MAEU: ")
    assert f"({status})" in line or f"answered {status}" in line
