"""Requests for quotation and quotations through their services: who a request reaches, who
sees which quotation, what a merchant may quote, withdrawing, closing and expiry."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_scopes import scopes_disabled

from deals import selectors_quotations as selectors
from deals.errors_quotations import (
    IllegalQuotationTransition,
    QuotationInvalid,
    QuotationPermissionDenied,
    QuotationRequestInvalid,
    QuotationRequestNotOpen,
)
from deals.models import Quotation, QuotationRequest
from deals.services import quotations as services
from network.models import Notification
from network.tenancy import RecordNotFound
from orders.errors import QuotationExpired
from tests.deals.quotation_world import world
from tests.orders.factories import buyer

pytestmark = pytest.mark.django_db


def numbers(queryset) -> set[str]:
    return set(queryset.values_list("number", flat=True))


def test_a_request_reaches_the_merchants_of_its_category_and_no_one_else():
    w = world()
    rfq = w.request()
    assert rfq.number.startswith("RFQ") and rfq.status == "open"
    assert numbers(QuotationRequest.objects.open_to(w.maple)) == {rfq.number}
    assert numbers(QuotationRequest.objects.open_to(w.sugar)) == {rfq.number}
    assert numbers(QuotationRequest.objects.open_to(w.vitamins)) == set()
    with scopes_disabled():
        told = set(
            Notification.objects.filter(kind="deals.quotation_request_opened").values_list(
                "recipient_id", flat=True
            )
        )
    assert told == {w.maple_user.pk, w.sugar_user.pk}
    with pytest.raises(RecordNotFound):
        selectors.access_quotation_request(organization=w.vitamins, number=rfq.number)
    other_buyer, _user = buyer("Shenzhen Harbour Imports")
    with pytest.raises(RecordNotFound):
        selectors.access_quotation_request(organization=other_buyer, number=rfq.number)


def test_a_request_in_the_parent_category_reaches_merchants_of_its_subcategories():
    from catalog.models import Category

    w = world()
    rfq = w.request(category=Category.objects.get(slug="food"))
    assert rfq.number in numbers(QuotationRequest.objects.open_to(w.maple))
    assert rfq.number not in numbers(QuotationRequest.objects.open_to(w.vitamins))


def test_a_request_about_a_product_reaches_its_merchant():
    w = world()
    rfq = w.request(category=None, product=w.maple_sku.product)
    assert rfq.category.slug == "maple-syrup"
    assert rfq.number in numbers(QuotationRequest.objects.open_to(w.maple))


def test_a_merchant_sees_only_its_own_quotation_and_the_buyer_sees_both():
    w = world()
    rfq = w.request()
    mine = w.quote(rfq, "maple", price="7.10")
    theirs = w.quote(rfq, "sugar", price="6.95")
    assert mine.number != theirs.number
    for merchant, own in ((w.maple, mine), (w.sugar, theirs)):
        seen = selectors.quotations_of_request(organization=merchant, rfq=rfq)
        assert [q.number for q in seen] == [own.number]
        other = theirs if own is mine else mine
        with pytest.raises(RecordNotFound):
            selectors.access_quotation(organization=merchant, number=other.number)
    compared = selectors.quotations_compared(organization=w.buyer, rfq=rfq)
    assert [c.quotation.number for c in compared] == [mine.number, theirs.number]
    by_number = {c.quotation.number: c for c in compared}
    assert by_number[theirs.number].unit_price_at_requested == Decimal("6.95")
    assert by_number[theirs.number].total == Decimal("3336.00")  # 480 × 6.95
    assert by_number[mine.number].total == Decimal("3408.00")  # 480 × 7.10
    assert by_number[theirs.number].best_total and not by_number[mine.number].best_total
    with scopes_disabled():
        told = Notification.objects.filter(
            kind="deals.quotation_received", recipient=w.buyer_user
        ).count()
    assert told == 2


def test_the_unit_price_follows_the_tier_the_quantity_reaches():
    w = world()
    rfq = w.request(quantity=120)
    w.quote(rfq, "maple", price="7.10")
    (compared,) = selectors.quotations_compared(organization=w.buyer, rfq=rfq)
    # 120 units reach the 96-unit tier (US$8.10), not the 480-unit one.
    assert compared.unit_price_at_requested == Decimal("8.10")


def test_a_merchant_quotes_only_its_own_skus_in_whole_cases_from_the_moq():
    w = world()
    rfq = w.request()
    with pytest.raises(QuotationInvalid):
        w.quote(
            rfq,
            "maple",
            lines=[
                services.QuotedLine(sku_id=w.sugar_sku.pk, quantity=480, tiers=[(96, Decimal("7"))])
            ],
        )
    with pytest.raises(QuotationInvalid, match="cases of 6"):
        w.quote(
            rfq,
            "maple",
            lines=[
                services.QuotedLine(sku_id=w.maple_sku.pk, quantity=481, tiers=[(96, Decimal("7"))])
            ],
        )
    with pytest.raises(QuotationInvalid, match="below the quotation's MOQ"):
        w.quote(rfq, "maple", moq=600)
    with pytest.raises(QuotationInvalid):
        w.quote(rfq, "maple", valid_until=timezone.localdate() - timedelta(days=1))
    with pytest.raises(QuotationPermissionDenied):
        w.quote(rfq, "maple", acting_user=w.sugar_user)
    with scopes_disabled():
        assert Quotation.objects.count() == 0


def test_a_merchant_the_request_is_not_open_to_cannot_quote():
    w = world()
    rfq = w.request()
    with pytest.raises(RecordNotFound):
        services.quotation_submit(
            rfq=rfq,
            merchant=w.vitamins,
            lines=[],
            moq=1,
            lead_time_days=1,
            valid_until=timezone.localdate(),
            acting_user=w.vitamins_user,
        )


def test_one_standing_quotation_per_merchant_a_withdrawn_one_may_be_replaced():
    w = world()
    rfq = w.request()
    first = w.quote(rfq, "maple")
    with pytest.raises(QuotationInvalid) as refused:
        w.quote(rfq, "maple")
    assert refused.value.code == "quotation_exists"
    withdrawn = services.quotation_withdraw(quotation=first, acting_user=w.maple_user)
    assert withdrawn.status == "withdrawn"
    second = w.quote(rfq, "maple", price="6.80")
    assert second.status == "submitted"
    with pytest.raises(IllegalQuotationTransition):
        services.quotation_withdraw(quotation=first, acting_user=w.maple_user)


def test_closing_a_request_sets_its_quotations_aside_and_stops_new_ones():
    w = world()
    rfq = w.request()
    quotation = w.quote(rfq, "maple")
    services.quotation_request_close(rfq=rfq, acting_user=w.buyer_user)
    with scopes_disabled():
        rfq.refresh_from_db()
        quotation.refresh_from_db()
    assert rfq.status == "closed" and rfq.closed_at is not None
    assert quotation.status == "declined"
    # The merchant that quoted still reads it, and is told it is closed; others no longer find it.
    with pytest.raises(QuotationRequestNotOpen):
        w.quote(rfq, "maple")
    with pytest.raises(RecordNotFound):
        w.quote(rfq, "sugar")
    with pytest.raises(IllegalQuotationTransition):
        services.quotation_request_close(rfq=rfq, acting_user=w.buyer_user)


def test_an_expired_quotation_cannot_be_accepted_and_nothing_changes():
    w = world()
    rfq = w.request()
    quotation = w.quote(rfq, "maple")
    with scopes_disabled():
        Quotation.objects.filter(pk=quotation.pk).update(
            valid_until=timezone.localdate() - timedelta(days=1)
        )
        quotation.refresh_from_db()
    with pytest.raises(QuotationExpired) as refused:
        services.quotation_accept(quotation=quotation, acting_user=w.buyer_user)
    assert refused.value.code == "quotation_expired"
    with scopes_disabled():
        rfq.refresh_from_db()
        quotation.refresh_from_db()
    assert rfq.status == "open" and quotation.status == "submitted"
    (compared,) = selectors.quotations_compared(organization=w.buyer, rfq=rfq)
    assert compared.expired and not compared.acceptable


def test_a_merchant_cannot_accept_and_a_withdrawn_quotation_cannot_be_accepted():
    w = world()
    rfq = w.request()
    quotation = w.quote(rfq, "maple")
    with pytest.raises(QuotationPermissionDenied):
        services.quotation_accept(quotation=quotation, acting_user=w.maple_user)
    services.quotation_withdraw(quotation=quotation, acting_user=w.maple_user)
    with pytest.raises(IllegalQuotationTransition):
        services.quotation_accept(quotation=quotation, acting_user=w.buyer_user)


def test_a_request_needs_a_product_or_category_and_files_that_are_what_they_say():
    w = world()
    with pytest.raises(QuotationRequestInvalid) as refused:
        w.request(category=None)
    assert refused.value.details["field"] == "category"
    fake = SimpleUploadedFile(
        "drawing.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf"
    )
    with pytest.raises(QuotationRequestInvalid) as refused:
        w.request(files=[fake])
    assert refused.value.details["field"] == "files"
    with pytest.raises(QuotationPermissionDenied):
        w.request(acting_user=w.maple_user)
    with scopes_disabled():
        assert QuotationRequest.objects.count() == 0


def test_a_suspended_merchant_is_not_reached_and_cannot_quote():
    from merchants.models import ApplicationStatus, MerchantApplication

    w = world()
    with scopes_disabled():
        MerchantApplication.objects.filter(organization=w.sugar).update(
            status=ApplicationStatus.SUSPENDED
        )
    rfq = w.request()
    assert numbers(QuotationRequest.objects.open_to(w.sugar)) == set()
    assert numbers(QuotationRequest.objects.open_to(w.maple)) == {rfq.number}
    with pytest.raises(RecordNotFound):
        w.quote(rfq, "sugar")
