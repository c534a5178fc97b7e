"""Webhooks reach only the public internet: an endpoint on a loopback, private, link-local,
multicast or other non-public address is refused when it is registered (page and API) and
again on every delivery, after resolving its host name — and the request goes to the address
that was checked, so a DNS answer that changes in between cannot send it inside. Redirects are
not followed, and the delivery log never shows what an endpoint answered."""

import ipaddress
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import trustme
from django.urls import reverse
from django_scopes import scopes_disabled

from network import outbound, services
from network.models import Role, WebhookDelivery, WebhookEndpoint
from tests.factories import OrganizationFactory, member
from tests.network.receivers import Receiver

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = "93.184.215.14"
NOT_PUBLIC = "is not on the public internet"
SPELLING = "Write an IP address as four decimal numbers"

REFUSED_URLS = [
    ("http://127.0.0.1:8000/hooks", NOT_PUBLIC),
    ("http://localhost:6379/", NOT_PUBLIC),
    ("http://[::1]:8080/hooks", NOT_PUBLIC),
    ("https://10.20.30.40/hooks", NOT_PUBLIC),
    ("https://172.16.0.9/hooks", NOT_PUBLIC),
    ("https://192.168.1.20/hooks", NOT_PUBLIC),
    ("http://169.254.169.254/latest/meta-data/", NOT_PUBLIC),
    ("https://100.64.0.1/hooks", NOT_PUBLIC),
    ("https://224.0.0.1/hooks", NOT_PUBLIC),
    ("https://0.0.0.0/hooks", NOT_PUBLIC),
    ("https://203.0.113.7/hooks", NOT_PUBLIC),
    ("https://[::ffff:127.0.0.1]/hooks", NOT_PUBLIC),
    ("https://[fc00::1]/hooks", NOT_PUBLIC),
    ("https://[fe80::1]/hooks", NOT_PUBLIC),
    ("http://2130706433/", SPELLING),
    ("http://0x7f.1/", SPELLING),
    ("http://0177.0.0.1/", SPELLING),
]


@pytest.fixture(autouse=True)
def guard_as_deployed(settings):
    """Whatever this machine's environment says: private addresses refused, http allowed
    (as outside production)."""
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.PRODUCTION = False


@pytest.fixture
def merchant_org():
    return OrganizationFactory(name="Great Lakes Maple Co.")


@pytest.fixture
def owner(merchant_org):
    return member(merchant_org, Role.OWNER, email="owner@maple.example")


@pytest.fixture
def api_key(merchant_org, owner):
    _key, raw = services.api_key_create(
        organization=merchant_org, name="ERP", scopes=["webhooks:write"], acting_user=owner
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _endpoint(organization, owner, url):
    return services.webhook_endpoint_create(
        organization=organization, url=url, events=["merchant_order.created"], acting_user=owner
    )


def _emit(organization, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_emit(
            organization=organization, event="merchant_order.created", payload={"n": 1}
        )
    with scopes_disabled():
        return WebhookDelivery.objects.latest("pk")


def _endpoint_count():
    with scopes_disabled():
        return WebhookEndpoint.objects.count()


@pytest.mark.parametrize(("url", "message"), REFUSED_URLS)
def test_the_page_refuses_an_endpoint_off_the_public_internet(
    client, merchant_org, owner, fake_dns, url, message
):
    client.force_login(owner)
    response = client.post(reverse("webhooks"), {"url": url, "events": ["merchant_order.created"]})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert _endpoint_count() == 0


@pytest.mark.parametrize(("url", "message"), REFUSED_URLS)
def test_the_api_refuses_an_endpoint_off_the_public_internet(
    client, api_key, fake_dns, url, message
):
    response = client.post(
        "/api/v1/webhook-endpoints/",
        {"url": url, "events": ["merchant_order.created"]},
        content_type="application/json",
        **api_key,
    )
    assert response.status_code == 400
    assert response.json()["code"] == "url_not_public"
    assert message in response.json()["message"]
    assert _endpoint_count() == 0


@pytest.mark.parametrize(
    "answer",
    [["10.0.0.5"], [PUBLIC, "127.0.0.1"], ["fd12:3456::1"]],
    ids=["private", "one-of-several", "unique-local-ipv6"],
)
def test_a_host_name_resolving_to_a_private_address_is_refused_at_registration(
    client, merchant_org, owner, api_key, fake_dns, answer
):
    fake_dns["hooks.maple.example"] = answer
    client.force_login(owner)
    page = client.post(
        reverse("webhooks"),
        {"url": "https://hooks.maple.example/in", "events": ["merchant_order.created"]},
    ).content.decode()
    assert "hooks.maple.example resolves to" in page
    api = client.post(
        "/api/v1/webhook-endpoints/",
        {"url": "https://hooks.maple.example/in", "events": ["merchant_order.created"]},
        content_type="application/json",
        **api_key,
    )
    assert (api.status_code, api.json()["code"]) == (400, "url_not_public")
    assert _endpoint_count() == 0


def test_a_host_name_is_accepted_once_every_address_it_resolves_to_is_public(
    merchant_org, owner, fake_dns
):
    fake_dns["hooks.maple.example"] = [PUBLIC, "2606:4700::1111"]
    endpoint = _endpoint(merchant_org, owner, "https://hooks.maple.example/in")
    assert endpoint.url == "https://hooks.maple.example/in"
    assert fake_dns.lookups == ["hooks.maple.example"]


def test_a_host_that_turns_private_after_registration_is_not_contacted(
    client, merchant_org, owner, fake_dns, django_capture_on_commit_callbacks
):
    receiver = Receiver()
    try:
        fake_dns["rebind.maple.example"] = [PUBLIC]
        endpoint = _endpoint(
            merchant_org, owner, f"http://rebind.maple.example:{receiver.port}/hooks"
        )
        fake_dns["rebind.maple.example"] = ["127.0.0.1"]
        delivery = _emit(merchant_org, django_capture_on_commit_callbacks)
    finally:
        receiver.close()
    assert receiver.requests == []
    assert (delivery.status, delivery.attempts, delivery.error, delivery.response_code) == (
        "pending",
        1,
        "refused_address",
        None,
    )
    client.force_login(owner)
    page = client.get(reverse("webhook_detail", args=[endpoint.pk])).content.decode()
    assert "refused: private address" in page


def test_the_connection_goes_to_the_address_that_was_checked(
    merchant_org, owner, fake_dns, monkeypatch, django_capture_on_commit_callbacks
):
    """DNS rebinding: the check sees a public address, a second lookup would see loopback.
    The request must go to the checked address (here refused, as nothing public is reachable
    from a test) and never look the name up again."""
    receiver = Receiver()
    connected = []
    real_create_connection = socket.create_connection

    def create_connection(address, *args, **kwargs):
        connected.append(address[0])
        if address[0] == PUBLIC:
            raise ConnectionRefusedError(111, "Connection refused")
        return real_create_connection(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", create_connection)
    try:
        fake_dns["rebind.maple.example"] = [PUBLIC]
        _endpoint(merchant_org, owner, f"http://rebind.maple.example:{receiver.port}/hooks")
        fake_dns["rebind.maple.example"] = [[PUBLIC], ["127.0.0.1"]]
        delivery = _emit(merchant_org, django_capture_on_commit_callbacks)
    finally:
        receiver.close()
    assert connected == [PUBLIC]
    assert receiver.requests == []
    assert delivery.error == "connection_refused"


def test_the_host_header_and_tls_name_are_the_endpoints_host_name(
    merchant_org,
    owner,
    fake_dns,
    local_receivers_allowed,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    """Connected by address, the request still names the host, and TLS checks the certificate
    for that name."""
    ca = trustme.CA()
    monkeypatch.setattr(outbound, "tls_context", lambda: _trusting(ca))
    receiver = Receiver(tls=(ca, "hooks.maple.example"))
    try:
        fake_dns["hooks.maple.example"] = ["127.0.0.1"]
        _endpoint(merchant_org, owner, f"https://hooks.maple.example:{receiver.port}/in")
        delivery = _emit(merchant_org, django_capture_on_commit_callbacks)
    finally:
        receiver.close()
    assert (delivery.status, delivery.response_code) == ("delivered", 200)
    [request] = receiver.requests
    assert request["headers"]["Host"] == f"hooks.maple.example:{receiver.port}"
    assert receiver.server_names == ["hooks.maple.example"]


def test_a_certificate_for_another_name_fails_the_delivery(
    merchant_org,
    owner,
    fake_dns,
    local_receivers_allowed,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    ca = trustme.CA()
    monkeypatch.setattr(outbound, "tls_context", lambda: _trusting(ca))
    receiver = Receiver(tls=(ca, "other.example"))
    try:
        fake_dns["hooks.maple.example"] = ["127.0.0.1"]
        _endpoint(merchant_org, owner, f"https://hooks.maple.example:{receiver.port}/in")
        delivery = _emit(merchant_org, django_capture_on_commit_callbacks)
    finally:
        receiver.close()
    assert receiver.requests == []
    assert (delivery.status, delivery.error) == ("pending", "tls_error")


def _trusting(ca):
    import ssl

    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


def test_a_redirect_is_not_followed(
    client, merchant_org, owner, receiver, django_capture_on_commit_callbacks
):
    inside = Receiver()
    try:
        receiver.status, receiver.location = 302, inside.url
        endpoint = _endpoint(merchant_org, owner, receiver.url)
        delivery = _emit(merchant_org, django_capture_on_commit_callbacks)
    finally:
        inside.close()
    assert len(receiver.requests) == 1
    assert inside.requests == []
    assert (delivery.status, delivery.response_code, delivery.error) == (
        "pending",
        302,
        "http_status",
    )
    client.force_login(owner)
    page = client.get(reverse("webhook_detail", args=[endpoint.pk])).content.decode()
    assert "HTTP 302 (redirects are not followed)" in page


def test_the_delivery_log_shows_the_status_and_time_never_the_answer(
    client, merchant_org, owner, receiver, django_capture_on_commit_callbacks
):
    receiver.status = 500
    endpoint = _endpoint(merchant_org, owner, receiver.url)
    delivery = _emit(merchant_org, django_capture_on_commit_callbacks)
    assert (delivery.response_code, delivery.error) == (500, "http_status")
    assert delivery.response_ms is not None
    with scopes_disabled():
        stored = repr(list(WebhookDelivery.objects.values()))
    assert "internal-service-answer" not in stored
    client.force_login(owner)
    page = client.get(reverse("webhook_detail", args=[endpoint.pk])).content.decode()
    assert "HTTP 500" in page and f"{delivery.response_ms} ms" in page
    assert "internal-service-answer" not in page


def test_a_connection_refused_is_logged_as_such(
    client, merchant_org, owner, local_receivers_allowed, django_capture_on_commit_callbacks
):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    _endpoint(merchant_org, owner, f"http://127.0.0.1:{port}/hooks")
    delivery = _emit(merchant_org, django_capture_on_commit_callbacks)
    assert (delivery.response_code, delivery.error) == (None, "connection_refused")
    assert delivery.outcome == "connection refused"


def test_a_host_name_that_does_not_resolve_fails_the_delivery(
    merchant_org, owner, fake_dns, django_capture_on_commit_callbacks
):
    endpoint = _endpoint(merchant_org, owner, "https://not-yet.maple.example/in")
    assert endpoint.pk  # accepted: its DNS may come later, and every delivery checks again
    delivery = _emit(merchant_org, django_capture_on_commit_callbacks)
    assert delivery.error == "host_not_found"


def test_production_takes_https_only(
    client, merchant_org, owner, settings, fake_dns, django_capture_on_commit_callbacks
):
    fake_dns["hooks.maple.example"] = [PUBLIC]
    old = _endpoint(merchant_org, owner, "http://hooks.maple.example/in")
    settings.PRODUCTION = True
    with pytest.raises(services.WebhookUrlRefused) as refusal:
        _endpoint(merchant_org, owner, "http://hooks.maple.example/in")
    assert refusal.value.code == "url_scheme_not_allowed"
    # An http endpoint registered before is not sent to either.
    delivery = _emit(merchant_org, django_capture_on_commit_callbacks)
    assert (delivery.endpoint_id, delivery.error) == (old.pk, "refused_url")
    assert fake_dns.lookups == ["hooks.maple.example"]  # the registration's, none since
    client.force_login(owner)
    page = client.get(reverse("webhooks"))
    assert "An https:// address on the public internet." in page.content.decode()


def test_private_addresses_are_never_allowed_in_production(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.PRODUCTION = True
    with pytest.raises(outbound.Refused):
        outbound.check_url("https://127.0.0.1/hooks")


@pytest.mark.parametrize("variable", ["WEBHOOK_ALLOW_PRIVATE_ADDRESSES", "WEBHOOK_ALLOW_HTTP"])
def test_settings_refuse_to_start_production_with_an_allowance(variable):
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "DJANGO_PRODUCTION": "true",
            "DJANGO_SECRET_KEY": "production-check-only",
            variable: "true",
        },
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: WEBHOOK_ALLOW_PRIVATE_ADDRESSES and WEBHOOK_ALLOW_HTTP must not be true in "
        "production."
    )


@pytest.mark.parametrize(
    ("address", "public"),
    [
        (PUBLIC, True),
        ("2606:4700::1111", True),
        ("2002:5db8:d70e::1", True),  # 6to4 of a public address
        ("127.0.0.2", False),
        ("198.18.0.1", False),  # benchmarking
        ("255.255.255.255", False),
        ("ff02::1", False),
        ("ff0e::1", False),  # global-scope multicast
        ("::", False),
        ("2001:db8::1", False),  # documentation
        ("::ffff:10.0.0.1", False),
        ("2002:7f00:1::1", False),  # 6to4 of loopback
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", False),  # Teredo of 127.0.0.1
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 of 169.254.169.254
        ("fec0::1", False),  # site-local
    ],
)
def test_which_addresses_are_public(address, public):
    assert outbound.is_public(ipaddress.ip_address(address)) is public
