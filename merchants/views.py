"""Pages of the merchant registry: the application (merchant), the review (operator), the
public directory and profiles (everyone)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from merchants import selectors, services
from merchants.forms import (
    STEP_FORMS,
    BrandClaimForm,
    ChecklistForm,
    DocumentForm,
    NoteForm,
    QueueFilterForm,
    ReasonForm,
)
from merchants.models import MerchantApplication
from merchants.profile_sections import profile_sections_for
from network.errors import DomainError
from network.forms import form_add_validation_error
from network.models import Organization, Role
from network.permissions import organization_required
from network.storage import private_file_response

MERCHANT = [Organization.Kind.MERCHANT]
OPERATOR = [Organization.Kind.OPERATOR]

STEPS = [
    ("company", gettext_lazy("Company")),
    ("contact", gettext_lazy("Contact")),
    ("business", gettext_lazy("Business")),
    ("fulfilment", gettext_lazy("Fulfilment")),
    ("brands", gettext_lazy("Brands")),
    ("documents", gettext_lazy("Documents")),
    ("review", gettext_lazy("Review and submit")),
]
STEP_NAMES = [name for name, _label in STEPS]


def _next_step(step: str) -> str:
    index = STEP_NAMES.index(step)
    return STEP_NAMES[min(index + 1, len(STEP_NAMES) - 1)]


def _step_with_errors(request, app, step: str, **context):
    """Show a step again with the refused form and its errors (400)."""
    return render(
        request,
        "merchants/application_step.html",
        {
            "application": app,
            "steps": STEPS,
            "step": step,
            "editable": app.status in services.EDITABLE,
            "step_index": STEP_NAMES.index(step) + 1,
            **context,
        },
        status=400,
    )


# --- The merchant's application ----------------------------------------------------------------


@organization_required(kinds=MERCHANT)
def application(request):
    """Where the application stands and the next step."""
    app = (
        services.application_start(organization=request.organization, acting_user=request.user)
        if request.membership.has_role(Role.STAFF)
        else selectors.merchant_application(organization=request.organization)
    )
    if app is None:  # a viewer, before anyone who may has started it
        return render(request, "merchants/application_not_started.html")
    return render(
        request,
        "merchants/application.html",
        {
            "application": app,
            "steps": STEPS,
            "missing": services.application_missing(app),
            "editable": app.status in services.EDITABLE,
        },
    )


@organization_required(role=Role.STAFF, kinds=MERCHANT)
def application_step(request, step: str):
    if step not in STEP_NAMES:
        raise Http404
    app = services.application_start(organization=request.organization, acting_user=request.user)
    editable = app.status in services.EDITABLE
    context = {
        "application": app,
        "steps": STEPS,
        "step": step,
        "editable": editable,
        "step_index": STEP_NAMES.index(step) + 1,
    }

    if step in STEP_FORMS:
        form = STEP_FORMS[step](request.POST or None, instance=app)
        if request.method == "POST" and editable and form.is_valid():
            try:
                services.application_save_step(
                    application=app,
                    step=step,
                    values=form.cleaned_data,
                    acting_user=request.user,
                )
            except ValidationError as error:
                form_add_validation_error(form, error)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Saved."))
                return redirect("merchants:application_step", step=_next_step(step))
        if not editable:
            for field in form.fields.values():
                field.disabled = True
        context["form"] = form
    elif step == "brands":
        context["brand_form"] = BrandClaimForm()
        context["brands"] = app.brands.all()
    elif step == "documents":
        context["document_form"] = DocumentForm()
        context["documents"] = app.documents.all()
    else:
        context["missing"] = services.application_missing(app)
    return render(request, "merchants/application_step.html", context)


def _brands_step(request, app, form, *, editing=None, status=200):
    return render(
        request,
        "merchants/application_step.html",
        {
            "application": app,
            "steps": STEPS,
            "step": "brands",
            "brand_form": form,
            "editing": editing,
            "brands": app.brands.all(),
            "editable": app.status in services.EDITABLE,
            "step_index": STEP_NAMES.index("brands") + 1,
        },
        status=status,
    )


@organization_required(role=Role.STAFF, kinds=MERCHANT)
@require_POST
def brand_add(request):
    app = services.application_start(organization=request.organization, acting_user=request.user)
    form = BrandClaimForm(request.POST)
    if form.is_valid():
        try:
            services.brand_claim_add(application=app, acting_user=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_add_validation_error(form, error)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("%(brand)s added.") % {"brand": form.cleaned_data["name"]})
            return redirect("merchants:application_step", step="brands")
    return _brands_step(request, app, form, status=400)


@organization_required(role=Role.STAFF, kinds=MERCHANT)
def brand_edit(request, claim_id: int):
    """Correct a claimed brand in place, while the application is open for changes."""
    claim = selectors.access_brand_claim(organization=request.organization, pk=claim_id)
    app = claim.application
    if app.status not in services.EDITABLE:
        messages.error(request, _("Your application is not open for changes right now."))
        return redirect("merchants:application_step", step="brands")
    # The form works on a copy: a refused change must not show as saved in the list.
    form = BrandClaimForm(
        request.POST or None,
        instance=selectors.access_brand_claim(organization=request.organization, pk=claim.pk),
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                services.brand_claim_update(
                    claim=claim, acting_user=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                form_add_validation_error(form, error)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request, _("%(brand)s saved.") % {"brand": form.cleaned_data["name"]}
                )
                return redirect("merchants:application_step", step="brands")
        return _brands_step(request, app, form, editing=claim, status=400)
    return _brands_step(request, app, form, editing=claim)


@organization_required(role=Role.STAFF, kinds=MERCHANT)
@require_POST
def brand_remove(request, claim_id: int):
    claim = selectors.access_brand_claim(organization=request.organization, pk=claim_id)
    try:
        services.brand_claim_remove(claim=claim, acting_user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("merchants:application_step", step="brands")


@organization_required(role=Role.STAFF, kinds=MERCHANT)
@require_POST
def document_upload(request):
    app = services.application_start(organization=request.organization, acting_user=request.user)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.document_upload(
                application=app,
                kind=form.cleaned_data["kind"],
                uploaded=form.cleaned_data["file"],
                acting_user=request.user,
            )
        except DomainError as error:
            form.add_error("file", error.message)
        else:
            messages.success(
                request, _("%(name)s uploaded.") % {"name": form.cleaned_data["file"].name}
            )
            return redirect("merchants:application_step", step="documents")
    return render(
        request,
        "merchants/application_step.html",
        {
            "application": app,
            "steps": STEPS,
            "step": "documents",
            "document_form": form,
            "documents": app.documents.all(),
            "editable": app.status in services.EDITABLE,
            "step_index": STEP_NAMES.index("documents") + 1,
        },
        status=400,
    )


@organization_required(role=Role.STAFF, kinds=MERCHANT)
@require_POST
def document_remove(request, document_id: int):
    document = selectors.access_merchant_document(organization=request.organization, pk=document_id)
    try:
        services.document_remove(document=document, acting_user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("merchants:application_step", step="documents")


@organization_required(role=Role.ADMIN, kinds=MERCHANT)
@require_POST
def application_submit(request):
    app = services.application_start(organization=request.organization, acting_user=request.user)
    try:
        services.application_submit(application=app, acting_user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("merchants:application_step", step="review")
    messages.success(
        request,
        _(
            "Your application is submitted. Operators usually decide within "
            "two working days; we will email you."
        ),
    )
    return redirect("merchants:application")


@xframe_options_sameorigin
@organization_required(kinds=[Organization.Kind.MERCHANT, Organization.Kind.OPERATOR])
def document_file(request, document_id: int):
    """Serve a KYC document to its own organisation or to operators; 404 to anyone else."""
    document = selectors.access_merchant_document(organization=request.organization, pk=document_id)
    return private_file_response(
        document.file, content_type=document.content_type, filename=f"document-{document.pk}"
    )


# --- The operators' review ---------------------------------------------------------------------


@organization_required(role=Role.STAFF, kinds=OPERATOR)
def review_queue(request):
    form = QueueFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    queue = selectors.review_queue(
        organization=request.organization,
        status=filters.get("status") or "",
        category=filters.get("category") or "",
        state=filters.get("state") or "",
        older_than_days=filters.get("older_than"),
    )
    page = Paginator(queue, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "merchants/review_queue.html",
        {
            "form": form,
            "page": page,
            "now": timezone.now(),
            "counts": selectors.review_counts(organization=request.organization),
        },
    )


def _review_context(request, app, **forms):
    documents = list(app.documents.all())
    brands = list(app.brands.all())
    return {
        "application": app,
        "documents": documents,
        "brands": brands,
        "notes": selectors.review_notes(organization=request.organization, application=app),
        "checklist_form": forms.get("checklist_form") or ChecklistForm(instance=app),
        "note_form": forms.get("note_form") or NoteForm(),
        "reason_form": forms.get("reason_form") or ReasonForm(),
        "history": selectors.application_history(application=app),
        "missing": services.application_missing(app, documents=documents, brands=brands),
    }


@organization_required(role=Role.STAFF, kinds=OPERATOR)
def review(request, application_id: int):
    app = selectors.access_merchant_application(
        organization=request.organization, pk=application_id
    )
    return render(request, "merchants/review.html", _review_context(request, app))


@organization_required(role=Role.STAFF, kinds=OPERATOR)
@require_POST
def review_action(request, application_id: int, action: str):
    app = selectors.access_merchant_application(
        organization=request.organization, pk=application_id
    )
    forms = {}
    try:
        if action == "start":
            services.application_start_review(application=app, acting_user=request.user)
            messages.success(request, _("You are reviewing this application."))
        elif action == "checklist":
            form = ChecklistForm(request.POST, instance=app)
            form.is_valid()
            services.application_update_checklist(
                application=app,
                acting_user=request.user,
                checks={
                    name: form.cleaned_data.get(name, False)
                    for name in MerchantApplication.CHECKLIST
                },
            )
            messages.success(request, _("Checklist saved."))
        elif action == "note":
            form = NoteForm(request.POST)
            if not form.is_valid():
                forms["note_form"] = form
                raise ValidationError(_("Write the note first."))
            services.application_add_note(
                application=app, body=form.cleaned_data["body"], acting_user=request.user
            )
            messages.success(request, _("Note added."))
        elif action == "approve":
            services.application_approve(application=app, acting_user=request.user)
            messages.success(request, _("%(name)s is approved.") % {"name": app})
        elif action in ("request_changes", "reject", "suspend"):
            form = ReasonForm(request.POST)
            if not form.is_valid():
                forms["reason_form"] = form
                raise ValidationError(_("Give the applicant a reason."))
            reason = form.cleaned_data["reason"]
            if action == "request_changes":
                services.application_request_changes(
                    application=app, reason=reason, acting_user=request.user
                )
                messages.success(request, _("Changes requested from %(name)s.") % {"name": app})
            elif action == "reject":
                services.application_reject(
                    application=app, reason=reason, acting_user=request.user
                )
                messages.success(request, _("%(name)s is rejected.") % {"name": app})
            else:
                services.merchant_suspend(
                    organization=app.organization, reason=reason, acting_user=request.user
                )
                messages.success(request, _("%(name)s is suspended.") % {"name": app})
        elif action == "reinstate":
            services.merchant_reinstate(organization=app.organization, acting_user=request.user)
            messages.success(request, _("%(name)s is reinstated.") % {"name": app})
        else:
            raise Http404
    except (DomainError, ValidationError) as error:
        message = error.message if isinstance(error, DomainError) else " ".join(error.messages)
        messages.error(request, message)
        if forms:
            app.refresh_from_db()
            return render(
                request,
                "merchants/review.html",
                _review_context(request, app, **forms),
                status=400,
            )
    return redirect("merchants:review", application_id=app.pk)


# --- Public directory and profiles --------------------------------------------------------------


def directory(request):
    query = request.GET.get("q", "").strip()
    merchants = selectors.approved_merchants()
    if query:
        merchants = merchants.filter(
            Q(organization__name__icontains=query)
            | Q(dba__icontains=query)
            | Q(brands__name__icontains=query)
        ).distinct()
    page = Paginator(merchants, 24).get_page(request.GET.get("page"))
    return render(request, "merchants/directory.html", {"page": page, "query": query})


def profile(request, slug: str):
    app = selectors.merchant_profile(slug=slug)
    return render(
        request,
        "merchants/profile.html",
        {"merchant": app, "sections": profile_sections_for(request, app.organization)},
    )


# --- Home page panel ---------------------------------------------------------------------------


def home_panel(request) -> str | None:
    app = selectors.merchant_application(organization=request.organization)
    return render_to_string(
        "merchants/_home_panel.html",
        {
            "application": app,
            "missing": services.application_missing(app) if app else [],
            "application_url": reverse("merchants:application"),
        },
        request=request,
    )
