"""Shipments: a merchant's packed merchant orders of one buyer put on one of its whole-container
bookings or on its space in a shared container, dispatched (the goods leave the merchant and the
merchant orders are shipped), received at the consolidation warehouse, or cancelled before
dispatch. An order line is on one current shipment only (a database constraint backs it).

Locks are taken in one order: the merchant orders (by primary key), then the space, then the
carrier booking; a dispatch locks the shipment, then each purchase and merchant order."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from network.errors import PermissionDenied
from network.models import Organization, Role, User
from network.permissions import require_member
from network.selectors import user_is_operator
from network.services import audit
from network.shipments import ShipmentBooking
from network.transitions import Transition, transition, transition_apply
from orders.models import (
    LineStatus,
    MerchantOrder,
    MerchantOrderStatus,
    PurchaseOrder,
    PurchaseOrderLine,
)
from orders.services import merchant_order_mark_delivered, merchant_order_ship
from shipping.cargo import NO_CARGO, Cargo, line_cargo, space_volume, space_weight
from shipping.errors import (
    IllegalShipmentTransition,
    OrderLineAlreadyShipped,
    ShipmentInvalid,
    SpaceTooSmall,
)
from shipping.models import (
    FINAL_STATUSES,
    RELEASED_STATUSES,
    Booking,
    ConsolidationContainer,
    ContainerStatus,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
    SpaceRequest,
)
from shipping.services import carrier_sync
from shipping.services.consolidation import space_request_create
from shipping.services.documents import trade_documents_issue_task
from shipping.services.lifecycle import own_rows

SH = ShipmentStatus

# action -> (label, statuses it may start from, status it leads to): every move of a shipment.
# Departure and arrival follow the carrier's tracking events.
TRANSITIONS: dict[str, Transition] = {
    "dispatch": transition(gettext_lazy("dispatch"), {SH.PLANNED}, SH.DISPATCHED),
    "receive": transition(gettext_lazy("receive"), {SH.DISPATCHED}, SH.RECEIVED),
    "depart": transition(gettext_lazy("depart"), {SH.DISPATCHED, SH.RECEIVED}, SH.DEPARTED),
    "arrive": transition(gettext_lazy("arrive"), {SH.DEPARTED}, SH.ARRIVED),
    "cancel": transition(gettext_lazy("cancel"), {SH.PLANNED}, SH.CANCELLED),
}
SHIPPED_LABEL = "MADE IN USA"


# How a sample line is named on the trade documents (bilingual by design, like their labels).
SAMPLE_EN = "Sample"
SAMPLE_ZH = "样品"


def _described(parts: list[str], sample: str, *, is_sample: bool) -> str:
    return " – ".join(filter(None, [*parts, sample if is_sample else ""]))[:300]


def _staff_required(organization: Organization, user: User) -> None:
    require_member(
        organization=organization,
        user=user,
        role=Role.STAFF,
        kinds=(Organization.Kind.MERCHANT,),
        message=_("Only the merchant's staff handle its shipments."),
    )


# --- Reads the writes need ---------------------------------------------------------------------


def _locked_merchant_orders(
    organization: Organization, merchant_orders: Iterable[MerchantOrder]
) -> list[MerchantOrder]:
    ids = sorted({merchant_order.pk for merchant_order in merchant_orders})
    if not ids:
        raise ShipmentInvalid(_("Choose at least one packed merchant order."))
    locked = list(
        MerchantOrder.objects.visible_to(organization)
        .filter(organization=organization, pk__in=ids)
        .select_for_update(of=("self",))
        .select_related("purchase_order", "buyer")
        .order_by("pk")
    )
    if len(locked) != len(ids):
        raise ShipmentInvalid(_("Those are not all your merchant orders."))
    return locked


def _order_lines(
    organization: Organization, merchant_orders: Sequence[MerchantOrder]
) -> list[PurchaseOrderLine]:
    return list(
        PurchaseOrderLine.objects.visible_to(organization)
        .filter(merchant_order__in=merchant_orders, status=LineStatus.ACCEPTED)
        .select_related("sku__product")
        .order_by("merchant_order_id", "pk")
    )


def _unused_space(space_request: SpaceRequest) -> tuple[Decimal, Decimal]:
    """The volume (m³) and weight (kg) of ``space_request`` its current shipments leave."""
    used_m3, used_kg = Decimal("0"), Decimal("0")
    for volume, weight in (
        Shipment.objects.visible_to(space_request.organization)
        .filter(space_request=space_request)
        .exclude(status=SH.CANCELLED)
        .values_list("volume_m3", "gross_weight_kg")
    ):
        used_m3 += volume
        used_kg += weight
    return space_request.volume_m3 - used_m3, Decimal(space_request.weight_kg) - used_kg


def container_for_purchase_order(
    *,
    purchase_order: PurchaseOrder,
    volume_m3: Decimal | None = None,
    weight_kg: int | None = None,
) -> ConsolidationContainer | None:
    """For a purchase order whose buyer asked for its goods to travel together, the open shared
    container already holding a shipment of it that still has room (for ``volume_m3`` and
    ``weight_kg`` when given, else for the smallest space); None otherwise."""
    if not purchase_order.travel_together:
        return None
    buyer = purchase_order.organization
    container_ids = (
        Shipment.objects.visible_to(buyer)
        .filter(buyer=buyer, lines__merchant_order__purchase_order=purchase_order)
        .filter(space_request__isnull=False)
        .exclude(status=SH.CANCELLED)
        .values("space_request__container_id")
    )
    volume = volume_m3 if volume_m3 is not None else Decimal("1.0")
    weight = weight_kg if weight_kg is not None else 1
    for container in (
        # Open containers are public to the network's members, as published sailings are.
        ConsolidationContainer.objects.public()
        .filter(
            pk__in=container_ids, status=ContainerStatus.OPEN, receiving_cutoff__gt=timezone.now()
        )
        .select_related("sailing")
        .order_by("sailing__etd", "pk")
    ):
        if container.remaining_m3 >= volume and container.remaining_kg >= weight:
            return container
    return None


def _carrier_booking_of(shipment: Shipment) -> ShipmentBooking:
    booking = shipment.carrier_booking
    if booking is None:  # the database's check constraint makes this impossible
        raise ShipmentInvalid(_("This shipment is on no booking."))
    carrier = booking.sailing.carrier
    return ShipmentBooking(
        reference=booking.reference,
        carrier_name=carrier.name,
        carrier_scac=carrier.scac,
        carries_goods=booking.status not in RELEASED_STATUSES,
        status_label=booking.get_status_display(),
    )


# --- Create ------------------------------------------------------------------------------------


def _shipping_marks(
    *,
    buyer: Organization,
    purchase_orders: Iterable[PurchaseOrder],
    reference: str,
    port: str,
    cases: int,
) -> str:
    numbers = sorted({po.buyer_reference or po.number for po in purchase_orders})
    return "\n".join(
        [
            buyer.name.upper()[:100],
            "PO " + ", ".join(numbers),
            reference,
            port.upper(),
            SHIPPED_LABEL,
            f"CASE n OF {cases}",
        ]
    )


def _check_booking(organization: Organization, booking: Booking) -> Booking:
    if booking.organization_id != organization.pk:
        raise ShipmentInvalid(_("That is not one of your bookings."))
    if booking.status in FINAL_STATUSES:
        raise ShipmentInvalid(
            _("Booking %(reference)s is %(status)s: it carries no more goods.")
            % {"reference": booking.reference, "status": booking.get_status_display().lower()}
        )
    return booking


def _check_space(organization: Organization, space_request: SpaceRequest, cargo: Cargo) -> None:
    if space_request.organization_id != organization.pk:
        raise ShipmentInvalid(_("That is not your space."))
    if space_request.status != SpaceRequest.Status.HELD:
        raise ShipmentInvalid(_("That space is no longer yours to use."))
    container = space_request.container
    if container.status != ContainerStatus.OPEN or container.receiving_cutoff <= timezone.now():
        raise ShipmentInvalid(
            _("Shared container %(reference)s takes no more goods.")
            % {"reference": container.reference}
        )
    unused_m3, unused_kg = _unused_space(space_request)
    if cargo.volume_m3 > unused_m3 or cargo.gross_weight_kg > unused_kg:
        raise SpaceTooSmall(
            _(
                "The goods take %(volume)s m³ and %(weight)s kg; your space %(reference)s has "
                "%(unused_m3)s m³ and %(unused_kg)s kg left."
            )
            % {
                "volume": cargo.volume_m3,
                "weight": cargo.gross_weight_kg,
                "reference": space_request.reference,
                "unused_m3": max(unused_m3, Decimal("0")),
                "unused_kg": max(unused_kg, Decimal("0")),
            }
        )


@transaction.atomic
def shipment_create(
    *,
    organization: Organization,
    merchant_orders: Iterable[MerchantOrder],
    booking: Booking | None = None,
    space_request: SpaceRequest | None = None,
    container: ConsolidationContainer | None = None,
    no_dangerous_goods: bool = True,
    acting_user: User,
) -> Shipment:
    """Put the accepted lines of ``organization``'s packed merchant orders of one buyer on one
    shipment: on its whole-container ``booking``, on its ``space_request`` (the cargo must fit
    what is unused), or in ``container`` (space sized from the cargo is booked in it). Without
    any of the three, a purchase order travelling together goes to its shared container.

    Raises ShipmentInvalid (``shipment_invalid``), OrderLineAlreadyShipped
    (``order_line_already_shipped``), SpaceTooSmall (``space_too_small``) and the space
    booking's errors (``container_full``, ``container_closed``, ...)."""
    _staff_required(organization, acting_user)
    if sum(choice is not None for choice in (booking, space_request, container)) > 1:
        raise ShipmentInvalid(_("Choose one booking, one space or one shared container."))
    merchant_orders = _locked_merchant_orders(organization, merchant_orders)
    buyers = {merchant_order.buyer_id for merchant_order in merchant_orders}
    if len(buyers) > 1:
        raise ShipmentInvalid(_("A shipment carries the orders of one buyer only."))
    not_packed = [mo.number for mo in merchant_orders if mo.status != MerchantOrderStatus.PACKED]
    if not_packed:
        raise ShipmentInvalid(
            _("Only packed merchant orders can be shipped: %(numbers)s is not packed.")
            % {"numbers": ", ".join(not_packed)}
        )
    lines = _order_lines(organization, merchant_orders)
    if not lines:
        raise ShipmentInvalid(_("These merchant orders have no accepted lines to ship."))
    already = (
        ShipmentLine.objects.visible_to(organization)
        .filter(order_line__in=lines, is_current=True)
        .select_related("shipment")
        .first()
    )
    if already is not None:
        raise OrderLineAlreadyShipped(
            _("%(sku)s is already on shipment %(reference)s.")
            % {"sku": already.sku_code, "reference": already.shipment.reference}
        )
    cargo_of: dict[int, Cargo] = {}
    for line in lines:
        if line.sku is None:
            raise ShipmentInvalid(
                _("%(sku)s is no longer in your catalogue: its cargo cannot be measured.")
                % {"sku": line.sku_code}
            )
        if not line.sku.product.hs_code:
            raise ShipmentInvalid(
                _("%(sku)s has no HS code: add it to the product before shipping it.")
                % {"sku": line.sku_code}
            )
        cargo_of[line.pk] = line_cargo(
            sku=line.sku, quantity=line.quantity, case_pack=line.case_pack
        )
    total = sum(cargo_of.values(), NO_CARGO)
    buyer = merchant_orders[0].buyer
    if booking is None and space_request is None and container is None:
        for merchant_order in merchant_orders:
            container = container_for_purchase_order(
                purchase_order=merchant_order.purchase_order,
                volume_m3=space_volume(total.volume_m3),
                weight_kg=space_weight(total.gross_weight_kg),
            )
            if container is not None:
                break
        else:
            raise ShipmentInvalid(
                _("Choose one of your bookings, your space or a shared container.")
            )
    if booking is not None:
        booking = _check_booking(
            organization,
            own_rows(booking).select_related("sailing__port_of_discharge").get(pk=booking.pk),
        )
        sailing = booking.sailing
    else:
        if container is not None:
            # The shared containers' module is the one writer of a container's sold volume.
            space_request = space_request_create(
                organization=organization,
                container=container,
                volume_m3=space_volume(total.volume_m3),
                weight_kg=space_weight(total.gross_weight_kg),
                no_dangerous_goods=no_dangerous_goods,
                acting_user=acting_user,
            )
        assert space_request is not None
        space_request = (
            SpaceRequest.objects.visible_to(organization)
            .select_for_update(of=("self",))
            .select_related("container__sailing__port_of_discharge", "container__booking")
            .get(pk=space_request.pk)
        )
        _check_space(organization, space_request, total)
        sailing = space_request.container.sailing
    shipment = Shipment(
        organization=organization,
        buyer=buyer,
        booking=booking,
        space_request=space_request,
        cases=total.cases,
        net_weight_kg=total.net_weight_kg,
        gross_weight_kg=total.gross_weight_kg,
        volume_m3=total.volume_m3,
        value_usd=sum((line.line_total_usd for line in lines), Decimal("0.00")),
        created_by=acting_user,
    )
    shipment.shipping_marks = _shipping_marks(
        buyer=buyer,
        purchase_orders=[mo.purchase_order for mo in merchant_orders],
        reference=shipment.reference,
        port=sailing.port_of_discharge.name,
        cases=total.cases,
    )
    shipment.save()
    by_pk = {merchant_order.pk: merchant_order for merchant_order in merchant_orders}
    shipment_lines = []
    for line in lines:
        assert line.sku is not None
        product = line.sku.product
        cargo = cargo_of[line.pk]
        shipment_lines.append(
            ShipmentLine(
                organization=organization,
                buyer=buyer,
                shipment=shipment,
                merchant_order=by_pk[line.merchant_order_id or 0],
                order_line=line,
                sku_code=line.sku_code,
                # A sample says so on every document of the shipment, in both languages.
                description_en=_described(
                    [line.product_title, line.variant], SAMPLE_EN, is_sample=line.is_sample
                ),
                description_zh_hans=_described(
                    [line.product_title_zh_hans, line.variant_zh_hans],
                    SAMPLE_ZH,
                    is_sample=line.is_sample,
                ),
                hs_code=product.hs_code or "",
                country_of_origin=product.country_of_origin or "US",
                quantity=line.quantity,
                cases=cargo.cases,
                units_per_case=line.case_pack,
                net_weight_kg=cargo.net_weight_kg,
                gross_weight_kg=cargo.gross_weight_kg,
                volume_m3=cargo.volume_m3,
                unit_price_usd=line.unit_price_usd,
                value_usd=line.line_total_usd,
            )
        )
    try:
        # A concurrent shipment may have taken a line since the check above: the database's
        # constraint says so, and the whole shipment is refused.
        with transaction.atomic():
            ShipmentLine.objects.bulk_create(shipment_lines)
    except IntegrityError as error:
        raise OrderLineAlreadyShipped(
            _("A line of these merchant orders was just put on another shipment.")
        ) from error
    audit(
        actor=acting_user,
        organization=organization,
        action="shipment.created",
        target=shipment,
        changes={
            "merchant_orders": [mo.number for mo in merchant_orders],
            "booking": booking.reference if booking else "",
            "space": space_request.reference if space_request else "",
            "cases": total.cases,
            "gross_weight_kg": str(total.gross_weight_kg),
            "volume_m3": str(total.volume_m3),
        },
    )
    carrier_sync.booking_cargo_changed(shipment.carrier_booking)
    # The invoice, packing list and labels state the lines just written.
    trade_documents_issue_task.delay_on_commit(shipment.pk, acting_user.pk)
    return shipment


# --- Later steps -------------------------------------------------------------------------------


def _locked_shipment(shipment: Shipment) -> Shipment:
    return (
        Shipment.objects.visible_to(shipment.organization)
        .select_for_update(of=("self",))
        .select_related(
            "organization",
            "buyer",
            "booking__sailing__carrier",
            "space_request__container__booking__sailing__carrier",
        )
        .get(pk=shipment.pk)
    )


def _merchant_orders_of(shipment: Shipment) -> list[MerchantOrder]:
    ids = (
        ShipmentLine.objects.visible_to(shipment.organization)
        .filter(shipment=shipment, is_current=True)
        .values("merchant_order_id")
    )
    return list(
        MerchantOrder.objects.visible_to(shipment.organization)
        .filter(pk__in=ids)
        .select_related("organization", "buyer")
        .order_by("pk")
    )


@transaction.atomic
def shipment_dispatch(*, shipment: Shipment, acting_user: User) -> Shipment:
    """The goods leave the merchant: every merchant order on the shipment is shipped on its
    carrier booking (their units leave the stock) and the shipment is DISPATCHED.

    Raises IllegalShipmentTransition unless the shipment is planned, and the orders' refusals
    (a merchant order no longer packed, a booking that carries no goods)."""
    _staff_required(shipment.organization, acting_user)
    shipment = _locked_shipment(shipment)
    rule = TRANSITIONS["dispatch"]
    if not rule.allows(shipment.status):
        raise IllegalShipmentTransition(
            _("Only a planned shipment can be dispatched; this one is %(status)s.")
            % {"status": shipment.get_status_display().lower()},
            action="dispatch",
            status=shipment.status,
        )
    carrier_booking = _carrier_booking_of(shipment)
    tracking_number = ""
    if booking := shipment.carrier_booking:
        tracking_number = booking.carrier_booking_reference
    merchant_orders = _merchant_orders_of(shipment)
    for merchant_order in merchant_orders:
        merchant_order_ship(
            merchant_order=merchant_order,
            carrier_name=carrier_booking.carrier_name,
            tracking_number=tracking_number,
            carrier_booking=carrier_booking,
            acting_user=acting_user,
        )
    transition_apply(
        TRANSITIONS,
        "dispatch",
        shipment,
        acting_user=acting_user,
        organization=shipment.organization,
        audit_action="shipment.dispatched",
        changes={"dispatched_at": timezone.now()},
        audit_changes={"merchant_orders": [mo.number for mo in merchant_orders]},
        error=IllegalShipmentTransition,
    )
    return shipment


@transaction.atomic
def shipment_receive(*, shipment: Shipment, acting_user: User) -> Shipment:
    """An operator records the goods received at the consolidation warehouse (or the container
    yard): the shipment is RECEIVED and its merchant orders delivered to consolidation."""
    if not user_is_operator(acting_user):
        raise PermissionDenied(_("Only the network's operators record goods received."))
    shipment = _locked_shipment(shipment)
    transition_apply(
        TRANSITIONS,
        "receive",
        shipment,
        acting_user=acting_user,
        organization=shipment.organization,
        audit_action="shipment.received",
        changes={"received_at": timezone.now()},
        message=_("Only a dispatched shipment can be received; this one is %(status)s."),
        error=IllegalShipmentTransition,
    )
    for merchant_order in _merchant_orders_of(shipment):
        if merchant_order.status == MerchantOrderStatus.SHIPPED:
            merchant_order_mark_delivered(merchant_order=merchant_order, acting_user=acting_user)
    return shipment


@transaction.atomic
def shipment_cancel(*, shipment: Shipment, acting_user: User) -> Shipment:
    """Cancel a shipment before dispatch: its order lines are free to go on another shipment
    (the space or booking stays the merchant's), and the carrier hears of the changed cargo."""
    if not user_is_operator(acting_user):
        _staff_required(shipment.organization, acting_user)
    shipment = _locked_shipment(shipment)
    transition_apply(
        TRANSITIONS,
        "cancel",
        shipment,
        acting_user=acting_user,
        organization=shipment.organization,
        audit_action="shipment.cancelled",
        changes={"cancelled_at": timezone.now()},
        message=_("Only a planned shipment can be cancelled; this one is %(status)s."),
        error=IllegalShipmentTransition,
    )
    ShipmentLine.objects.visible_to(shipment.organization).filter(
        Q(shipment=shipment) & Q(is_current=True)
    ).update(is_current=False)
    carrier_sync.booking_cargo_changed(shipment.carrier_booking)
    return shipment
