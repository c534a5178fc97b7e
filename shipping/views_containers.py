"""Pages of shared containers: merchants book space by volume in the network's containers and
see their own space; operators open containers on sailings, watch their fill against the
carrier's cancellation deadline, and merge or release them."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from merchants.selectors import merchant_can_trade
from network.errors import DomainError
from network.models import Organization, Role
from network.permissions import organization_required
from shipping import selectors, services
from shipping.forms_containers import (
    ContainerMergeForm,
    ContainerOpenForm,
    ContainerReleaseForm,
    SpaceCancelForm,
    SpaceForm,
)
from shipping.models import ContainerStatus, SpaceRequest
from shipping.services.consolidation import container_decide_at, merge_candidates

MERCHANT = [Organization.Kind.MERCHANT]
OPERATOR = [Organization.Kind.OPERATOR]
PLANNED_STATUSES = [ContainerStatus.OPEN, ContainerStatus.CLOSED]


def _percent(part, whole) -> int:
    return min(int(part * 100 / whole), 100) if whole else 0


def _with_fill(container):
    """The container with its fill by volume and by weight, in whole percent, for the bars."""
    container.fill_m3_percent = _percent(container.booked_m3, container.capacity_m3)
    container.fill_kg_percent = _percent(container.booked_kg, container.capacity_kg)
    return container


# --- Merchants ---------------------------------------------------------------------------------


@organization_required(kinds=MERCHANT)
def container_list(request):
    containers = [_with_fill(c) for c in selectors.containers_open_for_space()[:100]]
    return render(
        request,
        "shipping/containers/container_list.html",
        {
            "containers": containers,
            "can_book": request.membership.has_role(Role.STAFF),
            "may_trade": merchant_can_trade(organization=request.organization),
        },
    )


@organization_required(role=Role.STAFF, kinds=MERCHANT)
def space_book(request, container_reference: str):
    container = _with_fill(selectors.access_open_container(reference=container_reference))
    form = SpaceForm(request.POST or None)
    context = {
        "container": container,
        "is_open": container.status == ContainerStatus.OPEN
        and container.receiving_cutoff > timezone.now(),
        "may_trade": merchant_can_trade(organization=request.organization),
    }
    if request.method == "POST" and "edit" not in request.POST and form.is_valid():
        data = form.cleaned_data
        if "confirm" not in request.POST:
            volume, weight = data["volume_m3"], data["weight_kg"]
            price = services.wm_price(
                volume_m3=volume, weight_kg=weight, price_per_wm=container.price_per_wm
            )
            forwarder_price = services.wm_price(
                volume_m3=volume, weight_kg=weight, price_per_wm=container.forwarder_price_per_wm
            )
            return render(
                request,
                "shipping/containers/space_review.html",
                {
                    **context,
                    "form": form,
                    "revenue_tons": services.wm_revenue_tons(volume_m3=volume, weight_kg=weight),
                    "price": price,
                    "forwarder_price": forwarder_price,
                    "saving": max(forwarder_price - price, 0),
                },
            )
        try:
            space = services.space_request_create(
                organization=request.organization,
                container=container,
                acting_user=request.user,
                **data,
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _(
                    "Space %(reference)s booked: deliver your goods to %(warehouse)s by the "
                    "receiving cut-off."
                )
                % {"reference": space.reference, "warehouse": container.warehouse_name},
            )
            return redirect("shipping:space_list")
    return render(request, "shipping/containers/space_form.html", {**context, "form": form})


@organization_required(kinds=MERCHANT)
def space_list(request):
    space = selectors.space_requests_for_organization(organization=request.organization)
    page = Paginator(space, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "shipping/containers/space_list.html",
        {
            "page": page,
            "can_cancel": request.membership.has_role(Role.STAFF),
            "held": SpaceRequest.Status.HELD,
        },
    )


@organization_required(role=Role.STAFF, kinds=MERCHANT)
def space_cancel(request, space_reference: str):
    space = selectors.access_space_request(
        organization=request.organization, reference=space_reference
    )
    form = SpaceCancelForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.space_request_cancel(space_request=space, acting_user=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("Space %(reference)s cancelled; it is free for others again.")
                % {"reference": space.reference},
            )
        return redirect("shipping:space_list")
    return render(request, "shipping/containers/space_cancel.html", {"space": space, "form": form})


# --- Operators ---------------------------------------------------------------------------------


@organization_required(kinds=OPERATOR)
def operations_containers(request):
    containers = list(
        selectors.containers_for_operators(
            organization=request.organization, statuses=PLANNED_STATUSES
        )[:200]
    )
    now = timezone.now()
    for container in containers:
        _with_fill(container)
        container.deadline = container.sailing.free_cancellation_until()
        container.decide_at = container_decide_at(container)
        container.under_threshold = container.fill_percent < container.fill_threshold_percent
        container.decision_due = container.decide_at <= now
    return render(
        request,
        "shipping/containers/operations_containers.html",
        {"containers": containers, "can_manage": request.membership.has_role(Role.STAFF)},
    )


@organization_required(role=Role.STAFF, kinds=OPERATOR)
def operations_container_new(request):
    form = ContainerOpenForm(
        request.POST or None, initial={"sailing": request.GET.get("sailing") or None}
    )
    if request.method == "POST" and form.is_valid():
        try:
            container = services.container_open(acting_user=request.user, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Shared container %(reference)s opened; its booking was sent to the carrier.")
                % {"reference": container.reference},
            )
            return redirect("shipping:operations_container", container.reference)
    return render(request, "shipping/containers/container_form.html", {"form": form})


def _operator_container(request, reference: str):
    container = selectors.access_container(organization=request.organization, reference=reference)
    _with_fill(container)
    container.deadline = container.sailing.free_cancellation_until()
    container.decide_at = container_decide_at(container)
    return container


@organization_required(kinds=OPERATOR)
def operations_container(request, container_reference: str):
    container = _operator_container(request, container_reference)
    space = list(selectors.container_space_by_merchant(container=container))
    return render(
        request,
        "shipping/containers/operations_container.html",
        {
            "container": container,
            "space": space,
            "can_manage": request.membership.has_role(Role.STAFF)
            and container.status in PLANNED_STATUSES,
        },
    )


@organization_required(role=Role.STAFF, kinds=OPERATOR)
def operations_container_merge(request, container_reference: str):
    container = _operator_container(request, container_reference)
    candidates = merge_candidates(container, nearest_only=False)
    form = ContainerMergeForm(
        request.POST if request.method == "POST" else None, candidates=candidates
    )
    if request.method == "POST" and form.is_valid():
        into = next(c for c in candidates if c.reference == form.cleaned_data["into"])
        try:
            services.container_merge(container=container, into=into, acting_user=request.user)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("%(reference)s merged into %(into)s; its merchants were told.")
                % {"reference": container.reference, "into": into.reference},
            )
            return redirect("shipping:operations_container", into.reference)
    return render(
        request,
        "shipping/containers/container_merge.html",
        {"container": container, "form": form, "candidates": candidates},
    )


@organization_required(role=Role.STAFF, kinds=OPERATOR)
def operations_container_release(request, container_reference: str):
    container = _operator_container(request, container_reference)
    form = ContainerReleaseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.container_release(
                container=container,
                reason=form.cleaned_data["reason"],
                acting_user=request.user,
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("%(reference)s released; its carrier booking is being cancelled.")
                % {"reference": container.reference},
            )
            return redirect("shipping:operations_containers")
    return render(
        request,
        "shipping/containers/container_release.html",
        {"container": container, "form": form},
    )
