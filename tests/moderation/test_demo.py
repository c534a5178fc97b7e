"""Moderation's demo: a protected brand, a queue, and a year of decided listing reports on the
demo catalogue, idempotent."""

from __future__ import annotations

import pytest
from django.db.models import Count
from django_scopes import scopes_disabled

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_demo_reports_are_a_year_of_decisions_and_idempotent():
    from catalog import demo as catalog_demo
    from catalog.models import ListingState, Product
    from merchants import demo as merchants_demo
    from merchants.models import Strike
    from moderation import demo as moderation_demo
    from moderation.models import Appeal, ListingReport
    from moderation.selectors import transparency_figures
    from network import demo as network_demo

    with scopes_disabled():
        network_demo.seed()
        merchants_demo.seed()
        catalog_demo.seed()
        summary = moderation_demo.seed()
        # A year of decisions: 5 takedowns (each listing hidden, each a strike, one overturned
        # on appeal by the other operator), 7 dismissals, and 2 reports still open.
        assert summary["decided_reports"] == 12
        statuses = dict(
            ListingReport.objects.values_list("status").annotate(n=Count("pk")).order_by()
        )
        assert statuses == {"taken_down": 5, "dismissed": 7, "open": 2}
        appeal = Appeal.objects.get()
        assert appeal.status == Appeal.Status.OVERTURNED
        assert appeal.decided_by != appeal.report.decided_by
        assert Product.objects.filter(state=ListingState.TAKEN_DOWN).count() == 4
        assert Strike.objects.filter(revoked_at__isnull=True).count() == 4
        figures = transparency_figures()
        # Days to decide: 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 4, 5; the median is 2 days.
        assert figures.median_hours_to_decision == 48.0
        assert (figures.takedowns, figures.dismissed, figures.appeals_overturned) == (5, 7, 1)
        # A second run changes nothing.
        assert moderation_demo.seed() == {"decided_reports": 0}
        assert ListingReport.objects.count() == 14
