"""The demo's claims: the demo buyer's damage report becomes a claim the merchant made an
offer on, and a late part waits in the operators' queue; a second run changes nothing."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from network.demo import DEMO_BUYER_SLUG
from network.models import Organization, Role
from orders import demo as orders_demo
from payments import demo as payments_demo
from payments import demo_claims
from payments.models import Claim
from tests.factories import OrganizationFactory, member
from tests.orders.factories import merchant, sku

pytestmark = pytest.mark.django_db


def test_demo_claims_are_made_once():
    with scopes_disabled():
        assert demo_claims.seed() == {"claims": 0}  # no demo orders yet
        store = OrganizationFactory(
            name="Hangzhou Westlake Global Store",
            slug=DEMO_BUYER_SLUG,
            kind=Organization.Kind.BUYER,
        )
        member(store, Role.BUYER)
        payments_demo.prepare()
        for name in ("Great Lakes Maple Co.", "Driftless Cheese Makers", "Cascadia Botanicals"):
            organization, owner = merchant(name)
            sku(organization, owner, code=f"{name[:4].upper()}-1", on_hand=5000)
        orders_demo._seed_scenarios()
        assert demo_claims.seed() == {"claims": 2}
        assert demo_claims.seed() == {"claims": 0}
        statuses = sorted(Claim.objects.values_list("reason", "status"))
    assert statuses == [("damaged", "offered"), ("late", "with_operators")]
