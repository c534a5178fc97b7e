"""Reads of the training app. Seminars are public marketplace data and are read across
tenants; a registration (and its feedback) is its organisation's and the operators'; a person's
calendar feed reads their own seats in every organisation they belong to. A seminar's seats and
waitlist are shared by everyone registered, so seat keeping alone counts across organisations."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_scopes import scopes_disabled

from network.models import Membership, Organization, User
from network.tenancy import PartyQuerySet, found
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


def seat_registrations() -> PartyQuerySet[Registration]:
    """Every organisation's registrations, for keeping seminars' seats only: the seat counters,
    the waitlist order, the offers and the duplicate check span everyone registered for a
    seminar. Services count and move seats with it; pages never list it."""
    # A seminar's seats and waitlist are shared by every organisation registered for it.
    with scopes_disabled():
        return Registration.objects.all()


def _waiting_ahead() -> Subquery:
    ahead = (
        seat_registrations()
        .filter(
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
        Registration.objects.visible_to(organization)
        .filter(organization=organization, user=user)
        .select_related("seminar")
        .order_by("-seminar__start_at", "-pk")
    )


def registrations_of_organization(*, organization: Organization) -> QuerySet[Registration]:
    """Every registration of the organisation (its admins see their colleagues' seats)."""
    return with_waitlist_position(
        Registration.objects.visible_to(organization)
        .filter(organization=organization)
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
        Registration.objects.visible_to(organization)
        .filter(seminar=seminar, user=user, organization=organization)
        .select_related("seminar", "organization", "user")
        .order_by("-arrival")
    )
    active = [r for r in mine if r.is_active]
    if active:
        return active[0]
    return next(iter(mine), None)


def access_registration(
    *, organization: Organization | None, pk: int, registrant: User | None = None
) -> Registration:
    """The registration, if ``organization`` made it or is an operator; given ``registrant``,
    only that person's own registration for ``organization`` (a teammate's is not found)."""
    registrations = Registration.objects.visible_to(organization)
    if registrant is not None:
        registrations = registrations.filter(organization=organization, user=registrant)
    return found(registrations.select_related("seminar", "organization", "user"), pk=pk)


def access_registration_by_checkin_token(
    *, organization: Organization | None, token: str
) -> Registration:
    """The registration whose check-in code is ``token``, for an operator at the door."""
    return found(
        Registration.objects.visible_to(organization).select_related(
            "seminar", "organization", "user"
        ),
        checkin_token=token,
    )


def offer_for_token(token: str) -> Registration | None:
    """The registration a seat-offer link was sent for (whoever follows it: the link is the
    secret, and who may answer it is the service's decision)."""
    if not token:
        return None
    return (
        seat_registrations()
        .select_related("seminar", "user", "organization")
        .filter(offer_token_hash=Registration.hash_token(token))
        .exclude(offer_token_hash="")
        .first()
    )


def registrations_of_user(*, user: User) -> QuerySet[Registration]:
    """The person's registrations in every organisation they belong to (a person's calendar
    and downloads follow them, not the organisation active in the switcher)."""
    registrations = Registration.objects.none()
    for membership in Membership.objects.filter(user=user).select_related("organization"):
        registrations |= Registration.objects.visible_to(membership.organization)
    return registrations.filter(user=user)


def has_feedback(*, organization: Organization | None, registration: Registration) -> bool:
    """Whether the attendee has rated the seminar (seen by the registration's parties)."""
    return Feedback.objects.visible_to(organization).filter(registration=registration).exists()


# --- Operators ---------------------------------------------------------------------------------


def seminars_for_operators() -> QuerySet[Seminar]:
    """Every seminar with its waitlist and attendance counts, latest first."""
    return Seminar.objects.annotate(
        waitlisted=Count(
            "registrations", filter=Q(registrations__status=Registration.Status.WAITLISTED)
        ),
        attended=Count("registrations", filter=Q(registrations__attended_at__isnull=False)),
    ).order_by("-start_at", "-pk")


def seminar_attendees(
    *, organization: Organization, seminar: Seminar, query: str = ""
) -> QuerySet[Registration]:
    """The registrations of a seminar ``organization`` sees (all of them for an operator), in
    arrival order, optionally searched by the person's name or email, the organisation's name
    or the check-in code."""
    registrations = with_waitlist_position(
        Registration.objects.visible_to(organization)
        .filter(seminar=seminar)
        .select_related("user", "organization")
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


def seminar_checked_in_count(*, organization: Organization, seminar: Seminar) -> int:
    """How many people ``organization`` (an operator) has seen checked in at the seminar."""
    return (
        Registration.objects.visible_to(organization)
        .filter(seminar=seminar, attended_at__isnull=False)
        .count()
    )


def feedback_summary(*, organization: Organization, seminar: Seminar) -> FeedbackSummary:
    """The seminar's ratings ``organization`` (an operator) reads: how many, the average, how
    many of each, and the comments."""
    feedback = list(
        Feedback.objects.visible_to(organization)
        .filter(seminar=seminar)
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
    return list(
        registrations_of_user(user=user)
        .filter(
            status=Registration.Status.CONFIRMED,
            seminar__status=Seminar.Status.PUBLISHED,
            seminar__end_at__gte=since,
        )
        .select_related("seminar", "user")
        .order_by("seminar__start_at")
    )


_CONFIRMED = Q(registrations__status=Registration.Status.CONFIRMED)
_ATTENDED = Q(registrations__attended_at__isnull=False)


def _held_seminars(*, period: Period) -> QuerySet[Seminar]:
    """Published seminars that started in the dashboard's ``period`` (and before now)."""
    return Seminar.objects.filter(
        status=Seminar.Status.PUBLISHED,
        start_at__gte=period.start_at,
        start_at__lt=min(period.end_at, timezone.now()),
    )


def seminar_attendance(*, period: Period, limit: int = 500) -> list[dict]:
    """Each seminar held in ``period``: confirmed seats and check-ins, most recent first."""
    return list(
        _held_seminars(period=period)
        .annotate(
            confirmed=Count("registrations", filter=_CONFIRMED),
            attended=Count("registrations", filter=_CONFIRMED & _ATTENDED),
        )
        .order_by("-start_at", "pk")
        .values("title", "start_at", "city", "capacity", "confirmed", "attended")[:limit]
    )


def seminar_attendance_totals(*, period: Period) -> dict[str, int]:
    """Confirmed seats and check-ins over the seminars held in ``period``: seat figures of the
    public seminars, counted on the seminars."""
    return _held_seminars(period=period).aggregate(
        confirmed=Count("registrations", filter=_CONFIRMED),
        attended=Count("registrations", filter=_CONFIRMED & _ATTENDED),
    )
