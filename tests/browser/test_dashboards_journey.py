"""An operator signs in, opens the network dashboard, narrows it to March 2026, reads the
figures behind a chart and downloads a table as CSV; a merchant and a buyer each open their
own dashboard. Screens are kept for review in test-artifacts/browser/."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.dashboards.conftest import network  # noqa: F401 - the March network fixture
from tests.factories import PASSWORD, TOTP_SECRET

pytestmark = pytest.mark.browser


def test_operator_merchant_and_buyer_dashboards(page, snapshot, login, network):  # noqa: F811
    login(network["operator"].email, PASSWORD, totp_secret=TOTP_SECRET)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", name="Network dashboard")).to_be_visible()
    snapshot("operator-default-range")

    page.get_by_label("First day").fill("2026-03-01")
    page.get_by_label("Last day").fill("2026-03-31")
    page.get_by_role("button", name="Show").click()
    gmv = page.locator("#panel-gmv-by-week")
    expect(gmv.locator(".figures")).to_contain_text("$583")
    expect(gmv.locator(".figures")).to_contain_text("82.5%")
    expect(gmv.locator("svg rect.column")).to_have_count(6)  # 23 Feb to 30 March
    states = page.locator("#panel-gmv-by-state")
    expect(states.locator("svg .bar-label")).to_have_text(["MI", "FL"])
    states.get_by_text("Show the figures").click()
    expect(states.locator("table tbody tr").first).to_contain_text("$481.20")
    snapshot("operator-march")

    with page.expect_download() as download_info:
        states.get_by_role("link", name="CSV").click()
    download = download_info.value
    assert download.suggested_filename == "gmv-by-state-20260301-20260331.csv"
    content = Path(download.path()).read_text(encoding="utf-8-sig")
    assert list(csv.reader(io.StringIO(content)))[1] == ["MI", "481.20", "1", "82.5"]

    login(network["maple_owner"].email, PASSWORD)
    page.goto("/dashboard/?from=2026-03-01&to=2026-03-31")
    expect(page.get_by_role("heading", name="Your sales dashboard")).to_be_visible()
    expect(page.locator("#panel-sales-by-week .figures")).to_contain_text("$481")
    expect(page.locator("#panel-stock-alerts")).to_contain_text("MAPLE-500")
    expect(page.locator("main")).not_to_contain_text("OMEGA-3")
    snapshot("merchant-march")

    login(network["wang"].email, PASSWORD)
    page.goto("/dashboard/?from=2026-03-01&to=2026-03-31")
    expect(page.get_by_role("heading", name="Your buying dashboard")).to_be_visible()
    expect(page.locator("#panel-spend-by-merchant svg .bar-label")).to_have_text(
        ["Great Lakes Maple Co.", "Sunbelt Vitamins"]
    )
    expect(page.locator("#panel-open-purchase-orders")).to_contain_text("1")
    expect(page.locator("main")).not_to_contain_text("SEA-1")
    snapshot("buyer-march")
