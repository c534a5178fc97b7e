"""Claim pages: the buyer opens a claim on a merchant order and follows it (answering an offer,
withdrawing), the merchant answers it (accept, offer, dispute), the operators work their queue
and decide. Every party sees the claim's photos; nobody else finds the claim."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from network.errors import DomainError
from network.models import Organization, Role
from network.permissions import membership_allows, organization_required
from network.storage import private_file_response
from payments import selectors_claims as selectors
from payments.forms_claims import ClaimForm, DecideForm, RespondForm
from payments.models import ClaimStatus
from payments.services import claims as services

BUYER = [Organization.Kind.BUYER]
MERCHANT = [Organization.Kind.MERCHANT]
OPERATOR = [Organization.Kind.OPERATOR]
PAGE_SIZE = 25


def _page(request, queryset):
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    return page


def _form_error(form, error: DomainError) -> None:
    field = error.details.get("field")
    form.add_error(field if field in form.fields else None, error.message)


@organization_required()
def claim_list(request):
    """The buyer's or the merchant's claims; operators work theirs from the queue."""
    if request.organization.kind == Organization.Kind.OPERATOR:
        return redirect("payments:claims_queue")
    status = request.GET.get("status", "")
    claims = selectors.claims_visible(organization=request.organization, status=status)
    page = _page(request, claims)
    return render(
        request,
        "payments/claims/claim_list.html",
        {"page": page, "status": status, "statuses": ClaimStatus.choices},
    )


@organization_required(kinds=OPERATOR)
def claims_queue(request):
    """The operators' claims queue: claims with them first, then the other open ones."""
    status = request.GET.get("status", "open")
    if status not in ("open", "", *ClaimStatus.values):
        status = "open"
    page = _page(request, selectors.claims_queue(organization=request.organization, status=status))
    return render(
        request,
        "payments/claims/claims_queue.html",
        {"page": page, "status": status, "statuses": ClaimStatus.choices},
    )


@organization_required(role=Role.BUYER, kinds=BUYER)
def claim_open(request, number: str):
    """The buyer opens a claim on one of its merchant orders."""
    merchant_order = selectors.access_merchant_order(
        organization=request.organization, number=number
    )
    held = services.escrow_held(merchant_order)
    form = ClaimForm(
        request.POST or None, request.FILES or None, initial={"amount_usd": held or None}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            claim = services.claim_open(
                merchant_order=merchant_order,
                reason=data["reason"],
                description=data["description"],
                amount_usd=data["amount_usd"],
                photos=request.FILES.getlist("photos"),
                refund_method=data["refund_method"],
                refund_account_name=data["refund_account_name"],
                refund_account_number=data["refund_account_number"],
                refund_bank_bic=data["refund_bank_bic"],
                acting_user=request.user,
            )
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(
                request,
                _(
                    "Claim %(number)s opened. The order's escrow is held until it is settled; "
                    "the merchant has been told."
                )
                % {"number": claim.number},
            )
            return redirect("payments:claim_detail", claim.number)
    return render(
        request,
        "payments/claims/claim_form.html",
        {
            "merchant_order": merchant_order,
            "purchase_order": merchant_order.purchase_order,
            "held": held,
            "window_ends": services.claim_window_ends(merchant_order),
            "refusal": services.claim_refusal(merchant_order, "late")
            or ("" if held > 0 else _("Nothing is held in escrow for this order.")),
            "form": form,
        },
    )


@organization_required()
def claim_detail(request, claim_number: str):
    claim = selectors.access_claim(organization=request.organization, number=claim_number)
    side = services.claim_viewer_role(claim, request.organization, request.user)
    if not side:
        raise Http404
    # Viewers read the claim; who may act for their side sees its forms.
    role = {"buyer": Role.BUYER, "merchant": Role.STAFF, "operator": Role.STAFF}[side]
    context = {
        "claim": claim,
        "merchant_order": claim.merchant_order,
        "side": side,
        "can_act": membership_allows(request.membership, role=role),
        "held": services.escrow_held(claim.merchant_order),
        "respond_form": RespondForm(),
        "decide_form": DecideForm(
            initial={"refund_usd": claim.amount_usd, "refund_method": claim.refund_method}
        ),
    }
    return render(request, "payments/claims/claim_detail.html", context)


def _acted(request, claim, message: str):
    messages.success(request, message)
    return redirect("payments:claim_detail", claim.number)


def _refused(request, claim, error: DomainError):
    messages.error(request, error.message)
    return redirect("payments:claim_detail", claim.number)


@require_POST
@organization_required(role=Role.STAFF, kinds=MERCHANT)
def claim_respond(request, claim_number: str):
    """The merchant's answer: accept, offer a partial refund, or dispute."""
    claim = selectors.access_claim(organization=request.organization, number=claim_number)
    form = RespondForm(request.POST)
    if not form.is_valid():
        errors = [e for field in form.errors.values() for e in field]
        messages.error(request, " ".join(errors))
        return redirect("payments:claim_detail", claim.number)
    data = form.cleaned_data
    try:
        claim = services.claim_respond(
            claim=claim,
            action=data["action"],
            offer_usd=data["offer_usd"],
            text=data["text"],
            acting_user=request.user,
        )
    except DomainError as error:
        return _refused(request, claim, error)
    return _acted(request, claim, _("Your answer was sent to the buyer."))


@require_POST
@organization_required(role=Role.BUYER, kinds=BUYER)
def claim_answer(request, claim_number: str):
    """The buyer accepts or rejects the merchant's offer, or withdraws the claim."""
    claim = selectors.access_claim(organization=request.organization, number=claim_number)
    action = request.POST.get("action", "")
    try:
        claim = services.claim_buyer_answer(claim=claim, action=action, acting_user=request.user)
    except DomainError as error:
        return _refused(request, claim, error)
    done = {
        "accept_offer": _("Offer accepted: the refund is made."),
        "reject_offer": _("Offer rejected: the network's operators will decide."),
        "withdraw": _("Claim withdrawn."),
    }
    return _acted(request, claim, done[action])


@require_POST
@organization_required(role=Role.STAFF, kinds=OPERATOR)
def claim_decide(request, claim_number: str):
    """An operator's decision: refund (as credit or by transfer) or reject."""
    claim = selectors.access_claim(organization=request.organization, number=claim_number)
    form = DecideForm(request.POST)
    if not form.is_valid():
        errors = [e for field in form.errors.values() for e in field]
        messages.error(request, " ".join(errors))
        return redirect("payments:claim_detail", claim.number)
    data = form.cleaned_data
    refund = data["refund_usd"] if data["outcome"] == "refund" else None
    if data["outcome"] == "refund" and refund is None:
        messages.error(request, _("Enter the amount to refund."))
        return redirect("payments:claim_detail", claim.number)
    try:
        claim = services.claim_decide(
            claim=claim,
            refund_usd=refund,
            refund_method=data["refund_method"],
            note=data["note"],
            acting_user=request.user,
        )
    except DomainError as error:
        return _refused(request, claim, error)
    return _acted(request, claim, _("Claim decided; both parties have been told."))


@organization_required()
def claim_photo(request, claim_number: str, claim_photo_id: int):
    """A claim's photo: for the buyer, the merchant and the operators only."""
    claim = selectors.access_claim(organization=request.organization, number=claim_number)
    photo = next((p for p in claim.photos.all() if p.pk == claim_photo_id), None)
    if photo is None:
        raise Http404
    return private_file_response(photo.image, content_type=photo.content_type)
