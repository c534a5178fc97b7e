"""Pages of carrier slot booking: schedule search, booking with its terms, the merchant's
bookings, and the operators' carriers, sailings and utilisation."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from merchants.selectors import merchant_application, merchant_can_trade
from network.errors import DomainError
from network.models import Organization, Role
from network.permissions import organization_required
from shipping import charts, selectors, services
from shipping.equipment import EQUIPMENT_TYPES
from shipping.forms import (
    AmendForm,
    BookingForm,
    CancelForm,
    CarrierForm,
    LaneForm,
    SailingForm,
    SailingSearchForm,
)
from shipping.models import BookingStatus, Carrier, Lane, Sailing
from shipping.services import tracking
from shipping.services.schedules import pull_published_schedules

MERCHANT = [Organization.Kind.MERCHANT]
OPERATOR = [Organization.Kind.OPERATOR]
MERCHANT_OR_OPERATOR = [Organization.Kind.MERCHANT, Organization.Kind.OPERATOR]

# The main road of a booking, drawn as steps on its page.
HAPPY_PATH = [BookingStatus.RECEIVED, BookingStatus.CONFIRMED, BookingStatus.COMPLETED]


# --- Schedule search ---------------------------------------------------------------------------


@organization_required(kinds=MERCHANT_OR_OPERATOR)
def sailing_search(request):
    form = SailingSearchForm(request.GET)
    offers = []
    if form.is_valid():
        offers = list(
            selectors.sailing_search(
                origin=form.cleaned_data["origin"] or None,
                destination=form.cleaned_data["destination"] or None,
                departure_from=form.cleaned_data["departure_from"],
                departure_to=form.cleaned_data["departure_to"],
                equipment=form.cleaned_data["equipment"],
            )[:100]
        )
    can_book = (
        request.organization.kind == Organization.Kind.MERCHANT
        and request.membership.has_role(Role.STAFF)
    )
    return render(
        request,
        "shipping/sailing_search.html",
        {
            "form": form,
            "offers": offers,
            "can_book": can_book,
            "may_trade": can_book and merchant_can_trade(organization=request.organization),
        },
    )


# --- Booking -----------------------------------------------------------------------------------


def _shipper_initial(organization) -> dict:
    application = merchant_application(organization=organization)
    if application is None:
        return {"shipper_name": organization.name[:70]}
    address = "\n".join(
        part
        for part in (
            application.address_line1,
            application.address_line2,
            " ".join(
                p for p in (application.city, application.state, application.postal_code) if p
            ),
            "United States",
        )
        if part
    )
    return {
        "shipper_name": (application.legal_name or organization.name)[:70],
        "shipper_address": address,
    }


@organization_required(role=Role.STAFF, kinds=MERCHANT)
def booking_create(request, sailing_id: int, equipment: str):
    offer = selectors.sailing_offer(sailing_id=sailing_id, equipment=equipment)
    sailing = offer.sailing
    equipment_type = EQUIPMENT_TYPES[offer.equipment_code]
    form = BookingForm(request.POST or None, initial=_shipper_initial(request.organization))
    context = {
        "offer": offer,
        "sailing": sailing,
        "equipment": equipment_type,
        "units_left": sailing.remaining_teu // equipment_type.teu,
        "may_trade": merchant_can_trade(organization=request.organization),
    }
    if request.method == "POST" and "edit" not in request.POST and form.is_valid():
        data = form.cleaned_data
        if "confirm" not in request.POST:
            return render(
                request,
                "shipping/booking_review.html",
                {
                    **context,
                    "form": form,
                    "total": offer.price * data["units"],
                    "saving": offer.saving * data["units"],
                    "fee_after": sailing.carrier.cancellation_fee_per_container * data["units"],
                    "free_until": sailing.free_cancellation_until(),
                },
            )
        try:
            booking = services.booking_request(
                organization=request.organization,
                sailing=sailing,
                equipment=offer.equipment_code,
                acting_user=request.user,
                **data,
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Booking %(reference)s requested: the space is held while %(carrier)s confirms.")
                % {"reference": booking.reference, "carrier": sailing.carrier.name},
            )
            return redirect("shipping:booking_detail", booking.reference)
    return render(request, "shipping/booking_form.html", {**context, "form": form})


@organization_required(kinds=MERCHANT)
def booking_list(request):
    bookings = selectors.bookings_for_organization(organization=request.organization)
    status = request.GET.get("status", "")
    if status in BookingStatus.values:
        bookings = bookings.filter(status=status)
    page = Paginator(bookings, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "shipping/booking_list.html",
        {"page": page, "status": status, "statuses": BookingStatus.choices},
    )


def _timeline_steps(booking) -> list[tuple[str, bool, bool]]:
    """(label, done, current) for the happy path, with the final status where it departed."""
    order = {status: index for index, status in enumerate(HAPPY_PATH)}
    if booking.status in order:
        reached = order[booking.status]
    elif booking.status in (BookingStatus.PENDING_AMENDMENT,):
        reached = order[BookingStatus.CONFIRMED]
    else:
        reached = 0
    steps = []
    for index, status in enumerate(HAPPY_PATH):
        steps.append((BookingStatus(status).label, index <= reached, index == reached))
    if booking.status not in order:
        steps.insert(reached + 1, (booking.get_status_display(), True, True))
        steps = steps[: reached + 2] if booking.is_final else steps
    return steps


def _booking_context(request, booking) -> dict:
    # Operators look at every merchant's booking; only its merchant changes it.
    can_change = (
        request.organization.kind == Organization.Kind.MERCHANT
        and request.membership.has_role(Role.STAFF)
    )
    return {
        "booking": booking,
        "events": selectors.booking_timeline(booking=booking),
        "steps": _timeline_steps(booking),
        "can_change": can_change,
        "can_amend": can_change
        and (
            services.transition_allowed(booking, "updated")
            or services.transition_allowed(booking, "amended")
        ),
        "can_cancel": can_change
        and (
            services.transition_allowed(booking, "cancelled")
            or services.transition_allowed(booking, "cancellation_requested")
        ),
        "can_withdraw_amendment": can_change
        and services.transition_allowed(booking, "amendment_cancelled"),
        "fee_now": booking.cancellation_fee_if_cancelled() if booking.is_confirmed else 0,
    }


@organization_required(kinds=MERCHANT_OR_OPERATOR)
def booking_detail(request, reference: str):
    booking = selectors.access_booking(organization=request.organization, reference=reference)
    context = _booking_context(request, booking)
    if request.GET.get("fragment") == "panel":
        return render(request, "shipping/_booking_panel.html", context)
    events = list(selectors.booking_tracking_events(booking=booking))
    context["tracking_events"] = events
    context["milestones"] = tracking.milestones_from(events)
    return render(request, "shipping/booking_detail.html", context)


@organization_required(role=Role.STAFF, kinds=MERCHANT)
def booking_amend(request, reference: str):
    booking = selectors.access_booking(organization=request.organization, reference=reference)
    form = AmendForm(
        request.POST or None,
        initial={"units": booking.units, "gross_weight_kg": booking.gross_weight_kg},
    )
    if request.method == "POST" and form.is_valid():
        try:
            booking = services.booking_amend(
                booking=booking, acting_user=request.user, **form.cleaned_data
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your change was sent to the carrier."))
            return redirect("shipping:booking_detail", booking.reference)
    return render(
        request,
        "shipping/booking_amend.html",
        {
            "booking": booking,
            "form": form,
            "per_unit_teu": EQUIPMENT_TYPES[booking.equipment_code].teu,
            "remaining_teu": booking.sailing.remaining_teu,
        },
    )


@organization_required(role=Role.STAFF, kinds=MERCHANT)
def booking_cancel(request, reference: str):
    booking = selectors.access_booking(organization=request.organization, reference=reference)
    form = CancelForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            booking = services.booking_cancel(
                booking=booking, acting_user=request.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            if booking.status == BookingStatus.CANCELLED:
                messages.success(request, _("Booking cancelled; its space was released."))
            else:
                messages.success(request, _("Cancellation requested; the carrier will confirm it."))
        return redirect("shipping:booking_detail", booking.reference)
    return render(
        request,
        "shipping/booking_cancel.html",
        {
            "booking": booking,
            "form": form,
            "fee_now": booking.cancellation_fee_if_cancelled() if booking.is_confirmed else 0,
        },
    )


@organization_required(role=Role.STAFF, kinds=MERCHANT)
@require_POST
def booking_withdraw_amendment(request, reference: str):
    booking = selectors.access_booking(organization=request.organization, reference=reference)
    try:
        services.booking_withdraw_amendment(booking=booking, acting_user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Amendment withdrawn."))
    return redirect("shipping:booking_detail", booking.reference)


# --- Operators ---------------------------------------------------------------------------------


@organization_required(kinds=OPERATOR)
def operations(request):
    sailings = list(selectors.sailings_for_operators())
    return render(
        request,
        "shipping/operations.html",
        {"sailings": sailings, "chart": charts.utilisation_bars(sailings)},
    )


@organization_required(kinds=OPERATOR)
def operations_sailing(request, sailing_id: int):
    sailing = get_object_or_404(
        Sailing.objects.select_related("carrier", "port_of_loading", "port_of_discharge"),
        pk=sailing_id,
    )
    return render(
        request,
        "shipping/operations_sailing.html",
        {
            "sailing": sailing,
            "rates": sailing.rates.all(),
            "bookings": selectors.sailing_bookings_for_operators(
                organization=request.organization, sailing=sailing
            ),
            "chart": charts.utilisation_bars([sailing]),
        },
    )


@organization_required(role=Role.STAFF, kinds=OPERATOR)
def operations_sailing_edit(request, sailing_id: int | None = None):
    sailing = get_object_or_404(Sailing, pk=sailing_id) if sailing_id else Sailing()
    form = SailingForm(request.POST or None, instance=sailing)
    if request.method == "POST" and form.is_valid():
        try:
            sailing = services.sailing_save(
                sailing=form.instance,
                rates=form.cleaned_data["rates"],
                acting_user=request.user,
                organization=request.organization,
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Sailing %(sailing)s saved.") % {"sailing": sailing})
            return redirect("shipping:operations_sailing", sailing.pk)
    return render(
        request, "shipping/operations_sailing_form.html", {"form": form, "sailing": sailing}
    )


@organization_required(kinds=OPERATOR)
def operations_carriers(request):
    return render(
        request,
        "shipping/operations_carriers.html",
        {
            "carriers": [
                (carrier, selectors.carrier_connection_state(carrier))
                for carrier in selectors.carriers()
            ],
            "awaiting_word": selectors.bookings_awaiting_carrier_word()[:100],
            "receipt_wait_minutes": round(float(settings.SHIPPING_RECEIPT_WAIT_SECONDS) / 60),
            "can_manage": request.membership.has_role(Role.STAFF),
            "callback_path": reverse("shipping_booking_notifications", args=["SCAC"]),
        },
    )


@organization_required(role=Role.STAFF, kinds=OPERATOR)
def operations_carrier_edit(request, carrier_id: int | None = None):
    carrier = get_object_or_404(Carrier, pk=carrier_id) if carrier_id else Carrier()
    form = CarrierForm(request.POST or None, instance=carrier)
    if request.method == "POST" and form.is_valid():
        try:
            carrier = services.carrier_save(
                carrier=form.instance, acting_user=request.user, organization=request.organization
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Carrier %(carrier)s saved.") % {"carrier": carrier})
            return redirect("shipping:operations_carriers")
    return render(
        request, "shipping/operations_carrier_form.html", {"form": form, "carrier": carrier}
    )


@organization_required(kinds=OPERATOR)
def operations_lanes(request):
    can_manage = request.membership.has_role(Role.STAFF)
    form = LaneForm(request.POST or None)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied(_("Your role in this organisation does not allow this."))
        if form.is_valid():
            try:
                lane = services.lane_save(
                    lane=form.instance,
                    acting_user=request.user,
                    organization=request.organization,
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Lane %(lane)s added.") % {"lane": lane})
                return redirect("shipping:operations_lanes")
    return render(
        request,
        "shipping/operations_lanes.html",
        {
            "lanes": selectors.lanes(),
            "carriers": selectors.carriers(),
            "form": form,
            "can_manage": can_manage,
        },
    )


@organization_required(role=Role.STAFF, kinds=OPERATOR)
@require_POST
def operations_lane_toggle(request, lane_id: int):
    lane = get_object_or_404(Lane, pk=lane_id)
    lane.is_active = not lane.is_active
    services.lane_save(lane=lane, acting_user=request.user, organization=request.organization)
    if lane.is_active:
        messages.success(request, _("Lane %(lane)s switched on.") % {"lane": lane})
    else:
        messages.success(request, _("Lane %(lane)s switched off.") % {"lane": lane})
    return redirect("shipping:operations_lanes")


@organization_required(role=Role.STAFF, kinds=OPERATOR)
@require_POST
def operations_schedules_pull(request):
    pull_published_schedules.delay()
    messages.success(
        request,
        _("The carriers' published schedules are being pulled; new sailings appear unpublished."),
    )
    return redirect("shipping:operations_lanes")
