"""A person's notifications about one organisation's business are mailed together: a burst is
one mail listing each, in the person's language; every notification stays on the site. Two
people, or two organisations, are never mixed in one mail; account mail is never held back."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from network.models import Notification
from network.services import notification_send
from network.services.notifications import _mail_batch_key
from network.tasks import notification_mail_batch, notification_mail_redrive
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def _notify(person, organization, subject: str, *, attachment: bytes = b""):
    return notification_send(
        email=person.email,
        recipient=person,
        organization=organization,
        kind="test",
        template="network/email/account",
        context={"subject": subject, "body": f"{subject}: the details.\n"},
        attachments=[(f"{subject}.ics", attachment, "text/calendar")] if attachment else None,
    )


def test_a_burst_to_one_person_is_one_mail_listing_each_notification(
    django_capture_on_commit_callbacks,
):
    maple = OrganizationFactory(name="Great Lakes Maple Co.")
    dana = UserFactory(email="dana@maple.example")
    subjects = [f"New order PO-{n}" for n in range(1, 6)]
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for subject in subjects:
            _notify(dana, maple, subject)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["dana@maple.example"]
    assert message.subject == "5 notifications about Great Lakes Maple Co."
    for n, subject in enumerate(subjects, start=1):
        assert f"{n}. {subject}\n\n{subject}: the details." in message.body
    assert f"{settings.SITE_URL}/account/notifications/" in message.body
    # Each is still on the site, and marked mailed.
    notifications = Notification.objects.addressed_to(dana)
    assert sorted(notifications.values_list("subject", flat=True)) == sorted(subjects)
    assert not notifications.filter(sent_at__isnull=True).exists()


def test_two_people_get_one_mail_each_with_only_their_own_notifications(
    django_capture_on_commit_callbacks,
):
    maple = OrganizationFactory(name="Great Lakes Maple Co.")
    dana, eli = UserFactory(email="dana@maple.example"), UserFactory(email="eli@maple.example")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for n in range(3):
            _notify(dana, maple, f"For Dana {n}")
            _notify(eli, maple, f"For Eli {n}")

    by_address = {message.to[0]: message for message in mail.outbox}
    assert len(mail.outbox) == 2 and set(by_address) == {"dana@maple.example", "eli@maple.example"}
    assert "For Dana 2" in by_address["dana@maple.example"].body
    assert "For Eli" not in by_address["dana@maple.example"].body
    assert "For Dana" not in by_address["eli@maple.example"].body


def test_one_persons_notifications_about_two_organisations_are_two_mails(
    django_capture_on_commit_callbacks,
):
    maple, cheese = OrganizationFactory(name="Maple Co."), OrganizationFactory(name="Cheese Co.")
    dana = UserFactory(email="dana@example.com")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        _notify(dana, maple, "Maple order 1")
        _notify(dana, maple, "Maple order 2")
        _notify(dana, cheese, "Cheese order")

    assert sorted(message.subject for message in mail.outbox) == [
        "2 notifications about Maple Co.",
        "Cheese order",  # one alone is mailed as it was written
    ]
    assert "Cheese" not in next(m.body for m in mail.outbox if m.subject.startswith("2 "))


def test_the_mail_listing_them_speaks_the_persons_language(django_capture_on_commit_callbacks):
    store = OrganizationFactory(name="杭州优选贸易")
    wang = UserFactory(email="wang@store.example", language="zh-hans")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        _notify(wang, store, "订单已发货")
        _notify(wang, store, "订单已到港")

    (message,) = mail.outbox
    assert message.subject == "关于杭州优选贸易的 2 条通知"
    assert message.body.startswith("自上次邮件以来关于杭州优选贸易的 2 条通知：")
    assert "每条通知也都在网站上：" in message.body


def test_a_calendar_invite_is_mailed_on_its_own_beside_the_listing(
    django_capture_on_commit_callbacks,
):
    academy = OrganizationFactory(name="Detroit Seminars")
    dana = UserFactory(email="dana@example.com")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        _notify(dana, academy, "Seat confirmed", attachment=b"BEGIN:VCALENDAR")
        _notify(dana, academy, "Reading list")
        _notify(dana, academy, "Parking")

    by_subject = {message.subject: message for message in mail.outbox}
    assert sorted(by_subject) == ["2 notifications about Detroit Seminars", "Seat confirmed"]
    assert [name for name, _c, _t in by_subject["Seat confirmed"].attachments] == [
        "Seat confirmed.ics"
    ]
    assert "Seat confirmed" not in by_subject["2 notifications about Detroit Seminars"].body


def test_while_a_batch_is_pending_new_notifications_wait_for_it(
    django_capture_on_commit_callbacks,
):
    maple = OrganizationFactory(name="Maple Co.")
    dana = UserFactory(email="dana@maple.example")
    cache.add(_mail_batch_key(dana.pk, maple.pk), 1)  # the task of an earlier one is due soon
    with django_capture_on_commit_callbacks(execute=True):
        _notify(dana, maple, "Order 1")
    with django_capture_on_commit_callbacks(execute=True):
        _notify(dana, maple, "Order 2")
    assert mail.outbox == []

    assert notification_mail_batch.apply(args=[dana.pk, maple.pk]).get() == 2
    assert [message.subject for message in mail.outbox] == ["2 notifications about Maple Co."]
    # Run again (a redelivered message): nothing more is mailed.
    assert notification_mail_batch.apply(args=[dana.pk, maple.pk]).get() == 0
    assert len(mail.outbox) == 1
    # The batch is over: the next notification is mailed by a batch of its own.
    with django_capture_on_commit_callbacks(execute=True):
        _notify(dana, maple, "Order 3")
    assert [message.subject for message in mail.outbox][1:] == ["Order 3"]


def test_account_mail_is_never_held_back(django_capture_on_commit_callbacks):
    dana = UserFactory(email="dana@example.com")
    maple = OrganizationFactory(name="Maple Co.")
    cache.add(_mail_batch_key(dana.pk, maple.pk), 1)
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(
            email=dana.email,
            recipient=dana,
            kind="test",
            template="network/email/account",
            context={"subject": "Confirm your address", "body": "Follow the link."},
        )
    assert [message.subject for message in mail.outbox] == ["Confirm your address"]


def test_the_redrive_mails_what_a_lost_batch_left_unsent():
    maple = OrganizationFactory(name="Maple Co.")
    dana = UserFactory(email="dana@maple.example")
    long_ago = timezone.now() - timedelta(hours=1)
    for n in range(2):
        Notification.objects.create(
            recipient=dana,
            organization=maple,
            email=dana.email,
            kind="test",
            subject=f"Order {n}",
            body="…",
            created_at=long_ago,
        )
    Notification.objects.create(  # still within its window: its batch is due later
        recipient=dana, organization=maple, email=dana.email, kind="test", subject="Now", body="…"
    )

    assert notification_mail_redrive.apply().get() == 2
    # The batch mails everything unsent of that person and organisation, the recent one too.
    assert [message.subject for message in mail.outbox] == ["3 notifications about Maple Co."]


def test_with_no_window_each_notification_is_mailed_on_its_own(
    settings, django_capture_on_commit_callbacks
):
    settings.NOTIFICATION_MAIL_WINDOW_SECONDS = 0
    maple = OrganizationFactory(name="Maple Co.")
    dana = UserFactory(email="dana@maple.example")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        _notify(dana, maple, "Order 1")
        _notify(dana, maple, "Order 2")
    assert [message.subject for message in mail.outbox] == ["Order 1", "Order 2"]
