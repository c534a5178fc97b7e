"""Pages of payouts: the merchant's money page, its payout account (register, confirm), its
statement files; the operators' payout runs and their pain.001 files."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from network.errors import DomainError
from network.models import Organization, Role
from network.permissions import organization_required
from network.second_factor import has_totp
from network.storage import private_file_response
from payments import selectors_payouts as selectors
from payments.forms_payouts import BankAccountForm, SecondFactorForm, StatementForm
from payments.services import bank_accounts, payouts
from payments.statement_files import statement_csv, statement_filename, statement_pdf

MERCHANT = [Organization.Kind.MERCHANT]
OPERATOR = [Organization.Kind.OPERATOR]


def _form_errors(form, error: DomainError) -> None:
    field = error.details.get("field")
    form.add_error(field if field in form.fields else None, error.message)


@organization_required(kinds=MERCHANT)
def merchant_overview(request):
    organization = request.organization
    return render(
        request,
        "payments/payouts/merchant_overview.html",
        {
            "figures": selectors.merchant_money(organization=organization),
            "movements": selectors.merchant_recent_movements(organization=organization),
            "payouts": list(selectors.merchant_payouts(organization=organization)[:10]),
            "bank_account": selectors.bank_account_active(organization=organization),
            "pending_account": selectors.bank_account_pending(organization=organization),
            "may_change_account": request.membership.has_role(Role.ADMIN),
            "statement_form": StatementForm(initial=_default_period()),
        },
    )


def _default_period() -> dict:
    start, end = selectors.statement_period(None, None)
    return {"start": start, "end": end}


@organization_required(kinds=MERCHANT, role=Role.ADMIN)
def bank_account_form(request):
    form = BankAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            bank_accounts.bank_account_register(
                organization=request.organization,
                holder_name=form.cleaned_data["holder_name"],
                bank_name=form.cleaned_data["bank_name"],
                routing_number=form.cleaned_data["routing_number"],
                account_number=form.cleaned_data["account_number"],
                account_type=form.cleaned_data["account_type"],
                acting_user=request.user,
            )
        except DomainError as error:
            _form_errors(form, error)
        else:
            messages.info(
                request,
                _("Account saved. Confirm it before payouts go to it."),
            )
            return redirect("payments:bank_account_confirm")
    return render(
        request,
        "payments/payouts/bank_account_form.html",
        {
            "form": form,
            "bank_account": selectors.bank_account_active(organization=request.organization),
        },
    )


@organization_required(kinds=MERCHANT, role=Role.ADMIN)
def bank_account_confirm(request):
    account = selectors.bank_account_pending(organization=request.organization)
    if account is None:
        messages.info(request, _("This account is not waiting for confirmation any more."))
        return redirect("payments:merchant_overview")
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            bank_accounts.bank_account_confirm_totp(
                organization=request.organization,
                pk=account.pk,
                code=form.cleaned_data["code"],
                acting_user=request.user,
            )
        except DomainError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Confirmed: payouts now go to this account."))
            return redirect("payments:merchant_overview")
    return render(
        request,
        "payments/payouts/bank_account_confirm.html",
        {
            "account": account,
            "form": form,
            "has_totp": has_totp(request.user),
        },
    )


@login_required
def bank_account_confirm_link(request, token: str):
    """The link mailed to the owners: shows what is confirmed, and confirms on POST only (a
    mail scanner following the link confirms nothing)."""
    if request.method == "POST":
        try:
            bank_accounts.bank_account_confirm_link(token=token, acting_user=request.user)
        except DomainError as error:
            messages.error(request, error.message)
            return render(
                request, "payments/payouts/bank_account_link.html", {"invalid": True}, status=400
            )
        messages.success(request, _("Confirmed: payouts now go to this account."))
        return redirect("payments:merchant_overview")
    return render(request, "payments/payouts/bank_account_link.html", {"token": token})


@organization_required(kinds=MERCHANT)
def merchant_statement(request, extension: str):
    form = StatementForm(request.GET or None)
    start = end = None
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    start, end = selectors.statement_period(start, end)
    statement = selectors.merchant_statement(
        organization=request.organization, start=start, end=end
    )
    if extension == "csv":
        response = HttpResponse(statement_csv(statement), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(statement_pdf(statement), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="{statement_filename(statement, extension)}"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- Operators ---------------------------------------------------------------------------------


@organization_required(kinds=OPERATOR)
def payout_runs(request):
    page = Paginator(selectors.payout_runs(organization=request.organization), 25).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "payments/payouts/payout_runs.html",
        {"page": page, "may_run": request.membership.has_role(Role.ADMIN)},
    )


@organization_required(kinds=OPERATOR)
def payout_run_detail(request, pk: int):
    run = selectors.access_payout_run(organization=request.organization, pk=pk)
    return render(
        request,
        "payments/payouts/payout_run_detail.html",
        {
            "run": run,
            "payouts": list(selectors.payouts_of_run(organization=request.organization, run=run)),
        },
    )


@organization_required(kinds=OPERATOR)
def payout_run_file(request, pk: int):
    run = selectors.access_payout_run(organization=request.organization, pk=pk)
    return private_file_response(
        run.file,
        as_attachment=True,
        filename=f"{run.message_id}.xml",
        content_type="application/xml",
    )


@require_POST
@organization_required(kinds=OPERATOR, role=Role.ADMIN)
def payout_run_start(request):
    """Make this week's run now, rather than wait for the Monday task (the same run either
    way: a week has one run)."""
    run = payouts.payout_run_execute()
    messages.success(
        request,
        _("The run of the week of %(week)s is %(status)s.")
        % {"week": run.week.isoformat(), "status": run.get_status_display()},
    )
    return redirect("payments:payout_run", run.pk)
