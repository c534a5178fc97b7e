"""The operators' review: the review page runs a fixed number of statements whatever the
application holds; the applicant's notices of a decision are written by a task sent once the
decision commits (and a second run of it notifies nobody twice); only a move into or out of
approval renews the catalogue's cached pages."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from merchants import services
from merchants.models import ApplicationStatus as S
from merchants.models import BrandClaim, ReviewNote
from merchants.services.applications import operators_notify
from merchants.services.state import applicant_notify
from network.cache import public_listings_version
from network.models import Notification, Role
from tests.factories import member, sign_in
from tests.merchants.conftest import make_application, pdf_upload

pytestmark = pytest.mark.django_db

# The review page as an operator: the session, the person, their memberships and whether they
# have a second factor (the middleware); the application with its organisation and reviewer;
# its audit trail; its brand claims; its documents (what is missing is read from these two);
# the operators' notes with their authors.
REVIEW_PAGE_QUERIES = 9


def _grow(application, operator, n: int) -> None:
    """``n`` more brand claims, documents and notes on the application."""
    from merchants.models import MerchantDocument

    with scopes_disabled():
        for i in range(n):
            BrandClaim.objects.create(
                application=application,
                name=f"Brand {i}",
                relationship="owner",
                trademark_number=f"55{i:05d}",
            )
            document = MerchantDocument(
                application=application,
                kind="other",
                original_name=f"extra-{i}.pdf",
                content_type="application/pdf",
                size=10,
                sha256="0" * 64,
            )
            document.file.save("upload", pdf_upload(f"extra-{i}.pdf"), save=False)
            document.save()
            ReviewNote.objects.create(application=application, author=operator, body=f"Note {i}")


def test_the_review_page_runs_the_same_statements_whatever_the_application_holds(
    client, merchant_org, operator, django_assert_num_queries
):
    application = make_application(merchant_org, status=S.IN_REVIEW)
    sign_in(client, operator)
    url = reverse("merchants:review", args=[application.pk])
    client.get(url)  # the header's counts are cached per person after the first page
    with django_assert_num_queries(REVIEW_PAGE_QUERIES):
        page = client.get(url)
    assert "Great Lakes" in page.content.decode()
    _grow(application, operator, 4)
    with django_assert_num_queries(REVIEW_PAGE_QUERIES):
        page = client.get(url).content.decode()
    assert "Brand 3" in page and "Note 3" in page and "extra-3.pdf" in page


def test_what_is_missing_reads_the_same_from_the_lists_the_page_shows(merchant_org):
    application = make_application(merchant_org, with_documents=False)
    with scopes_disabled():
        BrandClaim.objects.create(application=application, name="Lakes", relationship="owner")
        documents, brands = list(application.documents.all()), list(application.brands.all())
    read = services.application_missing(application)
    assert services.application_missing(application, documents=documents, brands=brands) == read
    assert "a trademark registration number for each brand you own" in read
    assert any("W-9" in item for item in read)


def test_an_approval_notifies_the_owners_and_admins_once_it_commits(
    merchant_org, merchant_owner, operator, django_capture_on_commit_callbacks
):
    admin = member(merchant_org, Role.ADMIN, email="admin@maple.example")
    member(merchant_org, Role.STAFF, email="staff@maple.example")
    application = make_application(merchant_org, status=S.IN_REVIEW)
    services.application_update_checklist(
        application=application,
        checks=dict.fromkeys(application.CHECKLIST, True),
        acting_user=operator,
    )
    with django_capture_on_commit_callbacks(execute=False) as pending:
        services.application_approve(application=application, acting_user=operator)
    # Nothing is written for the applicant before the decision commits.
    assert (
        not Notification.objects.visible_to(merchant_org)
        .filter(kind="merchant_application.approved")
        .exists()
    )
    for callback in pending:
        with django_capture_on_commit_callbacks(execute=True):
            callback()
    told = Notification.objects.visible_to(merchant_org).filter(
        kind="merchant_application.approved"
    )
    assert {n.recipient for n in told} == {merchant_owner, admin}
    assert sorted(message.to[0] for message in mail.outbox) == [
        "admin@maple.example",
        "owner@maple.example",
    ]


def test_the_applicants_notice_is_not_written_twice_when_its_task_runs_again(
    merchant_org, merchant_owner, django_capture_on_commit_callbacks
):
    since = timezone.now().isoformat()
    arguments = (merchant_org.pk, "changes_requested", "Sign the W-9.", since)
    with django_capture_on_commit_callbacks(execute=True):
        assert applicant_notify.apply(args=arguments).get() == 1
        assert applicant_notify.apply(args=arguments).get() == 0
    told = Notification.objects.visible_to(merchant_org).get(
        kind="merchant_application.changes_requested"
    )
    assert told.recipient == merchant_owner
    assert "Sign the W-9." in told.body
    assert len(mail.outbox) == 1


def test_the_operators_are_told_of_a_submission_once_it_commits_and_only_once(
    merchant_org, merchant_owner, operator, operator_org, django_capture_on_commit_callbacks
):
    second = member(operator_org, Role.STAFF, email="second@network.example")
    application = make_application(merchant_org)
    with django_capture_on_commit_callbacks(execute=False) as pending:
        application = services.application_submit(
            application=application, acting_user=merchant_owner
        )
    # The submission writes no operator's notice itself: a task does, once it commits.
    submitted = Notification.objects.visible_to(operator_org).filter(
        kind="merchant_application.submitted"
    )
    assert not submitted.exists()
    for callback in pending:
        with django_capture_on_commit_callbacks(execute=True):
            callback()
    assert {n.recipient for n in submitted} == {operator, second}
    assert all(n.link.endswith(f"/merchants/review/{application.pk}/") for n in submitted)
    operator_mail = [m for m in mail.outbox if m.to[0] != "owner@maple.example"]
    assert sorted(m.to[0] for m in operator_mail) == [
        "reviewer@network.example",
        "second@network.example",
    ]
    # Run again (a redelivered message), the task tells nobody twice.
    arguments = (merchant_org.pk, application.pk, application.submitted_at.isoformat())
    with django_capture_on_commit_callbacks(execute=True):
        assert operators_notify.apply(args=arguments).get() == 0
    assert submitted.count() == 2


def test_only_a_move_into_or_out_of_approval_renews_the_catalogues_cached_pages(
    merchant_org, operator
):
    application = make_application(merchant_org, status=S.SUBMITTED)
    version = public_listings_version()
    services.application_start_review(application=application, acting_user=operator)
    services.application_update_checklist(
        application=application,
        checks=dict.fromkeys(application.CHECKLIST, True),
        acting_user=operator,
    )
    assert public_listings_version() == version
    services.application_approve(application=application, acting_user=operator)
    assert public_listings_version() != version
