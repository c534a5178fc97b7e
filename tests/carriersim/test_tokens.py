"""OAuth 2.0 client credentials: only the configured client gets a token, and every API call
needs a live one."""

from __future__ import annotations

import httpx

from tests.carrier_process import CLIENT_ID, CLIENT_SECRET


def test_the_configured_client_gets_a_bearer_token(carrier_server):
    response = httpx.post(
        carrier_server.token_url("MAEU"),
        data={
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
    )
    assert response.status_code == 200
    token = response.json()
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] > 0
    assert token["access_token"]


def test_a_wrong_secret_gets_no_token(carrier_server):
    response = httpx.post(
        carrier_server.token_url("MAEU"),
        data={"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": "x"},
    )
    assert response.status_code == 401
    assert "access_token" not in response.json()


def test_client_credentials_in_basic_authentication_are_accepted(carrier_server):
    response = httpx.post(
        carrier_server.token_url("CMDU"),
        data={"grant_type": "client_credentials"},
        auth=(CLIENT_ID, CLIENT_SECRET),
    )
    assert response.status_code == 200


def test_a_call_without_a_token_is_refused(carrier_server):
    response = httpx.get(f"{carrier_server.url('MAEU')}/v2/bookings/unknown")
    assert response.status_code == 401
    assert response.json()["statusCode"] == 401


def test_a_token_of_one_carrier_does_not_open_another(maersk, carrier_server):
    response = httpx.get(
        f"{carrier_server.url('CMDU')}/v2/events",
        headers={"Authorization": f"Bearer {maersk.token}"},
    )
    assert response.status_code == 401


def test_expired_tokens_are_refused_until_a_new_one_is_fetched(maersk, carrier_server):
    assert maersk.call("GET", "/v2/events").status_code == 200
    carrier_server.expire_tokens()
    assert maersk.call("GET", "/v2/events").status_code == 401
    maersk.token = maersk.fetch_token()
    assert maersk.call("GET", "/v2/events").status_code == 200


def test_the_request_log_keeps_no_secret(maersk, carrier_server):
    maersk.call("GET", "/v2/events")
    logged = carrier_server.requests("MAEU")
    assert [(entry["method"], entry["path"], entry["status"]) for entry in logged] == [
        ("POST", "/oauth2/token", 200),
        ("GET", "/v2/events", 200),
    ]
    assert logged[0]["body"] == {"grant_type": "client_credentials", "client_id": CLIENT_ID}
    assert CLIENT_SECRET not in str(logged)
    assert maersk.token not in str(logged)
