"""Claims: the buyer claims money back from escrow with photos; the merchant accepts, offers or
disputes; the buyer answers an offer or withdraws; unanswered and disputed claims go to the
operators, who refund as credit or by transfer, or reject. Escrow under an open claim is never
released, and what is left after the decision is released once receipt was confirmed."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone
from django_scopes import scopes_disabled

from merchants.models import Strike
from moderation.models import ListingReport
from network import services as network_services
from network.models import Notification, Role, WebhookDelivery
from network.selectors import operator_memberships
from orders import services as order_services
from orders.models import MerchantOrder, ReceiptProblem
from payments import ledger
from payments.errors import ClaimInvalid, IllegalPaymentTransition, PaymentPermissionDenied
from payments.models import AccountKind, Claim, ClaimPhoto, LedgerTransaction, TransactionKind
from payments.services import claims, release
from tests.factories import member, operator
from tests.payments.trade import TOTAL, photo, trade

pytestmark = pytest.mark.django_db


def open_claim(world, amount="100.00", reason="damaged", **fields) -> Claim:
    values = {
        "description": "Six bottles arrived broken.",
        "photos": [photo(), photo("label.png", "PNG")],
    }
    values.update(fields)
    return claims.claim_open(
        merchant_order=world.merchant_order,
        reason=reason,
        amount_usd=amount,
        acting_user=world.buyer_user,
        **values,
    )


def fresh(claim) -> Claim:
    with scopes_disabled():
        return Claim.objects.select_related("merchant_order").get(pk=claim.pk)


def refunds() -> Decimal:
    return ledger.balance(ledger.network_account(AccountKind.REFUNDS))


def test_a_claim_opens_with_photos_and_tells_merchant_and_operators(
    django_capture_on_commit_callbacks,
):
    world = trade(status="delivered")
    staff = operator()
    network_services.webhook_endpoint_create(
        organization=world.merchant,
        url="https://hooks.example/maple",
        events=["claim.opened", "claim.decided"],
        acting_user=world.merchant_user,
    )
    with django_capture_on_commit_callbacks(execute=True):
        claim = open_claim(world)
    assert claim.status == "awaiting_merchant"
    assert claim.number.startswith("CL") and claim.amount_usd == Decimal("100.00")
    with scopes_disabled():
        photos = list(ClaimPhoto.objects.filter(claim=claim))
        told = set(
            Notification.objects.filter(kind="payments.claim_opened").values_list(
                "recipient_id", flat=True
            )
        )
        operators = set(operator_memberships().values_list("user_id", flat=True))
        hooks = list(WebhookDelivery.objects.filter(event="claim.opened"))
    assert [p.content_type for p in photos] == ["image/jpeg", "image/png"]
    assert all(p.image.name.startswith("claims/") for p in photos)
    assert staff.pk in operators
    assert told == {world.merchant_user.pk, *operators}
    assert [h.payload["number"] for h in hooks] == [claim.number]
    # Escrow is untouched, and frozen.
    assert world.escrow() == TOTAL


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"photos": []}, "at least one photo"),
        ({"photos": [photo() for _ in range(7)]}, "at most 6 photos"),
        ({"amount": "0"}, "above zero"),
        ({"amount": "abc"}, "amount in US dollars"),
        ({"amount": "379.21"}, "at most US\\$379.20"),
        ({"description": "  "}, "Describe what is wrong"),
        ({"reason": "bored"}, "Choose what is wrong"),
        ({"refund_method": "transfer"}, "account holder"),
        (
            {
                "refund_method": "transfer",
                "refund_account_name": "Wang Fang",
                "refund_account_number": "6222020200112233",
                "refund_bank_bic": "XX",
            },
            "SWIFT/BIC",
        ),
    ],
)
def test_bad_claims_are_refused_saying_why(fields, message):
    world = trade(status="delivered")
    amount = fields.pop("amount", "100.00")
    reason = fields.pop("reason", "damaged")
    with pytest.raises(ClaimInvalid, match=message):
        open_claim(world, amount=amount, reason=reason, **fields)
    with scopes_disabled():
        assert not Claim.objects.exists()


def test_claims_wait_for_arrival_except_late_and_close_with_the_window():
    world = trade(status="shipped")
    with pytest.raises(ClaimInvalid, match="once the goods have arrived"):
        open_claim(world)
    late = open_claim(world, reason="late", description="Three weeks past the ETA.")
    assert late.status == "awaiting_merchant"
    with pytest.raises(ClaimInvalid, match="already has an open claim"):
        open_claim(world, reason="late")

    other = trade(status="delivered", merchant_name="Driftless Cheese Makers", buyer_name="B2")
    with scopes_disabled():
        MerchantOrder.objects.filter(pk=other.merchant_order.pk).update(
            delivered_at=timezone.now() - timedelta(days=31)
        )
    other.reload()
    window = override_settings(PAYMENTS_CLAIM_WINDOW_DAYS=30)
    with window, pytest.raises(ClaimInvalid, match="claim window of 30 days"):
        open_claim(other)


def test_only_the_buyers_people_open_claims():
    world = trade(status="delivered")
    viewer = member(world.buyer, Role.VIEWER)
    for person in (viewer, world.merchant_user):
        with pytest.raises(PaymentPermissionDenied):
            claims.claim_open(
                merchant_order=world.merchant_order,
                reason="damaged",
                description="x",
                amount_usd="10",
                photos=[photo()],
                acting_user=person,
            )


def test_merchant_accepts_the_refund_goes_to_credit_and_the_rest_is_released_on_receipt():
    world = trade(status="delivered")
    claim = open_claim(world, amount="100.00")
    order_services.merchant_order_confirm_receipt(
        merchant_order=world.merchant_order, acting_user=world.buyer_user
    )
    assert world.escrow() == TOTAL  # held: the claim is open
    claim = claims.claim_respond(
        claim=claim, action="accept", text="Sorry.", acting_user=world.merchant_user
    )
    assert claim.status == "refunded" and claim.refund_usd == Decimal("100.00")
    assert world.buyer_credit() == Decimal("100.00")
    # 279.20 left, released less 5 % (13.96).
    assert world.escrow() == Decimal("0.00")
    assert world.owed_to_merchant() == Decimal("265.24")
    with pytest.raises(IllegalPaymentTransition):
        claims.claim_respond(
            claim=claim, action="dispute", text="x", acting_user=world.merchant_user
        )


def test_an_offer_accepted_by_the_buyer_refunds_that_much():
    world = trade(status="closed")  # receipt confirmed before any claim: escrow released
    assert world.escrow() == Decimal("0.00")
    with pytest.raises(ClaimInvalid, match="Nothing is held in escrow"):
        open_claim(world)

    world = trade(status="delivered", merchant_name="Driftless Cheese Makers", buyer_name="B2")
    claim = open_claim(world, amount="200.00")
    with pytest.raises(ClaimInvalid, match="Offer less than"):
        claims.claim_respond(
            claim=claim, action="offer", offer_usd="200", acting_user=world.merchant_user
        )
    claim = claims.claim_respond(
        claim=claim, action="offer", offer_usd="80.50", acting_user=world.merchant_user
    )
    assert claim.status == "offered" and claim.offer_usd == Decimal("80.50")
    with pytest.raises(PaymentPermissionDenied):
        claims.claim_buyer_answer(
            claim=claim, action="accept_offer", acting_user=world.merchant_user
        )
    claim = claims.claim_buyer_answer(
        claim=claim, action="accept_offer", acting_user=world.buyer_user
    )
    assert claim.status == "refunded" and claim.refund_usd == Decimal("80.50")
    assert world.buyer_credit() == Decimal("80.50")
    # Not received yet: the rest stays in escrow for the usual release.
    assert world.escrow() == TOTAL - Decimal("80.50")


def test_a_disputed_claim_is_decided_by_an_operator_as_a_transfer(
    django_capture_on_commit_callbacks,
):
    world = trade(status="delivered")
    staff = operator()
    claim = open_claim(
        world,
        amount="150.00",
        refund_method="transfer",
        refund_account_name="Wang Fang",
        refund_account_number="6222 0202 0011 2233",
        refund_bank_bic="ICBKCNBJ",
    )
    assert claim.refund_account_number == "6222020200112233"
    with pytest.raises(ClaimInvalid, match="Say why"):
        claims.claim_respond(claim=claim, action="dispute", acting_user=world.merchant_user)
    claim = claims.claim_respond(
        claim=claim,
        action="dispute",
        text="Packed intact; the carrier broke them.",
        acting_user=world.merchant_user,
    )
    assert claim.status == "with_operators"
    with pytest.raises(PaymentPermissionDenied):
        claims.claim_decide(claim=claim, refund_usd="10", note="x", acting_user=world.merchant_user)
    with pytest.raises(ClaimInvalid, match="At most US\\$379.20"):
        claims.claim_decide(claim=claim, refund_usd="400", note="Too much", acting_user=staff)
    with django_capture_on_commit_callbacks(execute=True):
        claim = claims.claim_decide(
            claim=claim, refund_usd="120.00", note="Photos show breakage.", acting_user=staff
        )
    assert claim.status == "refunded" and claim.refund_usd == Decimal("120.00")
    assert claim.decided_by == staff
    assert refunds() == Decimal("120.00")
    assert world.buyer_credit() == Decimal("0.00")
    assert world.escrow() == TOTAL - Decimal("120.00")
    with scopes_disabled():
        entry = LedgerTransaction.objects.get(kind=TransactionKind.REFUND_TRANSFER)
        told = set(
            Notification.objects.filter(kind="payments.claim_decided").values_list(
                "recipient_id", flat=True
            )
        )
    assert entry.organization_id == world.buyer.pk and entry.merchant_id == world.merchant.pk
    assert {world.buyer_user.pk, world.merchant_user.pk} <= told


def test_an_operator_may_reject_and_the_escrow_is_released_on_receipt():
    world = trade(status="delivered")
    staff = operator()
    claim = open_claim(world)
    claim = claims.claim_respond(
        claim=claim, action="dispute", text="No.", acting_user=world.merchant_user
    )
    order_services.merchant_order_confirm_receipt(
        merchant_order=world.merchant_order, acting_user=world.buyer_user
    )
    assert world.escrow() == TOTAL
    with pytest.raises(ClaimInvalid, match="decision's reasons"):
        claims.claim_decide(claim=claim, refund_usd="", note="", acting_user=staff)
    claim = claims.claim_decide(claim=claim, refund_usd="", note="No evidence.", acting_user=staff)
    assert claim.status == "rejected" and claim.refund_usd is None
    assert world.escrow() == Decimal("0.00")
    assert world.owed_to_merchant() == Decimal("360.24")


def test_withdrawing_frees_the_escrow():
    world = trade(status="delivered")
    claim = open_claim(world)
    assert release.releases_due(now=timezone.now() + timedelta(days=60)) == 0
    claims.claim_buyer_answer(claim=claim, action="withdraw", acting_user=world.buyer_user)
    assert fresh(claim).status == "withdrawn"
    assert release.releases_due(now=timezone.now() + timedelta(days=60)) == 1
    assert world.owed_to_merchant() == Decimal("360.24")


def test_unanswered_claims_and_offers_go_to_the_operators():
    world = trade(status="delivered")
    claim = open_claim(world)
    assert claims.claims_escalate() == 0
    later = timezone.now() + timedelta(days=6)
    with override_settings(PAYMENTS_CLAIM_RESPONSE_DAYS=5):
        assert claims.claims_escalate(now=later) == 1
    claim = fresh(claim)
    assert claim.status == "with_operators" and claim.escalated_at is not None

    other = trade(status="delivered", merchant_name="Driftless Cheese Makers", buyer_name="B2")
    offered = claims.claim_respond(
        claim=open_claim(other), action="offer", offer_usd="10", acting_user=other.merchant_user
    )
    assert claims.claims_escalate(now=later) == 1
    assert fresh(offered).status == "with_operators"
    with pytest.raises(IllegalPaymentTransition):
        claims.claim_buyer_answer(
            claim=offered, action="accept_offer", acting_user=other.buyer_user
        )


def test_a_late_answer_is_refused():
    world = trade(status="delivered")
    claim = open_claim(world)
    with scopes_disabled():
        Claim.objects.filter(pk=claim.pk).update(respond_by=timezone.now() - timedelta(hours=1))
    with pytest.raises(IllegalPaymentTransition, match="time to answer"):
        claims.claim_respond(claim=claim, action="accept", acting_user=world.merchant_user)


def test_an_upheld_counterfeit_claim_opens_a_takedown_review_and_a_strike():
    world = trade(status="delivered")
    staff = operator()
    claim = open_claim(world, reason="counterfeit", description="Fake labels.")
    claim = claims.claim_respond(
        claim=claim, action="dispute", text="Genuine.", acting_user=world.merchant_user
    )
    claims.claim_decide(claim=claim, refund_usd=str(TOTAL), note="Fake.", acting_user=staff)
    with scopes_disabled():
        reports = list(ListingReport.objects.filter(merchant=world.merchant))
        strikes = list(Strike.objects.filter(organization=world.merchant))
    assert [r.reason for r in reports] == ["counterfeit"]
    assert reports[0].status == "open" and claim.number in reports[0].details
    assert len(strikes) == 1 and strikes[0].source == f"claim {claim.number}"
    assert world.buyer_credit() == TOTAL


def test_a_rejected_counterfeit_claim_gives_no_strike():
    world = trade(status="delivered")
    staff = operator()
    claim = open_claim(world, reason="counterfeit", description="Fake labels.")
    claim = claims.claim_respond(
        claim=claim, action="dispute", text="Genuine.", acting_user=world.merchant_user
    )
    claims.claim_decide(claim=claim, refund_usd="0", note="Genuine goods.", acting_user=staff)
    with scopes_disabled():
        assert not Strike.objects.filter(organization=world.merchant).exists()
        assert not ListingReport.objects.exists()


def test_a_receipt_problem_becomes_a_claim_and_is_resolved_with_it():
    world = trade(status="delivered")
    problem = order_services.receipt_problem_report(
        merchant_order=world.merchant_order,
        kind="short",
        description="Two cases missing.",
        photos=[photo()],
        acting_user=world.buyer_user,
    )
    with scopes_disabled():
        claim = Claim.objects.get(receipt_problem=problem)
        assert ClaimPhoto.objects.filter(claim=claim).count() == 1
    assert claim.reason == "short" and claim.amount_usd == TOTAL
    claims.claim_respond(claim=claim, action="accept", acting_user=world.merchant_user)
    with scopes_disabled():
        assert ReceiptProblem.objects.get(pk=problem.pk).status == "resolved"


def test_a_receipt_problem_with_affected_lines_claims_their_value():
    world = trade(status="delivered")
    with scopes_disabled():
        line = world.merchant_order.lines.get()
        problem = ReceiptProblem.objects.create(
            organization=world.buyer,
            merchant=world.merchant,
            merchant_order=world.merchant_order,
            kind="short",
            description="12 missing",
            affected_quantities={str(line.pk): 12},
        )
        claim = claims.claim_open_from_problem(problem=problem, acting_user=world.buyer_user)
    assert claim is not None and claim.amount_usd == Decimal("94.80")  # 12 × 7.90


def test_both_parties_hear_of_the_decision_in_their_language(django_capture_on_commit_callbacks):
    world = trade(status="delivered", language="zh-hans")
    staff = operator()
    for organization, user in (
        (world.buyer, world.buyer_user),
        (world.merchant, world.merchant_user),
    ):
        network_services.webhook_endpoint_create(
            organization=organization,
            url=f"https://hooks.example/{organization.pk}",
            events=["claim.decided"],
            acting_user=user,
        )
    claim = open_claim(world)
    claims.claim_respond(
        claim=claim, action="offer", offer_usd="40", acting_user=world.merchant_user
    )
    with scopes_disabled():
        offered = Notification.objects.get(kind="payments.claim_offered")
    assert offered.recipient == world.buyer_user
    assert "商家报价 US$40.00" in offered.subject
    claims.claim_buyer_answer(claim=claim, action="reject_offer", acting_user=world.buyer_user)
    with django_capture_on_commit_callbacks(execute=True):
        claims.claim_decide(claim=claim, refund_usd="55", note="Half.", acting_user=staff)
    with scopes_disabled():
        hooks = list(WebhookDelivery.objects.filter(event="claim.decided"))
        decided = Notification.objects.get(
            kind="payments.claim_decided", recipient=world.buyer_user
        )
    assert {h.organization_id for h in hooks} == {world.buyer.pk, world.merchant.pk}
    assert hooks[0].payload["refund_usd"] == "55.00" and hooks[0].payload["status"] == "refunded"
    assert "已裁定" in decided.subject


def test_a_counterfeit_claim_the_merchant_accepts_goes_to_takedown_review_without_a_strike():
    world = trade(status="delivered")
    claim = open_claim(world, reason="counterfeit", description="Fake labels.")
    claims.claim_respond(claim=claim, action="accept", acting_user=world.merchant_user)
    with scopes_disabled():
        reports = list(ListingReport.objects.filter(merchant=world.merchant))
        assert not Strike.objects.filter(organization=world.merchant).exists()
    assert [(r.reason, r.status, r.reporter_id) for r in reports] == [
        ("counterfeit", "open", world.buyer_user.pk)
    ]
    assert world.buyer_credit() == Decimal("100.00")
