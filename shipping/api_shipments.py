"""API of shipments under /api/v1/shipping/shipments/: a merchant plans shipments of its packed
merchant orders, dispatches or cancels them (``bookings:read`` / ``bookings:write``); a buyer
reads the shipments of its own orders (``orders:read``)."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from merchants.api import ErrorSerializer
from network.db_router import ToleratesLagMixin
from network.models import Organization, Role
from network.tenancy import RecordNotFound
from orders.models import MerchantOrder
from shipping import selectors_shipments as selectors
from shipping.api import (
    FORBIDDEN_FOR_KIND,
    FORBIDDEN_FOR_ROLE,
    UNAUTHENTICATED,
    SailingSummarySerializer,
)
from shipping.errors import ShipmentInvalid
from shipping.models import (
    Booking,
    ConsolidationContainer,
    Shipment,
    ShipmentLine,
    SpaceRequest,
)
from shipping.services import shipments as services

MERCHANT = [Organization.Kind.MERCHANT]
PARTIES = [Organization.Kind.MERCHANT, Organization.Kind.BUYER, Organization.Kind.OPERATOR]
MERCHANT_SCOPES = {"read": "bookings:read", "write": "bookings:write"}
BUYER_SCOPES = {"read": "orders:read"}

SHIPMENT_NOT_FOUND = OpenApiResponse(
    ErrorSerializer,
    description="No shipment with this reference of the active organisation (as its merchant "
    "or its buyer).",
)
SHIPMENT_REFERENCE = OpenApiParameter(
    "reference",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The shipment's reference, as in the shipment list.",
)
ILLEGAL = OpenApiResponse(
    ErrorSerializer,
    description="The shipment's status does not allow this (`illegal_transition`).",
)


class _PartyScopes:
    """Keys read a merchant's shipments with ``bookings:read`` and a buyer's with
    ``orders:read``; only merchants write."""

    request: object

    @property
    def api_scopes(self) -> dict[str, str]:
        organization = getattr(self.request, "organization", None)
        if organization is not None and organization.kind == Organization.Kind.BUYER:
            return BUYER_SCOPES
        return MERCHANT_SCOPES


class ShipmentLineSerializer(serializers.ModelSerializer):
    merchant_order = serializers.CharField(source="merchant_order.number")

    class Meta:
        model = ShipmentLine
        fields = [
            "merchant_order",
            "sku_code",
            "description_en",
            "description_zh_hans",
            "hs_code",
            "country_of_origin",
            "quantity",
            "cases",
            "units_per_case",
            "net_weight_kg",
            "gross_weight_kg",
            "volume_m3",
            "unit_price_usd",
            "value_usd",
            "is_current",
        ]


class ShipmentSerializer(serializers.ModelSerializer):
    merchant = serializers.CharField(source="organization.name")
    buyer = serializers.CharField(source="buyer.name")
    booking = serializers.SerializerMethodField()
    space_request = serializers.SerializerMethodField()
    container = serializers.SerializerMethodField()
    carrier_booking_reference = serializers.SerializerMethodField()
    sailing = serializers.SerializerMethodField()
    merchant_orders = serializers.SerializerMethodField()
    currency = serializers.SerializerMethodField()

    class Meta:
        model = Shipment
        fields = [
            "reference",
            "status",
            "merchant",
            "buyer",
            "merchant_orders",
            "booking",
            "space_request",
            "container",
            "carrier_booking_reference",
            "sailing",
            "incoterm",
            "cases",
            "net_weight_kg",
            "gross_weight_kg",
            "volume_m3",
            "value_usd",
            "currency",
            "shipping_marks",
            "created_at",
            "dispatched_at",
            "received_at",
            "departed_at",
            "arrived_at",
            "cancelled_at",
        ]

    def _is_merchant_side(self, shipment: Shipment) -> bool:
        viewer = self.context.get("organization")
        return viewer is None or viewer.kind != Organization.Kind.BUYER

    def get_booking(self, shipment: Shipment) -> str | None:
        return shipment.booking.reference if shipment.booking_id else None

    def get_space_request(self, shipment: Shipment) -> str | None:
        # The merchant's space is its own business; the buyer sees the container.
        if shipment.space_request_id and self._is_merchant_side(shipment):
            return shipment.space_request.reference
        return None

    def get_container(self, shipment: Shipment) -> str | None:
        if shipment.space_request_id:
            return shipment.space_request.container.reference
        return None

    def get_carrier_booking_reference(self, shipment: Shipment) -> str:
        booking = shipment.carrier_booking
        return booking.carrier_booking_reference if booking else ""

    @extend_schema_field(SailingSummarySerializer(allow_null=True))
    def get_sailing(self, shipment: Shipment) -> dict | None:
        booking = shipment.carrier_booking
        return SailingSummarySerializer(booking.sailing).data if booking else None

    def get_merchant_orders(self, shipment: Shipment) -> list[str]:
        lines = getattr(shipment, "current_lines", None)
        if lines is None:
            lines = [
                line
                for line in self.context.get("lines", [])
                if line.is_current and line.shipment_id == shipment.pk
            ]
        return sorted({line.merchant_order.number for line in lines})

    def get_currency(self, shipment: Shipment) -> str:
        return "USD"


class ShipmentDetailSerializer(ShipmentSerializer):
    lines = serializers.SerializerMethodField()

    class Meta(ShipmentSerializer.Meta):
        fields = [*ShipmentSerializer.Meta.fields, "lines"]

    @extend_schema_field(ShipmentLineSerializer(many=True))
    def get_lines(self, shipment: Shipment) -> list[dict]:
        return ShipmentLineSerializer(self.context.get("lines", []), many=True).data


class ShipmentCreateSerializer(serializers.Serializer):
    merchant_orders = serializers.ListField(
        child=serializers.CharField(max_length=24),
        min_length=1,
        max_length=50,
        help_text="Numbers of the merchant's packed merchant orders, all of one buyer.",
    )
    booking = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        default="",
        help_text="One of the merchant's whole-container bookings.",
    )
    space_request = serializers.CharField(
        max_length=12,
        required=False,
        allow_blank=True,
        default="",
        help_text="The merchant's space in a shared container; the goods must fit what is unused.",
    )
    container = serializers.CharField(
        max_length=12,
        required=False,
        allow_blank=True,
        default="",
        help_text="An open shared container: space sized to the goods is booked in it. Without "
        "`booking`, `space_request` or `container`, the goods of a purchase order travelling "
        "together go to the container already holding its other shipments.",
    )
    no_dangerous_goods = serializers.BooleanField(
        required=False,
        default=False,
        help_text="The shipper declares the goods hold no dangerous goods; needed for space in a "
        "shared container.",
    )


def _not_found(model) -> RecordNotFound:
    return RecordNotFound(_("%(record)s not found.") % {"record": model._meta.verbose_name})


def _list_queryset(organization: Organization):
    return selectors.shipments_for_organization(organization=organization).prefetch_related(
        Prefetch(
            "lines",
            queryset=ShipmentLine.objects.visible_to(organization)
            .filter(is_current=True)
            .select_related("merchant_order"),
            to_attr="current_lines",
        )
    )


class ShipmentListAPI(ToleratesLagMixin, _PartyScopes, APIView):
    """GET the organisation's shipments (a merchant's own, a buyer's orders'; newest first, at
    most 100); POST plans one (merchants)."""

    organization_kinds = PARTIES

    @extend_schema(
        operation_id="v1_shipping_shipments_list",
        summary="List the organisation's shipments",
        responses={
            200: inline_serializer(
                "ShipmentListResults", {"results": ShipmentSerializer(many=True)}
            ),
            401: UNAUTHENTICATED,
            403: FORBIDDEN_FOR_KIND,
        },
    )
    def get(self, request):
        shipments = _list_queryset(request.organization)[:100]
        context = {"organization": request.organization}
        return Response({"results": ShipmentSerializer(shipments, many=True, context=context).data})

    @extend_schema(
        operation_id="v1_shipping_shipments_create",
        summary="Plan a shipment of packed merchant orders",
        request=ShipmentCreateSerializer,
        responses={
            201: ShipmentDetailSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="The request is not valid (`validation_error`), or the orders cannot "
                "make a shipment: not packed, of several buyers, no booking chosen "
                "(`shipment_invalid`), or the goods are refused in a shared container "
                "(`dangerous_goods_refused`, `space_invalid`).",
            ),
            401: UNAUTHENTICATED,
            403: FORBIDDEN_FOR_ROLE,
            404: OpenApiResponse(
                ErrorSerializer,
                description="A merchant order, booking, space or container named is not the "
                "organisation's or does not exist.",
            ),
            409: OpenApiResponse(
                ErrorSerializer,
                description="An order line is already on another shipment "
                "(`order_line_already_shipped`), the goods do not fit the space "
                "(`space_too_small`), or the container is full or closed (`container_full`, "
                "`container_closed`).",
            ),
        },
    )
    def post(self, request):
        payload = ShipmentCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        organization = request.organization
        numbers = set(data["merchant_orders"])
        merchant_orders = list(
            MerchantOrder.objects.visible_to(organization).filter(
                organization=organization, number__in=numbers
            )
        )
        if len(merchant_orders) != len(numbers):
            raise _not_found(MerchantOrder)
        booking = space_request = container = None
        if data["booking"]:
            booking = (
                Booking.objects.visible_to(organization)
                .filter(organization=organization, reference=data["booking"])
                .first()
            )
            if booking is None:
                raise _not_found(Booking)
        if data["space_request"]:
            space_request = (
                SpaceRequest.objects.visible_to(organization)
                .filter(organization=organization, reference=data["space_request"])
                .first()
            )
            if space_request is None:
                raise _not_found(SpaceRequest)
        if data["container"]:
            container = (
                ConsolidationContainer.objects.public().filter(reference=data["container"]).first()
            )
            if container is None:
                raise _not_found(ConsolidationContainer)
        # Checked once the names are known to exist, so a made-up name answers 404 alike.
        if sum(choice is not None for choice in (booking, space_request, container)) > 1:
            raise ShipmentInvalid(_("Give one of booking, space_request or container."))
        if container is not None and not data["no_dangerous_goods"]:
            raise ShipmentInvalid(
                _("Declare no_dangerous_goods: a shared container takes no dangerous goods.")
            )
        shipment = services.shipment_create(
            organization=organization,
            merchant_orders=merchant_orders,
            booking=booking,
            space_request=space_request,
            container=container,
            no_dangerous_goods=data["no_dangerous_goods"],
            acting_user=request.user,
        )
        return Response(_detail(request, shipment.reference), status=status.HTTP_201_CREATED)


def _detail(request, reference: str) -> dict:
    shipment = selectors.access_shipment(organization=request.organization, reference=reference)
    context = {
        "organization": request.organization,
        "lines": selectors.shipment_lines(shipment=shipment),
    }
    return ShipmentDetailSerializer(shipment, context=context).data


class ShipmentDetailAPI(_PartyScopes, APIView):
    organization_kinds = PARTIES

    @extend_schema(
        operation_id="v1_shipping_shipments_retrieve",
        summary="A shipment with its cargo lines",
        parameters=[SHIPMENT_REFERENCE],
        responses={
            200: ShipmentDetailSerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN_FOR_KIND,
            404: SHIPMENT_NOT_FOUND,
        },
    )
    def get(self, request, reference: str):
        return Response(_detail(request, reference))


class _ShipmentAction(APIView):
    api_scopes = MERCHANT_SCOPES
    organization_kinds = MERCHANT
    required_role = Role.STAFF

    def _act(self, request, reference: str, action) -> Response:
        shipment = selectors.access_shipment(organization=request.organization, reference=reference)
        if shipment.organization_id != request.organization.pk:
            raise ShipmentInvalid(_("Only the shipment's merchant changes it."))
        action(shipment=shipment, acting_user=request.user)
        return Response(_detail(request, reference))


class ShipmentDispatchAPI(_ShipmentAction):
    @extend_schema(
        operation_id="v1_shipping_shipments_dispatch",
        summary="Dispatch a shipment: its merchant orders are shipped",
        parameters=[SHIPMENT_REFERENCE],
        request=None,
        responses={
            200: ShipmentDetailSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="A merchant order on it can no longer be shipped "
                "(`illegal_transition` of the order, `unknown_booking`).",
            ),
            401: UNAUTHENTICATED,
            403: FORBIDDEN_FOR_ROLE,
            404: SHIPMENT_NOT_FOUND,
            409: ILLEGAL,
        },
    )
    def post(self, request, reference: str):
        return self._act(request, reference, services.shipment_dispatch)


class ShipmentCancelAPI(_ShipmentAction):
    @extend_schema(
        operation_id="v1_shipping_shipments_cancel",
        summary="Cancel a planned shipment: its order lines are free again",
        parameters=[SHIPMENT_REFERENCE],
        request=None,
        responses={
            200: ShipmentDetailSerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN_FOR_ROLE,
            404: SHIPMENT_NOT_FOUND,
            409: ILLEGAL,
        },
    )
    def post(self, request, reference: str):
        return self._act(request, reference, services.shipment_cancel)
