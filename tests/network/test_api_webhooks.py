"""Webhook endpoints over the API: list, create (the secret shown once), read, change, delete,
rotate the secret, list deliveries and send one again — owners and admins only, with the
webhooks scopes, inside the key's organisation."""

import hashlib
import hmac
import json

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from network import services
from network.models import AuditEvent, Membership, Role, WebhookDelivery, WebhookEndpoint
from tests.factories import OrganizationFactory, member

pytestmark = pytest.mark.django_db

PUBLIC = "93.184.215.14"
BASE = "/api/v1/webhook-endpoints/"


@pytest.fixture
def merchant_org():
    return OrganizationFactory(name="Great Lakes Maple Co.")


@pytest.fixture
def owner(merchant_org):
    return member(merchant_org, Role.OWNER, email="owner@maple.example")


@pytest.fixture
def public_dns(fake_dns):
    fake_dns["hooks.maple.example"] = [PUBLIC]
    fake_dns["erp.maple.example"] = [PUBLIC]
    fake_dns["inside.maple.example"] = ["10.1.1.1"]
    return fake_dns


def _key(organization, user, scopes=("webhooks:read", "webhooks:write")):
    _api_key, raw = services.api_key_create(
        organization=organization, name="ERP", scopes=list(scopes), acting_user=user
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def key(merchant_org, owner):
    return _key(merchant_org, owner)


def _call(client, method, path, key, body=None, **headers):
    if body is None:
        return getattr(client, method)(path, **key, **headers)
    return getattr(client, method)(path, body, content_type="application/json", **key, **headers)


def _create(client, key, url="https://hooks.maple.example/in", **fields):
    body = {"url": url, "events": ["merchant_order.created"], **fields}
    return _call(client, "post", BASE, key, body)


def _secret(endpoint_id):
    with scopes_disabled():
        return WebhookEndpoint.objects.get(pk=endpoint_id).secret


def _actions():
    with scopes_disabled():
        return list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))


def test_create_answers_the_secret_once(client, key, public_dns):
    created = _create(client, key, description="ERP order sync")
    assert created.status_code == 201
    body = created.json()
    assert body["secret"].startswith("whsec_") and body["secret"] == _secret(body["id"])
    assert (body["url"], body["description"], body["events"], body["enabled"]) == (
        "https://hooks.maple.example/in",
        "ERP order sync",
        ["merchant_order.created"],
        True,
    )
    listed = _call(client, "get", BASE, key).json()["results"]
    assert [e["id"] for e in listed] == [body["id"]]
    detail = _call(client, "get", f"{BASE}{body['id']}/", key)
    assert detail.status_code == 200
    assert body["secret"] not in listed.__repr__() + detail.content.decode()
    assert "webhook_endpoint.created" in _actions()


def test_update_changes_only_what_is_sent_and_checks_a_new_url(client, key, public_dns):
    endpoint_id = _create(client, key).json()["id"]
    path = f"{BASE}{endpoint_id}/"
    changed = _call(
        client,
        "patch",
        path,
        key,
        {
            "events": ["booking.confirmed", "inventory.low"],
            "description": "Stock",
            "enabled": False,
        },
    )
    assert changed.status_code == 200
    assert (changed.json()["events"], changed.json()["enabled"]) == (
        ["booking.confirmed", "inventory.low"],
        False,
    )
    assert changed.json()["url"] == "https://hooks.maple.example/in"
    refused = _call(client, "patch", path, key, {"url": "https://inside.maple.example/in"})
    assert (refused.status_code, refused.json()["code"]) == (400, "url_not_public")
    moved = _call(client, "patch", path, key, {"url": "https://erp.maple.example/in"})
    assert moved.json()["url"] == "https://erp.maple.example/in"
    with scopes_disabled():
        endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
    assert (endpoint.url, endpoint.description, endpoint.is_active) == (
        "https://erp.maple.example/in",
        "Stock",
        False,
    )
    assert _actions().count("webhook_endpoint.updated") == 2


def test_a_bad_body_is_a_validation_error(client, key, public_dns):
    response = _call(client, "post", BASE, key, {"url": "https://hooks.maple.example/in"})
    assert (response.status_code, response.json()["code"]) == (400, "validation_error")
    assert "events" in response.json()["fields"]
    unknown = _create(client, key, events=["nothing.happened"])
    assert (unknown.status_code, unknown.json()["code"]) == (400, "validation_error")
    # The scheme is part of the schema's pattern, so it is refused as the schema says.
    other_scheme = _create(client, key, url="ftp://hooks.maple.example/in")
    assert (other_scheme.status_code, other_scheme.json()["code"]) == (400, "validation_error")
    assert "url" in other_scheme.json()["fields"]


def test_delete(client, key, public_dns):
    endpoint_id = _create(client, key).json()["id"]
    assert _call(client, "delete", f"{BASE}{endpoint_id}/", key).status_code == 204
    assert _call(client, "get", f"{BASE}{endpoint_id}/", key).status_code == 404
    assert "webhook_endpoint.deleted" in _actions()


def test_rotating_the_secret_signs_the_next_delivery_with_the_new_one(
    client, key, receiver, django_capture_on_commit_callbacks, merchant_org
):
    created = _create(client, key, url=receiver.url).json()
    rotated = _call(client, "post", f"{BASE}{created['id']}/rotate-secret/", key)
    assert rotated.status_code == 200
    new_secret = rotated.json()["secret"]
    assert new_secret != created["secret"] and new_secret == _secret(created["id"])
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_emit(
            organization=merchant_org, event="merchant_order.created", payload={"n": 1}
        )
    [request] = receiver.requests
    signature = dict(p.split("=", 1) for p in request["headers"]["Network-Signature"].split(","))
    signed = f"{signature['t']}.".encode() + request["body"]
    assert signature["v1"] == hmac.new(new_secret.encode(), signed, hashlib.sha256).hexdigest()
    assert "webhook_endpoint.secret_rotated" in _actions()


def test_deliveries_show_the_outcome_and_a_replay_sends_the_event_again(
    client, key, receiver, django_capture_on_commit_callbacks, merchant_org
):
    endpoint_id = _create(client, key, url=receiver.url).json()["id"]
    receiver.status = 500
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_emit(
            organization=merchant_org, event="merchant_order.created", payload={"n": 1}
        )
    listed = _call(client, "get", f"{BASE}{endpoint_id}/deliveries/", key)
    [delivery] = listed.json()["results"]
    assert (
        delivery["status"],
        delivery["response_status_code"],
        delivery["error"],
        delivery["outcome"],
    ) == ("pending", 500, "http_status", "HTTP 500")
    assert isinstance(delivery["response_time_ms"], int)
    assert "internal-service-answer" not in listed.content.decode()

    receiver.status = 204
    with django_capture_on_commit_callbacks(execute=True):
        replayed = _call(
            client, "post", f"{BASE}{endpoint_id}/deliveries/{delivery['id']}/replay/", key
        )
    assert replayed.status_code == 201
    assert replayed.json()["event_id"] == delivery["event_id"]
    assert len(receiver.requests) == 2
    first, second = (json.loads(r["body"])["id"] for r in receiver.requests)
    assert first == second == delivery["event_id"]
    with scopes_disabled():
        assert WebhookDelivery.objects.get(pk=replayed.json()["id"]).status == "delivered"


def test_a_disabled_endpoint_is_not_replayed_to(
    client, key, receiver, django_capture_on_commit_callbacks, merchant_org
):
    endpoint_id = _create(client, key, url=receiver.url).json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_emit(organization=merchant_org, event="merchant_order.created", payload={})
    with scopes_disabled():
        delivery = WebhookDelivery.objects.get()
    _call(client, "patch", f"{BASE}{endpoint_id}/", key, {"enabled": False})
    response = _call(client, "post", f"{BASE}{endpoint_id}/deliveries/{delivery.pk}/replay/", key)
    assert (response.status_code, response.json()["code"]) == (409, "endpoint_disabled")
    with scopes_disabled():
        assert WebhookDelivery.objects.count() == 1


def test_a_retried_create_with_the_same_idempotency_key_creates_one_endpoint(
    client, key, public_dns
):
    first = _call(
        client,
        "post",
        BASE,
        key,
        {"url": "https://hooks.maple.example/in", "events": ["merchant_order.created"]},
        HTTP_IDEMPOTENCY_KEY="erp-endpoint-1",
    )
    again = _call(
        client,
        "post",
        BASE,
        key,
        {"url": "https://hooks.maple.example/in", "events": ["merchant_order.created"]},
        HTTP_IDEMPOTENCY_KEY="erp-endpoint-1",
    )
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true"
    with scopes_disabled():
        assert WebhookEndpoint.objects.count() == 1


def test_another_organisations_endpoint_answers_as_a_missing_one(
    client, key, public_dns, django_capture_on_commit_callbacks
):
    other = OrganizationFactory(name="Other Maple Co.")
    other_owner = member(other, Role.OWNER)
    theirs = services.webhook_endpoint_create(
        organization=other,
        url="https://hooks.maple.example/theirs",
        events=["merchant_order.created"],
        acting_user=other_owner,
    )
    with django_capture_on_commit_callbacks(execute=False):
        [their_delivery] = services.webhook_emit(
            organization=other, event="merchant_order.created", payload={}
        )
    calls = [
        ("get", "{}/"),
        ("patch", "{}/"),
        ("delete", "{}/"),
        ("post", "{}/rotate-secret/"),
        ("get", "{}/deliveries/"),
        ("post", "{}/deliveries/" + str(their_delivery.pk) + "/replay/"),
    ]
    for method, path in calls:
        body = {"description": "mine now"} if method == "patch" else None
        answer = _call(client, method, BASE + path.format(theirs.pk), key, body)
        missing = _call(client, method, BASE + path.format(987654321), key, body)
        assert (answer.status_code, answer.json()) == (missing.status_code, missing.json())
        assert answer.status_code == 404
    assert _call(client, "get", BASE, key).json()["results"] == []
    with scopes_disabled():
        theirs.refresh_from_db()
        assert (theirs.description, WebhookDelivery.objects.count()) == ("", 1)
    assert theirs.secret not in str(_actions())


def test_a_key_needs_the_webhook_scopes(client, merchant_org, owner, public_dns):
    unrelated = _key(merchant_org, owner, scopes=["orders:read"])
    assert _call(client, "get", BASE, unrelated).status_code == 403
    read_only = _key(merchant_org, owner, scopes=["webhooks:read"])
    assert _call(client, "get", BASE, read_only).status_code == 200
    refused = _create(client, read_only)
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    with scopes_disabled():
        assert WebhookEndpoint.objects.count() == 0


def test_only_owners_and_admins_manage_endpoints(client, merchant_org, owner, public_dns):
    staff = member(merchant_org, Role.STAFF)
    client.force_login(staff)
    assert client.get(BASE).status_code == 403
    refused = client.post(
        BASE,
        {"url": "https://hooks.maple.example/in", "events": ["merchant_order.created"]},
        content_type="application/json",
    )
    assert refused.status_code == 403
    # A key acts with its creator's role now: an admin's key stops working when they are not.
    admin = member(merchant_org, Role.ADMIN)
    admins_key = _key(merchant_org, admin)
    assert _call(client, "get", BASE, admins_key).status_code == 200
    Membership.objects.filter(user=admin).update(role=Role.STAFF)
    assert _call(client, "get", BASE, admins_key).status_code == 403
    with scopes_disabled():
        assert WebhookEndpoint.objects.count() == 0


def test_the_key_page_offers_the_webhook_scopes(client, owner):
    client.force_login(owner)
    page = client.get(reverse("integrations")).content.decode()
    assert 'value="webhooks:read"' in page and 'value="webhooks:write"' in page


def test_the_lists_take_a_fixed_number_of_queries(
    client, key, merchant_org, owner, public_dns, django_assert_num_queries
):
    endpoint = services.webhook_endpoint_create(
        organization=merchant_org,
        url="https://hooks.maple.example/in",
        events=["merchant_order.created"],
        acting_user=owner,
    )
    for _n in range(2):
        services.webhook_endpoint_create(
            organization=merchant_org,
            url="https://erp.maple.example/in",
            events=["inventory.low"],
            acting_user=owner,
        )
    for _n in range(3):
        services.webhook_emit(organization=merchant_org, event="merchant_order.created", payload={})
    # The key with its creator's membership, its first use recorded, the page of endpoints.
    with django_assert_num_queries(3):
        assert len(_call(client, "get", BASE, key).json()["results"]) == 3
    # The key with the membership, the endpoint, the page of its deliveries.
    with django_assert_num_queries(3):
        deliveries = _call(client, "get", f"{BASE}{endpoint.pk}/deliveries/", key)
    assert len(deliveries.json()["results"]) == 3
