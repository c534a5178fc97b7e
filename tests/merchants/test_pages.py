"""The application form step by step, the operators' queue and review page."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from merchants.models import ApplicationStatus as S
from merchants.models import MerchantApplication
from network.models import Role
from tests.factories import OrganizationFactory, member, sign_in
from tests.merchants.conftest import COMPLETE, jpeg_upload, make_application, pdf_upload, png_upload

pytestmark = pytest.mark.django_db


def test_a_merchant_applies_step_by_step_and_submits(
    client, merchant_org, merchant_owner, django_capture_on_commit_callbacks
):
    client.force_login(merchant_owner)
    assert "Start your application" in client.get(reverse("home")).content.decode()

    steps = {
        "company": {
            k: COMPLETE[k]
            for k in [
                "legal_name",
                "dba",
                "ein",
                "state_of_incorporation",
                "address_line1",
                "city",
                "state",
                "postal_code",
                "website",
            ]
        },
        "contact": {"contact_name": "Mark Maple", "contact_phone": "(313) 555-0100"},
        "business": {
            "year_founded": "1987",
            "employee_band": "10-49",
            "revenue_band": "1-10m",
            "categories": ["food", "health"],
            "export_experience": "some",
        },
        "fulfilment": {"fulfilment": "own"},
    }
    for step, data in steps.items():
        response = client.post(reverse("merchants:application_step", args=[step]), data)
        assert response.status_code == 302, response.content.decode()[:2000]
    client.post(
        reverse("merchants:brand_add"),
        {"name": "Great Lakes", "relationship": "owner", "trademark_number": "5123456"},
    )
    for kind, upload in [
        ("registration", pdf_upload()),
        ("w9", jpeg_upload()),
        ("insurance", png_upload()),
    ]:
        client.post(reverse("merchants:document_upload"), {"kind": kind, "file": upload})
    review = client.get(reverse("merchants:application_step", args=["review"])).content.decode()
    assert "Everything is in place." in review
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("merchants:application_submit"), follow=True)
    assert "Your application is submitted" in response.content.decode()
    with scopes_disabled():
        application = MerchantApplication.objects.get(organization=merchant_org)
        assert application.documents.count() == 3
    assert application.status == S.SUBMITTED
    assert str(application.contact_phone) == "+13135550100"
    assert application.categories == ["food", "health"]


def test_a_bad_step_shows_each_error_next_to_its_field(client, merchant_org, merchant_owner):
    client.force_login(merchant_owner)
    response = client.post(
        reverse("merchants:application_step", args=["company"]),
        {
            "ein": "123456789",
            "state_of_incorporation": "ZZ",
            "postal_code": "ABCDE",
            "website": "not a url",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Enter the EIN as NN-NNNNNNN" in page
    assert "Select a valid choice. ZZ is not one of the available choices." in page
    assert "Enter a zip code in the format XXXXX or XXXXX-XXXX." in page
    assert "Enter a valid URL." in page
    response = client.post(
        reverse("merchants:application_step", args=["contact"]), {"contact_phone": "12"}
    )
    assert "Enter a valid phone number" in response.content.decode()


def test_the_queue_filters_and_highlights_overdue_reviews(client, operator):
    now = timezone.now()
    old = make_application(
        OrganizationFactory(name="Old Co"),
        status=S.SUBMITTED,
        legal_name="Old Co LLC",
        submitted_at=now - timedelta(days=5),
        state_of_incorporation="OH",
        categories=["tools"],
    )
    fresh = make_application(
        OrganizationFactory(name="Fresh Co"),
        status=S.SUBMITTED,
        legal_name="Fresh Co LLC",
        submitted_at=now - timedelta(hours=2),
        state_of_incorporation="MI",
        categories=["food"],
    )
    make_application(
        OrganizationFactory(name="Done Co"),
        status=S.APPROVED,
        legal_name="Done Co LLC",
        submitted_at=now - timedelta(days=9),
    )
    sign_in(client, operator)
    page = client.get(reverse("merchants:review_queue")).content.decode()
    assert page.index("Old Co LLC") < page.index("Fresh Co LLC")  # oldest first
    assert "Done Co LLC" not in page
    assert page.count("over target") == 1
    page = client.get(reverse("merchants:review_queue"), {"state": "MI"}).content.decode()
    assert "Fresh Co LLC" in page and "Old Co LLC" not in page
    page = client.get(reverse("merchants:review_queue"), {"category": "tools"}).content.decode()
    assert "Old Co LLC" in page and "Fresh Co LLC" not in page
    page = client.get(reverse("merchants:review_queue"), {"older_than": "3"}).content.decode()
    assert "Old Co LLC" in page and "Fresh Co LLC" not in page
    page = client.get(reverse("merchants:review_queue"), {"status": "approved"}).content.decode()
    assert "Done Co LLC" in page and "Old Co LLC" not in page
    assert old.pk != fresh.pk


def test_the_queue_runs_a_fixed_number_of_queries(client, operator, django_assert_num_queries):
    for n in range(3):
        make_application(
            OrganizationFactory(name=f"Co {n}"), status=S.SUBMITTED, submitted_at=timezone.now()
        )
    sign_in(client, operator)
    client.get(reverse("merchants:review_queue"))  # warm the session and content types

    def count_queries():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("merchants:review_queue"))
        return len(captured)

    few = count_queries()
    for n in range(3, 12):
        make_application(
            OrganizationFactory(name=f"Co {n}"), status=S.SUBMITTED, submitted_at=timezone.now()
        )
    # session, user, memberships, MFA check, count, page of applications (+ reviewer join),
    # status counts: the same whatever the number of rows.
    with django_assert_num_queries(few):
        client.get(reverse("merchants:review_queue"))


def test_an_operator_reviews_on_the_page_and_the_applicant_sees_the_outcome(
    client, merchant_org, merchant_owner, operator
):
    application = make_application(merchant_org, status=S.SUBMITTED)
    sign_in(client, operator)
    url = reverse("merchants:review", args=[application.pk])
    page = client.get(url).content.decode()
    assert "<iframe" in page and "<img" in page  # documents inline
    client.post(reverse("merchants:review_action", args=[application.pk, "start"]))
    response = client.post(
        reverse("merchants:review_action", args=[application.pk, "approve"]), follow=True
    )
    assert "Complete every item of the checklist before approving." in response.content.decode()
    client.post(
        reverse("merchants:review_action", args=[application.pk, "note"]),
        {"body": "Called the company; EIN matches the W-9."},
    )
    client.post(
        reverse("merchants:review_action", args=[application.pk, "checklist"]),
        {c: "on" for c in MerchantApplication.CHECKLIST},
    )
    response = client.post(
        reverse("merchants:review_action", args=[application.pk, "approve"]), follow=True
    )
    assert "is approved." in response.content.decode()
    assert "Called the company" in response.content.decode()

    client.force_login(merchant_owner)
    page = client.get(reverse("home")).content.decode()
    assert "You are a verified merchant of the network." in page
    # Internal notes are never shown to the applicant.
    assert "Called the company" not in client.get(reverse("merchants:application")).content.decode()


def test_request_changes_needs_a_reason_which_the_applicant_sees(
    client, merchant_org, merchant_owner, operator
):
    application = make_application(merchant_org, status=S.IN_REVIEW)
    sign_in(client, operator)
    response = client.post(
        reverse("merchants:review_action", args=[application.pk, "request_changes"]), {"reason": ""}
    )
    assert response.status_code == 400
    assert "Give the applicant a reason." in response.content.decode()
    client.post(
        reverse("merchants:review_action", args=[application.pk, "request_changes"]),
        {"reason": "Upload a signed W-9."},
    )
    client.force_login(merchant_owner)
    page = client.get(reverse("merchants:application")).content.decode()
    assert "Upload a signed W-9." in page
    assert "Changes requested" in page


def test_merchant_staff_cannot_open_the_review_pages(client, merchant_org):
    application = make_application(merchant_org, status=S.SUBMITTED)
    staff = member(merchant_org, Role.STAFF)
    client.force_login(staff)
    assert client.get(reverse("merchants:review", args=[application.pk])).status_code == 403
    response = client.post(reverse("merchants:review_action", args=[application.pk, "start"]))
    assert response.status_code == 403


def test_the_fulfilment_step_offers_only_real_choices(client, merchant_org, merchant_owner):
    client.force_login(merchant_owner)
    url = reverse("merchants:application_step", args=["fulfilment"])
    page = client.get(url).content.decode()
    radios = re.findall(r'<input type="radio" name="fulfilment" value="([^"]*)"[^>]*>', page)
    assert radios == ["own", "3pl"]
    assert "---------" not in page and "checked" not in page
    client.post(url, {"fulfilment": "3pl", "fulfilment_address": "Reno, NV"})
    page = client.get(url).content.decode()
    assert re.search(r'value="3pl"[^>]*checked', page)
