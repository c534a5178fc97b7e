"""Read paths of deals."""

from __future__ import annotations

from django.db.models import QuerySet

from network.models import Organization


def quotation_requests_open_to(queryset: QuerySet, merchant: Organization) -> QuerySet:
    """See ``QuotationRequestManager.open_to``: open requests in a category (or a subcategory)
    where ``merchant`` is an approved merchant with an active listing, open requests about one
    of its products, and every request it has quoted on."""
    from deals.selectors_quotations import requests_open_to

    return requests_open_to(queryset, merchant)
