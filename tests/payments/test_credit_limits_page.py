"""The operators' credit limits page: buyers fifty to a page, each with what it owes on net
terms, in a fixed number of statements whatever the number of buyers."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from payments.services import plans
from tests.factories import operator, sign_in
from tests.orders.factories import buyer, fan_out, place, sku
from tests.payments.bank_world import ordered

pytestmark = pytest.mark.django_db

# The session, the person, their memberships and whether they have a second factor (the
# middleware); the number of buyers (the pager); the page of buyers; their limits; their open
# net-terms payment plans; their net-terms purchase orders not yet split. (What was paid into
# the plans is a seventh statement when any buyer on the page has one.)
CREDIT_PAGE_QUERIES = 9


def test_the_credit_page_runs_the_same_statements_for_three_buyers_or_sixty(
    client, django_assert_num_queries
):
    for n in range(3):
        buyer(f"Buyer {n:02d}")
    sign_in(client, operator())
    url = reverse("payments:credit_limits")
    client.get(url)  # the header's counts are cached per person after the first page
    with django_assert_num_queries(CREDIT_PAGE_QUERIES):
        client.get(url)
    for n in range(3, 60):
        buyer(f"Buyer {n:02d}")
    with django_assert_num_queries(CREDIT_PAGE_QUERIES):
        first = client.get(url).content.decode()
    second = client.get(url, {"page": 2}).content.decode()
    assert "Buyer 00" in first and "Buyer 49" in first and "Buyer 50" not in first
    assert "Buyer 50" in second and "Buyer 59" in second and "Page 2 of 2" in second


def test_the_exposure_of_many_buyers_is_each_buyers_own():
    order, store, _user, maple, _owner = ordered("net30")
    other, other_user = buyer("Chengdu Panda Foods")
    syrup = sku(maple, _owner, code="MS-2")
    unsplit = place(other, other_user, [(syrup, 12)], payment_terms="net60")
    idle, _idle_user = buyer("Quiet Buyer")
    exposures = plans.credit_exposures([store, other, idle])
    assert exposures == {
        store.pk: plans.credit_exposure(store),
        other.pk: plans.credit_exposure(other),
        idle.pk: Decimal("0.00"),
    }
    assert exposures[store.pk] == order.total_usd
    assert exposures[other.pk] == unsplit.total_usd
    fan_out(unsplit)
    assert plans.credit_exposures([other]) == {other.pk: unsplit.total_usd}
