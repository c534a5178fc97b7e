"""Pages of brand protection: reporting a listing and following the report (anyone signed
in), the operators' moderation queue, decisions, takedowns and strike history, the merchant's
brands, authorisations and appeals, and the public transparency figures. The URLs keep the
catalogue's paths and names (see moderation.urls)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalog import services as catalog_services
from catalog.models import ListingState, Product
from catalog.selectors import product_for_viewer
from merchants.models import Strike
from moderation import selectors, services
from moderation.forms import (
    AppealDecisionForm,
    AppealForm,
    BrandDecisionForm,
    BrandEditForm,
    BrandForm,
    BrandGrantForm,
    DecisionForm,
    ReportForm,
    ReportInformationForm,
    TakedownForm,
)
from moderation.models import Appeal, Brand, ListingReport
from network.errors import DomainError
from network.forms import form_add_validation_error
from network.models import Organization, Role
from network.permissions import organization_required
from network.selectors import user_is_operator
from network.storage import private_file_response

MERCHANT = [Organization.Kind.MERCHANT]
OPERATOR = [Organization.Kind.OPERATOR]


def _reporter_may_report(request, product: Product) -> bool:
    return product.state == ListingState.ACTIVE and not (
        request.organization is not None and request.organization.pk == product.organization_id
    )


# --- Operators: takedowns ------------------------------------------------------------------------


@organization_required(role=Role.STAFF, kinds=OPERATOR)
@require_POST
def product_takedown(request, product_id: int):
    product = product_for_viewer(product_id=product_id, organization=request.organization)
    if product is None:
        raise Http404
    form = TakedownForm(request.POST)
    if form.is_valid():
        try:
            services.listing_take_down(
                product=product.product,
                category=form.cleaned_data["category"] or "counterfeit",
                reason=form.cleaned_data["reason"],
                acting_user=request.user,
            )
        except (DomainError, ValidationError) as error:
            messages.error(request, getattr(error, "message", None) or " ".join(error.messages))
        else:
            messages.success(
                request, _("The listing is taken down, the merchant told and a strike issued.")
            )
    else:
        messages.error(request, _("Give the merchant a reason."))
    return redirect("catalog:product", product_id=product_id)


@organization_required(role=Role.STAFF, kinds=OPERATOR)
@require_POST
def product_restore(request, product_id: int):
    product = product_for_viewer(product_id=product_id, organization=request.organization)
    if product is None:
        raise Http404
    try:
        catalog_services.product_restore(product=product.product, acting_user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The listing is restored (paused) for its merchant."))
    return redirect("catalog:product", product_id=product_id)


# --- Brand protection: reports, moderation, appeals, brands ------------------------------------


def _error_text(error) -> str:
    if isinstance(error, DomainError):
        return error.message
    return " ".join(error.messages)


def report_create(request, product_id: int):
    """Report a listing: the product page's "Report this listing" button leads here, with
    counterfeit preselected, so a buyer reports in two clicks. Signing in is required."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    view = product_for_viewer(product_id=product_id, organization=request.organization)
    if view is None or not _reporter_may_report(request, view.product):
        raise Http404
    form = ReportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            report = services.report_create(
                product=view.product,
                reason=form.cleaned_data["reason"],
                details=form.cleaned_data["details"],
                evidence=form.cleaned_data["evidence"],
                reporter_organization=request.organization,
                acting_user=request.user,
            )
        except ValidationError as error:
            form_add_validation_error(form, error)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Thank you. The network's operators will review the listing; follow it here."),
            )
            return redirect("catalog:report", report_id=report.pk)
    return render(
        request,
        "catalog/report_form.html",
        {"product": view.product, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def my_reports(request):
    reports = list(selectors.reports_of_reporter(user=request.user)[:200])
    return render(request, "catalog/my_reports.html", {"reports": reports})


def _report_or_404(request, report_id: int) -> ListingReport:
    return selectors.report_for_viewer(
        organization=request.organization, report_id=report_id, user=request.user
    )


@login_required
def report_detail(request, report_id: int):
    """The reporter follows the report here; operators decide it here."""
    report = _report_or_404(request, report_id)
    is_operator = user_is_operator(request.user)
    is_reporter = report.reporter_id == request.user.pk
    info_form = ReportInformationForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not is_reporter:
            raise Http404
        if info_form.is_valid():
            try:
                services.report_add_information(
                    report=report,
                    details=info_form.cleaned_data["details"],
                    evidence=info_form.cleaned_data["evidence"],
                    acting_user=request.user,
                )
            except (DomainError, ValidationError) as error:
                info_form.add_error(None, _error_text(error))
            else:
                messages.success(request, _("Added. The operators will look at it again."))
                return redirect("catalog:report", report_id=report.pk)
    context = {
        "report": report,
        "is_operator": is_operator,
        "is_reporter": is_reporter,
        "info_form": info_form if is_reporter else None,
        "decision_form": DecisionForm() if is_operator and report.is_open else None,
        "snapshot_images": report.snapshot.get("images", [])[:6],
    }
    if is_operator:
        context["appeal"] = (
            Appeal.objects.visible_to(request.organization).filter(report=report).first()
        )
        context["merchant_strikes"] = (
            Strike.objects.visible_to(request.organization)
            .filter(organization=report.merchant)
            .order_by("-created_at")[:20]
        )
        if context["appeal"] and context["appeal"].status == Appeal.Status.PENDING:
            context["appeal_form"] = AppealDecisionForm()
    return render(
        request,
        "catalog/report_detail.html",
        context,
        status=400 if request.method == "POST" else 200,
    )


@login_required
def report_evidence(request, report_id: int):
    """The evidence file, for the reporter and operators only."""
    report = _report_or_404(request, report_id)
    return private_file_response(
        report.evidence,
        as_attachment=True,
        filename=report.evidence_name or f"evidence-{report.pk}",
    )


@organization_required(role=Role.STAFF, kinds=OPERATOR)
def moderation_queue(request):
    """Open reports, brand owners' and repeat offenders' first, and appeals waiting."""
    reports = list(selectors.moderation_queue(organization=request.organization)[:100])
    return render(
        request,
        "catalog/moderation_queue.html",
        {
            "reports": reports,
            "appeals": list(selectors.appeals_pending(organization=request.organization)[:100]),
            "brands_waiting": list(
                selectors.brands_to_verify(organization=request.organization)[:100]
            ),
        },
    )


@organization_required(role=Role.STAFF, kinds=OPERATOR)
@require_POST
def report_decide(request, report_id: int):
    report = _report_or_404(request, report_id)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a decision and give a reason."))
        return redirect("catalog:report", report_id=report.pk)
    try:
        services.report_decide(
            report=report,
            decision=form.cleaned_data["decision"],
            reason=form.cleaned_data["reason"],
            acting_user=request.user,
        )
    except (DomainError, ValidationError) as error:
        messages.error(request, _error_text(error))
        return redirect("catalog:report", report_id=report.pk)
    messages.success(
        request,
        {
            "take_down": _("The listing is taken down, the merchant told and a strike issued."),
            "dismiss": _("The report is dismissed."),
            "request_info": _("The reporter is asked for more information."),
        }[form.cleaned_data["decision"]],
    )
    return redirect("catalog:moderation")


@organization_required(role=Role.STAFF, kinds=OPERATOR)
@require_POST
def appeal_decide(request, appeal_id: int):
    appeal = selectors.access_appeal(organization=request.organization, pk=appeal_id)
    form = AppealDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a decision and give a reason."))
        return redirect("catalog:report", report_id=appeal.report_id)
    try:
        services.appeal_decide(
            appeal=appeal,
            outcome=form.cleaned_data["outcome"],
            reason=form.cleaned_data["reason"],
            acting_user=request.user,
        )
    except (DomainError, ValidationError) as error:
        messages.error(request, _error_text(error))
        return redirect("catalog:report", report_id=appeal.report_id)
    messages.success(request, _("The appeal is decided and the merchant told."))
    return redirect("catalog:moderation")


@organization_required(role=Role.STAFF, kinds=OPERATOR)
def strike_history(request):
    return render(
        request,
        "catalog/strikes.html",
        {"merchants": selectors.strike_history(organization=request.organization)},
    )


@organization_required(role=Role.STAFF, kinds=OPERATOR)
@require_POST
def brand_decide(request, brand_id: int):
    brand = selectors.access_brand(organization=request.organization, pk=brand_id)
    form = BrandDecisionForm(request.POST)
    if not form.is_valid():
        raise Http404
    try:
        if form.cleaned_data["decision"] == "verify":
            services.brand_verify(
                brand=brand, note=form.cleaned_data["reason"], acting_user=request.user
            )
            messages.success(request, _("%(brand)s is verified and protected.") % {"brand": brand})
        else:
            services.brand_reject(
                brand=brand, reason=form.cleaned_data["reason"], acting_user=request.user
            )
            messages.success(request, _("%(brand)s is rejected.") % {"brand": brand})
    except (DomainError, ValidationError) as error:
        messages.error(request, _error_text(error))
    return redirect("catalog:moderation")


@login_required
def brand_evidence(request, brand_id: int):
    """A brand's registration certificate, for its owner's members and operators."""
    brand = selectors.access_brand(organization=request.organization, pk=brand_id)
    return private_file_response(
        brand.evidence, as_attachment=True, filename=f"brand-{brand.pk}-evidence"
    )


@organization_required(kinds=MERCHANT)
def brands_manage(request):
    """The merchant's brands: register one (with its certificate) and authorise resellers."""
    can_edit = request.membership.has_role(Role.ADMIN)
    form = BrandForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not can_edit:
            raise Http404
        if form.is_valid():
            try:
                services.brand_register(
                    organization=request.organization,
                    name=form.cleaned_data["name"],
                    trademark_number=form.cleaned_data["trademark_number"],
                    trademark_office=form.cleaned_data["trademark_office"],
                    evidence=form.cleaned_data["evidence"],
                    acting_user=request.user,
                )
            except ValidationError as error:
                form_add_validation_error(form, error)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request, _("Registered. The brand is protected once an operator verifies it.")
                )
                return redirect("catalog:brands")
    return render(
        request,
        "catalog/brands.html",
        {
            "brands": selectors.brands_of_owner(organization=request.organization),
            "form": form,
            "grant_form": BrandGrantForm(),
            "can_edit": can_edit,
            "now": timezone.now(),
        },
        status=400 if request.method == "POST" else 200,
    )


@organization_required(role=Role.ADMIN, kinds=MERCHANT)
def brand_edit(request, brand_id: int):
    """The owner corrects a brand's name, trademark registration or certificate; a verified
    brand whose data changes goes back to verification (see services.brand_update)."""
    brand = selectors.access_brand(organization=request.organization, pk=brand_id)
    initial = {
        "name": brand.name,
        "trademark_office": brand.trademark_office,
        "trademark_number": brand.trademark_number,
    }
    form = BrandEditForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            updated = services.brand_update(
                brand=brand,
                name=form.cleaned_data["name"],
                trademark_number=form.cleaned_data["trademark_number"],
                trademark_office=form.cleaned_data["trademark_office"],
                evidence=form.cleaned_data["evidence"] or None,
                acting_user=request.user,
            )
        except ValidationError as error:
            form_add_validation_error(form, error)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            if updated.status == Brand.Status.PENDING and brand.status != Brand.Status.PENDING:
                messages.warning(
                    request,
                    _(
                        "Saved. %(brand)s goes back to verification: it is not protected until "
                        "an operator verifies it again."
                    )
                    % {"brand": updated},
                )
            else:
                messages.success(request, _("%(brand)s saved.") % {"brand": updated})
            return redirect("catalog:brands")
    return render(
        request,
        "catalog/brand_edit.html",
        {"brand": brand, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@organization_required(role=Role.ADMIN, kinds=MERCHANT)
@require_POST
def brand_grant_add(request, brand_id: int):
    brand = selectors.access_brand(organization=request.organization, pk=brand_id)
    form = BrandGrantForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reseller's handle and a date."))
        return redirect("catalog:brands")
    reseller = Organization.objects.filter(
        slug=form.cleaned_data["reseller"], kind=Organization.Kind.MERCHANT
    ).first()
    if reseller is None:
        messages.error(request, _("No merchant of the network has that handle."))
        return redirect("catalog:brands")
    expires = datetime.combine(form.cleaned_data["expires_at"], time.max, tzinfo=UTC)
    try:
        services.brand_grant_add(
            brand=brand, reseller=reseller, expires_at=expires, acting_user=request.user
        )
    except (DomainError, ValidationError) as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request,
            _("%(reseller)s may list %(brand)s.") % {"reseller": reseller.name, "brand": brand},
        )
    return redirect("catalog:brands")


@organization_required(role=Role.ADMIN, kinds=MERCHANT)
@require_POST
def brand_grant_revoke(request, grant_id: int):
    grant = selectors.access_brand_grant(organization=request.organization, pk=grant_id)
    if grant.brand.owner_id != request.organization.pk:
        raise Http404  # the reseller sees its authorisation; only the owner ends it
    services.brand_grant_revoke(grant=grant, acting_user=request.user)
    messages.success(request, _("The authorisation has ended."))
    return redirect("catalog:brands")


@organization_required(role=Role.STAFF, kinds=MERCHANT)
@require_POST
def appeal_file(request, report_id: int):
    report = selectors.access_listing_report(organization=request.organization, pk=report_id)
    if report.merchant_id != request.organization.pk:
        raise Http404  # a merchant appeals the takedowns of its own listings
    form = AppealForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the takedown is wrong."))
    else:
        try:
            services.appeal_file(
                report=report, statement=form.cleaned_data["statement"], acting_user=request.user
            )
        except (DomainError, ValidationError) as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(request, _("Appeal filed. Another operator will decide it."))
    return redirect("catalog:product_edit", product_id=report.product_id)


def transparency(request):
    """Public figures of counterfeit policing."""
    since = timezone.now() - timedelta(days=365)
    return render(
        request,
        "catalog/transparency.html",
        {
            "year": selectors.transparency_figures(since=since),
            "ever": selectors.transparency_figures(),
        },
    )
