"""Demo seminars: the Detroit seminar (120 seats), three online webinars (one in Chinese for
buyers), and a past seminar with attendance, certificates and feedback.

Each seminar is keyed by its slug and filled only when it is first created, so a second run
changes nothing. ``seed()`` runs only inside the ``seed_demo`` command, which seeds every app's
demo with the guard off, so the rows of many organisations are written and counted here."""

from __future__ import annotations

import random
import zoneinfo
from datetime import datetime, time, timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from merchants.selectors import merchant_application
from merchants.services import merchant_award_badge
from network.demo import DEMO_BUYER_SLUG, DEMO_MERCHANT_SLUG
from network.models import Membership, Organization, Role, User
from training.models import Feedback, Registration, Seminar, Topic

DETROIT_AGENDA = """08:30 Registration and coffee
09:00 Welcome: the Global US Merchants Network and the China opportunity
09:30 Cross-border e-commerce 101: bonded warehouses, direct mail and the positive list
10:30 Break
10:45 Ocean freight from the Great Lakes: Detroit, Chicago and the East Coast gateways
11:45 Booking container space without a forwarder's brokerage: TEU allocations in practice
12:30 Lunch with Taobao Global buyers
13:30 Customs and labelling: CIQ, Chinese back labels and HS codes that clear
14:30 Panel: three Michigan brands that sell to China
15:30 Break
15:45 Pricing for wholesale: MOQ, case packs and landed cost in CNY
16:30 Onboarding clinic: your merchant application, one to one
17:00 Close and networking"""

DETROIT_SPEAKERS = """Karen Liu, Director of Merchant Success, Global US Merchants Network
Tom Baranski, Trade Specialist, U.S. Commercial Service Detroit
Elena Petrova, Senior Key Account Manager, Maersk North America
Wei Zhang, Category Lead, Taobao Global (Hangzhou)
Mark Maple, Founder, Great Lakes Maple Co."""

BUYER_WEBINAR_AGENDA = """20:00 欢迎与平台介绍
20:10 如何筛选经过审核的美国商家
20:30 一张采购单向多位商家批量下单：起订量与整箱规格
20:50 美元报价与人民币预估、付款与物流时效
21:10 打假与品牌授权：如何举报可疑商品
21:25 问答"""

CUSTOMS_AGENDA = """11:00 Why shipments to China get held: the five most common reasons
11:15 HS codes, CIQ registration and the cross-border positive list
11:35 Chinese labelling for food, supplements and cosmetics
11:50 Q&A"""

BRAND_AGENDA = """14:00 Copycats and counterfeits on marketplaces: what the network polices
14:15 Registering your trademark in China before you ship
14:35 Authorisation letters for resellers and how buyers check them
14:50 Q&A"""

PAST_AGENDA = """09:00 Welcome
09:15 Incoterms for China: FOB, CIF and DDP in plain words
10:15 Reading a sailing schedule and a booking confirmation
11:15 Break
11:30 Packing for 40 days at sea: pallets, cartons and moisture
12:30 Lunch and close"""

FIRST_NAMES = [
    "Emily", "Jacob", "Olivia", "Michael", "Sophia", "Daniel", "Ava", "Matthew", "Isabella",
    "Ethan", "Mia", "Andrew", "Abigail", "Joshua", "Madison", "Ryan", "Chloe", "Tyler", "Grace",
    "Nathan", "Hannah", "Kevin", "Lauren", "Brandon", "Rachel", "Justin", "Megan", "Aaron",
]  # fmt: skip
LAST_NAMES = [
    "Kowalski", "Nguyen", "Johnson", "Okafor", "Schmidt", "Patel", "Garcia", "Murphy", "Haddad",
    "Novak", "Robinson", "Lindqvist", "Washington", "Moreno", "Fischer", "Brooks", "Yamamoto",
]  # fmt: skip
CHINESE_NAMES = [
    ("李娜", "Li Na"), ("王强", "Wang Qiang"), ("刘芳", "Liu Fang"), ("陈磊", "Chen Lei"),
    ("杨敏", "Yang Min"), ("赵静", "Zhao Jing"), ("黄伟", "Huang Wei"), ("周婷", "Zhou Ting"),
    ("吴昊", "Wu Hao"), ("徐丽", "Xu Li"), ("孙洋", "Sun Yang"), ("马超", "Ma Chao"),
    ("朱琳", "Zhu Lin"), ("胡斌", "Hu Bin"), ("郭敏", "Guo Min"), ("何静", "He Jing"),
]  # fmt: skip
COMMENTS = [
    (5, "The container booking walkthrough alone saved us a forwarder's fee on our next load."),
    (5, "Clear, practical, and the Incoterms cheat sheet is already on our warehouse wall."),
    (4, "Very useful. I'd like more time on moisture control for paper packaging."),
    (5, "讲解很清楚，终于明白了FOB和DDP的区别。"),
    (4, "Good speakers; the room was a bit cold."),
    (3, "Solid basics, but we already ship to Korea, so some of it was familiar."),
    (5, "Met two buyers at lunch. Worth the drive from Grand Rapids."),
    (4, "希望下次能有更多关于清关时效的案例。"),
    (5, ""),
    (4, ""),
]


def _at(days: int, local: time, tz: str) -> datetime:
    """``local`` o'clock in ``tz`` on the day ``days`` from today."""
    zone = zoneinfo.ZoneInfo(tz)
    day = timezone.now().astimezone(zone).date() + timedelta(days=days)
    return datetime.combine(day, local, tzinfo=zone)


def _people(count: int, *, kinds: tuple[str, ...], rng: random.Random, tag: str) -> list:
    """``count`` demo attendees (user, organisation), each a member of a demo organisation of
    one of ``kinds``; generated users cannot log in (no password)."""
    organizations = list(
        Organization.objects.filter(kind__in=kinds)
        .exclude(slug__in=[DEMO_MERCHANT_SLUG, DEMO_BUYER_SLUG])
        .order_by("slug")[:60]
    )
    unusable = make_password(None)
    people = []
    for n in range(count):
        organization = organizations[n % len(organizations)]
        if organization.kind == Organization.Kind.BUYER:
            chinese, latin = CHINESE_NAMES[(n * 5 + len(tag)) % len(CHINESE_NAMES)]
            name, language, zone = f"{chinese} {latin}", "zh-hans", "Asia/Shanghai"
            role = Role.BUYER
        else:
            first = FIRST_NAMES[(n * 7 + len(tag)) % len(FIRST_NAMES)]
            last = LAST_NAMES[(n * 3 + len(tag)) % len(LAST_NAMES)]
            name, language, zone, role = f"{first} {last}", "en", "America/Detroit", Role.STAFF
        email = f"{tag}.{n:03d}@{organization.slug[:30]}.example"
        user = User.objects.filter(email=email).first() or User.objects.create(
            email=email, full_name=name, language=language, time_zone=zone, password=unusable
        )
        Membership.objects.get_or_create(
            user=user, organization=organization, defaults={"role": role}
        )
        people.append((user, organization))
    rng.shuffle(people)
    return people


def _demo_login(email: str) -> tuple[User, Organization] | None:
    membership = (
        Membership.objects.select_related("user", "organization")
        .filter(user__email=email)
        .order_by("pk")
        .first()
    )
    return (membership.user, membership.organization) if membership else None


def _fill(
    seminar: Seminar,
    people: list,
    *,
    confirmed: int,
    registered_since: datetime,
    attended: int = 0,
) -> list[Registration]:
    """Register ``people`` in order: the first ``confirmed`` get seats, the rest wait. Seat
    counters are set to match, as the registration service would have left them."""
    registrations = []
    until = min(timezone.now(), seminar.start_at - timedelta(days=1))
    step = (until - registered_since) / (len(people) + 1)
    for arrival, (user, organization) in enumerate(people, start=1):
        at = registered_since + step * arrival
        seated = arrival <= confirmed
        registrations.append(
            Registration(
                seminar=seminar,
                organization=organization,
                user=user,
                arrival=arrival,
                status=Registration.Status.CONFIRMED if seated else Registration.Status.WAITLISTED,
                created_at=at,
                confirmed_at=at if seated else None,
                attended_at=seminar.start_at
                - timedelta(minutes=20)
                + timedelta(seconds=37 * arrival)
                if arrival <= attended
                else None,
            )
        )
    Registration.objects.bulk_create(registrations)
    Seminar.objects.filter(pk=seminar.pk).update(
        confirmed_count=min(confirmed, len(people)), arrival_counter=len(people)
    )
    return registrations


def _seminar(slug: str, **fields) -> tuple[Seminar, bool]:
    seminar = Seminar.objects.filter(slug=slug).first()
    if seminar is not None:
        return seminar, False
    seminar = Seminar(slug=slug, status=Seminar.Status.PUBLISHED, **fields)
    seminar.published_at = seminar.start_at - timedelta(days=60)
    seminar.created_at = seminar.published_at
    seminar.full_clean()
    seminar.save()
    return seminar, True


@transaction.atomic
def seed() -> dict[str, int]:
    rng = random.Random(2026)
    operator = User.objects.filter(email="operator@example.com").first()
    mark = _demo_login("merchant.owner@example.com")
    steve = _demo_login("merchant.staff@example.com")
    zhang = _demo_login("buyer@example.com")
    merchant_and_buyer = (Organization.Kind.MERCHANT, Organization.Kind.BUYER)

    detroit, created = _seminar(
        "detroit-shipping-to-china",
        title="From Michigan to Hangzhou: logistics and cross-border e-commerce",
        topic=Topic.CROSS_BORDER,
        language="en",
        summary=(
            "A full day for US merchants getting ready to sell wholesale to Taobao Global "
            "stores: how cross-border e-commerce works on the Chinese side, how to book "
            "container space from the Great Lakes without a forwarder's brokerage, and how to "
            "label and price so that goods clear customs and sell. Lunch with buyers from "
            "Hangzhou and Shanghai. Free of charge; seats are limited to 120."
        ),
        format=Seminar.Format.IN_PERSON,
        venue="Huntington Place, Room 320",
        address="1 Washington Blvd",
        city="Detroit, MI",
        time_zone="America/Detroit",
        start_at=_at(45, time(8, 30), "America/Detroit"),
        end_at=_at(45, time(17, 30), "America/Detroit"),
        capacity=120,
        seats_per_organization=4,
        registration_closes_at=_at(43, time(17, 0), "America/Detroit"),
        speakers=DETROIT_SPEAKERS,
        agenda=DETROIT_AGENDA,
        created_by=operator,
    )
    if created:
        crowd = _people(86, kinds=merchant_and_buyer, rng=rng, tag="detroit")
        if mark:
            crowd.insert(20, mark)
        _fill(detroit, crowd, confirmed=120, registered_since=timezone.now() - timedelta(days=30))

    buyers_webinar, created = _seminar(
        "taobao-global-buyers-webinar",
        title="淘宝全球购买家网络研讨会：从美国商家批量采购",
        topic=Topic.TAOBAO_GLOBAL,
        language="zh-hans",
        summary=(
            "面向淘宝全球购店铺的中文线上研讨会：如何在平台上找到经过审核的美国商家，"
            "如何用一张采购单向多位商家下单，以及起订量、整箱规格、美元报价与人民币预估。"
        ),
        format=Seminar.Format.ONLINE,
        join_url="https://meeting.example.com/j/86020260412",
        time_zone="Asia/Shanghai",
        start_at=_at(12, time(20, 0), "Asia/Shanghai"),
        end_at=_at(12, time(21, 30), "Asia/Shanghai"),
        capacity=300,
        speakers="陈静，全球美国商家网络买家成功经理\n王丽，杭州西湖全球购店主",
        agenda=BUYER_WEBINAR_AGENDA,
        created_by=operator,
    )
    if created:
        crowd = _people(58, kinds=(Organization.Kind.BUYER,), rng=rng, tag="webinar")
        if zhang:
            crowd.insert(5, zhang)
        _fill(
            buyers_webinar,
            crowd,
            confirmed=300,
            registered_since=timezone.now() - timedelta(days=10),
        )

    customs, created = _seminar(
        "customs-compliance-food-exporters",
        title="Customs and compliance for food and supplement exporters",
        topic=Topic.CUSTOMS,
        language="en",
        summary=(
            "An hour online on what gets shipments to China held, and how to avoid it: HS "
            "codes, CIQ registration, the cross-border positive list and Chinese labels."
        ),
        format=Seminar.Format.ONLINE,
        join_url="https://meeting.example.com/j/86020260520",
        time_zone="America/New_York",
        start_at=_at(20, time(11, 0), "America/New_York"),
        end_at=_at(20, time(12, 0), "America/New_York"),
        capacity=250,
        speakers="Dr. Susan Park, customs broker (licensed), Chicago",
        agenda=CUSTOMS_AGENDA,
        created_by=operator,
    )
    if created:
        crowd = _people(31, kinds=(Organization.Kind.MERCHANT,), rng=rng, tag="customs")
        _fill(customs, crowd, confirmed=250, registered_since=timezone.now() - timedelta(days=14))

    _seminar(
        "brand-protection-taobao-global",
        title="Brand protection on Taobao Global: trademarks, takedowns and authorised resellers",
        topic=Topic.BRAND_PROTECTION,
        language="en",
        summary="Protect your brand before your first container leaves.",
        format=Seminar.Format.ONLINE,
        join_url="https://meeting.example.com/j/86020260611",
        time_zone="America/Chicago",
        start_at=_at(33, time(14, 0), "America/Chicago"),
        end_at=_at(33, time(15, 0), "America/Chicago"),
        capacity=200,
        registration_opens_at=timezone.now() + timedelta(days=5),
        speakers="Priya Natarajan, IP counsel",
        agenda=BRAND_AGENDA,
        created_by=operator,
    )

    past, created = _seminar(
        "ocean-freight-101-detroit",
        title="Ocean freight 101: from your loading dock to a Chinese port",
        topic=Topic.LOGISTICS,
        language="en",
        summary="A morning on Incoterms, sailing schedules, booking confirmations and packing.",
        format=Seminar.Format.IN_PERSON,
        venue="TechTown Detroit",
        address="440 Burroughs St",
        city="Detroit, MI",
        time_zone="America/Detroit",
        start_at=_at(-40, time(9, 0), "America/Detroit"),
        end_at=_at(-40, time(12, 30), "America/Detroit"),
        capacity=60,
        speakers="Elena Petrova, Maersk North America\nTom Baranski, U.S. Commercial Service",
        agenda=PAST_AGENDA,
        created_by=operator,
    )
    if created:
        crowd = _people(43, kinds=merchant_and_buyer, rng=rng, tag="freight101")
        # The demo merchant owner came (certificate and feedback); his colleague came too and
        # has not rated it yet.
        crowd = [p for p in (mark, steve) if p] + crowd
        registrations = _fill(
            past,
            crowd,
            confirmed=60,
            registered_since=past.start_at - timedelta(days=30),
            attended=38,
        )
        feedback = []
        for n, registration in enumerate(r for r in registrations if r.attended_at):
            if steve and registration.user_id == steve[0].pk or n % 3 == 2:
                continue
            rating, comment = COMMENTS[n % len(COMMENTS)]
            feedback.append(
                Feedback(
                    registration=registration,
                    seminar=past,
                    organization=registration.organization,
                    rating=rating,
                    comment=comment,
                    created_at=past.end_at + timedelta(hours=2 + n),
                )
            )
        Feedback.objects.bulk_create(feedback)
        for organization in {r.organization for r in registrations if r.attended_at}:
            if (
                organization.kind == Organization.Kind.MERCHANT
                and merchant_application(organization=organization) is not None
            ):
                merchant_award_badge(
                    organization=organization, badge="seminar_graduate", acting_user=None
                )

    return {
        "seminars": Seminar.objects.count(),
        "registrations": Registration.objects.count(),
        "attended": Registration.objects.filter(attended_at__isnull=False).count(),
        "feedback": Feedback.objects.count(),
    }
