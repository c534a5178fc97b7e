"""Reads of the training app. Seminars are public marketplace data and are read across
tenants; registrations are read within one organisation, except by operators and by a
person's own calendar feed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_scopes import scopes_disabled

from network.models import Organization, User
from training.models import CalendarFeed, Feedback, Registration, Seminar, Topic

if TYPE_CHECKING:
    from network.dashboards import Period

PUBLIC_STATUSES = (Seminar.Status.PUBLISHED, Seminar.Status.CANCELLED)


def seminars_public(
    *,
    past: bool = False,
    topic: str = "",
    language: str = "",
    format: str = "",
    now: datetime | None = None,
) -> QuerySet[Seminar]:
    """Published seminars, upcoming (soonest first, including those under way) or past (most
    recent first), optionally narrowed by topic, language and format."""
    now = now or timezone.now()
    seminars = Seminar.objects.filter(status=Seminar.Status.PUBLISHED)
    if past:
        seminars = seminars.filter(end_at__lt=now).order_by("-start_at", "-pk")
    else:
        seminars = seminars.filter(end_at__gte=now).order_by("start_at", "pk")
    if topic in Topic.values:
        seminars = seminars.filter(topic=topic)
    if language:
        seminars = seminars.filter(language=language)
    if format in Seminar.Format.values:
        seminars = seminars.filter(format=format)
    return seminars


def seminar_public(*, slug: str) -> Seminar | None:
    """A published (or called-off) seminar by its slug; drafts are not public."""
    return Seminar.objects.filter(slug=slug, status__in=PUBLIC_STATUSES).first()


def _waiting_ahead() -> Subquery:
    with scopes_disabled():
        ahead = (
            Registration.objects.filter(
                seminar=OuterRef("seminar"),
                status=Registration.Status.WAITLISTED,
                arrival__lt=OuterRef("arrival"),
            )
            .order_by()
            .values("seminar")
            .annotate(n=Count("pk"))
            .values("n")
        )
    return Subquery(ahead, output_field=IntegerField())


def with_waitlist_position(registrations: QuerySet[Registration]) -> QuerySet[Registration]:
    """Annotate ``waitlist_position`` (1 = next to be offered) on waitlisted rows, in one query."""
    return registrations.annotate(
        waiting_ahead=Coalesce(_waiting_ahead(), Value(0)),
    )


def registrations_of_person(*, user: User, organization: Organization) -> QuerySet[Registration]:
    """The person's registrations made for the active organisation, newest seminar first."""
    return with_waitlist_position(
        Registration.objects.filter(organization=organization, user=user)
        .select_related("seminar")
        .order_by("-seminar__start_at", "-pk")
    )


def registrations_of_organization(*, organization: Organization) -> QuerySet[Registration]:
    """Every registration of the organisation (its admins see their colleagues' seats)."""
    return with_waitlist_position(
        Registration.objects.filter(organization=organization)
        .select_related("seminar", "user")
        .order_by("-seminar__start_at", "user__email", "-pk")
    )


def registration_current(
    *, seminar: Seminar, user: User, organization: Organization | None
) -> Registration | None:
    """The person's active registration for a seminar (or, failing that, the latest one) made
    for the active organisation."""
    if organization is None or not user.is_authenticated:
        return None
    mine = (
        Registration.objects.filter(seminar=seminar, user=user, organization=organization)
        .select_related("seminar", "organization", "user")
        .order_by("-arrival")
    )
    active = [r for r in mine if r.is_active]
    if active:
        return active[0]
    return next(iter(mine), None)


def registration_for_registrant(
    *, pk: int, user: User, organization: Organization | None
) -> Registration | None:
    """One of the person's own registrations in the active organisation; None for anyone
    else's (a teammate's, another tenant's)."""
    if organization is None:
        return None
    return (
        Registration.objects.filter(pk=pk, organization=organization, user=user)
        .select_related("seminar", "organization", "user")
        .first()
    )


def registration_for_operator(*, pk: int) -> Registration | None:
    with scopes_disabled():
        return (
            Registration.objects.filter(pk=pk)
            .select_related("seminar", "organization", "user")
            .first()
        )


def registration_for_checkin_token(*, token: str) -> Registration | None:
    with scopes_disabled():
        return (
            Registration.objects.filter(checkin_token=token)
            .select_related("seminar", "organization", "user")
            .first()
        )


# --- Operators ---------------------------------------------------------------------------------


def seminars_for_operators() -> QuerySet[Seminar]:
    """Every seminar with its waitlist and attendance counts, latest first."""
    return Seminar.objects.annotate(
        waitlisted=Count(
            "registrations", filter=Q(registrations__status=Registration.Status.WAITLISTED)
        ),
        attended=Count("registrations", filter=Q(registrations__attended_at__isnull=False)),
    ).order_by("-start_at", "-pk")


def seminar_attendees(*, seminar: Seminar, query: str = "") -> QuerySet[Registration]:
    """All registrations of a seminar across organisations, in arrival order, optionally
    searched by the person's name or email or the organisation's name, or by check-in code."""
    with scopes_disabled():
        registrations = with_waitlist_position(
            Registration.objects.filter(seminar=seminar).select_related("user", "organization")
        ).order_by("arrival")
    query = query.strip()
    if query:
        registrations = registrations.filter(
            Q(user__full_name__icontains=query)
            | Q(user__email__icontains=query)
            | Q(organization__name__icontains=query)
            | Q(checkin_token=query)
        )
    return registrations


@dataclass
class FeedbackSummary:
    count: int = 0
    average: float | None = None
    distribution: dict[int, int] = field(default_factory=dict)
    comments: list[Feedback] = field(default_factory=list)

    @property
    def bars(self) -> list[tuple[int, int, int]]:
        """(rating, count, percent of the largest bar) from 5 down to 1, for the chart."""
        top = max(self.distribution.values(), default=0) or 1
        return [
            (
                rating,
                self.distribution.get(rating, 0),
                round(100 * self.distribution.get(rating, 0) / top),
            )
            for rating in range(5, 0, -1)
        ]


def feedback_summary(*, seminar: Seminar) -> FeedbackSummary:
    """The seminar's ratings: how many, the average, how many of each, and the comments."""
    with scopes_disabled():
        feedback = list(
            Feedback.objects.filter(seminar=seminar)
            .select_related("registration__user", "organization")
            .order_by("-created_at")
        )
    if not feedback:
        return FeedbackSummary(distribution={r: 0 for r in range(1, 6)})
    counts = Counter(f.rating for f in feedback)
    return FeedbackSummary(
        count=len(feedback),
        average=round(sum(f.rating for f in feedback) / len(feedback), 2),
        distribution={r: counts.get(r, 0) for r in range(1, 6)},
        comments=[f for f in feedback if f.comment],
    )


# --- Calendar feed -----------------------------------------------------------------------------


def feed_for_token(*, token: str) -> CalendarFeed | None:
    if not token:
        return None
    return CalendarFeed.objects.select_related("user").filter(token=token).first()


def feed_registrations(*, user: User) -> list[Registration]:
    """The person's confirmed seats at published seminars, in every organisation they belong to,
    from a month back onwards."""
    since = timezone.now() - timedelta(days=31)
    with scopes_disabled():
        return list(
            Registration.objects.filter(
                user=user,
                status=Registration.Status.CONFIRMED,
                seminar__status=Seminar.Status.PUBLISHED,
                seminar__end_at__gte=since,
            )
            .select_related("seminar", "user")
            .order_by("seminar__start_at")
        )


def _held_seminars(*, period: Period) -> QuerySet[Seminar]:
    """Published seminars that started in the dashboard's ``period`` (and before now)."""
    return Seminar.objects.filter(
        status=Seminar.Status.PUBLISHED,
        start_at__gte=period.start_at,
        start_at__lt=min(period.end_at, timezone.now()),
    )


def seminar_attendance(*, period: Period, limit: int = 500) -> list[dict]:
    """Each seminar held in ``period``: confirmed seats and check-ins, most recent first."""
    confirmed = Q(registrations__status=Registration.Status.CONFIRMED)
    with scopes_disabled():
        return list(
            _held_seminars(period=period)
            .annotate(
                confirmed=Count("registrations", filter=confirmed),
                attended=Count(
                    "registrations", filter=confirmed & Q(registrations__attended_at__isnull=False)
                ),
            )
            .order_by("-start_at", "pk")
            .values("title", "start_at", "city", "capacity", "confirmed", "attended")[:limit]
        )


def seminar_attendance_totals(*, period: Period) -> dict[str, int]:
    with scopes_disabled():
        seats = Registration.objects.filter(
            seminar__in=_held_seminars(period=period), status=Registration.Status.CONFIRMED
        ).aggregate(
            confirmed=Count("pk"),
            attended=Count("pk", filter=Q(attended_at__isnull=False)),
        )
    return seats
