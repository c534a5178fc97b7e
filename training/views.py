"""Pages of the training app: the public seminar calendar, a person's registrations and
tickets, and the operators' management, attendee list, check-in and feedback pages."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from network.branding import NETWORK_NAME
from network.errors import DomainError
from network.models import Organization, Role
from network.permissions import membership_allows, organization_required
from network.storage import private_file_response
from training import calendar, documents, selectors, services
from training.forms import (
    CheckInSearchForm,
    FeedbackForm,
    MaterialForm,
    SeminarFilterForm,
    SeminarForm,
)
from training.models import Registration, Seminar, SeminarMaterial

OPERATORS = [Organization.Kind.OPERATOR]
ATTENDEES = [Organization.Kind.MERCHANT, Organization.Kind.BUYER]
operator_required = organization_required(role=Role.STAFF, kinds=OPERATORS)


def _is_operator(request) -> bool:
    return membership_allows(request.membership, role=Role.STAFF, kinds=OPERATORS)


def _may_register(request) -> bool:
    return membership_allows(request.membership, role=Role.STAFF, kinds=ATTENDEES)


def _back(request, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return fallback


# --- Public calendar ---------------------------------------------------------------------------


def seminar_list(request):
    past = request.GET.get("when") == "past"
    filters = SeminarFilterForm(request.GET or None)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    seminars = selectors.seminars_public(
        past=past,
        topic=chosen.get("topic", ""),
        language=chosen.get("language", ""),
        format=chosen.get("format", ""),
    )
    return render(
        request,
        "training/seminar_list.html",
        {
            "seminars": seminars[:100],
            "past": past,
            "filters": filters,
            "is_operator": _is_operator(request),
            "now": timezone.now(),
        },
    )


def seminar_detail(request, slug: str):
    seminar = selectors.seminar_public(slug=slug)
    operator = request.user.is_authenticated and _is_operator(request)
    if seminar is None and operator:
        seminar = Seminar.objects.filter(slug=slug).first()  # operators preview drafts
    if seminar is None:
        raise Http404
    registration = selectors.registration_current(
        seminar=seminar, user=request.user, organization=request.organization
    )
    confirmed = registration is not None and registration.status == Registration.Status.CONFIRMED
    has_feedback = registration is not None and selectors.has_feedback(
        organization=request.organization, registration=registration
    )
    return render(
        request,
        "training/seminar_detail.html",
        {
            "seminar": seminar,
            "registration": registration,
            "confirmed": confirmed,
            "position": services.waitlist_position(registration) if registration else None,
            "registration_open": seminar.registration_open(),
            "may_register": request.user.is_authenticated and _may_register(request),
            "is_operator": operator,
            "show_join_link": seminar.is_online and confirmed and not seminar.has_ended(),
            "show_materials": seminar.has_ended() and (confirmed or operator),
            "materials": list(seminar.materials.all()),
            "feedback_form": FeedbackForm()
            if confirmed and services.certificate_available(registration) and not has_feedback
            else None,
            "has_feedback": has_feedback,
            "certificate": confirmed and services.certificate_available(registration),
        },
    )


@organization_required(role=Role.STAFF, kinds=ATTENDEES)
@require_POST
def seminar_register(request, slug: str):
    seminar = selectors.seminar_public(slug=slug)
    if seminar is None:
        raise Http404
    try:
        registration = services.registration_create(
            seminar=seminar, organization=request.organization, acting_user=request.user
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("training:seminar_detail", slug=slug)
    if registration.status == Registration.Status.CONFIRMED:
        messages.success(request, _("You have a seat. The invitation is on its way by email."))
    else:
        messages.info(
            request,
            _(
                "The seminar is full; you are number %(position)s on the waitlist. We will email "
                "you if a seat frees up."
            )
            % {"position": services.waitlist_position(registration)},
        )
    return redirect("training:registration_detail", pk=registration.pk)


# --- A person's registrations ------------------------------------------------------------------


@organization_required()
def my_registrations(request):
    organization = request.organization
    is_admin = request.membership.has_role(Role.ADMIN)
    team = None
    if is_admin:
        team = [
            r
            for r in selectors.registrations_of_organization(organization=organization)
            if r.user_id != request.user.pk
        ]
    feed = services.calendar_feed_for(user=request.user)
    return render(
        request,
        "training/my_registrations.html",
        {
            "registrations": selectors.registrations_of_person(
                user=request.user, organization=organization
            ),
            "team": team,
            "feed_url": request.build_absolute_uri(reverse("training:feed", args=[feed.token])),
            "now": timezone.now(),
        },
    )


def _registration_or_404(request, pk: int, *, registrant_only: bool = False):
    """The registrant's own registration, or any registration for an operator; 404 for every
    other person (a teammate, another tenant)."""
    operator = not registrant_only and _is_operator(request)
    return selectors.access_registration(
        organization=request.organization,
        pk=pk,
        registrant=None if operator else request.user,
    )


@login_required
def registration_detail(request, pk: int):
    registration = _registration_or_404(request, pk)
    seminar = registration.seminar
    confirmed = registration.status == Registration.Status.CONFIRMED
    mine = registration.user_id == request.user.pk
    has_feedback = selectors.has_feedback(
        organization=request.organization, registration=registration
    )
    return render(
        request,
        "training/registration_detail.html",
        {
            "registration": registration,
            "seminar": seminar,
            "mine": mine,
            "confirmed": confirmed,
            "position": services.waitlist_position(registration),
            "show_join_link": mine and confirmed and seminar.is_online and not seminar.has_ended(),
            "can_cancel": registration.is_active and not seminar.has_started(),
            "certificate": services.certificate_available(registration),
            "feedback_form": FeedbackForm()
            if mine and services.certificate_available(registration) and not has_feedback
            else None,
            "has_feedback": has_feedback,
            "checkin_url": documents.checkin_url(registration),
        },
    )


@login_required
@require_POST
def registration_cancel(request, pk: int):
    # The registrant and their organisation's admins find it within the tenant, operators
    # anywhere; the service decides who of them may cancel it.
    registration = selectors.access_registration(organization=request.organization, pk=pk)
    try:
        services.registration_cancel(registration=registration, acting_user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The registration is cancelled."))
    return redirect(_back(request, reverse("training:my_registrations")))


@login_required
def registration_ics(request, pk: int):
    registration = _registration_or_404(request, pk, registrant_only=True)
    if registration.status not in (Registration.Status.CONFIRMED, Registration.Status.CANCELLED):
        raise Http404
    response = HttpResponse(
        calendar.registration_ics(registration), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="seminar-{registration.seminar.slug}.ics"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def registration_qr(request, pk: int):
    registration = _registration_or_404(request, pk)
    # Only an in-person seminar has an entrance to check in at.
    if registration.status != Registration.Status.CONFIRMED or registration.seminar.is_online:
        raise Http404
    response = HttpResponse(documents.checkin_qr_svg(registration), content_type="image/svg+xml")
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


@login_required
def registration_certificate(request, pk: int):
    registration = _registration_or_404(request, pk)
    if not services.certificate_available(registration):
        raise Http404
    response = HttpResponse(documents.certificate_pdf(registration), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="certificate-{registration.certificate_number}.pdf"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def registration_feedback(request, pk: int):
    registration = _registration_or_404(request, pk, registrant_only=True)
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a rating from 1 to 5."))
    else:
        try:
            services.feedback_submit(
                registration=registration,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
                acting_user=request.user,
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Thank you for your feedback."))
    return redirect("training:registration_detail", pk=registration.pk)


@login_required
def offer(request, token: str):
    registration = selectors.offer_for_token(token)
    if registration is None or registration.user_id != request.user.pk:
        # Someone else's link reveals nothing about the offer.
        return render(request, "training/offer.html", {"invalid": True}, status=404)
    if request.method == "POST":
        try:
            if request.POST.get("answer") == "decline":
                services.registration_cancel(registration=registration, acting_user=request.user)
                messages.success(request, _("You declined the seat; it goes to the next person."))
            else:
                services.offer_accept(token=token, acting_user=request.user)
                messages.success(request, _("The seat is yours. The invitation is on its way."))
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("training:seminar_detail", slug=registration.seminar.slug)
        return redirect("training:registration_detail", pk=registration.pk)
    return render(
        request,
        "training/offer.html",
        {
            "registration": registration,
            "seminar": registration.seminar,
            "expired": registration.status != Registration.Status.OFFERED
            or registration.offer_expired(),
        },
    )


def feed(request, token: str):
    calendar_feed = selectors.feed_for_token(token=token)
    if calendar_feed is None:
        raise Http404
    body = calendar.feed_ics(
        selectors.feed_registrations(user=calendar_feed.user),
        name=_("Seminars · %(site)s") % {"site": NETWORK_NAME},
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=900"
    return response


@login_required
@require_POST
def feed_reset(request):
    services.calendar_feed_reset(user=request.user)
    messages.success(
        request, _("Your calendar link was replaced; subscribe again with the new one.")
    )
    return redirect("training:my_registrations")


@login_required
def material_download(request, pk: int):
    material = get_object_or_404(SeminarMaterial.objects.select_related("seminar"), pk=pk)
    seminar = material.seminar
    allowed = _is_operator(request)
    if not allowed and seminar.has_ended():
        allowed = (
            selectors.registrations_of_user(user=request.user)
            .filter(seminar=seminar, status=Registration.Status.CONFIRMED)
            .exists()
        )
    if not allowed:
        raise Http404
    return private_file_response(
        material.file,
        as_attachment=True,
        filename=material.original_name,
        content_type=material.content_type,
    )


# --- Operators ---------------------------------------------------------------------------------


@operator_required
def manage_list(request):
    return render(
        request,
        "training/manage/list.html",
        {"seminars": selectors.seminars_for_operators(), "now": timezone.now()},
    )


def _save_seminar(request, form: SeminarForm, seminar: Seminar | None):
    try:
        if seminar is None:
            return services.seminar_create(values=form.values(), acting_user=request.user)
        return services.seminar_update(
            seminar=seminar, values=form.values(), acting_user=request.user
        )
    except ValidationError as error:
        form.add_error(None, error)
    except DomainError as error:
        form.add_error(None, error.message)
    return None


@operator_required
def manage_create(request):
    form = SeminarForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        seminar = _save_seminar(request, form, None)
        if seminar is not None:
            messages.success(request, _("Draft saved. Publish it when it is ready."))
            return redirect("training:manage_edit", pk=seminar.pk)
    return render(request, "training/manage/form.html", {"form": form, "seminar": None})


@operator_required
def manage_edit(request, pk: int):
    seminar = get_object_or_404(Seminar, pk=pk)
    form = SeminarForm(request.POST or None, instance=seminar)
    if request.method == "POST" and form.is_valid():
        saved = _save_seminar(request, form, seminar)
        if saved is not None:
            messages.success(request, _("Seminar saved."))
            return redirect("training:manage_edit", pk=seminar.pk)
    return render(request, "training/manage/form.html", {"form": form, "seminar": seminar})


@operator_required
@require_POST
def manage_publish(request, pk: int):
    seminar = get_object_or_404(Seminar, pk=pk)
    try:
        services.seminar_publish(seminar=seminar, acting_user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(title)s is published.") % {"title": seminar.title})
    return redirect("training:manage_edit", pk=pk)


@operator_required
@require_POST
def manage_cancel(request, pk: int):
    seminar = get_object_or_404(Seminar, pk=pk)
    try:
        services.seminar_cancel(seminar=seminar, acting_user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("%(title)s is cancelled; attendees were told.") % {"title": seminar.title}
        )
    return redirect("training:manage_edit", pk=pk)


def _csv_cell(value) -> str:
    text = "" if value is None else str(value)
    # A leading =, +, - or @ would run as a formula in a spreadsheet.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


@operator_required
def manage_attendees(request, pk: int):
    seminar = get_object_or_404(Seminar, pk=pk)
    attendees = selectors.seminar_attendees(organization=request.organization, seminar=seminar)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="attendees-{seminar.slug}.csv"'
        response.write("\ufeff")  # so spreadsheet programs read the Chinese names right
        writer = csv.writer(response)
        writer.writerow(
            [
                "arrival",
                "status",
                "waitlist_position",
                "name",
                "email",
                "organization",
                "organization_kind",
                "registered_at",
                "confirmed_at",
                "checked_in_at",
            ]
        )
        for registration in attendees:
            writer.writerow(
                [
                    _csv_cell(value)
                    for value in (
                        registration.arrival,
                        registration.status,
                        registration.waitlist_position or "",
                        registration.user.full_name,
                        registration.user.email,
                        registration.organization.name,
                        registration.organization.kind,
                        registration.created_at.isoformat(),
                        registration.confirmed_at.isoformat() if registration.confirmed_at else "",
                        registration.attended_at.isoformat() if registration.attended_at else "",
                    )
                ]
            )
        return response
    return render(
        request,
        "training/manage/attendees.html",
        {"seminar": seminar, "attendees": attendees},
    )


@operator_required
def manage_check_in(request, pk: int):
    seminar = get_object_or_404(Seminar, pk=pk)
    if request.method == "POST":
        registration = selectors.access_registration(
            organization=request.organization, pk=int(request.POST.get("registration") or 0)
        )
        if registration.seminar_id != seminar.pk:
            raise Http404
        try:
            services.registration_check_in(registration=registration, acting_user=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, _("%(name)s is checked in.") % {"name": registration.user.display_name}
            )
        query = request.POST.get("q", "")
        target = reverse("training:manage_check_in", args=[pk])
        return redirect(target + ("?" + urlencode({"q": query}) if query else ""))
    form = CheckInSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    results = (
        list(
            selectors.seminar_attendees(
                organization=request.organization, seminar=seminar, query=query
            )[:50]
        )
        if query
        else []
    )
    checked_in = selectors.seminar_checked_in_count(
        organization=request.organization, seminar=seminar
    )
    return render(
        request,
        "training/manage/check_in.html",
        {
            "seminar": seminar,
            "form": form,
            "query": query,
            "results": results,
            "checked_in": checked_in,
            "check_in_open": services.check_in_open(seminar),
        },
    )


@operator_required
def check_in_scan(request, token: str):
    registration = selectors.access_registration_by_checkin_token(
        organization=request.organization, token=token
    )
    return redirect(
        reverse("training:manage_check_in", args=[registration.seminar_id]) + f"?q={token}"
    )


@operator_required
def manage_feedback(request, pk: int):
    seminar = get_object_or_404(Seminar, pk=pk)
    return render(
        request,
        "training/manage/feedback.html",
        {
            "seminar": seminar,
            "summary": selectors.feedback_summary(
                organization=request.organization, seminar=seminar
            ),
        },
    )


@operator_required
def manage_materials(request, pk: int):
    seminar = get_object_or_404(Seminar, pk=pk)
    form = MaterialForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if request.POST.get("remove"):
            material = get_object_or_404(
                SeminarMaterial, pk=request.POST["remove"], seminar=seminar
            )
            services.material_remove(material=material, acting_user=request.user)
            messages.success(request, _("Material removed."))
            return redirect("training:manage_materials", pk=pk)
        if form.is_valid():
            try:
                services.material_add(
                    seminar=seminar,
                    title=form.cleaned_data["title"],
                    upload=form.cleaned_data["file"],
                    acting_user=request.user,
                )
            except (DomainError, ValidationError) as error:
                form.add_error(None, getattr(error, "message", None) or error)
            else:
                messages.success(request, _("Material added."))
                return redirect("training:manage_materials", pk=pk)
    return render(
        request,
        "training/manage/materials.html",
        {"seminar": seminar, "form": form, "materials": seminar.materials.all()},
    )
