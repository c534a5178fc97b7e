"""The quotation lists read a fixed number of queries, however many requests and quotations;
and each webhook goes to the organisation it is about."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from network import services as network_services
from network.models import WebhookDelivery
from tests.deals.quotation_world import world

pytestmark = pytest.mark.django_db


def queries(client, url: str) -> int:
    client.get(url)  # the session remembers the organisation
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_lists_and_the_comparison_do_not_grow_with_their_rows(client):
    w = world()
    first = w.request()
    w.quote(first, "maple")
    w.quote(first, "sugar")
    pages = {
        "buyer": (w.buyer_user, ["/deals/quotations/", "/api/v1/deals/quotation-requests/"]),
        "merchant": (
            w.maple_user,
            [
                "/deals/quotations/",
                "/api/v1/deals/quotation-requests/",
                "/api/v1/deals/quotations/",
            ],
        ),
    }
    before = {}
    for who, (user, urls) in pages.items():
        client.force_login(user)
        for url in urls:
            before[who, url] = queries(client, url)
        before[who, "compare"] = queries(client, f"/deals/quotations/{first.number}/")
    for _ in range(3):
        rfq = w.request()
        w.quote(rfq, "maple")
        w.quote(rfq, "sugar")
    for who, (user, urls) in pages.items():
        client.force_login(user)
        for url in urls:
            assert queries(client, url) == before[who, url], (who, url)
    # The buyer's comparison of two quotations, and a merchant's page of its own one:
    # each reads the quotations with their lines and tiers in three queries.
    client.force_login(w.buyer_user)
    second = w.request()
    for who in ("maple", "sugar"):
        w.quote(second, who)
    assert queries(client, f"/deals/quotations/{second.number}/") == before["buyer", "compare"]


def test_each_webhook_goes_to_the_organisation_it_concerns():
    from deals.services import quotations as services

    w = world()
    for organization, user, event in (
        (w.maple, w.maple_user, "quotation_request.opened"),
        (w.vitamins, w.vitamins_user, "quotation_request.opened"),
        (w.buyer, None, "quotation.received"),
        (w.maple, w.maple_user, "quotation.accepted"),
        (w.sugar, w.sugar_user, "quotation.accepted"),
    ):
        if user is None:
            from network.models import Role
            from tests.factories import member

            user = member(organization, Role.OWNER)
        network_services.webhook_endpoint_create(
            organization=organization,
            url=f"https://hooks.{organization.slug}.example/{event}",
            events=[event],
            acting_user=user,
        )
    rfq = w.request()
    mine = w.quote(rfq, "maple")
    theirs = w.quote(rfq, "sugar")
    services.quotation_accept(quotation=mine, acting_user=w.buyer_user)
    with scopes_disabled():
        sent = sorted(
            (d.organization.name, d.event, d.payload.get("number"))
            for d in WebhookDelivery.objects.select_related("organization")
        )
    # The vitamins merchant is not reached by the request; the sugarhouse was not chosen.
    assert sent == sorted(
        [
            ("Great Lakes Maple Co.", "quotation_request.opened", rfq.number),
            ("Hangzhou Westlake Global Store", "quotation.received", mine.number),
            ("Hangzhou Westlake Global Store", "quotation.received", theirs.number),
            ("Great Lakes Maple Co.", "quotation.accepted", mine.number),
        ]
    )
