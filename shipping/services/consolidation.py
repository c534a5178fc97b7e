"""Shared containers: the network books a container on a sailing in its own name and sells its
volume to merchants by W/M (the greater of m³ and tonnes).

The container's ``booked_m3`` and ``booked_kg`` change only here, under the container's row
lock, with ``F()`` arithmetic; the database's check constraints (booked ≤ capacity) back the code
up. Locks are taken in one order: containers by primary key, then their space requests, then
the carrier booking and its sailing (``shipping.services.bookings``).

A container still under its minimum fill a few days before the carrier's free-cancellation
deadline is merged into another open container of the port pair, or released; every merchant
with space in it is told the new plan."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from celery import shared_task
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from merchants.errors import MerchantNotApproved
from merchants.selectors import merchant_can_trade
from network.errors import PermissionDenied
from network.models import Organization, User
from network.selectors import operator_memberships, organization_staff
from network.services import audit, notification_send, webhook_emit
from network.transitions import IllegalTransition
from shipping.equipment import EQUIPMENT_TYPES, normalize_equipment_code
from shipping.errors import (
    ContainerClosed,
    ContainerFull,
    ContainerInvalid,
    DangerousGoodsRefused,
    SpaceInvalid,
)
from shipping.models import (
    ConsolidationContainer,
    ContainerStatus,
    Sailing,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
    SpaceRequest,
)
from shipping.services.bookings import booking_cancel, network_booking_request
from shipping.services.carrier_sync import booking_cargo_changed
from shipping.services.documents import trade_documents_issue_task

TENTH = Decimal("0.1")
MIN_VOLUME_M3 = Decimal("1.0")
HELD = SpaceRequest.Status.HELD
# Once goods have left the merchant, its space can no longer be given back.
SHIPMENTS_UNDER_WAY = (
    ShipmentStatus.DISPATCHED,
    ShipmentStatus.RECEIVED,
    ShipmentStatus.DEPARTED,
    ShipmentStatus.ARRIVED,
)
CONSOLIDATED_COMMODITY = "Consolidated general cargo of several shippers, no dangerous goods"
# Consolidated cargo is declared per shipper's goods later; until then the box is "other".
CONSOLIDATED_HS_CODE = "999999"


# --- Arithmetic --------------------------------------------------------------------------------


def wm_revenue_tons(*, volume_m3: Decimal, weight_kg: int) -> Decimal:
    """W/M: the greater of the volume in m³ and the weight in tonnes, to three decimals."""
    tonnes = Decimal(weight_kg) / Decimal(1000)
    return max(Decimal(volume_m3), tonnes).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)


def wm_price(*, volume_m3: Decimal, weight_kg: int, price_per_wm: Decimal) -> Decimal:
    """The price of space at ``price_per_wm`` per W/M, rounded half up to the cent."""
    revenue_tons = wm_revenue_tons(volume_m3=volume_m3, weight_kg=weight_kg)
    return (revenue_tons * price_per_wm).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def space_volume(value: Decimal | str | float | int) -> Decimal:
    """The volume as space is sold: at least 1 m³, in tenths. Raises SpaceInvalid."""
    try:
        volume = Decimal(str(value))
    except (InvalidOperation, ValueError) as error:
        raise SpaceInvalid(_("Give the volume in m³, for example 2.5.")) from error
    if not volume.is_finite() or volume != volume.quantize(TENTH):
        raise SpaceInvalid(_("Give the volume in m³ with at most one decimal, for example 2.5."))
    if volume < MIN_VOLUME_M3:
        raise SpaceInvalid(_("The smallest space sold is 1.0 m³."))
    return volume.quantize(TENTH)


# --- Reading and locking -----------------------------------------------------------------------


def _lock_containers(*pks: int) -> dict[int, ConsolidationContainer]:
    """The containers' rows, locked in primary-key order."""
    # A merchant's space and the operators' planning change the same network-owned row; the
    # lock is taken whoever acts, so the row is read without the tenant guard.
    with scopes_disabled():
        rows = (
            ConsolidationContainer.objects.select_for_update(of=("self",))
            .select_related(
                "organization",
                "booking",
                "sailing__carrier",
                "sailing__port_of_loading",
                "sailing__port_of_discharge",
            )
            .filter(pk__in=sorted(set(pks)))
            .order_by("pk")
        )
        return {container.pk: container for container in rows}


def _lock_container(pk: int) -> ConsolidationContainer:
    locked = _lock_containers(pk)
    if pk not in locked:
        raise ContainerClosed(_("This shared container no longer exists."))
    return locked[pk]


def _held_space(container: ConsolidationContainer) -> list[SpaceRequest]:
    """The container's held space, every merchant's (the container's operator sees them all)."""
    return list(
        SpaceRequest.objects.visible_to(container.organization)
        .select_for_update(of=("self",))
        .select_related("organization", "requested_by")
        .filter(container=container, status=HELD)
        .order_by("pk")
    )


def _operator_organization(user: User) -> Organization:
    membership = operator_memberships().filter(user=user).select_related("organization").first()
    if membership is None:
        raise PermissionDenied(_("Only network operators can do this."))
    return membership.organization


# --- Opening a container -----------------------------------------------------------------------


@transaction.atomic
def container_open(
    *,
    sailing: Sailing,
    capacity_m3: Decimal,
    capacity_kg: int,
    price_per_wm: Decimal,
    forwarder_price_per_wm: Decimal,
    warehouse_name: str,
    warehouse_address: str,
    receiving_cutoff: datetime,
    fill_threshold_percent: int = 60,
    decide_days_before_deadline: int = 2,
    equipment_code: str = "45G1",
    acting_user: User,
) -> ConsolidationContainer:
    """Open a shared container on ``sailing``: the network's own carrier booking of one box is
    requested (holding its TEU and payload on the sailing, sent to the carrier after commit)
    and the container is offered to merchants by volume.

    Raises PermissionDenied (not an operator), ContainerInvalid, and what ``booking_request``
    raises (SailingNotBookable, EquipmentNotOffered, CapacityExhausted, WeightExhausted)."""
    operator = _operator_organization(acting_user)
    try:
        equipment_code = normalize_equipment_code(equipment_code)
    except ValidationError as error:
        raise ContainerInvalid(error.messages[0]) from error
    equipment = EQUIPMENT_TYPES[equipment_code]
    if equipment.reefer:
        raise ContainerInvalid(_("Shared containers are dry containers."))
    sailing = Sailing.objects.select_related("carrier", "port_of_loading", "port_of_discharge").get(
        pk=sailing.pk
    )
    if not 1 <= capacity_kg <= equipment.max_payload_kg:
        raise ContainerInvalid(
            _("A %(equipment)s carries at most %(max)s kg.")
            % {"equipment": equipment_code, "max": equipment.max_payload_kg}
        )
    if receiving_cutoff >= sailing.cargo_cutoff:
        raise ContainerInvalid(
            _("The receiving cut-off must be before the carrier's cargo cut-off (%(cutoff)s).")
            % {"cutoff": timezone.localtime(sailing.cargo_cutoff).strftime("%Y-%m-%d %H:%M")}
        )
    if receiving_cutoff <= timezone.now():
        raise ContainerInvalid(_("The receiving cut-off must be in the future."))
    try:
        capacity_m3 = space_volume(capacity_m3)
    except SpaceInvalid as error:
        raise ContainerInvalid(error.message) from error
    booking = network_booking_request(
        organization=operator,
        sailing=sailing,
        equipment=equipment_code,
        units=1,
        commodity_description=CONSOLIDATED_COMMODITY,
        hs_codes=[CONSOLIDATED_HS_CODE],
        gross_weight_kg=capacity_kg,
        shipper_name=operator.name[:70],
        shipper_address=f"{warehouse_name}\n{warehouse_address}".strip()[:1000],
        consignee_name=operator.name[:70],
        consignee_address=f"{sailing.port_of_discharge.name}, {sailing.port_of_discharge.country}",
        acting_user=acting_user,
    )
    container = ConsolidationContainer(
        organization=operator,
        sailing=sailing,
        booking=booking,
        equipment_code=equipment_code,
        capacity_m3=capacity_m3,
        capacity_kg=capacity_kg,
        price_per_wm=price_per_wm,
        forwarder_price_per_wm=forwarder_price_per_wm,
        warehouse_name=warehouse_name.strip(),
        warehouse_address=warehouse_address.strip(),
        receiving_cutoff=receiving_cutoff,
        fill_threshold_percent=fill_threshold_percent,
        decide_days_before_deadline=decide_days_before_deadline,
        created_by=acting_user,
    )
    try:
        container.full_clean(
            exclude=["organization", "sailing", "booking", "created_by", "merged_into"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as error:
        raise ContainerInvalid(error.messages[0]) from error
    if price_per_wm <= 0 or forwarder_price_per_wm <= 0:
        raise ContainerInvalid(_("Prices per W/M must be more than zero."))
    container.save()
    audit(
        actor=acting_user,
        organization=operator,
        action="container.opened",
        target=container,
        changes={
            "sailing": sailing.pk,
            "booking": booking.reference,
            "capacity_m3": str(capacity_m3),
            "capacity_kg": capacity_kg,
            "price_per_wm": str(price_per_wm),
        },
    )
    return container


# --- Merchants' space --------------------------------------------------------------------------


@transaction.atomic
def space_request_create(
    *,
    organization: Organization,
    container: ConsolidationContainer,
    volume_m3: Decimal,
    weight_kg: int,
    no_dangerous_goods: bool,
    acting_user: User | None,
) -> SpaceRequest:
    """Book ``volume_m3`` (at least 1 m³, in tenths) and ``weight_kg`` in an open shared
    container, priced per W/M at the container's price, under the container's row lock.

    Raises MerchantNotApproved, DangerousGoodsRefused, SpaceInvalid, ContainerClosed (not open
    or past its receiving cut-off) or ContainerFull (not enough m³ or kg left)."""
    if not merchant_can_trade(organization=organization):
        raise MerchantNotApproved(_("Only approved merchants can book space."))
    if not no_dangerous_goods:
        raise DangerousGoodsRefused(
            _(
                "A shared container carries no dangerous goods: declare that your cargo holds "
                "none, or book a whole container."
            )
        )
    volume = space_volume(volume_m3)
    if not isinstance(weight_kg, int) or isinstance(weight_kg, bool) or weight_kg < 1:
        raise SpaceInvalid(_("Give the cargo's weight in whole kilograms."))
    container = _lock_container(container.pk)
    if container.status != ContainerStatus.OPEN or container.receiving_cutoff <= timezone.now():
        raise ContainerClosed(
            _("Shared container %(reference)s no longer takes space.")
            % {"reference": container.reference}
        )
    if volume > container.remaining_m3 or weight_kg > container.remaining_kg:
        raise ContainerFull(
            _(
                "Not enough space left in %(reference)s: %(m3)s m³ and %(kg)s kg are left, "
                "%(asked_m3)s m³ and %(asked_kg)s kg asked."
            )
            % {
                "reference": container.reference,
                "m3": container.remaining_m3,
                "kg": container.remaining_kg,
                "asked_m3": volume,
                "asked_kg": weight_kg,
            },
            remaining_m3=str(container.remaining_m3),
            remaining_kg=container.remaining_kg,
        )
    ConsolidationContainer.objects.visible_to(container.organization).filter(
        pk=container.pk
    ).update(booked_m3=F("booked_m3") + volume, booked_kg=F("booked_kg") + weight_kg)
    revenue_tons = wm_revenue_tons(volume_m3=volume, weight_kg=weight_kg)
    space_request = SpaceRequest.objects.visible_to(organization).create(
        organization=organization,
        container=container,
        volume_m3=volume,
        weight_kg=weight_kg,
        revenue_tons=revenue_tons,
        price_per_wm=container.price_per_wm,
        forwarder_price_per_wm=container.forwarder_price_per_wm,
        price=wm_price(volume_m3=volume, weight_kg=weight_kg, price_per_wm=container.price_per_wm),
        forwarder_price=wm_price(
            volume_m3=volume, weight_kg=weight_kg, price_per_wm=container.forwarder_price_per_wm
        ),
        no_dangerous_goods=True,
        requested_by=acting_user,
    )
    audit(
        actor=acting_user,
        organization=organization,
        action="space.booked",
        target=space_request,
        changes={
            "container": container.reference,
            "volume_m3": str(volume),
            "weight_kg": weight_kg,
            "price": str(space_request.price),
        },
    )
    return space_request


def _shipments_cancel_for_space(space_request: SpaceRequest) -> int:
    """Cancel the space's planned shipments; their order lines may go on another shipment."""
    shipments = Shipment.objects.visible_to(space_request.organization).filter(
        space_request=space_request, status=ShipmentStatus.PLANNED
    )
    ids = list(shipments.values_list("pk", flat=True))
    if not ids:
        return 0
    Shipment.objects.visible_to(space_request.organization).filter(pk__in=ids).update(
        status=ShipmentStatus.CANCELLED, cancelled_at=timezone.now()
    )
    ShipmentLine.objects.visible_to(space_request.organization).filter(
        shipment_id__in=ids, is_current=True
    ).update(is_current=False)
    return len(ids)


@transaction.atomic
def space_request_cancel(*, space_request: SpaceRequest, acting_user: User | None) -> SpaceRequest:
    """Give the space back to the container (CANCELLED) and cancel its planned shipments.

    Raises IllegalTransition when the space is no longer held, the container has left, or any
    of its shipments is already on its way."""
    rows = SpaceRequest.objects.visible_to(space_request.organization)
    container_id = rows.filter(pk=space_request.pk).values_list("container_id", flat=True).get()
    while True:
        container = _lock_container(container_id)
        space_request = (
            rows.select_for_update(of=("self",))
            .select_related("organization")
            .get(pk=space_request.pk)
        )
        if space_request.container_id == container_id:
            break
        container_id = space_request.container_id  # merged meanwhile: lock where it went
    if space_request.status != HELD:
        raise IllegalTransition(
            _("Space %(reference)s is not booked any more.") % {"reference": space_request},
            action="cancel",
            status=space_request.status,
        )
    if container.status not in (ContainerStatus.OPEN, ContainerStatus.CLOSED):
        raise IllegalTransition(
            _("Shared container %(reference)s has left; its space cannot be given back.")
            % {"reference": container.reference},
            action="cancel",
            status=container.status,
        )
    under_way = (
        Shipment.objects.visible_to(space_request.organization)
        .filter(space_request=space_request, status__in=SHIPMENTS_UNDER_WAY)
        .exists()
    )
    if under_way:
        raise IllegalTransition(
            _("Goods for space %(reference)s are already on their way; it cannot be cancelled.")
            % {"reference": space_request.reference},
            action="cancel",
            status=space_request.status,
        )
    ConsolidationContainer.objects.visible_to(container.organization).filter(
        pk=container.pk
    ).update(
        booked_m3=F("booked_m3") - space_request.volume_m3,
        booked_kg=F("booked_kg") - space_request.weight_kg,
    )
    space_request.status = SpaceRequest.Status.CANCELLED
    space_request.ended_at = timezone.now()
    space_request.save(update_fields=["status", "ended_at"])
    cancelled_shipments = _shipments_cancel_for_space(space_request)
    audit(
        actor=acting_user,
        organization=space_request.organization,
        action="space.cancelled",
        target=space_request,
        changes={
            "container": container.reference,
            "volume_m3": str(space_request.volume_m3),
            "weight_kg": space_request.weight_kg,
            "shipments_cancelled": cancelled_shipments,
        },
    )
    return space_request


# --- Planning: merge, release, review ----------------------------------------------------------


def _cancel_carrier_booking(container: ConsolidationContainer, *, acting_user: User | None) -> None:
    booking = container.booking
    if booking is None or booking.is_final or booking.cancellation_status == "RECEIVED":
        return
    booking_cancel(
        booking=booking,
        acting_user=acting_user,
        reason=_("Shared container %(reference)s is no longer needed.")
        % {"reference": container.reference},
    )


def _tell_merchants(
    space: list[SpaceRequest],
    *,
    container: ConsolidationContainer,
    into: ConsolidationContainer | None,
    reason: str,
    note: str,
    automatic: bool,
) -> None:
    """Tell every merchant with space in ``container`` its new plan: the container it moved
    into, or that its space was released. ``note`` is what an operator wrote (shown as written);
    the periodic review's own reason is worded by the mail, in each recipient's language."""
    for space_request in space:
        payload = {
            "space_request": space_request.reference,
            "status": space_request.status,
            "previous_container": container.reference,
            "container": into.reference if into else None,
            "vessel": (into or container).sailing.vessel_name,
            "voyage": (into or container).sailing.voyage_number,
            "etd": (into or container).sailing.etd,
            "receiving_cutoff": into.receiving_cutoff if into else None,
            "warehouse": into.warehouse_name if into else None,
            "reason": reason,
        }
        webhook_emit(
            organization=space_request.organization,
            event="space.replanned",
            payload=payload,
        )
        recipients = (
            [space_request.requested_by]
            if space_request.requested_by
            else organization_staff(organization=space_request.organization)
        )
        for recipient in recipients:
            notification_send(
                email=recipient.email,
                recipient=recipient,
                organization=space_request.organization,
                kind="space.replanned",
                template="shipping/email/space_replanned",
                context={
                    "reference": space_request.reference,
                    "volume_m3": space_request.volume_m3,
                    "weight_kg": space_request.weight_kg,
                    "previous_container": container.reference,
                    "previous_sailing": str(container.sailing),
                    "merged": into is not None,
                    "container": into.reference if into else "",
                    "sailing": str(into.sailing) if into else "",
                    "etd": into.sailing.etd if into else None,
                    "receiving_cutoff": into.receiving_cutoff if into else None,
                    "warehouse_name": into.warehouse_name if into else "",
                    "warehouse_address": into.warehouse_address if into else "",
                    "note": note,
                    "automatic": automatic,
                },
                link=reverse("shipping:space_list"),
            )


def _merge_target_problem(
    container: ConsolidationContainer, into: ConsolidationContainer, *, volume: Decimal, kg: int
) -> str:
    """Why ``container``'s held space cannot move into ``into`` ("" when it can)."""
    if into.pk == container.pk:
        return _("A container cannot be merged into itself.")
    if into.status != ContainerStatus.OPEN or into.receiving_cutoff <= timezone.now():
        return _("Shared container %(reference)s no longer takes space.") % {
            "reference": into.reference
        }
    if (into.sailing.port_of_loading_id, into.sailing.port_of_discharge_id) != (
        container.sailing.port_of_loading_id,
        container.sailing.port_of_discharge_id,
    ):
        return _("Both containers must go between the same ports.")
    if into.sailing.etd < container.sailing.etd:
        return _("Space can only move to the same sailing or a later one.")
    if volume > into.remaining_m3 or kg > into.remaining_kg:
        return _(
            "%(reference)s has %(m3)s m³ and %(kg)s kg left; %(need_m3)s m³ and %(need_kg)s kg "
            "must move."
        ) % {
            "reference": into.reference,
            "m3": into.remaining_m3,
            "kg": into.remaining_kg,
            "need_m3": volume,
            "need_kg": kg,
        }
    return ""


@transaction.atomic
def container_merge(
    *,
    container: ConsolidationContainer,
    into: ConsolidationContainer,
    acting_user: User | None,
    reason: str = "",
) -> ConsolidationContainer:
    """Move every held space of ``container`` into the open container ``into`` (same ports, same
    or later sailing, room for all of it), mark ``container`` MERGED, cancel its carrier booking
    and tell each merchant the new plan. Returns ``into``.

    Raises IllegalTransition (``container`` not open or closed for receiving) or ContainerInvalid
    (``into`` cannot take it all)."""
    locked = _lock_containers(container.pk, into.pk)
    container, into = locked[container.pk], locked[into.pk]
    if container.status not in (ContainerStatus.OPEN, ContainerStatus.CLOSED):
        raise IllegalTransition(
            _("Shared container %(reference)s is %(status)s: it cannot be merged now.")
            % {"reference": container.reference, "status": container.get_status_display()},
            action="merge",
            status=container.status,
        )
    space = _held_space(container)
    volume = sum((s.volume_m3 for s in space), Decimal("0.0"))
    kg = sum(s.weight_kg for s in space)
    problem = _merge_target_problem(container, into, volume=volume, kg=kg)
    if problem:
        raise ContainerInvalid(problem)
    manager = ConsolidationContainer.objects.visible_to(container.organization)
    manager.filter(pk=into.pk).update(
        booked_m3=F("booked_m3") + volume, booked_kg=F("booked_kg") + kg
    )
    into.refresh_from_db(fields=["booked_m3", "booked_kg"])
    SpaceRequest.objects.visible_to(container.organization).filter(
        pk__in=[s.pk for s in space]
    ).update(container=into)
    for space_request in space:
        space_request.container = into
    note = reason.strip() if acting_user is not None else ""
    reason = reason.strip() or _(
        "Merged with %(reference)s so that the goods travel in a fuller box."
    ) % {"reference": into.reference}
    container.status = ContainerStatus.MERGED
    container.merged_into = into
    container.status_reason = reason[:500]
    container.booked_m3, container.booked_kg = Decimal("0.0"), 0
    container.save(
        update_fields=[
            "status",
            "merged_into",
            "status_reason",
            "booked_m3",
            "booked_kg",
            "updated_at",
        ]
    )
    _cancel_carrier_booking(container, acting_user=acting_user)
    # The target's carrier booking now carries the moved cargo too, and the moved shipments'
    # documents name another container's sailing.
    booking_cargo_changed(into.booking)
    moved = Shipment.objects.visible_to(container.organization).filter(
        space_request__in=[s.pk for s in space]
    )
    for shipment_id in moved.exclude(status=ShipmentStatus.CANCELLED).values_list("pk", flat=True):
        trade_documents_issue_task.delay_on_commit(shipment_id)
    audit(
        actor=acting_user,
        organization=container.organization,
        action="container.merged",
        target=container,
        changes={
            "into": into.reference,
            "space_requests": [s.reference for s in space],
            "volume_m3": str(volume),
            "weight_kg": kg,
            "reason": reason,
        },
    )
    _tell_merchants(
        space,
        container=container,
        into=into,
        reason=reason,
        note=note,
        automatic=acting_user is None,
    )
    return into


@transaction.atomic
def container_release(
    *, container: ConsolidationContainer, reason: str, acting_user: User | None
) -> ConsolidationContainer:
    """Give the container up: its held space is RELEASED (with its planned shipments
    cancelled), the network's carrier booking is cancelled, and every merchant is told.

    Raises IllegalTransition when the container is not open or closed for receiving."""
    container = _lock_container(container.pk)
    if container.status not in (ContainerStatus.OPEN, ContainerStatus.CLOSED):
        raise IllegalTransition(
            _("Shared container %(reference)s is %(status)s: it cannot be released now.")
            % {"reference": container.reference, "status": container.get_status_display()},
            action="release",
            status=container.status,
        )
    space = _held_space(container)
    under_way = (
        Shipment.objects.visible_to(container.organization)
        .filter(space_request__in=space, status__in=SHIPMENTS_UNDER_WAY)
        .exists()
    )
    if under_way:
        raise IllegalTransition(
            _("Goods for %(reference)s are already on their way; it cannot be released.")
            % {"reference": container.reference},
            action="release",
            status=container.status,
        )
    note = reason.strip() if acting_user is not None else ""
    reason = reason.strip() or _("Too little space was booked in %(reference)s.") % {
        "reference": container.reference
    }
    now = timezone.now()
    SpaceRequest.objects.visible_to(container.organization).filter(
        pk__in=[s.pk for s in space]
    ).update(status=SpaceRequest.Status.RELEASED, ended_at=now)
    for space_request in space:
        space_request.status = SpaceRequest.Status.RELEASED
        space_request.ended_at = now
        _shipments_cancel_for_space(space_request)
    container.status = ContainerStatus.RELEASED
    container.status_reason = reason[:500]
    container.booked_m3, container.booked_kg = Decimal("0.0"), 0
    container.save(
        update_fields=["status", "status_reason", "booked_m3", "booked_kg", "updated_at"]
    )
    _cancel_carrier_booking(container, acting_user=acting_user)
    audit(
        actor=acting_user,
        organization=container.organization,
        action="container.released",
        target=container,
        changes={"space_requests": [s.reference for s in space], "reason": reason},
    )
    _tell_merchants(
        space,
        container=container,
        into=None,
        reason=reason,
        note=note,
        automatic=acting_user is None,
    )
    return container


def container_decide_at(container: ConsolidationContainer) -> datetime:
    """When an under-filled container is merged or released: ``decide_days_before_deadline``
    days before the carrier's free-cancellation deadline."""
    return container.sailing.free_cancellation_until() - timedelta(
        days=container.decide_days_before_deadline
    )


def merge_candidates(
    container: ConsolidationContainer, *, now: datetime | None = None, nearest_only: bool = True
) -> list[ConsolidationContainer]:
    """Open containers that could take all of ``container``'s held space: on the same sailing,
    else on the next later sailing of the port pair with an open container; fullest first.
    ``nearest_only=False``: every such container of the port pair, from the same sailing on."""
    now = now or timezone.now()
    sailing = container.sailing
    # Open containers are public rows: no scope needed.
    rows = list(
        ConsolidationContainer.objects.public()
        .filter(
            status=ContainerStatus.OPEN,
            receiving_cutoff__gt=now,
            sailing__port_of_loading_id=sailing.port_of_loading_id,
            sailing__port_of_discharge_id=sailing.port_of_discharge_id,
            sailing__etd__gte=sailing.etd,
            capacity_m3__gte=F("booked_m3") + container.booked_m3,
            capacity_kg__gte=F("booked_kg") + container.booked_kg,
        )
        .exclude(pk=container.pk)
        .select_related("sailing__carrier", "sailing__port_of_loading")
        .order_by("sailing__etd", "-booked_m3", "pk")
    )
    if not nearest_only:
        return rows
    same_sailing = [c for c in rows if c.sailing_id == sailing.pk]
    if same_sailing:
        return same_sailing
    later = [c for c in rows if c.sailing_id != sailing.pk]
    return [c for c in later if c.sailing_id == later[0].sailing_id] if later else []


def _review_one(pk: int, *, now: datetime) -> str:
    """Merge or release one due, under-filled container; "" when nothing was to be done."""
    with transaction.atomic():
        container = _lock_container(pk)
        if container.status != ContainerStatus.OPEN or container_decide_at(container) > now:
            return ""
        if container.fill_percent >= container.fill_threshold_percent:
            return ""
        candidates = merge_candidates(container, now=now) if container.booked_m3 else []
    if candidates:
        reason = _(
            "%(reference)s was under its minimum fill before the carrier's cancellation "
            "deadline; its goods travel in %(into)s."
        ) % {"reference": container.reference, "into": candidates[0].reference}
        try:
            container_merge(
                container=container, into=candidates[0], acting_user=None, reason=reason
            )
        except ContainerInvalid:
            pass  # the target filled up meanwhile: release below
        else:
            return "merged"
    container_release(
        container=container,
        reason=_(
            "%(reference)s was under its minimum fill before the carrier's cancellation "
            "deadline and no other container could take its goods."
        )
        % {"reference": container.reference},
        acting_user=None,
    )
    return "released"


def containers_review_underfilled(*, now: datetime | None = None) -> dict[str, int]:
    """Merge or release every open container still under its minimum fill
    ``decide_days_before_deadline`` days before the carrier's free-cancellation deadline; one
    transaction per container, emptiest first. Returns how many were merged and released."""
    now = now or timezone.now()
    # Open containers are public rows: ids only, each then handled under its lock.
    open_ids = list(
        ConsolidationContainer.objects.public()
        .filter(status=ContainerStatus.OPEN, sailing__etd__gt=now)
        .order_by("booked_m3", "pk")
        .values_list("pk", flat=True)[:500]
    )
    outcome = {"merged": 0, "released": 0}
    for pk in open_ids:
        try:
            result = _review_one(pk, now=now)
        except IllegalTransition:
            continue  # an operator acted on it meanwhile
        if result:
            outcome[result] += 1
    return outcome


def containers_close_receiving(*, now: datetime | None = None) -> int:
    """Close every open container whose receiving cut-off has passed (OPEN -> CLOSED)."""
    now = now or timezone.now()
    # Open containers are public rows: ids only, each then closed under its lock.
    due = list(
        ConsolidationContainer.objects.public()
        .filter(status=ContainerStatus.OPEN, receiving_cutoff__lte=now)
        .values_list("pk", flat=True)[:500]
    )
    closed = 0
    for pk in due:
        with transaction.atomic():
            container = _lock_container(pk)
            if container.status != ContainerStatus.OPEN or container.receiving_cutoff > now:
                continue
            container.status = ContainerStatus.CLOSED
            container.save(update_fields=["status", "updated_at"])
            audit(
                actor=None,
                organization=container.organization,
                action="container.receiving_closed",
                target=container,
                changes={"booked_m3": str(container.booked_m3), "booked_kg": container.booked_kg},
            )
            closed += 1
    return closed


def container_space_totals(container: ConsolidationContainer) -> tuple[Decimal, int]:
    """The sum of the container's held space (m³, kg): what its booked figures must equal."""
    totals = (
        SpaceRequest.objects.visible_to(container.organization)
        .filter(container=container, status=HELD)
        .aggregate(m3=Sum("volume_m3"), kg=Sum("weight_kg"))
    )
    return totals["m3"] or Decimal("0.0"), totals["kg"] or 0


@shared_task(name="shipping.tasks.close_container_receiving", acks_late=True)
def close_container_receiving() -> int:
    """Beat: close shared containers whose receiving cut-off has passed."""
    return containers_close_receiving()


@shared_task(name="shipping.tasks.review_underfilled_containers", acks_late=True)
def review_underfilled_containers() -> dict[str, int]:
    """Beat: merge or release shared containers under their minimum fill near the deadline."""
    return containers_review_underfilled()
