"""Claims: the buyer asks for money back from a merchant order's escrow (not as described,
counterfeit, short, damaged, late), with photos, within ``PAYMENTS_CLAIM_WINDOW_DAYS`` of the
goods' arrival. The merchant accepts (the amount claimed is refunded), offers a partial refund or
disputes, within ``PAYMENTS_CLAIM_RESPONSE_DAYS``; the buyer accepts or rejects an offer, or
withdraws. Unanswered, disputed or rejected offers go to the network's operators, who refund
(part of) the escrow or reject the claim.

While a claim is open its merchant order's escrow is never released: opening a claim and a
release both lock the payment plan first. A refund moves money out of escrow to the buyer's
credit (``REFUND_CREDIT``) or to the network's refunds account for a transfer back to the buyer
(``REFUND_TRANSFER``, sent by the next payout run). Once a claim closes, what is left in escrow
is released if the buyer confirmed receipt. A counterfeit claim an operator upholds opens a
takedown review of the order's listings and counts as a strike against the merchant."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from celery import shared_task
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from stdnum import bic as stdnum_bic

from catalog.errors import ReportRejected
from catalog.models import Product
from merchants.services import strike_issue
from moderation.models import ReportReason
from moderation.services.reports import report_create
from network.models import Membership, Organization, Role, User
from network.permissions import require_member, require_operator
from network.selectors import operator_memberships, organization_staff, user_is_operator
from network.services import audit, notification_send, webhook_emit
from network.transitions import transition, transition_apply
from orders.errors import ReceiptProblemInvalid
from orders.models import MerchantOrder, MerchantOrderStatus, ReceiptProblem
from orders.services.common import _link
from orders.services.receipt import MAX_PHOTOS, _photo_checked
from payments.errors import ClaimInvalid, IllegalPaymentTransition, PaymentPermissionDenied
from payments.ledger import (
    ZERO,
    accounts_locked,
    balance,
    buyer_account,
    credit,
    debit,
    escrow_account,
    in_english,
    ledger_post,
    money,
    network_account,
    network_books,
)
from payments.models import (
    OPEN_CLAIM_STATUSES,
    AccountKind,
    Claim,
    ClaimPhoto,
    ClaimReason,
    ClaimStatus,
    PaymentPlan,
    TransactionKind,
)
from payments.services.release import SENT_STATUSES, arrived_at, escrow_release, order_locked

logger = logging.getLogger(__name__)

S = ClaimStatus
OPEN = tuple(OPEN_CLAIM_STATUSES)
TRANSITIONS = {
    "accept": transition(gettext_lazy("accept"), [S.AWAITING_MERCHANT], S.REFUNDED),
    "offer": transition(gettext_lazy("offer a refund on"), [S.AWAITING_MERCHANT], S.OFFERED),
    "dispute": transition(gettext_lazy("dispute"), [S.AWAITING_MERCHANT], S.WITH_OPERATORS),
    "accept_offer": transition(gettext_lazy("accept the offer on"), [S.OFFERED], S.REFUNDED),
    "reject_offer": transition(gettext_lazy("reject the offer on"), [S.OFFERED], S.WITH_OPERATORS),
    "withdraw": transition(gettext_lazy("withdraw"), OPEN, S.WITHDRAWN),
    "escalate": transition(
        gettext_lazy("escalate"), [S.AWAITING_MERCHANT, S.OFFERED], S.WITH_OPERATORS
    ),
    "refund": transition(gettext_lazy("refund"), [S.WITH_OPERATORS], S.REFUNDED),
    "reject": transition(gettext_lazy("reject"), [S.WITH_OPERATORS], S.REJECTED),
}
MERCHANT_ACTIONS = ("accept", "offer", "dispute")
BUYER_ACTIONS = ("accept_offer", "reject_offer", "withdraw")
BUYERS = (Organization.Kind.BUYER,)
MERCHANTS = (Organization.Kind.MERCHANT,)
PROBLEM_REASONS = {
    ReceiptProblem.Kind.SHORT: ClaimReason.SHORT,
    ReceiptProblem.Kind.DAMAGED: ClaimReason.DAMAGED,
    ReceiptProblem.Kind.NOT_AS_DESCRIBED: ClaimReason.NOT_AS_DESCRIBED,
}


# --- Who may act -------------------------------------------------------------------------------


def _buyer_required(organization: Organization, user: User | None) -> None:
    require_member(
        organization=organization,
        user=user,
        role=Role.BUYER,
        kinds=BUYERS,
        error=PaymentPermissionDenied,
        message=_("Only buyers, admins and owners of %(org)s can act on its claims.")
        % {"org": organization.name},
    )


def _merchant_required(organization: Organization, user: User | None) -> None:
    require_member(
        organization=organization,
        user=user,
        role=Role.STAFF,
        kinds=MERCHANTS,
        error=PaymentPermissionDenied,
        message=_("Only staff, admins and owners of %(org)s can answer its claims.")
        % {"org": organization.name},
    )


def _operator_required(user: User | None) -> None:
    require_operator(
        user,
        error=PaymentPermissionDenied,
        message=_("Only the network's operators decide claims."),
    )


# --- Reading -----------------------------------------------------------------------------------


def escrow_held(merchant_order: MerchantOrder) -> Decimal:
    return balance(escrow_account(merchant_order))


def claim_window_ends(merchant_order: MerchantOrder) -> datetime | None:
    """Until when the buyer may open a claim (None before the goods arrived)."""
    arrival = arrived_at(merchant_order)
    if arrival is None:
        return None
    return arrival + timedelta(days=settings.PAYMENTS_CLAIM_WINDOW_DAYS)


def claim_refusal(
    merchant_order: MerchantOrder, reason: str, *, now: datetime | None = None
) -> str:
    """Why the buyer may not open a claim of ``reason`` on the merchant order now ("" if it
    may): a late delivery may be claimed once shipped; anything else once the goods arrived,
    within the claim window."""
    now = now or timezone.now()
    if merchant_order.status not in SENT_STATUSES:
        return _("You can open a claim once the merchant has shipped the order.")
    ends = claim_window_ends(merchant_order)
    if ends is None:
        if reason == ClaimReason.LATE:
            return ""
        return _(
            "You can open a claim once the goods have arrived (or, if they are late, a claim "
            "for the delay)."
        )
    if now > ends:
        return _("The claim window of %(days)s days after the goods arrived has closed.") % {
            "days": settings.PAYMENTS_CLAIM_WINDOW_DAYS
        }
    return ""


def claim_payload(claim: Claim) -> dict[str, Any]:
    return {
        "number": claim.number,
        "merchant_order": claim.merchant_order.number,
        "purchase_order": claim.merchant_order.purchase_order.number,
        "reason": claim.reason,
        "status": claim.status,
        "amount_usd": str(claim.amount_usd),
        "offer_usd": None if claim.offer_usd is None else str(claim.offer_usd),
        "refund_usd": None if claim.refund_usd is None else str(claim.refund_usd),
        "refund_method": claim.refund_method,
        "respond_by": claim.respond_by,
        "opened_at": claim.opened_at,
        "closed_at": claim.closed_at,
    }


# --- Opening -----------------------------------------------------------------------------------


def _amount(value: Any, *, field: str) -> Decimal:
    try:
        amount = money(Decimal(str(value).strip().replace(",", "")))
    except (InvalidOperation, ValueError, TypeError):
        raise ClaimInvalid(_("Enter an amount in US dollars."), field=field) from None
    if amount <= ZERO:
        raise ClaimInvalid(_("Enter an amount above zero."), field=field)
    return amount


def _refund_account(method: str, name: str, number: str, bic: str) -> tuple[str, str, str, str]:
    if method not in Claim.RefundMethod.values:
        raise ClaimInvalid(_("Choose how you want the refund."), field="refund_method")
    if method == Claim.RefundMethod.CREDIT:
        return method, "", "", ""
    name, number = (name or "").strip(), "".join((number or "").split()).upper()
    bic = "".join((bic or "").split()).upper()
    if not name:
        raise ClaimInvalid(_("Enter the account holder's name."), field="refund_account_name")
    if not number or len(number) > 34 or not number.isalnum():
        raise ClaimInvalid(
            _("Enter the account number or IBAN (letters and digits, at most 34)."),
            field="refund_account_number",
        )
    if not stdnum_bic.is_valid(bic):
        raise ClaimInvalid(
            _("Enter the bank's SWIFT/BIC code (8 or 11 characters)."), field="refund_bank_bic"
        )
    return method, name[:140], number, stdnum_bic.compact(bic)


def _checked_photos(photos: Sequence[IO[bytes]]) -> list[tuple[bytes, str]]:
    if not photos:
        raise ClaimInvalid(_("Add at least one photo."), field="photos")
    if len(photos) > MAX_PHOTOS:
        raise ClaimInvalid(_("Add at most %(n)s photos.") % {"n": MAX_PHOTOS}, field="photos")
    try:
        return [_photo_checked(photo, n) for n, photo in enumerate(photos, start=1)]
    except ReceiptProblemInvalid as error:
        raise ClaimInvalid(error.message, field="photos") from None


def _new_number(merchant_order: MerchantOrder) -> str:
    with network_books():
        count = Claim.objects.filter(merchant_order=merchant_order).count()
    return f"CL{merchant_order.number.removeprefix('PO')}-{count + 1}"


def _claim_create(
    *,
    merchant_order: MerchantOrder,
    reason: str,
    description: str,
    amount: Decimal,
    photos: Sequence[tuple[bytes, str]],
    refund: tuple[str, str, str, str],
    problem: ReceiptProblem | None,
    acting_user: User,
) -> Claim:
    """Make the claim (the plan locked by the caller), tell the merchant and the operators."""
    method, account_name, account_number, bic = refund
    claim = Claim(
        organization=merchant_order.buyer,
        merchant=merchant_order.organization,
        merchant_order=merchant_order,
        number=_new_number(merchant_order),
        reason=reason,
        description=description,
        amount_usd=amount,
        refund_method=method,
        refund_account_name=account_name,
        refund_account_number=account_number,
        refund_bank_bic=bic,
        receipt_problem=problem,
        respond_by=timezone.now() + timedelta(days=settings.PAYMENTS_CLAIM_RESPONSE_DAYS),
        opened_by=acting_user,
    )
    claim.save()
    for data, content_type in photos:
        photo = ClaimPhoto(
            organization=claim.organization,
            merchant=claim.merchant,
            claim=claim,
            content_type=content_type,
        )
        photo.image.save("photo", ContentFile(data), save=False)
        photo.save()
    audit(
        actor=acting_user,
        organization=claim.organization,
        action="claim.opened",
        target=claim,
        changes={"reason": reason, "amount": str(amount), "photos": len(photos)},
    )
    payload = claim_payload(claim)
    for organization in (claim.merchant, claim.organization):
        webhook_emit(organization=organization, event="claim.opened", payload=payload)
    _notify(claim, "opened", merchant=True, operators=True)
    return claim


@transaction.atomic
def claim_open(
    *,
    merchant_order: MerchantOrder,
    reason: str,
    description: str,
    amount_usd: Any,
    photos: Sequence[IO[bytes]],
    acting_user: User,
    refund_method: str = Claim.RefundMethod.CREDIT,
    refund_account_name: str = "",
    refund_account_number: str = "",
    refund_bank_bic: str = "",
) -> Claim:
    """The buyer opens a claim on its merchant order for ``amount_usd`` (at most what escrow
    holds) with 1 to 6 photos. Refused with ``claim_invalid`` (bad input, window closed, a
    claim already open, nothing held), ``permission_denied``."""
    _buyer_required(merchant_order.buyer, acting_user)
    if reason not in ClaimReason.values:
        raise ClaimInvalid(_("Choose what is wrong."), field="reason")
    description = (description or "").strip()
    if not description:
        raise ClaimInvalid(_("Describe what is wrong."), field="description")
    if len(description) > 2000:
        raise ClaimInvalid(
            _("Describe the problem in at most 2000 characters."), field="description"
        )
    amount = _amount(amount_usd, field="amount_usd")
    refund = _refund_account(
        refund_method, refund_account_name, refund_account_number, refund_bank_bic
    )
    checked = _checked_photos(photos)
    plan = order_locked(merchant_order)
    if plan is None:
        raise ClaimInvalid(_("This order was placed before trade assurance: it has no escrow."))
    merchant_order = plan.merchant_order
    refusal = claim_refusal(merchant_order, reason)
    if refusal:
        raise ClaimInvalid(refusal)
    with network_books():
        if Claim.objects.filter(merchant_order=merchant_order, status__in=OPEN).exists():
            raise ClaimInvalid(
                _("This order already has an open claim: add to it instead."),
                code="claim_already_open",
            )
    escrow = escrow_account(merchant_order)
    accounts_locked([escrow])
    held = balance(escrow)
    if held <= ZERO:
        raise ClaimInvalid(
            _("Nothing is held in escrow for this order any more: the money was released.")
        )
    if amount > held:
        raise ClaimInvalid(
            _("You can claim at most US$%(held)s, what escrow holds for this order.")
            % {"held": f"{held:,.2f}"},
            field="amount_usd",
        )
    return _claim_create(
        merchant_order=merchant_order,
        reason=reason,
        description=description,
        amount=amount,
        photos=checked,
        refund=refund,
        problem=None,
        acting_user=acting_user,
    )


def _affected_value(problem: ReceiptProblem) -> Decimal:
    """What the problem's affected units are worth at the prices ordered (0 when the whole
    order is meant)."""
    quantities = problem.affected_quantities or {}
    if not quantities:
        return ZERO
    with network_books():
        lines = {str(line.pk): line for line in problem.merchant_order.lines.all()}
    total = ZERO
    for line_id, units in quantities.items():
        line = lines.get(str(line_id))
        if line is not None and int(units) > 0:
            total += line.unit_price_usd * min(int(units), line.quantity)
    return money(total)


def claim_open_from_problem(*, problem: ReceiptProblem, acting_user: User) -> Claim | None:
    """A buyer's receipt problem becomes a claim (in the report's transaction) with its photos
    and kind, for what escrow holds or the affected lines' value. Nothing happens (the report
    stands on its own) when there is no escrow, nothing held or a claim already open."""
    merchant_order = problem.merchant_order
    plan = order_locked(merchant_order)
    if plan is None:
        return None
    merchant_order = plan.merchant_order
    with network_books():
        if Claim.objects.filter(merchant_order=merchant_order, status__in=OPEN).exists():
            return None
        if Claim.objects.filter(receipt_problem=problem).exists():
            return None
        photos = list(problem.photos.all())
    escrow = escrow_account(merchant_order)
    accounts_locked([escrow])
    held = balance(escrow)
    if held <= ZERO:
        return None
    affected = _affected_value(problem)
    amount = min(affected, held) if affected > ZERO else held
    checked = []
    for photo in photos:
        with photo.image.open("rb") as stored:
            checked.append((stored.read(), photo.content_type))
    return _claim_create(
        merchant_order=merchant_order,
        reason=PROBLEM_REASONS[ReceiptProblem.Kind(problem.kind)],
        description=problem.description,
        amount=amount,
        photos=checked,
        refund=(Claim.RefundMethod.CREDIT, "", "", ""),
        problem=problem,
        acting_user=acting_user,
    )


# --- Answering ---------------------------------------------------------------------------------


def _locked(claim: Claim) -> tuple[PaymentPlan | None, Claim]:
    """The claim's payment plan (locked first, as a release does), then the claim, locked."""
    with network_books():
        merchant_order = MerchantOrder.objects.get(claims__pk=claim.pk)
        plan = order_locked(merchant_order)
        claim = (
            Claim.objects.select_for_update()
            .select_related(
                "organization",
                "merchant",
                "merchant_order__purchase_order",
                "merchant_order__organization",
                "merchant_order__buyer",
            )
            .get(pk=claim.pk)
        )
    return plan, claim


def _move(
    claim: Claim,
    action: str,
    *,
    acting_user: User | None,
    organization: Organization | None,
    changes: dict[str, Any] | None = None,
) -> None:
    transition_apply(
        TRANSITIONS,
        action,
        claim,
        acting_user=acting_user,
        organization=organization,
        audit_action=f"claim.{action}",
        changes=changes,
        message=_("You cannot %(action)s this claim while it is %(status)s."),
        error=IllegalPaymentTransition,
    )


def _refund(claim: Claim, amount: Decimal, *, method: str, acting_user: User | None) -> Decimal:
    """Move ``amount`` out of the claim's escrow: to the buyer's credit, or to the refunds
    account for a transfer back (the payout run sends it)."""
    merchant_order = claim.merchant_order
    escrow = escrow_account(merchant_order)
    target = (
        buyer_account(claim.organization)
        if method == Claim.RefundMethod.CREDIT
        else network_account(AccountKind.REFUNDS)
    )
    accounts_locked([escrow, target])
    held = balance(escrow)
    if amount > held:
        raise ClaimInvalid(
            _("At most US$%(held)s is held in escrow for this order.") % {"held": f"{held:,.2f}"},
            field="refund_usd",
        )
    kind = (
        TransactionKind.REFUND_CREDIT
        if method == Claim.RefundMethod.CREDIT
        else TransactionKind.REFUND_TRANSFER
    )
    ledger_post(
        kind=kind,
        key=f"claim:{claim.pk}:refund",
        legs=[debit(escrow, amount), credit(target, amount)],
        buyer=claim.organization,
        merchant=claim.merchant,
        purchase_order=merchant_order.purchase_order,
        merchant_order=merchant_order,
        memo=in_english("Refund on claim %(claim)s for order %(number)s")
        % {"claim": claim.number, "number": merchant_order.number},
        acting_user=acting_user,
    )
    return amount


def _closed(
    claim: Claim,
    plan: PaymentPlan | None,
    *,
    acting_user: User | None,
) -> None:
    """After a claim closes: its receipt problem is resolved, ``claim.decided`` goes to both
    parties, and what is left in escrow is released if the buyer confirmed receipt."""
    if claim.receipt_problem_id:
        with network_books():
            ReceiptProblem.objects.filter(pk=claim.receipt_problem_id).update(
                status=ReceiptProblem.Status.RESOLVED
            )
    payload = claim_payload(claim)
    for organization in (claim.merchant, claim.organization):
        webhook_emit(organization=organization, event="claim.decided", payload=payload)
    if plan is not None and claim.merchant_order.status == MerchantOrderStatus.CLOSED:
        escrow_release(plan, acting_user=acting_user)


@transaction.atomic
def claim_respond(
    *,
    claim: Claim,
    action: str,
    acting_user: User,
    offer_usd: Any = None,
    text: str = "",
) -> Claim:
    """The merchant answers before ``respond_by``: ``accept`` (the amount claimed is refunded),
    ``offer`` (a partial refund of ``offer_usd``, less than claimed) or ``dispute`` (``text``
    says why; the operators decide)."""
    if action not in MERCHANT_ACTIONS:
        raise ClaimInvalid(_("Choose accept, offer or dispute."), field="action")
    _merchant_required(claim.merchant, acting_user)
    plan, claim = _locked(claim)
    text = (text or "").strip()[:2000]
    if claim.status == S.AWAITING_MERCHANT and timezone.now() > claim.respond_by:
        raise IllegalPaymentTransition(
            _("The time to answer this claim has passed: the operators decide it now.")
        )
    if action == "accept":
        _move(
            claim,
            "accept",
            acting_user=acting_user,
            organization=claim.merchant,
            changes={"merchant_response": text, "closed_at": timezone.now()},
        )
        claim.refund_usd = _refund(
            claim, claim.amount_usd, method=claim.refund_method, acting_user=acting_user
        )
        claim.save(update_fields=["refund_usd"])
        if claim.reason == ClaimReason.COUNTERFEIT and claim.opened_by is not None:
            _takedown_review(claim, reporter=claim.opened_by, organization=claim.organization)
        _closed(claim, plan, acting_user=acting_user)
        _notify(claim, "accepted", buyer=True)
    elif action == "offer":
        offer = _amount(offer_usd, field="offer_usd")
        if offer >= claim.amount_usd:
            raise ClaimInvalid(
                _("Offer less than the US$%(amount)s claimed, or accept the claim.")
                % {"amount": f"{claim.amount_usd:,.2f}"},
                field="offer_usd",
            )
        _move(
            claim,
            "offer",
            acting_user=acting_user,
            organization=claim.merchant,
            changes={
                "offer_usd": offer,
                "merchant_response": text,
                # The buyer has as long to answer the offer.
                "respond_by": timezone.now()
                + timedelta(days=settings.PAYMENTS_CLAIM_RESPONSE_DAYS),
            },
        )
        _notify(claim, "offered", buyer=True)
    else:
        if not text:
            raise ClaimInvalid(_("Say why you dispute the claim."), field="text")
        _move(
            claim,
            "dispute",
            acting_user=acting_user,
            organization=claim.merchant,
            changes={"merchant_response": text, "escalated_at": timezone.now()},
        )
        _notify(claim, "disputed", buyer=True, operators=True)
    return claim


@transaction.atomic
def claim_buyer_answer(*, claim: Claim, action: str, acting_user: User) -> Claim:
    """The buyer accepts the merchant's offer (refunded at once), rejects it (the operators
    decide), or withdraws the claim (the escrow may then be released)."""
    if action not in BUYER_ACTIONS:
        raise ClaimInvalid(_("Choose accept, reject or withdraw."), field="action")
    _buyer_required(claim.organization, acting_user)
    plan, claim = _locked(claim)
    now = timezone.now()
    if action == "accept_offer":
        _move(
            claim,
            "accept_offer",
            acting_user=acting_user,
            organization=claim.organization,
            changes={"closed_at": now},
        )
        assert claim.offer_usd is not None
        claim.refund_usd = _refund(
            claim, claim.offer_usd, method=claim.refund_method, acting_user=acting_user
        )
        claim.save(update_fields=["refund_usd"])
        _closed(claim, plan, acting_user=acting_user)
        _notify(claim, "offer_accepted", merchant=True)
    elif action == "reject_offer":
        _move(
            claim,
            "reject_offer",
            acting_user=acting_user,
            organization=claim.organization,
            changes={"escalated_at": now},
        )
        _notify(claim, "offer_rejected", merchant=True, operators=True)
    else:
        _move(
            claim,
            "withdraw",
            acting_user=acting_user,
            organization=claim.organization,
            changes={"closed_at": now},
        )
        _closed(claim, plan, acting_user=acting_user)
        _notify(claim, "withdrawn", merchant=True)
    return claim


@transaction.atomic
def claim_decide(
    *,
    claim: Claim,
    refund_usd: Any,
    note: str,
    acting_user: User,
    refund_method: str = "",
) -> Claim:
    """An operator decides a claim with them: refund ``refund_usd`` (above zero, at most what
    escrow holds) as credit or by transfer (the claim's choice unless ``refund_method`` says
    otherwise; a transfer needs the buyer's bank details on the claim), or reject it
    (``refund_usd`` empty or zero). An upheld counterfeit claim opens a takedown review of the
    order's listings and gives the merchant a strike."""
    _operator_required(acting_user)
    plan, claim = _locked(claim)
    note = (note or "").strip()
    if not note:
        raise ClaimInvalid(_("Write the decision's reasons for both parties."), field="note")
    note = note[:2000]
    empty = refund_usd in (None, "") or str(refund_usd).strip() in ("", "0", "0.00")
    now = timezone.now()
    if empty:
        _move(
            claim,
            "reject",
            acting_user=acting_user,
            organization=None,
            changes={"decision_note": note, "decided_by": acting_user, "closed_at": now},
        )
        _closed(claim, plan, acting_user=acting_user)
        _notify(claim, "decided", buyer=True, merchant=True)
        return claim
    amount = _amount(refund_usd, field="refund_usd")
    method = refund_method or claim.refund_method
    if method not in Claim.RefundMethod.values:
        raise ClaimInvalid(_("Choose how the refund is paid."), field="refund_method")
    if method == Claim.RefundMethod.TRANSFER and not (
        claim.refund_account_number and claim.refund_bank_bic
    ):
        raise ClaimInvalid(
            _("The buyer gave no bank account for a transfer: refund as credit."),
            field="refund_method",
        )
    _move(
        claim,
        "refund",
        acting_user=acting_user,
        organization=None,
        changes={
            "decision_note": note,
            "decided_by": acting_user,
            "closed_at": now,
            "refund_method": method,
        },
    )
    claim.refund_usd = _refund(claim, amount, method=method, acting_user=acting_user)
    claim.save(update_fields=["refund_usd"])
    if claim.reason == ClaimReason.COUNTERFEIT:
        operators = operator_memberships().filter(user=acting_user).first()
        _takedown_review(
            claim,
            reporter=acting_user,
            organization=operators.organization if operators else None,
        )
        strike_issue(
            organization=claim.merchant,
            reason=_("Counterfeit goods: claim %(claim)s on order %(number)s upheld.")
            % {"claim": claim.number, "number": claim.merchant_order.number},
            source=f"claim {claim.number}",
            acting_user=acting_user,
        )
    _closed(claim, plan, acting_user=acting_user)
    _notify(claim, "decided", buyer=True, merchant=True)
    return claim


def _takedown_review(claim: Claim, *, reporter: User, organization: Organization | None) -> int:
    """Report each listing the merchant order bought as counterfeit: the operators' takedown
    review decides each. Listings no longer on sale, or already reported by ``reporter``, are
    skipped. Returns how many reports were filed."""
    with network_books():
        product_ids = set(
            claim.merchant_order.lines.filter(sku__isnull=False).values_list(
                "sku__product_id", flat=True
            )
        )
        products = list(Product.objects.filter(pk__in=product_ids).order_by("pk"))
    filed = 0
    for product in products:
        try:
            report_create(
                product=product,
                reason=ReportReason.COUNTERFEIT,
                details=_("Counterfeit claim %(claim)s on order %(number)s: %(description)s")
                % {
                    "claim": claim.number,
                    "number": claim.merchant_order.number,
                    "description": claim.description,
                },
                reporter_organization=organization,
                acting_user=reporter,
            )
            filed += 1
        except (ReportRejected, ValidationError) as refused:
            logger.info("no takedown review of product %s: %s", product.pk, refused)
    return filed


# --- Deadlines ---------------------------------------------------------------------------------


def claims_escalate(*, now: datetime | None = None) -> int:
    """Claims unanswered by their ``respond_by`` (the merchant's answer, or the buyer's to an
    offer) go to the operators. Returns how many."""
    now = now or timezone.now()
    with network_books():
        due = list(
            Claim.objects.filter(
                status__in=[S.AWAITING_MERCHANT, S.OFFERED], respond_by__lt=now
            ).values_list("pk", flat=True)
        )
    moved = 0
    for pk in due:
        with transaction.atomic(), network_books():
            _plan, claim = _locked(Claim(pk=pk))
            if claim.status not in (S.AWAITING_MERCHANT, S.OFFERED) or claim.respond_by >= now:
                continue
            _move(
                claim,
                "escalate",
                acting_user=None,
                organization=None,
                changes={"escalated_at": now},
            )
            _notify(claim, "escalated", buyer=True, merchant=True, operators=True)
            moved += 1
    return moved


@shared_task(name="payments.tasks.escalate_claims", acks_late=True)
def escalate_claims() -> int:
    """Beat: claims past their answer deadline go to the operators."""
    return claims_escalate()


# --- Mail --------------------------------------------------------------------------------------


def _buyer_people(organization: Organization) -> list[User]:
    return [
        m.user
        for m in Membership.objects.filter(
            organization=organization, role__in=[Role.OWNER, Role.ADMIN, Role.BUYER]
        ).select_related("user")
    ]


def _notify(
    claim: Claim,
    event: str,
    *,
    buyer: bool = False,
    merchant: bool = False,
    operators: bool = False,
) -> None:
    merchant_order = claim.merchant_order
    context = {
        "event": event,
        "claim": claim.number,
        "number": merchant_order.number,
        "purchase_order": merchant_order.purchase_order.number,
        "buyer": claim.organization.name,
        "merchant": claim.merchant.name,
        "reason": ClaimReason(claim.reason).label,  # lazy: in the recipient's language
        "status": ClaimStatus(claim.status).label,
        "amount": f"{claim.amount_usd:,.2f}",
        "offer": "" if claim.offer_usd is None else f"{claim.offer_usd:,.2f}",
        "refund": "" if claim.refund_usd is None else f"{claim.refund_usd:,.2f}",
        "refund_method": Claim.RefundMethod(claim.refund_method).label,
        "description": claim.description,
        "response": claim.merchant_response,
        "decision": claim.decision_note,
        "respond_by": claim.respond_by,
    }
    template = "payments/email/claim_opened" if event == "opened" else "payments/email/claim_update"
    link = _link("payments:claim_detail", claim.number)
    recipients: list[tuple[User, Organization]] = []
    if buyer:
        recipients += [(u, claim.organization) for u in _buyer_people(claim.organization)]
    if merchant:
        recipients += [(u, claim.merchant) for u in organization_staff(organization=claim.merchant)]
    if operators:
        recipients += [
            (m.user, m.organization)
            for m in operator_memberships().select_related("user", "organization")
        ]
    seen: set[int] = set()
    for user, organization in recipients:
        if user.pk in seen:
            continue
        seen.add(user.pk)
        notification_send(
            email=user.email,
            recipient=user,
            organization=organization,
            kind=f"payments.claim_{event}",
            template=template,
            context=context,
            link=link,
        )


def claim_viewer_role(claim: Claim, organization: Organization, user: User | None) -> str:
    """``buyer``, ``merchant`` or ``operator``: which side of the claim the page shows."""
    if organization.pk == claim.organization_id:
        return "buyer"
    if organization.pk == claim.merchant_id:
        return "merchant"
    if user_is_operator(user) and organization.kind == Organization.Kind.OPERATOR:
        return "operator"
    return ""
