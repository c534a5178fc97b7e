"""Paying by bank transfer: the buyer's payments page and payment notice; the operators'
reconciliation (statement upload, imports, the queue of unmatched entries) and credit limits."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from network.errors import DomainError
from network.models import Organization, Role
from network.permissions import organization_required
from payments import selectors_bank as selectors
from payments.forms_bank import (
    CreditLimitForm,
    EntryMatchForm,
    EntryReturnForm,
    StatementUploadForm,
)
from payments.notice import payment_notice_pdf
from payments.services.credit import credit_limit_set
from payments.services.statements import bank_entry_match, bank_entry_return, statement_import

BUYER = [Organization.Kind.BUYER]
OPERATOR = [Organization.Kind.OPERATOR]
PAGE_SIZE = 25


# --- Buyers ------------------------------------------------------------------------------------


@organization_required(kinds=BUYER)
def buyer_overview(request):
    organization = request.membership.organization
    page = Paginator(
        selectors.buyer_purchase_orders(organization=organization), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    payments = selectors.order_payments(list(page.object_list), organization=organization)
    return render(
        request,
        "payments/bank/buyer_overview.html",
        {
            "page": page,
            "payments": payments,
            "credit": selectors.buyer_credit(organization),
            "received": selectors.buyer_received(organization=organization),
            "account": selectors.collection_account(),
        },
    )


@organization_required(kinds=[*BUYER, *OPERATOR])
def payment_notice(request, number: str):
    order = selectors.buyer_purchase_order(
        organization=request.membership.organization, number=number
    )
    if order is None:
        raise Http404
    pdf = payment_notice_pdf(
        selectors.order_payment(order, organization=request.membership.organization)
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="payment-notice-{order.number}.pdf"'
    return response


# --- Operators: reconciliation -----------------------------------------------------------------


def _reconciliation(request, *, upload_form=None, forms_for=None, status=200):
    forms_for = forms_for or {}
    entries = [
        (
            entry,
            forms_for.get(("match", entry.pk)) or EntryMatchForm(prefix=f"m{entry.pk}"),
            forms_for.get(("return", entry.pk)) or EntryReturnForm(prefix=f"r{entry.pk}"),
        )
        for entry in selectors.unmatched_entries(organization=request.organization)
    ]
    return render(
        request,
        "payments/bank/reconciliation.html",
        {
            "upload_form": upload_form or StatementUploadForm(),
            "entries": entries,
            "statements": selectors.recent_statements(organization=request.organization),
            "recent": selectors.recent_entries(organization=request.organization),
            "account": selectors.collection_account(),
        },
        status=status,
    )


@organization_required(kinds=OPERATOR)
def reconciliation(request):
    return _reconciliation(request)


@require_POST
@organization_required(kinds=OPERATOR, role=Role.STAFF)
def statement_upload(request):
    form = StatementUploadForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = statement_import(
                data=upload.read(), filename=upload.name, acting_user=request.user
            )
        except DomainError as error:
            form.add_error("file", error.message)
        else:
            if result.already_imported:
                messages.warning(
                    request,
                    _("Message %(id)s was imported already: nothing was credited again.")
                    % {"id": result.statement.message_id},
                )
            else:
                messages.success(
                    request,
                    _(
                        "%(kind)s %(id)s imported: %(new)s new entries, %(matched)s matched to "
                        "purchase orders, %(unmatched)s waiting below, %(known)s reported before."
                    )
                    % {
                        "kind": result.statement.kind,
                        "id": result.statement.message_id,
                        "new": len(result.entries),
                        "matched": result.matched,
                        "unmatched": result.unmatched,
                        "known": result.known,
                    },
                )
            return redirect("payments:reconciliation")
    return _reconciliation(request, upload_form=form, status=400)


def _entry(request):
    """The entry a queue form names (its id in the POST: the URLs take no private ids)."""
    pk = request.POST.get("entry", "")
    entry = (
        selectors.unmatched_entry(organization=request.organization, pk=int(pk))
        if pk.isdigit()
        else None
    )
    if entry is None:
        raise Http404
    return entry


@require_POST
@organization_required(kinds=OPERATOR, role=Role.STAFF)
def entry_match(request):
    entry = _entry(request)
    pk = entry.pk
    form = EntryMatchForm(request.POST, prefix=f"m{pk}")
    if form.is_valid():
        order = selectors.purchase_order_by_number(
            organization=request.organization, number=form.cleaned_data["purchase_order"]
        )
        if order is None:
            form.add_error("purchase_order", _("No purchase order has this number."))
        else:
            try:
                applied = bank_entry_match(
                    entry=entry,
                    purchase_order=order,
                    note=form.cleaned_data["note"],
                    acting_user=request.user,
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request,
                    _("US$%(amount)s matched to %(number)s; US$%(applied)s applied to its orders.")
                    % {
                        "amount": f"{entry.amount:,.2f}",
                        "number": order.number,
                        "applied": f"{applied:,.2f}",
                    },
                )
                return redirect("payments:reconciliation")
    return _reconciliation(request, forms_for={("match", pk): form}, status=400)


@require_POST
@organization_required(kinds=OPERATOR, role=Role.STAFF)
def entry_return(request):
    entry = _entry(request)
    pk = entry.pk
    form = EntryReturnForm(request.POST, prefix=f"r{pk}")
    if form.is_valid():
        try:
            bank_entry_return(entry=entry, note=form.cleaned_data["note"], acting_user=request.user)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("The transfer goes back to its sender in the next payout run.")
                if entry.currency == "USD"
                else _(
                    "Marked as returned. A transfer in %(currency)s is not in the dollar payout "
                    "file: ask the bank to send it back in %(currency)s."
                )
                % {"currency": entry.currency},
            )
            return redirect("payments:reconciliation")
    return _reconciliation(request, forms_for={("return", pk): form}, status=400)


# --- Operators: credit limits ------------------------------------------------------------------


@organization_required(kinds=OPERATOR)
def credit_limits(request):
    query = request.GET.get("q", "").strip()[:100]
    page = selectors.buyer_credit_page(
        organization=request.organization, query=query, page=request.GET.get("page")
    )
    return render(
        request,
        "payments/bank/credit_limits.html",
        {
            "page": page,
            "rows": [
                (
                    row,
                    CreditLimitForm(
                        prefix=f"c{row.organization.pk}", initial={"limit_usd": row.limit}
                    ),
                )
                for row in page.object_list
            ],
            "query": query,
        },
    )


@require_POST
@organization_required(kinds=OPERATOR, role=Role.STAFF)
def credit_limit_update(request):
    organization_id = request.POST.get("buyer", "")
    buyer = (
        Organization.objects.filter(pk=int(organization_id), kind=Organization.Kind.BUYER).first()
        if organization_id.isdigit()
        else None
    )
    if buyer is None:
        raise Http404
    form = CreditLimitForm(request.POST, prefix=f"c{organization_id}")
    if form.is_valid():
        try:
            credit_limit_set(
                buyer=buyer, limit_usd=form.cleaned_data["limit_usd"], acting_user=request.user
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("%(buyer)s may now owe up to US$%(limit)s on net terms.")
                % {"buyer": buyer.name, "limit": f"{form.cleaned_data['limit_usd']:,.2f}"},
            )
    else:
        messages.error(request, _("Enter a limit in US dollars, 0 or more."))
    return redirect("payments:credit_limits")
