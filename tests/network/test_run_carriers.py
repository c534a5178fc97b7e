"""``make run`` plays the carriers with the carrier process: credentials made once into
var/carriers.env (mode 600), the network's CARRIER_* environment pointing at it, and the process
started with the same credentials and the network's booking-notification URL."""

from __future__ import annotations

import stat
import subprocess
import time

import httpx

from network.run import carrier_credentials, carrier_process
from tests.carrier_process import LISTENING


def test_demo_credentials_are_made_once_and_kept_private(tmp_path):
    first = carrier_credentials(tmp_path)
    assert set(first) == {
        f"CARRIER_{scac}_{name}"
        for scac in ("MAEU", "CMDU")
        for name in ("CLIENT_ID", "CLIENT_SECRET", "NOTIFICATION_SECRET")
    }
    assert len(first["CARRIER_MAEU_CLIENT_SECRET"]) >= 40
    assert stat.S_IMODE((tmp_path / "carriers.env").stat().st_mode) == 0o600
    assert carrier_credentials(tmp_path) == first


def test_the_network_and_the_process_agree_and_a_token_is_issued(tmp_path):
    env = {"CARRIER_SIM_DELAY": "0", "PATH": "/usr/bin:/bin"}
    command = carrier_process(env, tmp_path, port=0, site_url="http://127.0.0.1:8000/")
    assert env["CARRIER_MAEU_API_URL"] == "http://127.0.0.1:0/MAEU"
    assert env["CARRIER_CMDU_TOKEN_URL"] == "http://127.0.0.1:0/CMDU/oauth2/token"
    assert command[command.index("--delay") + 1] == "0"
    assert command[command.index("--rejection-rate") + 1] == "0.05"
    assert command[command.index("--booking-callback") + 1] == (
        "http://127.0.0.1:8000/api/v1/shipping/carriers/{scac}/booking-notifications/"
    )
    log = tmp_path / "carriers.log"
    with log.open("w") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        base_url, deadline = None, time.monotonic() + 20
        while base_url is None:
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            if found := LISTENING.search(log.read_text()):
                base_url = found.group(1)
            time.sleep(0.05)
        token = httpx.post(
            f"{base_url}/MAEU/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": env["CARRIER_MAEU_CLIENT_ID"],
                "client_secret": env["CARRIER_MAEU_CLIENT_SECRET"],
            },
        )
        assert token.status_code == 200
        refused = httpx.post(
            f"{base_url}/MAEU/oauth2/token",
            data={"grant_type": "client_credentials", "client_id": "someone", "client_secret": "x"},
        )
        assert refused.status_code == 401
    finally:
        process.kill()
        process.wait(10)
