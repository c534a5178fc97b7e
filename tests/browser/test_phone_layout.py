"""Every page fits a phone: at 390 × 844, each page the demo's anonymous visitor, buyer owner,
merchant owner and operator staff can open (``tests/site_pages.py`` finds them from the URL
patterns), in English and in Chinese, is no wider than the screen — nothing scrolls sideways.
The cart, a purchase order, the incoming orders and the sailings are kept as screenshots in
test-artifacts/browser/ for review; with ``PHONE_LAYOUT_SCREENSHOTS=all`` every page is."""

from __future__ import annotations

import os
import re

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import expect

from network.demo import DEMO_MERCHANT_SLUG, DEMO_OPERATOR_TOTP_SECRET, DEMO_PASSWORD
from network.models import Organization, Role
from tests.browser.conftest import ARTIFACTS
from tests.factories import PASSWORD, OrganizationFactory, UserFactory, member
from tests.site_pages import demo_people, pages_for, seed_demo

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}
LANGUAGES = ("en", "zh-hans")
# Pages kept as screenshots, by the URL they match.
SCREENSHOTS = {
    "cart": re.compile(r"^/orders/cart/$"),
    "purchase-order": re.compile(r"^/orders/purchase-orders/[^/]+/$"),
    "incoming-orders": re.compile(r"^/orders/incoming/$"),
    "sailings": re.compile(r"^/shipping/$"),
    "product": re.compile(r"^/catalog/products/\d+/$"),
    "quotation-request": re.compile(r"^/deals/quotations/RFQ[^/]+/$"),
    "conversation": re.compile(r"^/deals/messages/\d+/$"),
    "buy-again": re.compile(r"^/deals/buy-again/$"),
}
# What sticks out of a page that is too wide: the outermost elements past the right edge, leaving
# out those inside a box that scrolls or clips them (a chart that scrolls within its card).
WIDER_THAN_THE_SCREEN = """(width) => {
  const clipped = (element) => {
    for (let box = element.parentElement; box && box !== document.body; box = box.parentElement) {
      if (getComputedStyle(box).overflowX !== "visible") return true;
    }
    return false;
  };
  const out = [];
  for (const element of document.querySelectorAll("body *")) {
    const box = element.getBoundingClientRect();
    if (box.right <= width + 0.5 || box.width === 0) continue;
    if (out.some((outer) => outer.contains(element)) || clipped(element)) continue;
    out.push(element);
  }
  return out.slice(0, 3).map((element) => {
    const classes = [...element.classList].map((c) => "." + c).join("");
    const name = element.tagName.toLowerCase() + classes;
    return `${name} (${Math.round(element.getBoundingClientRect().right)} px)`;
  });
}"""


def _overflow(page) -> str | None:
    """What is wider than the screen on this page, or ``None`` when it fits."""
    width = page.evaluate("document.documentElement.scrollWidth")
    if width <= PHONE["width"]:
        return None
    culprits = page.evaluate(WIDER_THAN_THE_SCREEN, PHONE["width"])
    return f"{width} px wide: {', '.join(culprits)}"


def _screenshot_names(url: str, role: str, language: str) -> list[str]:
    names = [f"{name}-{language}" for name, pattern in SCREENSHOTS.items() if pattern.match(url)]
    if os.environ.get("PHONE_LAYOUT_SCREENSHOTS") == "all":
        names.append(re.sub(r"[^A-Za-z0-9]+", "-", f"{role}-{language}{url}").strip("-"))
    return names


def _set_language(page, live_server, language: str) -> None:
    page.context.add_cookies(
        [{"name": django_settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )


def _off_screen(locator) -> bool:
    box = locator.bounding_box()
    return box is None or box["x"] < 0 or box["x"] + box["width"] > PHONE["width"] + 0.5


def _header_problems(page) -> list[str]:
    """The header's menus open within the screen: the navigation behind its button, the
    organisation switcher and the account menu."""
    problems = []
    page.locator(".nav-toggle-button").click()
    links = page.locator("#main-nav a")
    if not links.count() or not links.first.is_visible():
        problems.append("the menu button does not show the navigation")
    problems += [
        f"the navigation link {links.nth(n).inner_text()!r} is off the screen"
        for n in range(links.count())
        if _off_screen(links.nth(n))
    ]
    page.locator(".nav-toggle-button").click()
    for menu in (".org-switcher", ".account-menu"):
        if not page.locator(menu).count():
            continue
        page.locator(f"{menu} > summary").click()
        if _off_screen(page.locator(f"{menu} > summary")):
            problems.append(f"the {menu} button is off the screen")
        panel = page.locator(f"{menu} .menu-panel")
        if not panel.is_visible() or _off_screen(panel):
            problems.append(f"the {menu} menu opens off the screen")
        page.locator(f"{menu} > summary").click()
    return problems


def _catalogue_problems(page) -> list[str]:
    """On a phone the catalogue shows its products first, its filters behind a button, and a
    search box wide enough to type in."""
    problems = []
    search_width = page.locator("#id_q").bounding_box()["width"]
    if search_width < 200:
        problems.append(f"the search box is {search_width:.0f} px wide")
    if page.locator("#facets").is_visible():
        problems.append("the catalogue's filters come before its products")
    if not page.locator(".product-card").first.is_visible():
        problems.append("the catalogue shows no product")
    page.locator(".filters-toggle-button").click()
    if not page.locator("#facets").is_visible():
        problems.append("the Filters button does not show the filters")
    page.locator(".filters-toggle-button").click()
    return problems


def test_every_page_fits_a_phone_in_english_and_chinese(page, login, live_server):
    seed_demo()
    page.set_viewport_size(PHONE)
    problems: list[str] = []
    shown: set[str] = set()
    for role, person in demo_people().items():
        urls = pages_for(Client(), person)
        assert urls, f"no page answers the {role}"
        if person is None:
            page.context.clear_cookies()
        else:
            operator = role.startswith("operator")
            login(person.email, DEMO_PASSWORD, DEMO_OPERATOR_TOTP_SECRET if operator else None)
        for language in LANGUAGES:
            _set_language(page, live_server, language)
            # The catalogue filtered by a merchant, as its profile links to it: a shorter count
            # beside the search box once left the box too narrow to type in.
            for url in [*urls, f"/catalog/?merchant={DEMO_MERCHANT_SLUG}"]:
                page.goto(url)
                if url == "/":
                    problems += [f"{role}, {language}: {p}" for p in _header_problems(page)]
                if url.split("?")[0] == "/catalog/":
                    problems += [f"{role}, {language}: {p}" for p in _catalogue_problems(page)]
                overflow = _overflow(page)
                if overflow:
                    problems.append(f"{role}, {language}: {url} is {overflow}")
                for key in _screenshot_names(url, role, language):
                    if key not in shown:
                        shown.add(key)
                        ARTIFACTS.mkdir(parents=True, exist_ok=True)
                        page.screenshot(path=ARTIFACTS / f"phone-{key}.png", full_page=True)
    assert not problems, "Pages wider than a 390 px phone:\n" + "\n".join(problems)


def test_a_very_long_company_name_fits_in_a_form_error_and_on_the_pages_that_show_it(page, login):
    """5,000 characters without a space, refused for its length and shown again in the form; and
    the longest name allowed, unbroken, in the header, the home page and the members page."""
    person = UserFactory()
    login(person.email, PASSWORD)
    page.set_viewport_size(PHONE)
    page.goto("/organizations/new/")
    name = "Maple" * 1000
    field = page.locator("input[name=name]")
    field.evaluate("(input) => input.removeAttribute('maxlength')")
    field.fill(name)
    page.locator("input[name=kind][value=merchant]").check()
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main .errorlist")).to_be_visible()
    assert page.locator("input[name=name]").input_value() == name
    assert _overflow(page) is None, _overflow(page)

    organization = OrganizationFactory(name="W" * 200, kind=Organization.Kind.BUYER, country="CN")
    owner = member(organization, Role.OWNER, full_name="Z" * 150)
    login(owner.email, PASSWORD)
    for url in ("/", "/organization/members/", "/account/preferences/"):
        page.goto(url)
        assert _overflow(page) is None, f"{url}: {_overflow(page)}"
        assert not _header_problems(page), f"{url}: {_header_problems(page)}"
