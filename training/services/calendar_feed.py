"""A person's private calendar subscription and its secret."""

from __future__ import annotations

from django.db import transaction

from network.models import User
from network.services import audit
from training.models import CalendarFeed


def calendar_feed_for(*, user: User) -> CalendarFeed:
    """The person's feed, created on first use."""
    feed, _created = CalendarFeed.objects.get_or_create(user=user)
    return feed


@transaction.atomic
def calendar_feed_reset(*, user: User) -> CalendarFeed:
    """Replace the feed's secret: the old subscription URL stops working at once."""
    feed = calendar_feed_for(user=user)
    feed.token = CalendarFeed._meta.get_field("token").default()
    feed.save(update_fields=["token"])
    audit(actor=user, organization=None, action="calendar_feed.reset", target=feed)
    return feed
