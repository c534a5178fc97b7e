"""API of shared containers under /api/v1/shipping/: the containers open for space, and a
merchant's space in them (book, read, cancel)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from merchants.api import ErrorSerializer
from network.fields import IntegerSerializerField
from network.models import Organization
from shipping import selectors, services
from shipping.api import (
    FORBIDDEN_FOR_KIND,
    FORBIDDEN_FOR_ROLE,
    UNAUTHENTICATED,
    SailingSummarySerializer,
)
from shipping.models import ConsolidationContainer, SpaceRequest

MERCHANT = [Organization.Kind.MERCHANT]


class ContainerSerializer(serializers.ModelSerializer):
    sailing = SailingSummarySerializer()
    remaining_m3 = serializers.DecimalField(max_digits=7, decimal_places=1)
    remaining_kg = serializers.IntegerField()
    fill_percent = serializers.IntegerField()
    currency = serializers.SerializerMethodField()

    class Meta:
        model = ConsolidationContainer
        fields = [
            "reference",
            "status",
            "sailing",
            "equipment_code",
            "capacity_m3",
            "capacity_kg",
            "booked_m3",
            "booked_kg",
            "remaining_m3",
            "remaining_kg",
            "fill_percent",
            "price_per_wm",
            "forwarder_price_per_wm",
            "currency",
            "warehouse_name",
            "warehouse_address",
            "receiving_cutoff",
        ]

    def get_currency(self, container) -> str:
        return "USD"


class SpaceRequestSerializer(serializers.ModelSerializer):
    container = serializers.CharField(source="container.reference")
    sailing = SailingSummarySerializer(source="container.sailing")
    receiving_cutoff = serializers.DateTimeField(source="container.receiving_cutoff")
    warehouse_name = serializers.CharField(source="container.warehouse_name")
    warehouse_address = serializers.CharField(source="container.warehouse_address")
    saving = serializers.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        model = SpaceRequest
        fields = [
            "reference",
            "status",
            "container",
            "sailing",
            "receiving_cutoff",
            "warehouse_name",
            "warehouse_address",
            "volume_m3",
            "weight_kg",
            "revenue_tons",
            "price_per_wm",
            "price",
            "forwarder_price_per_wm",
            "forwarder_price",
            "saving",
            "currency",
            "no_dangerous_goods",
            "created_at",
            "ended_at",
        ]


class SpaceRequestCreateSerializer(serializers.Serializer):
    container = serializers.CharField(max_length=12, help_text="The container's reference.")
    # Read with room for more decimals: the service says why a volume is refused (space_invalid).
    volume_m3 = serializers.DecimalField(
        max_digits=9, decimal_places=3, help_text="m³, at least 1.0, one decimal."
    )
    weight_kg = IntegerSerializerField(min_value=1, max_value=30_000)
    no_dangerous_goods = serializers.BooleanField(
        help_text="The shipper declares the cargo holds no dangerous goods; must be true."
    )


SPACE_REFERENCE = OpenApiParameter(
    "space_reference",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The space request's reference, as in the list.",
)
SPACE_NOT_FOUND = OpenApiResponse(
    ErrorSerializer, description="No space request with this reference in the organisation."
)


class ContainerListAPI(APIView):
    """GET the shared containers open for space now, earliest departure first."""

    api_scopes = {"read": "bookings:read"}
    organization_kinds = [Organization.Kind.MERCHANT, Organization.Kind.OPERATOR]

    @extend_schema(
        operation_id="v1_shipping_containers_list",
        summary="Shared containers open for space",
        responses={
            200: inline_serializer(
                "ContainerListResults", {"results": ContainerSerializer(many=True)}
            ),
            401: UNAUTHENTICATED,
            403: FORBIDDEN_FOR_KIND,
        },
    )
    def get(self, request):
        containers = selectors.containers_open_for_space()[:100]
        return Response({"results": ContainerSerializer(containers, many=True).data})


class SpaceRequestListAPI(APIView):
    """GET the organisation's space in shared containers (newest first, at most 100); POST to
    book space."""

    api_scopes = {"read": "bookings:read", "write": "bookings:write"}
    organization_kinds = MERCHANT

    @extend_schema(
        operation_id="v1_shipping_space_requests_list",
        summary="List the organisation's space in shared containers",
        responses={
            200: inline_serializer(
                "SpaceRequestListResults", {"results": SpaceRequestSerializer(many=True)}
            ),
            401: UNAUTHENTICATED,
            403: FORBIDDEN_FOR_KIND,
        },
    )
    def get(self, request):
        space = selectors.space_requests_for_organization(organization=request.organization)
        return Response({"results": SpaceRequestSerializer(space[:100], many=True).data})

    @extend_schema(
        operation_id="v1_shipping_space_requests_create",
        summary="Book space in a shared container",
        description="Priced per W/M (the greater of m³ and tonnes) at the container's price.",
        request=SpaceRequestCreateSerializer,
        responses={
            201: SpaceRequestSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="The request is not valid (`validation_error`), the volume is under "
                "1 m³ or has more than one decimal (`space_invalid`), or dangerous goods were "
                "not ruled out (`dangerous_goods_refused`).",
            ),
            401: UNAUTHENTICATED,
            403: FORBIDDEN_FOR_ROLE,
            404: OpenApiResponse(
                ErrorSerializer, description="No shared container with this reference."
            ),
            409: OpenApiResponse(
                ErrorSerializer,
                description="Not enough m³ or kg left (`container_full`), or the container no "
                "longer takes space (`container_closed`).",
            ),
        },
    )
    def post(self, request):
        payload = SpaceRequestCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        container = selectors.access_open_container(reference=data["container"])
        space = services.space_request_create(
            organization=request.organization,
            container=container,
            volume_m3=data["volume_m3"],
            weight_kg=data["weight_kg"],
            no_dangerous_goods=data["no_dangerous_goods"],
            acting_user=request.user,
        )
        space = selectors.space_requests_for_organization(organization=request.organization).get(
            pk=space.pk
        )
        return Response(SpaceRequestSerializer(space).data, status=status.HTTP_201_CREATED)


class SpaceRequestDetailAPI(APIView):
    api_scopes = {"read": "bookings:read"}
    organization_kinds = MERCHANT

    @extend_schema(
        operation_id="v1_shipping_space_requests_retrieve",
        summary="A space request",
        parameters=[SPACE_REFERENCE],
        responses={
            200: SpaceRequestSerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN_FOR_KIND,
            404: SPACE_NOT_FOUND,
        },
    )
    def get(self, request, space_reference: str):
        space = selectors.access_space_request(
            organization=request.organization, reference=space_reference
        )
        return Response(SpaceRequestSerializer(space).data)


class SpaceRequestCancelAPI(APIView):
    api_scopes = {"read": "bookings:read", "write": "bookings:write"}
    organization_kinds = MERCHANT

    @extend_schema(
        operation_id="v1_shipping_space_requests_cancel",
        summary="Cancel a space request",
        description="Gives the space back to the container and cancels the shipments planned on "
        "it; refused once goods for it are on their way.",
        parameters=[SPACE_REFERENCE],
        request=None,
        responses={
            200: SpaceRequestSerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN_FOR_ROLE,
            404: SPACE_NOT_FOUND,
            409: OpenApiResponse(
                ErrorSerializer,
                description="The space is no longer held, or its goods are on their way "
                "(`illegal_transition`).",
            ),
        },
    )
    def post(self, request, space_reference: str):
        space = selectors.access_space_request(
            organization=request.organization, reference=space_reference
        )
        services.space_request_cancel(space_request=space, acting_user=request.user)
        space = selectors.access_space_request(
            organization=request.organization, reference=space_reference
        )
        return Response(SpaceRequestSerializer(space).data)
