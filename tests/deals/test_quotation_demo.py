"""The demo's requests for quotation: an open one quoted by two merchants of the category, to
compare, and a closed trial; a second run changes nothing."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from deals import demo_quotations
from deals.models import Quotation, QuotationRequest, QuotationRequestFile
from network.demo import DEMO_BUYER_SLUG, DEMO_MERCHANT_SLUG
from network.models import Organization, Role
from tests.catalog.factories import merchant
from tests.factories import OrganizationFactory, member
from tests.orders.factories import sku

pytestmark = pytest.mark.django_db


def test_demo_quotations_are_made_once():
    with scopes_disabled():
        assert demo_quotations.seed() == "quotation requests: 0"
        store = OrganizationFactory(
            name="Hangzhou Westlake Global Store",
            slug=DEMO_BUYER_SLUG,
            kind=Organization.Kind.BUYER,
        )
        member(store, Role.OWNER)
        for name, slug in (
            ("Great Lakes Maple Co.", DEMO_MERCHANT_SLUG),
            ("Vermont Sugarhouse", None),
        ):
            organization, owner = merchant(name, slug=slug)
            sku(organization, owner, code=f"{name[:4].upper()}-1", on_hand=5000)
        assert demo_quotations.seed() == "quotation requests: 2, quotations: 3"
        assert demo_quotations.seed() == "quotation requests: 0"
        requests = sorted(QuotationRequest.objects.values_list("status", flat=True))
        quotations = sorted(Quotation.objects.values_list("status", flat=True))
        files = list(QuotationRequestFile.objects.values_list("original_name", "content_type"))
    assert requests == ["closed", "open"]
    assert quotations == ["declined", "submitted", "submitted"]
    assert files == [("back-label.png", "image/png")]
