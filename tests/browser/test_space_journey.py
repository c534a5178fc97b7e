"""A merchant books 2.5 m³ in a shared container from Los Angeles to Ningbo, sees its W/M
price beside the forwarder's, and then gives the space back."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from network.models import Role
from shipping.models import SpaceRequest
from tests.factories import PASSWORD, OrganizationFactory, member
from tests.factories import operator as operator_user
from tests.shipping.containers import open_container
from tests.shipping.factories import SailingFactory, approve

pytestmark = pytest.mark.browser


def test_merchant_books_space_by_volume_and_cancels_it(page, snapshot, carrier_server):
    carrier_server.config(delay=3600)
    maple = OrganizationFactory(name="Great Lakes Maple Co.", slug="great-lakes-maple-co")
    approve(maple)
    dana = member(maple, Role.OWNER, email="dana@greatlakesmaple.com", full_name="Dana Whitfield")
    container = open_container(SailingFactory(vessel_name="Madrid Maersk"), operator_user())

    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(dana.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Great Lakes Maple Co.")

    page.goto("/shipping/")
    page.locator(".subnav").get_by_role("link", name="Shared containers").click()
    card = page.locator(f"#container-{container.reference}")
    expect(card).to_contain_text("Madrid Maersk")
    expect(card).to_contain_text("USD 48.00")
    expect(card).to_contain_text("USD 95.00")
    snapshot("1-containers")
    card.get_by_role("link", name="Book space").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Book space in a shared container")
    page.get_by_label("Volume (m³)").fill("2.5")
    page.get_by_label("Gross weight (kg)").fill("3100")
    page.get_by_label("I declare that the cargo holds no dangerous goods").check()
    page.get_by_role("button", name="Review price").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Review your space")
    expect(page.locator("#review-wm")).to_have_text("3.100")
    expect(page.locator("#review-price")).to_have_text("USD 148.80")
    expect(page.locator("#review-forwarder")).to_have_text("USD 294.50")
    expect(page.locator("#review-saving")).to_have_text("USD 145.70")
    snapshot("2-review")
    page.get_by_role("button", name="Book space").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("My space in shared containers")
    with scopes_disabled():
        space = SpaceRequest.objects.get(organization=maple)
    row = page.locator(f"#space-{space.reference}")
    expect(row).to_contain_text("2.5 m³ · 3,100 kg")
    row.get_by_role("link", name="Cancel").click()
    page.get_by_label("Yes, give this space back.").check()
    page.get_by_role("button", name="Cancel the space").click()
    expect(page.locator(f"#space-{space.reference}")).to_contain_text("Cancelled")
    snapshot("3-cancelled")
