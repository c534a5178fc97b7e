"""The dashboard page and its CSV downloads: each organisation kind sees its own panels with
its own figures, a member of another organisation never sees them, the date range filters,
and each page reads a fixed number of queries whatever the number of orders."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse

from network import dashboards
from orders import dashboard as orders_dashboard
from tests.dashboards.conftest import at, placed_on
from tests.factories import sign_in
from tests.orders.factories import fan_out, place, sku

pytestmark = pytest.mark.django_db

MARCH = "?from=2026-03-01&to=2026-03-31"


def page(client, user, query=MARCH) -> str:
    sign_in(client, user)
    response = client.get(reverse("dashboard") + query)
    assert response.status_code == 200
    return response.content.decode()


def download(client, user, slug, query=MARCH):
    sign_in(client, user)
    return client.get(reverse("dashboard_export", args=[slug]) + query)


def rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_operator_sees_the_network(client, network):
    html = page(client, network["operator"])
    assert "Network dashboard" in html
    for heading in (
        "Gross merchandise value by week",
        "Merchant funnel",
        "Merchant review queue",
        "Active buyers",
        "GMV by category",
        "GMV by US state",
        "Time from order to shipment",
        "Booking utilisation per sailing",
        "Seminar attendance",
    ):
        assert heading in html
    assert "$583" in html and "82.5%" in html  # GMV and the share bought from China
    assert "<svg" in html and "style=" not in html.split('<main id="main"')[1]


def test_merchant_sees_its_own_business_only(client, network):
    html = page(client, network["maple_viewer"])
    assert "Your sales dashboard" in html
    assert "$481" in html and "MAPLE-500" in html  # sales, top product, stock alert
    assert "Stock alerts" in html and "Order pipeline" in html and "Bookings" in html
    # Nothing of the other merchant, nor of the network.
    assert "OMEGA-3" not in html and "Sunbelt" not in html
    assert "GMV by US state" not in html and "Merchant funnel" not in html

    other = page(client, network["vitamins_owner"])
    assert "$102" in other and "OMEGA-3" in other
    assert "MAPLE-500" not in other and "$481" not in other


def test_buyer_sees_its_own_spend_only(client, network):
    html = page(client, network["store_viewer"])
    assert "Your buying dashboard" in html
    assert "Spend by merchant" in html and "Open purchase orders" in html
    assert "$481" in html and network["po1"].number in html and "HZ-1" in html
    assert network["po2"].number not in html and "SEA-1" not in html

    outsider = page(client, network["seattle_buyer"])
    assert "$102" in outsider and network["po2"].number in outsider
    assert network["po1"].number not in outsider and "$481" not in outsider
    assert "Sunbelt" not in outsider


def test_date_range_filters_and_refuses_nonsense(client, network):
    april = page(client, network["operator"], "?from=2026-04-01&to=2026-04-30")
    assert "$583" not in april and "No orders in this range." in april
    backwards = page(client, network["operator"], "?from=2026-03-31&to=2026-03-01")
    assert "The start of the range comes after its end." in backwards
    half = page(client, network["operator"], "?from=2026-03-01")
    assert "This field is required." in half
    # The last 52 weeks (the default) hold March 2026.
    assert "$583" in page(client, network["operator"], "")


def test_every_table_downloads_as_csv_for_those_who_see_it(client, network):
    response = download(client, network["operator"], "gmv-by-state")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "gmv-by-state-20260301-20260331.csv" in response["Content-Disposition"]
    assert rows(response) == [
        ["State", "GMV (USD)", "Merchants selling", "Share"],
        ["MI", "481.20", "1", "82.5"],
        ["FL", "102.00", "1", "17.5"],
    ]
    top = rows(download(client, network["maple_owner"], "top-products"))
    assert top[1] == ["MAPLE-500", "Pure Michigan Maple Syrup 500 ml", "60", "2", "481.20"]
    spend = rows(download(client, network["wang"], "spend-by-merchant"))
    assert [row[:2] for row in spend[1:]] == [
        ["Great Lakes Maple Co.", "379.20"],
        ["Sunbelt Vitamins", "102.00"],
    ]
    # Another kind's table is not there at all; nor for someone signed out.
    assert download(client, network["seattle_buyer"], "gmv-by-state").status_code == 404
    assert download(client, network["vitamins_owner"], "spend-by-merchant").status_code == 404
    assert download(client, network["wang"], "top-products").status_code == 404
    client.logout()
    anonymous = client.get(reverse("dashboard_export", args=["gmv-by-state"]) + MARCH)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous.url
    assert client.get(reverse("dashboard")).status_code == 302


def test_every_panel_with_a_table_links_its_download(client, network):
    for user in (network["operator"], network["maple_owner"], network["wang"]):
        html = page(client, user)
        links = re.findall(r'href="(/dashboard/[a-z-]+\.csv\?[^"]+)"', html)
        assert len(links) >= 3
        for link in links:
            assert client.get(link.replace("&amp;", "&")).status_code == 200


# Session, user and memberships (middleware), then each panel's queries:
# operator: the second factor's check; GMV by week (summary cut-off, lines, purchase orders);
# funnel; merchant review queue; counterfeit queue; buyers by week and in total; category
# (cut-off, lines, category names); state (cut-off, lines); sailings and their totals; time to
# shipment; seminars and their totals; carriers and the requests awaiting a carrier's word.
# With a daily summary, the weekly, category and state panels each read it as well.
# merchant: sales by week and in total, top products, pipeline, bookings, stock alerts;
# buyer: spend by week, by merchant, by category (and its names), open purchase orders.
# Every kind: escrow held and moved, by week, claims by week, and merchant orders shipped (4).
ESCROW_QUERIES = 4
OPERATOR_QUERIES = 3 + 1 + 1 + 3 + 1 + 1 + 2 + 3 + 2 + 2 + 1 + 2 + 2 + ESCROW_QUERIES
MERCHANT_QUERIES = 3 + 6 + ESCROW_QUERIES
BUYER_QUERIES = 3 + 5 + ESCROW_QUERIES


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("operator", OPERATOR_QUERIES),
        ("operator+summary", OPERATOR_QUERIES + 3),
        ("maple_owner", MERCHANT_QUERIES),
        ("wang", BUYER_QUERIES),
    ],
)
def test_query_budget_does_not_grow_with_orders(
    client, network, django_assert_num_queries, monkeypatch, who, expected
):
    # What the panels read, every time: an operator's are otherwise kept a minute (below).
    monkeypatch.setattr(dashboards, "PANELS_CACHE_SECONDS", 0)
    summary = who == "operator+summary"
    if summary:
        # The default range, the last 52 weeks: March from the summary, today live.
        orders_dashboard.daily_sales_refresh(days=400)
        who = "operator"
    user = network[who]
    sign_in(client, user)
    url = reverse("dashboard") + ("" if summary else MARCH)
    client.get(url)  # the first request after logging in saves the active organisation
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200
    for n in range(3):
        extra = sku(network["maple"], network["maple_owner"], code=f"MAPLE-EXTRA-{n}")
        purchase_order = place(
            network["store"],
            network["wang"],
            [(network["fish_oil"], 6 * (n + 1)), (extra, 12)],
            buyer_reference=f"HZ-MORE-{n}",
        )
        fan_out(purchase_order)
        placed_on(purchase_order, at(16 + n))
    if summary:
        orders_dashboard.daily_sales_refresh(days=400)
    with django_assert_num_queries(expected):
        html = client.get(url).content.decode()
    # The new rows are on the page: more GMV (583.20 + 36 fish oil and 36 syrup at 8.50), more
    # products, more open orders.
    assert {"operator": "$1,195", "maple_owner": "MAPLE-EXTRA-2", "wang": "HZ-MORE-2"}[who] in html


# The page around the panels: the session, the person, their memberships and the second
# factor's check.
PAGE_QUERIES = 4


def test_an_operators_panels_are_kept_a_minute(client, network, django_assert_num_queries):
    sign_in(client, network["operator"])
    url = reverse("dashboard") + MARCH
    assert "$583" in client.get(url).content.decode()
    purchase_order = place(
        network["store"], network["wang"], [(network["fish_oil"], 6)], buyer_reference="HZ-LATER"
    )
    fan_out(purchase_order)
    placed_on(purchase_order, at(16))
    # Within the minute the network's figures are those already added up: none is read again.
    with django_assert_num_queries(PAGE_QUERIES):
        html = client.get(url).content.decode()
    assert "$583" in html
    assert 'id="panel-gmv-by-week"' in html and 'id="panel-review-queue"' in html
    cache.clear()  # the minute is over
    assert "$583" not in client.get(url).content.decode()


# --- Chart geometry ------------------------------------------------------------------------------


def test_charts_scale_to_round_steps_and_fit_their_labels():
    from network import charts

    columns = charts.column_chart(
        [("02 Mar", Decimal("481.20"), ""), ("09 Mar", Decimal("102.00"), "")], axis_prefix="$"
    )
    assert [line.text for line in columns["gridlines"]] == [
        "$0",
        "$100",
        "$200",
        "$300",
        "$400",
        "$500",
    ]
    first, second = columns["columns"]
    assert first.height == pytest.approx(188 * 481.20 / 500, abs=0.1)
    assert first.y + first.height == columns["baseline"] == second.y + second.height
    buyers = charts.column_chart([("a", 1, ""), ("b", 2, "")])
    assert [line.text for line in buyers["gridlines"]] == ["0", "1", "2"]  # whole buyers only
    assert charts.compact_number(1_234_567, prefix="$") == "$1.2M"
    bars = charts.horizontal_bars(
        [charts.BarRow(label="Great Lakes Pure Michigan Maple Syrup 500 ml", value=3, total=4)],
        label_width=150,
        bar_width=400,
    )
    (bar,) = bars["bars"]
    assert bar.width == 300 and bar.percent == 75 and bar.level == "mid"
    assert bar.short_label == "Great Lakes Pure…"  # 140 px at 7.6 px a character


def test_shipping_utilisation_chart_still_reads_booked_and_capacity(network):
    from shipping.charts import utilisation_bars
    from tests.shipping.factories import SailingFactory

    sailing = SailingFactory(capacity_teu=80)
    sailing.booked_teu = 60
    (bar,) = utilisation_bars([sailing])["bars"]
    assert (bar.booked, bar.capacity, bar.booked_width, bar.percent) == (60, 80, 390.0, 75)
    assert bar.value_text == "60 / 80 TEU · 75%"
