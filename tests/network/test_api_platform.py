"""The API platform: keys with scopes, one error shape, idempotent creates, throttling."""

import threading
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from network import services
from network.models import ApiKey, IdempotencyRecord, Notification, Organization, Role
from tests.factories import OrganizationFactory, member

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.network.idempotency_urls")]


@pytest.fixture
def buyer_org():
    return OrganizationFactory(name="Ningbo Imports", kind=Organization.Kind.BUYER)


@pytest.fixture
def admin(buyer_org):
    return member(buyer_org, Role.ADMIN)


def _key(organization, user, scopes):
    return services.api_key_create(
        organization=organization, name="ERP", scopes=scopes, acting_user=user
    )


def _post(client, key, body, idempotency_key=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    if idempotency_key:
        headers["HTTP_IDEMPOTENCY_KEY"] = idempotency_key
    return client.post("/api/v1/notes/", body, content_type="application/json", **headers)


def test_a_key_is_shown_once_and_stored_as_a_hash(buyer_org, admin):
    api_key, raw = _key(buyer_org, admin, ["orders:write"])
    assert raw.startswith(f"gumn_{api_key.prefix}_")
    with scopes_disabled():
        stored = ApiKey.objects.get()
    assert raw not in (stored.key_hash, stored.prefix)
    assert stored.key_hash == ApiKey.hash_key(raw)


def test_only_admins_create_keys(buyer_org):
    viewer = member(buyer_org, Role.VIEWER)
    with pytest.raises(services.PermissionDenied):
        _key(buyer_org, viewer, ["orders:read"])


def test_a_wrong_or_revoked_key_is_401_with_a_code(client, buyer_org, admin):
    response = client.post(
        "/api/v1/notes/",
        {},
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer gumn_nope_nope",
    )
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_api_key"
    api_key, raw = _key(buyer_org, admin, ["orders:write"])
    assert _post(client, raw, {"subject": "ok"}).status_code == 201
    services.api_key_revoke(api_key=api_key, acting_user=admin)
    response = _post(client, raw, {"subject": "after revoke"})
    assert response.status_code == 401
    with scopes_disabled():
        assert not Notification.objects.filter(subject="after revoke").exists()


def test_a_key_without_the_scope_is_refused(client, buyer_org, admin):
    _, raw = _key(buyer_org, admin, ["orders:read"])
    response = _post(client, raw, {"subject": "x"})
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    with scopes_disabled():
        assert Notification.objects.count() == 0


def test_a_key_acts_in_its_own_organisation(client, buyer_org, admin):
    _, raw = _key(buyer_org, admin, ["orders:write"])
    other = OrganizationFactory(kind=Organization.Kind.BUYER)
    member(other, Role.OWNER, email=admin.email.replace("@", "+other@"))
    response = _post(client, raw, {"subject": "mine"})
    assert response.status_code == 201
    with scopes_disabled():
        assert Notification.objects.get(subject="mine").organization == buyer_org


def test_the_same_key_and_body_replays_the_stored_response(client, buyer_org, admin):
    _, raw = _key(buyer_org, admin, ["orders:write"])
    first = _post(client, raw, {"subject": "PO 1"}, idempotency_key="po-1")
    again = _post(client, raw, {"subject": "PO 1"}, idempotency_key="po-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    with scopes_disabled():
        assert Notification.objects.filter(subject="PO 1").count() == 1


def test_the_same_key_with_another_body_is_422(client, buyer_org, admin):
    _, raw = _key(buyer_org, admin, ["orders:write"])
    _post(client, raw, {"subject": "PO 1"}, idempotency_key="po-1")
    response = _post(client, raw, {"subject": "PO 2"}, idempotency_key="po-1")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    with scopes_disabled():
        assert Notification.objects.count() == 1


def test_a_server_error_is_not_stored_and_its_writes_are_rolled_back(client, buyer_org, admin):
    _, raw = _key(buyer_org, admin, ["orders:write"])
    assert _post(client, raw, {"fail": True}, idempotency_key="k").status_code == 503
    assert _post(client, raw, {"fail": True}, idempotency_key="k").status_code == 503
    with scopes_disabled():
        assert Notification.objects.count() == 0
        assert IdempotencyRecord.objects.count() == 0


def test_an_expired_or_never_completed_record_does_not_hold_its_key(client, buyer_org, admin):
    """Past the retention window a key is new again; so is one whose record was left without an
    answer (how records were kept before they committed with their request's work)."""
    _, raw = _key(buyer_org, admin, ["orders:write"])
    assert _post(client, raw, {"subject": "old"}, idempotency_key="old").status_code == 201
    with scopes_disabled():
        IdempotencyRecord.objects.filter(key="old").update(
            created_at=timezone.now() - timedelta(hours=49)
        )
    IdempotencyRecord.objects.create(
        organization=buyer_org, key="stuck", method="POST", path="/api/v1/notes/", request_hash=""
    )
    again = _post(client, raw, {"subject": "old"}, idempotency_key="old")
    unstuck = _post(client, raw, {"subject": "stuck"}, idempotency_key="stuck")
    assert (again.status_code, unstuck.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in again
    with scopes_disabled():
        assert Notification.objects.filter(subject="old").count() == 2
        assert Notification.objects.filter(subject="stuck").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_concurrent_duplicate_gets_409_and_only_one_row_is_written(buyer_org, admin, monkeypatch):
    from django.db import connection

    from tests.network import idempotency_urls

    _, raw = _key(buyer_org, admin, ["orders:write"])
    entered, release = threading.Event(), threading.Event()
    original = Notification.objects.create

    def slow_create(**kwargs):
        entered.set()
        release.wait(10)
        return original(**kwargs)

    monkeypatch.setattr(idempotency_urls.Notification.objects, "create", slow_create)
    results = {}

    def first():
        results["first"] = _post(Client(), raw, {"subject": "race"}, idempotency_key="race")
        connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert entered.wait(10)
    results["second"] = _post(Client(), raw, {"subject": "race"}, idempotency_key="race")
    release.set()
    thread.join(10)
    assert results["first"].status_code == 201
    assert results["second"].status_code == 409
    assert results["second"].json()["code"] == "idempotency_in_progress"
    assert results["second"]["Retry-After"] == "1"
    with scopes_disabled():
        assert Notification.objects.filter(subject="race").count() == 1


def test_requests_past_the_rate_get_429_with_retry_after(client, buyer_org, admin, settings):
    settings.API_KEY_RATE = "3/min"
    _, raw = _key(buyer_org, admin, ["orders:write"])
    codes = [_post(client, raw, {"subject": f"n{i}"}).status_code for i in range(4)]
    assert codes == [201, 201, 201, 429]
    response = _post(client, raw, {"subject": "late"})
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0


def test_validation_errors_share_one_shape(client, buyer_org, admin):
    _, raw = _key(buyer_org, admin, ["orders:write"])
    response = client.post(
        "/api/v1/notes/",
        "not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"code", "message", "fields"}


@pytest.mark.urls("network.urls")
def test_keys_are_managed_in_the_ui_and_shown_once(client, buyer_org, admin):
    client.force_login(admin)
    response = client.post(
        reverse("integrations"),
        {"name": "Stock sync", "scopes": ["orders:read", "catalog:read"]},
        follow=True,
    )
    page = response.content.decode()
    assert "Copy it now" in page
    raw = page.split('<pre class="secret" tabindex="0">')[1].split("</pre>")[0]
    assert raw.startswith("gumn_")
    assert raw not in client.get(reverse("integrations")).content.decode()  # shown once
    outsider = member(OrganizationFactory(kind=Organization.Kind.BUYER), Role.OWNER)
    with scopes_disabled():
        api_key = ApiKey.objects.get()
    client.force_login(outsider)
    assert client.post(reverse("api_key_revoke", args=[api_key.pk])).status_code == 404
    viewer = member(buyer_org, Role.VIEWER)
    client.force_login(viewer)
    assert client.get(reverse("integrations")).status_code == 403
