"""Every payments page carries the section's tabs for the reader's kind of organisation, so the
claims (and, for operators, the claims queue and payout runs) are one click from the money
pages — and the claims pages lead back."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import member, operator, sign_in
from tests.orders.factories import buyer, merchant

pytestmark = pytest.mark.django_db


def _tabs(client, url: str) -> str:
    page = client.get(url).content.decode()
    start = page.index('<nav class="subnav"')
    return page[start : page.index("</nav>", start)]


@pytest.mark.parametrize(
    ("who", "pages", "links"),
    [
        (
            "operator",
            ["payments:reconciliation", "payments:payout_runs", "payments:claims_queue"],
            [
                "payments:reconciliation",
                "payments:claims_queue",
                "payments:payout_runs",
                "payments:credit_limits",
            ],
        ),
        (
            "merchant",
            ["payments:merchant_overview", "payments:claims"],
            ["payments:merchant_overview", "payments:claims"],
        ),
        (
            "buyer",
            ["payments:buyer_overview", "payments:claims"],
            ["payments:buyer_overview", "payments:claims"],
        ),
    ],
)
def test_each_payments_page_has_the_sections_tabs(client, who, pages, links):
    if who == "operator":
        user = operator()
    elif who == "merchant":
        _organization, user = merchant()
    else:
        organization, _user = buyer()
        user = member(organization)
    sign_in(client, user)
    for page in pages:
        tabs = _tabs(client, reverse(page))
        for link in links:
            assert f'href="{reverse(link)}"' in tabs, (page, link)
        assert 'aria-current="page"' in tabs, page
