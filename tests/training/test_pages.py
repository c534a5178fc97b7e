"""The pages: the public calendar, the seminar page, my registrations, and the operators'
management, attendee list and CSV export. List pages pin their query counts."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from network.models import Organization, Role
from tests.factories import OrganizationFactory, member, sign_in
from tests.training.factories import OnlineSeminarFactory, SeminarFactory, attendee, operator
from training import services
from training.models import Seminar

pytestmark = pytest.mark.django_db


def test_the_calendar_lists_upcoming_and_past_seminars_to_anyone(client):
    SeminarFactory(title="Detroit: shipping to China")
    OnlineSeminarFactory(title="淘宝全球购买家入门", language="zh-hans")
    SeminarFactory(
        title="Last spring's customs clinic",
        start_at=timezone.now() - timedelta(days=60),
        end_at=timezone.now() - timedelta(days=60) + timedelta(hours=3),
    )
    SeminarFactory(title="Unannounced", status=Seminar.Status.DRAFT)

    upcoming = client.get(reverse("training:seminar_list")).content.decode()
    assert "Detroit: shipping to China" in upcoming
    assert "淘宝全球购买家入门" in upcoming
    assert "Last spring" not in upcoming and "Unannounced" not in upcoming
    assert "120 seats left" in upcoming

    past = client.get(reverse("training:seminar_list"), {"when": "past"}).content.decode()
    assert "Last spring&#x27;s customs clinic" in past
    assert "Detroit: shipping to China" not in past

    chinese = client.get(reverse("training:seminar_list"), {"language": "zh-hans"}).content.decode()
    assert "淘宝全球购买家入门" in chinese and "Detroit: shipping" not in chinese


def test_the_calendar_query_count_does_not_grow_with_seminars(client, django_assert_num_queries):
    SeminarFactory.create_batch(3)
    # 1: the published upcoming seminars (anonymous: no session, no user, no memberships)
    with django_assert_num_queries(1):
        client.get(reverse("training:seminar_list"))
    SeminarFactory.create_batch(7)
    with django_assert_num_queries(1):
        client.get(reverse("training:seminar_list"))


def test_the_seminar_page_shows_seats_left_and_registers(client):
    seminar = SeminarFactory(capacity=2)
    user, _org = attendee()
    client.force_login(user)
    page = client.get(reverse("training:seminar_detail", args=[seminar.slug])).content.decode()
    assert "2 seats left" in page
    assert "Huntington Place" in page
    assert "09:00" in page and "Ocean freight basics" in page

    response = client.post(reverse("training:seminar_register", args=[seminar.slug]), follow=True)
    content = response.content.decode()
    assert "You have a seat." in content
    assert "Add to calendar (.ics)" in content
    assert "Check-in QR code" in content
    page = client.get(reverse("training:seminar_detail", args=[seminar.slug])).content.decode()
    assert "1 seat left" in page


def test_an_online_seminar_shows_how_to_join_and_no_entrance_code(client):
    seminar = OnlineSeminarFactory()
    user, _organization = attendee()
    client.force_login(user)
    response = client.post(reverse("training:seminar_register", args=[seminar.slug]), follow=True)
    page = response.content.decode()
    assert "You have a seat." in page and "How to join" in page
    assert f'href="{seminar.join_url}"' in page and "Join the online seminar" in page
    assert "Show this code at the entrance" not in page and "Check-in QR code" not in page
    with scopes_disabled():
        registration = seminar.registrations.get()
    assert registration.checkin_token not in page
    qr = reverse("training:registration_qr", args=[registration.pk])
    assert client.get(qr).status_code == 404
    # An operator looking at it sees how the registrant joins, and no code either.
    sign_in(client, operator())
    page = client.get(
        reverse("training:registration_detail", args=[registration.pk])
    ).content.decode()
    assert "How to join" in page and seminar.join_url not in page
    assert "Show this code at the entrance" not in page


def test_a_full_seminar_offers_the_waitlist(client):
    seminar = SeminarFactory(capacity=1)
    first, org = attendee()
    services.registration_create(seminar=seminar, organization=org, acting_user=first)
    client.force_login(member(org, Role.STAFF))
    page = client.get(reverse("training:seminar_detail", args=[seminar.slug])).content.decode()
    assert "Join the waitlist" in page
    response = client.post(reverse("training:seminar_register", args=[seminar.slug]), follow=True)
    assert "you are number 1 on the waitlist" in response.content.decode()


def test_viewers_and_operators_are_not_offered_registration(client):
    seminar = SeminarFactory()
    viewer = member(OrganizationFactory(kind=Organization.Kind.MERCHANT), Role.VIEWER)
    client.force_login(viewer)
    page = client.get(reverse("training:seminar_detail", args=[seminar.slug])).content.decode()
    assert ">Register<" not in page
    assert client.post(reverse("training:seminar_register", args=[seminar.slug])).status_code == 403


def test_my_registrations_query_count_does_not_grow(client, django_assert_num_queries):
    user, org = attendee()
    for seminar in SeminarFactory.create_batch(2):
        services.registration_create(seminar=seminar, organization=org, acting_user=user)
    client.force_login(user)
    client.get(reverse("training:my_registrations"))  # first visit: session and feed are saved
    # 1 session, 2 user, 3 memberships with organisations (middleware), 4 calendar feed,
    # 5 registrations with their seminars and waitlist places (a subquery, not a query per row)
    queries = 5
    with django_assert_num_queries(queries):
        page = client.get(reverse("training:my_registrations"))
    assert page.status_code == 200
    for seminar in SeminarFactory.create_batch(3):
        services.registration_create(seminar=seminar, organization=org, acting_user=user)
    with django_assert_num_queries(queries):
        client.get(reverse("training:my_registrations"))


def test_my_registrations_shows_only_my_own_to_a_non_admin(client):
    seminar = SeminarFactory()
    user, org = attendee()
    colleague = member(org, Role.STAFF, email="colleague@maple.example")
    services.registration_create(seminar=seminar, organization=org, acting_user=colleague)
    stranger, their_org = attendee(email="stranger@elsewhere.example")
    services.registration_create(seminar=seminar, organization=their_org, acting_user=stranger)
    client.force_login(user)
    page = client.get(reverse("training:my_registrations")).content.decode()
    assert "colleague@maple.example" not in page
    assert "stranger@elsewhere.example" not in page
    assert "/training/calendar/" in page


def test_an_operator_creates_edits_and_publishes_a_seminar(client):
    sign_in(client, operator())
    response = client.post(
        reverse("training:manage_create"),
        {
            "title": "Brand protection on Taobao Global",
            "topic": "brand_protection",
            "language": "en",
            "summary": "Trademarks, takedowns, authorisation letters.",
            "format": "online",
            "join_url": "https://meet.example.com/brand",
            "time_zone": "America/New_York",
            "start_at": "2031-03-04T10:00",
            "end_at": "2031-03-04T12:00",
            "capacity": "300",
            "speakers": "Priya Natarajan, brand counsel",
            "agenda": "10:00 Why copycats win\n11:00 Filing a takedown",
        },
    )
    assert response.status_code == 302
    seminar = Seminar.objects.get()
    assert seminar.status == "draft"
    # Typed as New York wall-clock time: 10:00 EST is 15:00 UTC.
    assert seminar.start_at.isoformat() == "2031-03-04T15:00:00+00:00"
    edit = client.get(reverse("training:manage_edit", args=[seminar.pk])).content.decode()
    assert 'value="2031-03-04T10:00"' in edit

    client.post(reverse("training:manage_publish", args=[seminar.pk]))
    seminar.refresh_from_db()
    assert seminar.status == "published"
    listing = client.get(reverse("training:seminar_list")).content.decode()
    assert listing.count(">Brand protection on Taobao Global</a>") == 1


def test_the_seminar_form_reports_missing_venue_next_to_the_fields(client):
    sign_in(client, operator())
    response = client.post(
        reverse("training:manage_create"),
        {
            "title": "Customs clinic",
            "topic": "customs",
            "language": "en",
            "format": "in_person",
            "time_zone": "America/Detroit",
            "start_at": "2031-03-04T10:00",
            "end_at": "2031-03-04T09:00",
            "capacity": "40",
        },
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "An in-person seminar needs a venue, address and city." in content
    assert "The seminar must end after it starts." in content
    assert not Seminar.objects.exists()


def test_operator_pages_are_for_operators_only(client):
    seminar = SeminarFactory()
    client.force_login(member(OrganizationFactory(kind=Organization.Kind.MERCHANT)))
    for name, args in [
        ("training:manage_list", []),
        ("training:manage_create", []),
        ("training:manage_edit", [seminar.pk]),
        ("training:manage_attendees", [seminar.pk]),
        ("training:manage_check_in", [seminar.pk]),
        ("training:manage_feedback", [seminar.pk]),
        ("training:manage_materials", [seminar.pk]),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 403, name


def test_the_attendee_list_and_its_csv_export(client, django_assert_num_queries):
    seminar = SeminarFactory(capacity=2)
    org = OrganizationFactory(name="Great Lakes Maple Co.")
    for n, name in enumerate(["Dana Whitfield", "王丽", "=cmd|' /C calc'!A0"]):
        user = member(org, Role.STAFF, full_name=name, email=f"p{n}@maple.example")
        services.registration_create(seminar=seminar, organization=org, acting_user=user)
    sign_in(client, operator())
    url = reverse("training:manage_attendees", args=[seminar.pk])
    page = client.get(url).content.decode()  # also the first visit, which saves the session
    assert "Dana Whitfield" in page and "王丽" in page

    # 1 session, 2 user, 3 memberships, 4 TOTP check (operator), 5 seminar, 6 registrations
    # with person, organisation and waitlist place
    with django_assert_num_queries(6):
        response = client.get(url, {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["arrival", "status", "waitlist_position", "name"]
    assert [(r[0], r[1], r[2], r[3]) for r in rows[1:]] == [
        ("1", "confirmed", "", "Dana Whitfield"),
        ("2", "confirmed", "", "王丽"),
        ("3", "waitlisted", "1", "'=cmd|' /C calc'!A0"),
    ]
    assert {r[5] for r in rows[1:]} == {"Great Lakes Maple Co."}


def test_the_management_list_query_count_does_not_grow(client, django_assert_num_queries):
    SeminarFactory.create_batch(2)
    sign_in(client, operator())
    client.get(reverse("training:manage_list"))  # first visit: the session is saved
    # 1 session, 2 user, 3 memberships, 4 TOTP check, 5 seminars with their counts
    with django_assert_num_queries(5):
        client.get(reverse("training:manage_list"))
    SeminarFactory.create_batch(4)
    with django_assert_num_queries(5):
        client.get(reverse("training:manage_list"))


def test_a_chinese_reader_sees_the_seminar_language_in_chinese(client):
    english = SeminarFactory(title="Detroit: shipping to China", language="en")
    OnlineSeminarFactory(title="淘宝全球购买家入门", language="zh-hans")
    reader, _org = attendee(language="zh-hans")
    client.force_login(reader)
    calendar = client.get(reverse("training:seminar_list")).content.decode()
    assert '<span class="badge">英语</span>' in calendar
    assert '<span class="badge">简体中文</span>' in calendar
    page = client.get(reverse("training:seminar_detail", args=[english.slug])).content.decode()
    assert "<dd>英语</dd>" in page
    assert ">English<" not in calendar + page
