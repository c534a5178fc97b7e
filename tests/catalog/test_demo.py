"""The demo catalogue: about 2,000 products with Chinese titles, idempotent (its listing reports
are moderation's demo: tests/moderation/test_demo.py)."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_demo_catalogue_is_realistic_and_idempotent():
    from catalog import demo as catalog_demo
    from catalog.models import SKU, Product, ProductImage
    from catalog.selectors import product_search_ids
    from merchants import demo as merchants_demo
    from network import demo as network_demo

    with scopes_disabled():
        network_demo.seed()
        merchants_demo.seed()
        summary = catalog_demo.seed()
        assert 1900 <= summary["products"] <= 2100
        count = Product.objects.count()
        assert count == summary["products"]
        assert SKU.objects.count() == count
        assert ProductImage.objects.count() == count
        assert not Product.objects.filter(title_zh_hans="").exists()
        assert Product.objects.filter(organization__slug="great-lakes-maple-co").count() > 50
        assert product_search_ids("枫糖浆")
        assert product_search_ids("奶酪")
        assert product_search_ids("maple syrup")
        # A second run changes nothing.
        assert catalog_demo.seed() == {"products": 0}
        assert Product.objects.count() == count
        # The tariff table covers the demo's HS codes, and the maple merchant offers samples
        # and a price list to the demo buyer.
        from catalog.models import PriceList, TariffLine

        assert summary["tariff_lines"] == TariffLine.objects.count() >= 10
        assert SKU.objects.exclude(cn_tariff_code="").count() > count // 4
        assert TariffLine.objects.filter(cross_border_positive_list=True).exists()
        assert SKU.objects.filter(sample_price_usd__isnull=False).count() == 3
        [price_list] = PriceList.objects.all()
        assert price_list.buyer.slug == network_demo.DEMO_BUYER_SLUG
        assert price_list.entries.count() == 2
