"""Pages of the platform core: home, organisations, members, invitations, preferences."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.views import activate_totp as allauth_totp_activate
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from network import dashboards, outbound, selectors, services
from network.db_router import tolerates_lag
from network.errors import DomainError
from network.forms import (
    ApiKeyForm,
    ExchangeRateForm,
    InvitationForm,
    OrganizationCreateForm,
    PreferencesForm,
    RoleForm,
    WebhookEndpointForm,
    form_add_validation_error,
)
from network.models import (
    ExchangeRate,
    Membership,
    Organization,
    Role,
)
from network.navigation import home_panels_for, link_for, queues_for
from network.permissions import admin_allows, organization_required
from network.second_factor import has_totp, second_factor_record


def home(request):
    if not request.user.is_authenticated:
        return render(request, "network/landing.html")
    if request.membership is None:
        return redirect("organization_create")
    operator = request.organization.kind == Organization.Kind.OPERATOR
    return render(
        request,
        "network/home.html",
        {
            "organization": request.organization,
            "panels": home_panels_for(request),
            "queues": queues_for(request) if operator else [],
            "links": {
                name: link_for(request, url_name)
                for name, url_name in [("catalogue", "catalog:browse"), ("cart", "orders:cart")]
            },
        },
    )


@login_required
def organization_create(request):
    form = OrganizationCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organization = services.organization_create(
                name=form.cleaned_data["name"],
                kind=form.cleaned_data["kind"],
                country=form.cleaned_data["country"],
                owner=request.user,
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            request.session["active_organization_id"] = organization.pk
            messages.success(request, _("%(name)s is ready.") % {"name": organization.name})
            return redirect("home")
    return render(request, "network/organization_create.html", {"form": form})


@login_required
@require_POST
def organization_switch(request):
    try:
        membership = services.organization_switch(
            request=request, organization_id=int(request.POST.get("organization", 0))
        )
    except (DomainError, ValueError):
        messages.error(request, _("You are not a member of that organisation."))
        return redirect("home")
    messages.success(
        request, _("You are now working as %(name)s.") % {"name": membership.organization.name}
    )
    return redirect("home")


@organization_required()
def members(request):
    organization = request.organization
    can_manage = request.membership.has_role(Role.ADMIN)
    invite_form = InvitationForm(organization=organization)
    if request.method == "POST":
        if not can_manage:
            messages.error(request, _("Only an owner or admin can invite people."))
            return redirect("members")
        invite_form = InvitationForm(request.POST, organization=organization)
        if invite_form.is_valid():
            try:
                invitation, _token = services.invitation_create(
                    organization=organization,
                    email=invite_form.cleaned_data["email"],
                    role=invite_form.cleaned_data["role"],
                    acting_user=request.user,
                )
            except DomainError as error:
                invite_form.add_error("email", error.message)
            else:
                messages.success(
                    request,
                    _("Invitation sent to %(email)s.") % {"email": invitation.email},
                )
                return redirect("members")
    member_rows = [
        (
            membership,
            RoleForm(
                organization=organization,
                initial={"role": membership.role},
                prefix=f"m{membership.pk}",
            ),
        )
        for membership in selectors.organization_members(organization=organization)
    ]
    return render(
        request,
        "network/members.html",
        {
            "member_rows": member_rows,
            "invitations": selectors.organization_pending_invitations(organization=organization),
            "invite_form": invite_form,
            "can_manage": can_manage,
        },
    )


@organization_required(role=Role.ADMIN)
@require_POST
def member_change_role(request, membership_id: int):
    membership = get_object_or_404(
        Membership.objects.select_related("organization", "user"),
        pk=membership_id,
        organization=request.organization,
    )
    form = RoleForm(request.POST, organization=request.organization, prefix=f"m{membership.pk}")
    if form.is_valid():
        try:
            services.membership_change_role(
                membership=membership, role=form.cleaned_data["role"], acting_user=request.user
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, _("Role updated for %(email)s.") % {"email": membership.user.email}
            )
    else:
        messages.error(request, _("Choose a valid role."))
    return redirect("members")


@organization_required()
@require_POST
def member_remove(request, membership_id: int):
    membership = get_object_or_404(
        Membership.objects.select_related("organization", "user"),
        pk=membership_id,
        organization=request.organization,
    )
    try:
        services.membership_remove(membership=membership, acting_user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("members")
    if membership.user_id == request.user.pk:
        request.session.pop("active_organization_id", None)
        messages.success(request, _("You left %(name)s.") % {"name": request.organization.name})
        return redirect("home")
    messages.success(request, _("%(email)s was removed.") % {"email": membership.user.email})
    return redirect("members")


@organization_required(role=Role.ADMIN)
@require_POST
def invitation_revoke(request, invitation_id: int):
    invitation = selectors.access_invitation(organization=request.organization, pk=invitation_id)
    try:
        services.invitation_revoke(invitation=invitation, acting_user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Invitation revoked."))
    return redirect("members")


def invitation_accept(request, token: str):
    invitation = services.invitation_for_token(token)
    if invitation is None:
        raise Http404(_("This invitation link is not valid."))
    if not request.user.is_authenticated:
        return render(
            request,
            "network/invitation_accept.html",
            {"invitation": invitation, "next": request.path},
        )
    if request.method == "POST":
        try:
            membership = services.invitation_accept(token=token, user=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            request.session["active_organization_id"] = membership.organization_id
            messages.success(
                request, _("Welcome to %(name)s.") % {"name": membership.organization.name}
            )
            return redirect("home")
    return render(request, "network/invitation_accept.html", {"invitation": invitation})


@login_required
def preferences(request):
    user = request.user
    form = PreferencesForm(
        request.POST or None,
        initial={
            "full_name": user.full_name,
            "language": user.language,
            "time_zone": user.time_zone,
        },
        default_time_zone=user.default_time_zone(request.memberships),
    )
    if request.method == "POST" and form.is_valid():
        services.user_update_preferences(user=user, **form.cleaned_data)
        translation.activate(user.language)
        response = redirect("preferences")
        response.set_cookie(
            "network_language", user.language, samesite="Lax", max_age=365 * 24 * 3600
        )
        messages.success(request, _("Your preferences are saved."))
        return response
    return render(request, "network/preferences.html", {"form": form})


@login_required
def notifications(request):
    if request.method == "POST":
        notification = selectors.access_notification(
            user=request.user, pk=request.POST.get("notification", 0)
        )
        services.notification_mark_read(notification=notification, user=request.user)
        return redirect(notification.link or reverse("notifications"))
    return render(
        request,
        "network/notifications.html",
        {"notifications": selectors.user_notifications(user=request.user)[:100]},
    )


def admin_login(request):
    """The admin signs in through the account login, so its rate limits and the second factor
    apply there too. A signed-in person the admin does not admit (neither staff nor one of the
    network's administrators) is refused it."""
    next_url = request.GET.get(REDIRECT_FIELD_NAME, "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("admin:index")
    if not request.user.is_authenticated:
        return redirect_to_login(next_url, reverse("account_login"))
    if not admin_allows(request):
        raise PermissionDenied
    return redirect(next_url)


def totp_activate(request):
    """allauth's TOTP set-up. The code that proves the new authenticator also counts as this
    session's second factor, so a person sent here to set one up carries on at once."""
    had_totp = request.user.is_authenticated and has_totp(request.user)
    response = allauth_totp_activate(request)
    if request.method == "POST" and request.user.is_authenticated and not had_totp:
        authenticator = Authenticator.objects.filter(
            user=request.user, type=Authenticator.Type.TOTP
        ).first()
        if authenticator is not None:
            second_factor_record(request, authenticator=authenticator)
    return response


@csrf_exempt
@require_POST
def language_switch(request):
    """Switch the site's language; a signed-in person keeps the choice for their mail too.

    Only a signed-in person's switch needs the CSRF token (it writes their preferences): a
    visitor's switch changes nothing but the language cookie of the browser that sends it, so
    public pages carry no token and set no cookie, and the same bytes serve every visitor
    (``catalog.views.browse``)."""
    if request.user.is_authenticated:
        return _signed_in_language_switch(request)
    return set_language(request)


@csrf_protect
def _signed_in_language_switch(request):
    language = request.POST.get("language")
    if language in dict(settings.LANGUAGES):
        services.user_update_preferences(
            user=request.user,
            full_name=request.user.full_name,
            language=language,
            time_zone=request.user.time_zone,
        )
    return set_language(request)


@organization_required(role=Role.STAFF, kinds=[Organization.Kind.OPERATOR])
def exchange_rates(request):
    """Operators keep the USD→CNY rate that buyers' CNY estimates use."""
    today = selectors.exchange_rate_day()
    form = ExchangeRateForm(request.POST or None, initial={"effective_date": today})
    if request.method == "POST" and form.is_valid():
        try:
            rate = services.exchange_rate_set(
                base="USD",
                quote="CNY",
                rate=form.cleaned_data["rate"],
                effective_date=form.cleaned_data["effective_date"],
                acting_user=request.user,
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            if rate.effective_date > today:
                messages.success(
                    request, _("Scheduled: %(rate)s. Buyers see it from that day.") % {"rate": rate}
                )
            else:
                messages.success(request, _("Saved: %(rate)s.") % {"rate": rate})
            return redirect("exchange_rates")
    in_force = selectors.exchange_rate_in_force(base="USD", quote="CNY", on=today)
    return render(
        request,
        "network/exchange_rates.html",
        {
            "form": form,
            "today": today,
            "zone": settings.TIME_ZONE,
            "in_force": in_force,
            "rates": ExchangeRate.objects.filter(base="USD", quote="CNY").select_related("set_by")[
                :30
            ],
        },
    )


INTEGRATION_KINDS = [Organization.Kind.MERCHANT, Organization.Kind.BUYER]


@organization_required(role=Role.ADMIN, kinds=INTEGRATION_KINDS)
def integrations(request):
    """API keys of the organisation: create (shown once), list with last use, revoke."""
    form = ApiKeyForm(request.POST or None)
    new_key = request.session.pop("new_api_key", None)
    if request.method == "POST" and form.is_valid():
        try:
            _api_key, raw_key = services.api_key_create(
                organization=request.organization,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                acting_user=request.user,
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            request.session["new_api_key"] = raw_key
            messages.success(request, _("Key created. Copy it now: it is shown only once."))
            return redirect("integrations")
    return render(
        request,
        "network/integrations.html",
        {
            "form": form,
            "new_key": new_key,
            "keys": selectors.api_keys_of(organization=request.organization),
        },
    )


@organization_required(role=Role.ADMIN, kinds=INTEGRATION_KINDS)
@require_POST
def api_key_revoke(request, key_id: int):
    api_key = selectors.access_api_key(organization=request.organization, pk=key_id)
    services.api_key_revoke(api_key=api_key, acting_user=request.user)
    messages.success(request, _("Key %(prefix)s… revoked.") % {"prefix": api_key.prefix})
    return redirect("integrations")


@organization_required(role=Role.ADMIN, kinds=INTEGRATION_KINDS)
def webhooks(request):
    form = WebhookEndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = services.webhook_endpoint_create(
                organization=request.organization,
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                description=form.cleaned_data["description"],
                acting_user=request.user,
            )
        except DomainError as error:
            form.add_error("url" if error.code.startswith("url_") else None, error.message)
        except ValidationError as error:
            form_add_validation_error(form, error)
        else:
            messages.success(request, _("Endpoint added."))
            return redirect("webhook_detail", endpoint_id=endpoint.pk)
    return render(
        request,
        "network/webhooks.html",
        {
            "form": form,
            "endpoints": selectors.webhook_endpoints_of(organization=request.organization),
            "webhook_http_allowed": outbound.http_allowed(),
        },
    )


@organization_required(role=Role.ADMIN, kinds=INTEGRATION_KINDS)
def webhook_detail(request, endpoint_id: int):
    endpoint = selectors.access_webhook_endpoint(organization=request.organization, pk=endpoint_id)
    if request.method == "POST":
        if request.POST.get("action") == "delete":
            services.webhook_endpoint_delete(endpoint=endpoint, acting_user=request.user)
            messages.success(request, _("Endpoint deleted."))
            return redirect("webhooks")
        if request.POST.get("action") == "enable":
            services.webhook_endpoint_enable(endpoint=endpoint, acting_user=request.user)
            messages.success(request, _("Endpoint enabled."))
        if request.POST.get("action") == "rotate_secret":
            services.webhook_endpoint_rotate_secret(endpoint=endpoint, acting_user=request.user)
            messages.success(
                request, _("New signing secret made: events are signed with it from now on.")
            )
        return redirect("webhook_detail", endpoint_id=endpoint.pk)
    deliveries = endpoint.deliveries.all()[:100]
    return render(
        request, "network/webhook_detail.html", {"endpoint": endpoint, "deliveries": deliveries}
    )


@organization_required(role=Role.ADMIN, kinds=INTEGRATION_KINDS)
@require_POST
def webhook_redeliver(request, delivery_id: int):
    delivery = selectors.access_webhook_delivery(organization=request.organization, pk=delivery_id)
    try:
        services.webhook_redeliver(delivery=delivery, acting_user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Queued for delivery again."))
    return redirect("webhook_detail", endpoint_id=delivery.endpoint_id)


@organization_required()
def dashboard(request):
    """The organisation's dashboard: the panels its kind sees, over the chosen date range."""
    period, form = dashboards.period_from_query(request.GET)
    return render(
        request,
        "dashboards/dashboard.html",
        {
            "organization": request.organization,
            "period": period,
            "form": form,
            "presets": [
                (label, dashboards.Period.last_days(days)) for days, label in dashboards.PRESETS
            ],
            "panels": dashboards.panels_html(request.organization, period),
        },
    )


@organization_required()
@tolerates_lag
def dashboard_export(request, slug: str):
    """One panel's table as CSV, over the same date range as the page."""
    panel = dashboards.panel_for(request.organization, slug)
    if panel is None:
        raise Http404
    period, _form = dashboards.period_from_query(request.GET)
    content = panel.build(request.organization, period)
    if content.table is None:
        raise Http404
    response = HttpResponse(
        dashboards.table_csv(content.table), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{slug}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.csv"'
    )
    return response
