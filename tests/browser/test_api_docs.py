"""The API reference is served by the app itself and renders under the strict CSP."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_the_swagger_reference_renders_without_console_errors(page):
    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .title")).to_contain_text("Global US Merchants Network API")
    expect(page.locator(".opblock").first).to_be_visible()
