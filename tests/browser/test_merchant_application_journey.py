"""A US company applies with its documents; an operator completes the checklist and approves;
the merchant sees that it is approved and may list products."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from merchants.demo import demo_pdf, demo_png
from merchants.models import MerchantApplication
from network.models import Organization, Role
from tests.factories import PASSWORD, OrganizationFactory, member

pytestmark = pytest.mark.browser
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def test_apply_get_vetted_and_get_approved(page, login, snapshot, tmp_path):
    maple = OrganizationFactory(name="Great Lakes Maple Co.", slug="great-lakes-maple-co")
    member(maple, Role.OWNER, email="dana@greatlakesmaple.com")
    operators = OrganizationFactory(name="Network Operations", kind=Organization.Kind.OPERATOR)
    reviewer = member(operators, Role.STAFF, email="sam@network.example")
    TOTP.activate(reviewer, SECRET)
    (tmp_path / "registration.pdf").write_bytes(demo_pdf("Articles of Organization"))
    (tmp_path / "w9.pdf").write_bytes(demo_pdf("Form W-9"))
    (tmp_path / "insurance.png").write_bytes(demo_png("Insurance"))

    # The merchant fills in every step.
    login("dana@greatlakesmaple.com", PASSWORD)
    page.get_by_role("link", name="Start your application").click()
    page.get_by_role("link", name="Continue your application").click()
    page.get_by_label("Legal name").fill("Great Lakes Maple Co. Inc.")
    page.get_by_label("EIN").fill("38-1234567")
    page.get_by_label("State of incorporation").select_option("MI")
    page.get_by_label("Street address").fill("1 Woodward Ave")
    page.get_by_label("City").fill("Detroit")
    page.get_by_label("State", exact=True).select_option("MI")
    page.get_by_label("ZIP code").fill("48226")
    snapshot("1-company")
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_label("Contact person").fill("Dana Maple")
    page.get_by_label("Contact phone").fill("(313) 555-0100")
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_label("Year founded").fill("1987")
    page.get_by_label("Employees").select_option("10-49")
    page.get_by_label("Annual revenue").select_option("1-10m")
    page.get_by_label("Food and beverages").check()
    page.get_by_label("Export experience").select_option("some")
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_label("Own warehouse").check()
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_label("Brand", exact=True).fill("Great Lakes")
    page.get_by_label("Relationship").select_option("owner")
    page.get_by_label("Trademark registration number").fill("5123456")
    page.get_by_role("button", name="Add brand").click()
    expect(page.locator("table")).to_contain_text("Great Lakes")
    page.get_by_role("link", name="Continue").click()
    for kind, name in [
        ("registration", "registration.pdf"),
        ("w9", "w9.pdf"),
        ("insurance", "insurance.png"),
    ]:
        page.get_by_label("Document").select_option(kind)
        page.get_by_label("File").set_input_files(tmp_path / name)
        page.get_by_role("button", name="Upload").click()
        expect(page.locator(".messages")).to_contain_text(f"{name} uploaded.")
    snapshot("2-documents")
    page.get_by_role("link", name="Continue").click()
    expect(page.locator("main")).to_contain_text("Everything is in place.")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator(".messages")).to_contain_text("Your application is submitted")
    snapshot("3-submitted")

    # An operator vets it.
    login("sam@network.example", PASSWORD, totp_secret=SECRET)
    page.get_by_role("link", name="Merchant review").click()
    page.get_by_role("link", name="Great Lakes Maple Co. Inc.").click()
    expect(page.locator("figure.document")).to_have_count(3)
    page.get_by_role("button", name="Start review").click()
    for label in [
        "Identity verified",
        "EIN verified",
        "Documents valid",
        "Brand claims checked",
        "Categories allowed",
    ]:
        page.get_by_label(label).check()
    page.get_by_role("button", name="Save checklist").click()
    snapshot("4-review")
    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("is approved.")

    # The merchant sees it.
    login("dana@greatlakesmaple.com", PASSWORD)
    expect(page.locator("main")).to_contain_text(
        "You are a verified merchant of the network. You can list products and take orders."
    )
    page.get_by_role("link", name="Application").first.click()
    expect(page).to_have_url(re.compile(r"/merchants/application/$"))
    expect(page.locator(".page-header .badge")).to_have_text("Approved")
    snapshot("5-approved")
    with scopes_disabled():
        assert MerchantApplication.objects.get(organization=maple).status == "approved"
