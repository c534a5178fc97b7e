"""Notifications are mailed by a task after commit, once, in the recipient's language."""

import pytest
from django.core import mail

from network.models import Notification
from network.services import notification_send
from network.tasks import notification_deliver
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_nothing_is_mailed_before_the_transaction_commits(django_capture_on_commit_callbacks):
    person = UserFactory(email="wang@example.com")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification_send(
            email=person.email,
            recipient=person,
            kind="test",
            template="network/email/account",
            context={"subject": "Hello", "body": "Body text"},
        )
    assert mail.outbox == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert [m.subject for m in mail.outbox] == ["Hello"]


def test_running_the_delivery_task_twice_mails_once():
    notification = Notification.objects.create(
        email="chen@example.com", kind="test", subject="Order placed", body="PO-1"
    )
    assert notification_deliver.apply(args=[notification.pk]).get() is True
    assert notification_deliver.apply(args=[notification.pk]).get() is False
    assert len(mail.outbox) == 1
    notification.refresh_from_db()
    assert notification.sent_at is not None


def test_a_notification_for_a_deleted_row_is_skipped():
    assert notification_deliver.apply(args=[999_999]).get() is False
    assert mail.outbox == []


def test_an_organisations_notification_is_mailed_inside_its_scope():
    organization = OrganizationFactory(name="Great Lakes Maple Co.")
    notification = Notification.objects.create(
        email="dana@maple.example",
        organization=organization,
        kind="test",
        subject="Booking confirmed",
        body="GN1",
    )
    assert notification_deliver.apply(args=[notification.pk]).get() is True
    assert [m.subject for m in mail.outbox] == ["Booking confirmed"]
    assert notification_deliver.apply(args=[notification.pk]).get() is False
    assert len(mail.outbox) == 1
