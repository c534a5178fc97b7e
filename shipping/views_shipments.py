"""Pages of shipments: the merchant's list, a new shipment from packed merchant orders, and a
shipment's page (lines, totals, the container and its fill; dispatch, cancel, and the
operators' receipt at the warehouse). Buyers read the shipments of their orders."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from network.errors import DomainError
from network.models import Organization, Role
from network.permissions import organization_required
from shipping import selectors_shipments as selectors
from shipping.forms_shipments import ShipmentForm
from shipping.models import ShipmentStatus
from shipping.selectors import trade_documents_of_shipment
from shipping.services import shipments as services

MERCHANT = [Organization.Kind.MERCHANT]
OPERATOR = [Organization.Kind.OPERATOR]
PARTIES = [Organization.Kind.MERCHANT, Organization.Kind.BUYER, Organization.Kind.OPERATOR]


@organization_required(kinds=PARTIES)
def shipment_list(request):
    status = request.GET.get("status", "")
    shipments = selectors.shipments_for_organization(
        organization=request.organization, status=status
    )
    page = Paginator(shipments, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "shipping/shipments/shipment_list.html",
        {
            "page": page,
            "status": status,
            "statuses": ShipmentStatus.choices,
            "is_buyer": request.organization.kind == Organization.Kind.BUYER,
            "can_create": request.organization.kind == Organization.Kind.MERCHANT
            and request.membership.has_role(Role.STAFF),
        },
    )


def _initial_choice(form: ShipmentForm, merchant_order) -> str:
    """For an order whose buyer wants its goods together, the container already holding
    another merchant's part of it (the merchant's space there, else new space in it)."""
    container = services.container_for_purchase_order(purchase_order=merchant_order.purchase_order)
    if container is None:
        return ""
    for key, space in form._spaces.items():
        if space.container_id == container.pk:
            return key
    key = f"container:{container.reference}"
    return key if key in form._containers else ""


@organization_required(role=Role.STAFF, kinds=MERCHANT)
def shipment_create(request):
    organization = request.organization
    merchant_orders = selectors.merchant_orders_to_ship(organization=organization)
    form_options = {
        "merchant_orders": merchant_orders,
        "bookings": list(selectors.bookings_for_shipments(organization=organization)),
        "spaces": list(selectors.space_for_shipments(organization=organization)),
        "containers": list(selectors.open_containers()),
    }
    initial: dict = {}
    chosen = None
    if number := request.GET.get("order", ""):
        chosen = merchant_orders.filter(number=number).first()
    if request.method == "POST":
        form = ShipmentForm(request.POST, **form_options)
    else:
        if chosen is not None:
            initial["merchant_orders"] = [chosen.pk]
        form = ShipmentForm(initial=initial, **form_options)
        if chosen is not None and (choice := _initial_choice(form, chosen)):
            form.initial["carried_on"] = choice
    together = chosen is not None and chosen.purchase_order.travel_together
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            shipment = services.shipment_create(
                organization=organization,
                merchant_orders=list(data["merchant_orders"]),
                booking=data["booking"],
                space_request=data["space_request"],
                container=data["container"],
                no_dangerous_goods=bool(data.get("no_dangerous_goods")),
                acting_user=request.user,
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Shipment %(reference)s planned. Dispatch it when the goods leave.")
                % {"reference": shipment.reference},
            )
            return redirect("shipping:shipment_detail", shipment.reference)
    return render(
        request,
        "shipping/shipments/shipment_form.html",
        {"form": form, "has_orders": merchant_orders.exists(), "together": together},
    )


@organization_required(kinds=PARTIES)
def shipment_detail(request, reference: str):
    shipment = selectors.access_shipment(organization=request.organization, reference=reference)
    kind = request.organization.kind
    is_merchant_staff = (
        kind == Organization.Kind.MERCHANT
        and shipment.organization_id == request.organization.pk
        and request.membership.has_role(Role.STAFF)
    )
    container = shipment.space_request.container if shipment.space_request_id else None
    booking = shipment.carrier_booking
    return render(
        request,
        "shipping/shipments/shipment_detail.html",
        {
            "shipment": shipment,
            "lines": selectors.shipment_lines(shipment=shipment),
            "merchant_orders": selectors.shipment_merchant_orders(shipment=shipment),
            "container": container,
            "booking": booking,
            "sailing": container.sailing if container else booking.sailing if booking else None,
            "can_dispatch": is_merchant_staff and shipment.status == ShipmentStatus.PLANNED,
            "can_cancel": is_merchant_staff and shipment.status == ShipmentStatus.PLANNED,
            "can_receive": kind == Organization.Kind.OPERATOR
            and shipment.status == ShipmentStatus.DISPATCHED,
            "is_merchant": kind == Organization.Kind.MERCHANT,
            "is_buyer": kind == Organization.Kind.BUYER,
            "trade_documents": list(
                trade_documents_of_shipment(organization=request.organization, shipment=shipment)
            ),
        },
    )


def _act(request, reference: str, action, done: str):
    shipment = selectors.access_shipment(organization=request.organization, reference=reference)
    try:
        action(shipment=shipment, acting_user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done % {"reference": shipment.reference})
    return redirect("shipping:shipment_detail", shipment.reference)


@require_POST
@organization_required(role=Role.STAFF, kinds=MERCHANT)
def shipment_dispatch(request, reference: str):
    return _act(
        request,
        reference,
        services.shipment_dispatch,
        _("Shipment %(reference)s dispatched: its orders are shipped and the buyer is told."),
    )


@require_POST
@organization_required(role=Role.STAFF, kinds=MERCHANT)
def shipment_cancel(request, reference: str):
    return _act(
        request,
        reference,
        services.shipment_cancel,
        _("Shipment %(reference)s cancelled: its orders can go on another shipment."),
    )


@require_POST
@organization_required(role=Role.STAFF, kinds=OPERATOR)
def shipment_receive(request, reference: str):
    return _act(
        request,
        reference,
        services.shipment_receive,
        _("Shipment %(reference)s received at the warehouse."),
    )
