"""Every dashboard figure against values worked out by hand on the March network of
``conftest.py``: GMV by week, category and state, the cross-border share, active buyers, the
merchant funnel, time to shipment, a merchant's sales, products, pipeline and stock, a buyer's
spend and open orders, sailing utilisation and seminar attendance."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from catalog import dashboard as catalog_dashboard
from merchants import dashboard as merchants_dashboard
from merchants.models import ApplicationStatus, MerchantApplication
from moderation import dashboard as moderation_dashboard
from moderation.models import ListingReport
from network.dashboards import Period
from network.models import Role
from orders import dashboard, selectors
from shipping import dashboard as shipping_dashboard
from shipping.models import Sailing
from tests.catalog import factories as catalog_factories
from tests.dashboards.conftest import MARCH, at
from tests.factories import member
from tests.shipping.factories import SailingFactory
from tests.training.factories import SeminarFactory
from training import dashboard as training_dashboard
from training.models import Registration

pytestmark = pytest.mark.django_db


def figures(panel) -> dict[str, str]:
    return {str(f.label): f.value for f in panel.figures}


def test_gmv_by_week_counts_sold_lines_by_the_week_of_placing(network):
    rows = {row["week"]: row for row in selectors.gmv_by_week(period=MARCH)}
    assert rows == {
        date(2026, 3, 2): {
            "week": date(2026, 3, 2),
            "gmv": Decimal("481.20"),
            "purchase_orders": 1,
            "gmv_china": Decimal("481.20"),
        },
        date(2026, 3, 9): {
            "week": date(2026, 3, 9),
            "gmv": Decimal("102.00"),
            "purchase_orders": 1,
            "gmv_china": Decimal("0.00"),
        },
    }
    panel = dashboard.gmv_by_week(network["operator"], MARCH)
    assert figures(panel) == {
        "GMV": "$583",
        "Purchase orders": "2",
        "Crosses the border": "82.5%",
        "Average order": "$292",
    }
    # Every week the range touches is a row, empty weeks at zero: 23 Feb to 30 March.
    assert [row[0] for row in panel.table.rows] == [
        date(2026, 2, 23) + timedelta(weeks=n) for n in range(6)
    ]
    assert panel.table.rows[0][1:] == [Decimal("0.00"), 0, Decimal("0.00")]
    assert len(panel.columns["columns"]) == 6


def test_gmv_by_category_and_state(network):
    by_category = selectors.gmv_by_category(period=MARCH)
    assert [(r["name"], r["gmv"], r["units"]) for r in by_category] == [
        ("Food and beverages", Decimal("481.20"), 60),
        ("Vitamins and supplements", Decimal("102.00"), 12),
    ]
    panel = dashboard.gmv_by_state(network["operator"], MARCH)
    assert panel.table.rows == [
        ["MI", Decimal("481.20"), 1, 82.5],
        ["FL", Decimal("102.00"), 1, 17.5],
    ]


def test_active_buyers_and_merchant_funnel(network):
    assert selectors.active_buyer_totals(period=MARCH) == {"registered": 2, "active": 2, "new": 2}
    weekly = {r["week"]: r["buyers"] for r in selectors.active_buyers_by_week(period=MARCH)}
    # PO3 was cancelled (every line rejected): it does not make its buyer active that week.
    assert weekly == {date(2026, 3, 2): 1, date(2026, 3, 9): 1}
    assert selectors.merchant_funnel(period=MARCH) == {
        "applied": 3,
        "approved": 2,
        "listed": 2,
        "ordered": 2,
    }
    april = Period(start=date(2026, 4, 1), end=date(2026, 4, 30))
    assert selectors.merchant_funnel(period=april)["applied"] == 0


def test_order_to_shipment(network):
    result = selectors.order_to_shipment(period=MARCH, buckets=dashboard.SHIPMENT_BUCKETS)
    assert result["shipped"] == 2
    assert result["median"] == pytest.approx(5.0)  # 3 and 7 days
    assert result["p90"] == pytest.approx(6.6)
    assert [result[f"bucket_{n}"] for n in range(5)] == [0, 1, 1, 0, 0]
    panel = dashboard.order_to_shipment(network["operator"], MARCH)
    assert figures(panel)["Median"] == "5.0 days"


def test_merchant_figures_are_its_own(network):
    maple = network["maple"]
    totals = selectors.merchant_sales_totals(merchant=maple, period=MARCH)
    assert totals == {"sales": Decimal("481.20"), "orders": 2, "units": 60, "buyers": 2}
    products = selectors.merchant_top_products(merchant=maple, period=MARCH)
    assert [(p["sku_code"], p["units"], p["sales"]) for p in products] == [
        ("MAPLE-500", 60, Decimal("481.20"))
    ]
    with scope(organization=maple):
        pipeline = selectors.merchant_pipeline(merchant=maple, period=MARCH)
        alerts = catalog_dashboard.low_stock(organization=maple)
    assert {status: row["orders"] for status, row in pipeline.items()} == {
        "shipped": 1,
        "pending": 1,
    }
    assert [(a["sku__code"], a["available"]) for a in alerts] == [("MAPLE-500", 20)]
    with scope(organization=network["vitamins"]):
        vitamins = selectors.merchant_pipeline(merchant=network["vitamins"], period=MARCH)
        assert catalog_dashboard.low_stock(organization=network["vitamins"]) == []
    assert {status: row["orders"] for status, row in vitamins.items()} == {
        "shipped": 1,
        "rejected": 1,
    }


def test_buyer_spend_and_open_orders(network):
    store = network["store"]
    spend = selectors.buyer_spend_by_merchant(buyer=store, period=MARCH)
    assert [(r["merchant_name"], r["spend"], r["savings"]) for r in spend] == [
        ("Great Lakes Maple Co.", Decimal("379.20"), Decimal("28.80")),  # 48 × (8.50 − 7.90)
        ("Sunbelt Vitamins", Decimal("102.00"), Decimal("0.00")),
    ]
    with scope(organization=store):
        open_orders = selectors.open_purchase_orders(buyer=store, statuses=dashboard.OPEN)
    assert [o["number"] for o in open_orders] == [network["po1"].number]  # PO3 is cancelled
    panel = dashboard.gmv_by_category(store, MARCH)
    assert [row[:2] for row in panel.table.rows] == [
        ["Food and beverages", Decimal("379.20")],
        ["Vitamins and supplements", Decimal("102.00")],
    ]


def test_sailing_utilisation_and_seminar_attendance(network):
    march_sailing = SailingFactory(etd=at(14), capacity_teu=100)
    SailingFactory(etd=at(20), capacity_teu=50)
    SailingFactory(etd=timezone.now() + timedelta(days=20))  # after March
    Sailing.objects.filter(pk=march_sailing.pk).update(booked_teu=40)
    panel = shipping_dashboard.booking_utilisation(network["operator"], MARCH)
    assert figures(panel) == {"Sailings": "2", "TEU booked": "40", "Utilisation": "26.7%"}
    assert [row[6:] for row in panel.table.rows] == [[40, 100, 40.0], [0, 50, 0.0]]
    # A range reaching today also shows the sailings still to come.
    recent = Period.last_days(28)
    assert (
        figures(shipping_dashboard.booking_utilisation(network["operator"], recent))["Sailings"]
        == "1"
    )

    seminar = SeminarFactory(start_at=at(12), capacity=30)
    SeminarFactory(start_at=timezone.now() + timedelta(days=10))  # not held yet
    with scopes_disabled():
        for n in range(4):
            person = member(network["maple"], Role.STAFF)
            Registration.objects.create(
                seminar=seminar,
                organization=network["maple"],
                user=person,
                status=Registration.Status.CONFIRMED if n < 3 else Registration.Status.CANCELLED,
                arrival=n + 1,
                attended_at=at(12) if n < 2 else None,
            )
    panel = training_dashboard.seminar_attendance(network["operator"], MARCH)
    assert figures(panel) == {
        "Seminars": "1",
        "Confirmed seats": "3",
        "Attended": "2",
        "Attendance": "66.7%",
    }


def test_daily_summary_gives_the_same_figures_and_today_stays_live(network):
    def network_figures(period):
        return (
            selectors.gmv_by_week(period=period),
            selectors.gmv_by_category(period=period),
            selectors.gmv_by_merchant_state(period=period),
        )

    live = network_figures(MARCH)
    # 2 March: maple (food) and vitamins (health), bought from China; 11 March: maple, from
    # the US; PO3 was rejected.
    assert dashboard.daily_sales_refresh(days=400) == 3
    assert dashboard.daily_sales_refresh(days=400) == 3  # again: the same rows
    assert selectors.summary_split(MARCH) == (MARCH, None)
    assert network_figures(MARCH) == live

    # An order placed today is not in the summary yet, and still counts.
    today = Period.last_days(1)
    assert selectors.summary_split(today) == (None, today)
    from tests.orders.factories import fan_out, place

    fan_out(place(network["store"], network["wang"], [(network["fish_oil"], 6)]))
    this_year = Period(start=date(2026, 1, 1), end=timezone.localdate())
    (summary_part, live_part) = selectors.summary_split(this_year)
    assert summary_part.end == timezone.localdate() - timedelta(days=1)
    assert live_part == today
    states = {row["state"]: row["gmv"] for row in selectors.gmv_by_merchant_state(period=this_year)}
    assert states == {"MI": Decimal("481.20"), "FL": Decimal("153.00")}  # 102.00 + 51.00 today


def test_review_queue_ages(network):
    now = timezone.now()
    with scopes_disabled():
        for name, days in (("Fresh Foods", 1), ("Slow Goods", 3)):
            organization, _owner = catalog_factories.merchant(
                name, status=ApplicationStatus.IN_REVIEW
            )
            MerchantApplication.objects.filter(organization=organization).update(
                submitted_at=now - timedelta(days=days, hours=1)
            )
    panel = merchants_dashboard.review_queue(network["operator"], MARCH)
    # Late Applicant Foods has waited since 20 March; the review target is 2 days.
    assert figures(panel)["Waiting now"] == "3" and figures(panel)["Past the target"] == "2"
    assert panel.table.rows == [["0–1", 1], ["2–4", 1], ["5–9", 0], ["10+", 1]]


def test_counterfeit_queue_ages(network):
    now = timezone.now()
    maple, syrup_product = network["maple"], network["syrup"].product
    with scopes_disabled():
        for source, status, days in (
            (ListingReport.Source.BUYER, ListingReport.Status.OPEN, 0),
            (ListingReport.Source.BRAND_OWNER, ListingReport.Status.OPEN, 3),
            (ListingReport.Source.BUYER, ListingReport.Status.INFO_REQUESTED, 12),
            # Decided reports have left the queue, however old.
            (ListingReport.Source.BRAND_OWNER, ListingReport.Status.DISMISSED, 30),
        ):
            ListingReport.objects.create(
                product=syrup_product,
                merchant=maple,
                reporter=network["wang"],
                source=source,
                reason="counterfeit",
                status=status,
                decided_at=None if status != ListingReport.Status.DISMISSED else now,
                created_at=now - timedelta(days=days, hours=1),
            )
    operators = network["operator"].memberships.get().organization
    panel = moderation_dashboard.counterfeit_queue(operators, MARCH)
    assert figures(panel) == {"Waiting now": "3", "From brand owners": "1", "Oldest": "12 days"}
    assert panel.table.rows == [["0–1", 1], ["2–4", 1], ["5–9", 0], ["10+", 1]]
