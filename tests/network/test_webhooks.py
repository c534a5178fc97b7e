"""Signed webhooks: delivered after commit, retried with backoff, logged, redelivered, and an
endpoint that keeps failing is disabled and its owner told."""

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from network import services
from network.models import Organization, Role, WebhookDelivery, WebhookEndpoint
from network.tasks import webhook_retry_due
from tests.factories import OrganizationFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def merchant_org():
    return OrganizationFactory(name="Great Lakes Maple Co.")


@pytest.fixture
def owner(merchant_org):
    return member(merchant_org, Role.OWNER, email="owner@maple.example")


def _endpoint(organization, owner, url, events=("merchant_order.created",)):
    return services.webhook_endpoint_create(
        organization=organization, url=url, events=list(events), acting_user=owner
    )


def test_an_event_is_delivered_signed_after_commit(
    merchant_org, owner, receiver, django_capture_on_commit_callbacks
):
    endpoint = _endpoint(merchant_org, owner, receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_emit(
            organization=merchant_org,
            event="merchant_order.created",
            payload={"merchant_order": "MO-1001", "lines": 3},
        )
        assert receiver.requests == []  # nothing leaves before the transaction commits
    [request] = receiver.requests
    body = request["body"]
    signature = dict(
        part.split("=", 1) for part in request["headers"]["Network-Signature"].split(",")
    )
    expected = hmac.new(
        endpoint.secret.encode(), f"{signature['t']}.".encode() + body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(signature["v1"], expected)
    event = json.loads(body)
    assert event["type"] == "merchant_order.created"
    assert event["data"] == {"merchant_order": "MO-1001", "lines": 3}
    with scopes_disabled():
        delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.response_code, delivery.attempts) == ("delivered", 200, 1)


def test_only_subscribed_active_endpoints_of_the_organisation_get_the_event(
    merchant_org, owner, receiver, django_capture_on_commit_callbacks
):
    _endpoint(merchant_org, owner, receiver.url, events=["booking.confirmed"])
    other = OrganizationFactory()
    _endpoint(other, member(other, Role.OWNER), receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_emit(organization=merchant_org, event="merchant_order.created", payload={})
    assert receiver.requests == []


def test_a_failure_is_retried_with_backoff_until_it_succeeds(
    merchant_org, owner, receiver, django_capture_on_commit_callbacks
):
    _endpoint(merchant_org, owner, receiver.url)
    receiver.status = 500
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_emit(
            organization=merchant_org, event="merchant_order.created", payload={"n": 1}
        )
    with scopes_disabled():
        delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("pending", 1, 500)
    wait = delivery.next_attempt_at - delivery.last_attempt_at
    assert timedelta(seconds=29) < wait <= timedelta(seconds=31)
    assert webhook_retry_due.apply().get() == 0  # not due yet

    with scopes_disabled():
        WebhookDelivery.objects.update(next_attempt_at=timezone.now())
    assert webhook_retry_due.apply().get() == 1
    with scopes_disabled():
        delivery.refresh_from_db()
    assert delivery.attempts == 2
    second_wait = delivery.next_attempt_at - delivery.last_attempt_at
    assert timedelta(seconds=59) < second_wait <= timedelta(seconds=61)  # doubled

    receiver.status = 204
    with scopes_disabled():
        WebhookDelivery.objects.update(next_attempt_at=timezone.now())
    webhook_retry_due.apply()
    with scopes_disabled():
        delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 3)
    assert len(receiver.requests) == 3
    # A delivered event is never sent again.
    from network.tasks import webhook_deliver

    assert webhook_deliver.apply(args=[delivery.pk]).get() == "skipped"
    assert len(receiver.requests) == 3


def test_retries_stop_after_24_hours(
    merchant_org, owner, receiver, django_capture_on_commit_callbacks
):
    _endpoint(merchant_org, owner, receiver.url)
    receiver.status = 502
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_emit(organization=merchant_org, event="merchant_order.created", payload={})
    with scopes_disabled():
        WebhookDelivery.objects.update(
            created_at=timezone.now() - timedelta(hours=24), next_attempt_at=timezone.now()
        )
    webhook_retry_due.apply()
    with scopes_disabled():
        delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed"
    assert delivery.next_attempt_at is None


def test_an_endpoint_that_keeps_failing_is_disabled_and_its_owner_mailed(
    merchant_org, owner, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    endpoint = _endpoint(merchant_org, owner, receiver.url)
    receiver.status = 500
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(4):
            services.webhook_emit(
                organization=merchant_org, event="merchant_order.created", payload={"n": n}
            )
    with scopes_disabled():
        endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert endpoint.disabled_reason == "Disabled after 3 failed deliveries in a row."
    assert len(receiver.requests) == 3  # the fourth is not sent to a disabled endpoint
    assert any(
        "Webhook endpoint disabled" in m.subject and m.to == ["owner@maple.example"]
        for m in mail.outbox
    )


def test_the_log_shows_deliveries_and_redelivery_sends_again(
    client, merchant_org, owner, receiver, django_capture_on_commit_callbacks
):
    endpoint = _endpoint(merchant_org, owner, receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_emit(
            organization=merchant_org, event="merchant_order.created", payload={"n": 1}
        )
    client.force_login(owner)
    page = client.get(reverse("webhook_detail", args=[endpoint.pk])).content.decode()
    assert "merchant_order.created" in page and "Delivered" in page and endpoint.secret in page
    with scopes_disabled():
        delivery = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("webhook_redeliver", args=[delivery.pk]))
    assert len(receiver.requests) == 2
    first, second = (json.loads(r["body"])["id"] for r in receiver.requests)
    assert first == second  # the same event id, so receivers can drop duplicates


def test_outsiders_and_viewers_cannot_see_or_use_an_endpoint(client, merchant_org, owner, receiver):
    endpoint = _endpoint(merchant_org, owner, receiver.url)
    outsider = member(OrganizationFactory(kind=Organization.Kind.BUYER), Role.OWNER)
    client.force_login(outsider)
    assert client.get(reverse("webhook_detail", args=[endpoint.pk])).status_code == 404
    assert endpoint.secret not in client.get(reverse("webhooks")).content.decode()
    viewer = member(merchant_org, Role.VIEWER)
    client.force_login(viewer)
    assert client.get(reverse("webhook_detail", args=[endpoint.pk])).status_code == 403


def test_only_http_and_https_endpoints_are_accepted(merchant_org, owner):
    with pytest.raises(services.WebhookUrlRefused) as refusal:
        _endpoint(merchant_org, owner, "ftp://example.com/hooks")
    assert refusal.value.code == "url_scheme_not_allowed"
    with scopes_disabled():
        assert WebhookEndpoint.objects.count() == 0


def test_the_page_rotates_the_signing_secret(client, merchant_org, owner, receiver):
    endpoint = _endpoint(merchant_org, owner, receiver.url)
    client.force_login(owner)
    response = client.post(
        reverse("webhook_detail", args=[endpoint.pk]), {"action": "rotate_secret"}, follow=True
    )
    with scopes_disabled():
        endpoint_now = WebhookEndpoint.objects.get(pk=endpoint.pk)
    assert endpoint_now.secret != endpoint.secret
    page = response.content.decode()
    assert endpoint_now.secret in page and endpoint.secret not in page
    assert "New signing secret made" in page
