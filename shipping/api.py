"""API of carrier slot booking: sailing search and bookings under /api/v1/shipping/, and the
DCSA booking-notification callback the carriers call."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from merchants.api import ErrorSerializer
from merchants.errors import MerchantNotApproved
from network.api import StaticModelSerializer, StaticSerializer
from network.api_query import validated_query
from network.db_router import ToleratesLagMixin
from network.fields import IntegerSerializerField
from network.models import Organization, Role
from network.request_guard import json_loads
from shipping import selectors, services
from shipping.carriers import tracking as carrier_tracking
from shipping.equipment import EQUIPMENT_TYPES, normalize_equipment_code
from shipping.errors import (
    EquipmentNotOffered,
    NotificationRejected,
    SailingNotBookable,
    TrackingEventsRejected,
)
from shipping.models import (
    Booking,
    BookingEvent,
    Carrier,
    Sailing,
    SailingRate,
    TrackingEvent,
    TrackingSubscription,
)
from shipping.services import tracking
from shipping.validators import validate_hs_code, validate_un_locode

MERCHANT = [Organization.Kind.MERCHANT]


EQUIPMENT_CODES = [
    *EQUIPMENT_TYPES,
    *(alias for equipment in EQUIPMENT_TYPES.values() for alias in equipment.aliases),
]


@extend_schema_field({"allOf": [{"type": "string", "enum": EQUIPMENT_CODES}]})
class EquipmentCodeField(serializers.ChoiceField):
    """An ISO 6346 size-type code the network books (``45G1``) or its shorthand (``40HC``),
    read as the ISO code."""

    def __init__(self, **kwargs):
        super().__init__(choices=EQUIPMENT_CODES, **kwargs)

    def to_internal_value(self, data):
        return normalize_equipment_code(super().to_internal_value(data))


class SailingSummarySerializer(StaticModelSerializer):
    carrier = serializers.CharField(source="carrier.scac")
    carrier_name = serializers.CharField(source="carrier.name")
    port_of_loading = serializers.CharField(source="port_of_loading.un_locode")
    port_of_discharge = serializers.CharField(source="port_of_discharge.un_locode")

    class Meta:
        model = Sailing
        fields = [
            "id",
            "carrier",
            "carrier_name",
            "service_code",
            "vessel_name",
            "vessel_imo",
            "voyage_number",
            "port_of_loading",
            "port_of_discharge",
            "etd",
            "eta",
            "documentation_cutoff",
            "cargo_cutoff",
        ]


class SailingOfferSerializer(StaticModelSerializer):
    sailing = SailingSummarySerializer()
    equipment = serializers.CharField(source="equipment_code")
    transit_days = serializers.IntegerField(source="sailing.transit_days")
    remaining_teu = serializers.IntegerField(source="sailing.remaining_teu")
    units_available = serializers.SerializerMethodField()
    saving = serializers.DecimalField(max_digits=12, decimal_places=2)
    free_cancellation_until = serializers.DateTimeField(source="sailing.free_cancellation_until")
    cancellation_fee_per_container = serializers.DecimalField(
        source="sailing.carrier.cancellation_fee_per_container", max_digits=12, decimal_places=2
    )

    class Meta:
        model = SailingRate
        fields = [
            "sailing",
            "equipment",
            "price",
            "forwarder_price",
            "saving",
            "currency",
            "transit_days",
            "remaining_teu",
            "units_available",
            "free_cancellation_until",
            "cancellation_fee_per_container",
        ]

    def get_units_available(self, offer: SailingRate) -> int:
        return offer.sailing.remaining_teu // offer.teu


UNAUTHENTICATED = OpenApiResponse(ErrorSerializer, description="Not signed in.")
FORBIDDEN_FOR_KIND = OpenApiResponse(
    ErrorSerializer,
    description="The active organisation is not allowed to use this endpoint.",
)
FORBIDDEN_FOR_ROLE = OpenApiResponse(
    ErrorSerializer,
    description="Not a merchant member with at least the staff role, or the merchant is not "
    "approved (`merchant_not_approved`).",
)
BOOKING_NOT_FOUND = OpenApiResponse(
    ErrorSerializer, description="No booking with this reference in the active organisation."
)
BOOKING_REFERENCE = OpenApiParameter(
    "reference",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The booking's reference, as in the booking list.",
)


class SailingSearchQuery(serializers.Serializer):
    origin = serializers.CharField(required=False, validators=[validate_un_locode])
    destination = serializers.CharField(required=False, validators=[validate_un_locode])
    departure_from = serializers.DateField(required=False)
    departure_to = serializers.DateField(required=False)
    equipment = EquipmentCodeField(required=False)


class SailingSearchAPI(APIView):
    """GET published sailings open for booking: ``?origin=USLAX&destination=CNNGB&
    departure_from=2026-01-01&departure_to=2026-02-01&equipment=40HC``."""

    api_scopes = {"read": "bookings:read"}

    organization_kinds = [Organization.Kind.MERCHANT, Organization.Kind.OPERATOR]

    @extend_schema(
        operation_id="v1_shipping_sailings_search",
        summary="Search sailings open for booking",
        parameters=[SailingSearchQuery],
        responses={
            200: inline_serializer(
                "SailingSearchResults", {"results": SailingOfferSerializer(many=True)}
            ),
            400: OpenApiResponse(ErrorSerializer, description="The query is not valid."),
            401: UNAUTHENTICATED,
            403: FORBIDDEN_FOR_KIND,
        },
    )
    def get(self, request):
        offers = selectors.sailing_search(**validated_query(SailingSearchQuery, request))[:100]
        return Response({"results": SailingOfferSerializer(offers, many=True).data})


class BookingEventSerializer(StaticModelSerializer):
    class Meta:
        model = BookingEvent
        fields = [
            "action",
            "status",
            "amendment_status",
            "cancellation_status",
            "source",
            "message",
            "created_at",
        ]


class BookingSerializer(StaticModelSerializer):
    sailing = SailingSummarySerializer()
    total_price = serializers.DecimalField(max_digits=14, decimal_places=2)
    currency = serializers.SerializerMethodField()

    class Meta:
        model = Booking
        fields = [
            "reference",
            "status",
            "amendment_status",
            "cancellation_status",
            "sailing",
            "equipment_code",
            "units",
            "teu_held",
            "amended_units",
            "commodity_description",
            "hs_codes",
            "gross_weight_kg",
            "shipper_name",
            "shipper_address",
            "consignee_name",
            "consignee_address",
            "order_references",
            "price_per_unit",
            "total_price",
            "currency",
            "free_cancellation_until",
            "cancellation_fee_per_container",
            "cancellation_fee",
            "carrier_booking_reference",
            "carrier_message",
            "hold_expires_at",
            "created_at",
            "confirmed_at",
        ]

    def get_currency(self, booking) -> str:
        return "USD"


class BookingDetailSerializer(BookingSerializer):
    events = BookingEventSerializer(many=True)

    class Meta(BookingSerializer.Meta):
        fields = [*BookingSerializer.Meta.fields, "events"]


class BookingCreateSerializer(StaticSerializer):
    sailing = IntegerSerializerField(min_value=1, column=Sailing._meta.pk)
    equipment = EquipmentCodeField()
    units = IntegerSerializerField(min_value=1, max_value=500)
    commodity_description = serializers.CharField(max_length=550)
    hs_codes = serializers.ListField(
        child=serializers.CharField(validators=[validate_hs_code]), min_length=1, max_length=10
    )
    gross_weight_kg = IntegerSerializerField(min_value=1)
    shipper_name = serializers.CharField(max_length=70)
    shipper_address = serializers.CharField(max_length=1000)
    consignee_name = serializers.CharField(max_length=70)
    consignee_address = serializers.CharField(max_length=1000)
    order_references = serializers.ListField(
        child=serializers.CharField(max_length=35), required=False, default=list, max_length=50
    )


class BookingAmendSerializer(serializers.Serializer):
    units = IntegerSerializerField(min_value=1, max_value=500)
    gross_weight_kg = IntegerSerializerField(min_value=1)


class BookingCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class BookingListAPI(ToleratesLagMixin, APIView):
    """GET the organisation's bookings (newest first, at most 100); POST to request one."""

    api_scopes = {"read": "bookings:read", "write": "bookings:write"}

    organization_kinds = MERCHANT

    @extend_schema(
        operation_id="v1_shipping_bookings_list",
        summary="List the organisation's bookings",
        responses={
            200: inline_serializer("BookingListResults", {"results": BookingSerializer(many=True)}),
            401: UNAUTHENTICATED,
            403: FORBIDDEN_FOR_KIND,
        },
    )
    def get(self, request):
        bookings = selectors.bookings_for_organization(organization=request.organization)[:100]
        return Response({"results": BookingSerializer(bookings, many=True).data})

    @extend_schema(
        operation_id="v1_shipping_bookings_create",
        summary="Request a booking on a sailing",
        request=BookingCreateSerializer,
        responses={
            201: BookingSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="The request is not valid (`validation_error`), or the equipment "
                "is not offered on the sailing (`equipment_not_offered`).",
            ),
            401: UNAUTHENTICATED,
            403: FORBIDDEN_FOR_ROLE,
            404: OpenApiResponse(ErrorSerializer, description="No published sailing with this id."),
            409: OpenApiResponse(
                ErrorSerializer,
                description="Not enough space or weight left (`capacity_exhausted`, "
                "`weight_exhausted`), or the sailing is closed for booking (`sailing_closed`).",
            ),
        },
    )
    def post(self, request):
        payload = BookingCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        sailing_id = data.pop("sailing")
        try:
            # The service reads the sailing with its rate: a reference by id saves a query.
            booking = services.booking_request(
                organization=request.organization,
                sailing=Sailing(pk=sailing_id),
                equipment=data.pop("equipment"),
                acting_user=request.user,
                **data,
            )
        except (MerchantNotApproved, EquipmentNotOffered, SailingNotBookable):
            # No published sailing with this id is a 404 before anything about its offer.
            get_object_or_404(Sailing, pk=sailing_id, is_published=True)
            raise
        return Response(BookingSerializer(booking).data, status=status.HTTP_201_CREATED)


def _booking(request, reference: str) -> Booking:
    return selectors.access_booking(organization=request.organization, reference=reference)


class BookingDetailAPI(APIView):
    api_scopes = {"read": "bookings:read"}
    organization_kinds = MERCHANT

    @extend_schema(
        operation_id="v1_shipping_bookings_retrieve",
        summary="A booking with its history",
        parameters=[BOOKING_REFERENCE],
        responses={
            200: BookingDetailSerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN_FOR_KIND,
            404: BOOKING_NOT_FOUND,
        },
    )
    def get(self, request, reference: str):
        booking = _booking(request, reference)
        booking = (
            selectors.bookings_for_organization(organization=request.organization)
            .prefetch_related("events")
            .get(pk=booking.pk)
        )
        return Response(BookingDetailSerializer(booking).data)


class BookingAmendAPI(APIView):
    """POST ``{"units", "gross_weight_kg"}``: an update before confirmation, an amendment after."""

    api_scopes = {"read": "bookings:read", "write": "bookings:write"}

    organization_kinds = MERCHANT
    required_role = Role.STAFF

    @extend_schema(
        operation_id="v1_shipping_bookings_amend",
        summary="Change the units and weight of a booking",
        parameters=[BOOKING_REFERENCE],
        request=BookingAmendSerializer,
        responses={
            200: BookingSerializer,
            400: OpenApiResponse(ErrorSerializer, description="The request is not valid."),
            401: UNAUTHENTICATED,
            403: FORBIDDEN_FOR_ROLE,
            404: BOOKING_NOT_FOUND,
            409: OpenApiResponse(
                ErrorSerializer,
                description="The booking's state does not allow this (`illegal_transition`), or "
                "not enough space or weight left (`capacity_exhausted`, `weight_exhausted`).",
            ),
        },
    )
    def post(self, request, reference: str):
        payload = BookingAmendSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        booking = services.booking_amend(
            booking=_booking(request, reference), acting_user=request.user, **payload.validated_data
        )
        return Response(BookingSerializer(booking).data)


class BookingCancelAPI(APIView):
    api_scopes = {"read": "bookings:read", "write": "bookings:write"}
    organization_kinds = MERCHANT
    required_role = Role.STAFF

    @extend_schema(
        operation_id="v1_shipping_bookings_cancel",
        summary="Cancel a booking",
        description="Free of charge until the booking's `free_cancellation_until`; after it, "
        "`cancellation_fee_per_container` per container.",
        parameters=[BOOKING_REFERENCE],
        request=BookingCancelSerializer,
        responses={
            200: BookingSerializer,
            400: OpenApiResponse(ErrorSerializer, description="The request is not valid."),
            401: UNAUTHENTICATED,
            403: FORBIDDEN_FOR_ROLE,
            404: BOOKING_NOT_FOUND,
            409: OpenApiResponse(
                ErrorSerializer,
                description="The booking's state does not allow this (`illegal_transition`).",
            ),
        },
    )
    def post(self, request, reference: str):
        payload = BookingCancelSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        booking = services.booking_cancel(
            booking=_booking(request, reference),
            acting_user=request.user,
            reason=payload.validated_data["reason"],
        )
        return Response(BookingSerializer(booking).data)


class NotificationDataSerializer(serializers.Serializer):
    bookingStatus = serializers.CharField(max_length=50)  # noqa: N815 - DCSA's names
    amendedBookingStatus = serializers.CharField(max_length=50, required=False)  # noqa: N815
    bookingCancellationStatus = serializers.CharField(max_length=50, required=False)  # noqa: N815
    carrierBookingRequestReference = serializers.CharField(max_length=100, required=False)  # noqa: N815
    carrierBookingReference = serializers.CharField(max_length=35, required=False)  # noqa: N815
    feedbacks = serializers.ListField(child=serializers.DictField(), required=False, max_length=100)
    # Full State Transfer: the booking as the carrier holds it, with our bookingChannelReference.
    booking = serializers.DictField(required=False)


class BookingNotificationSerializer(serializers.Serializer):
    """The parts of a DCSA ``BookingNotification`` (a CloudEvent) the network relies on."""

    specversion = serializers.ChoiceField(choices=["1.0"])
    id = serializers.CharField(max_length=100)
    source = serializers.CharField(max_length=4096)
    type = serializers.ChoiceField(choices=["org.dcsa.booking.v2"])
    time = serializers.DateTimeField()
    datacontenttype = serializers.ChoiceField(choices=["application/json"])
    subscriptionReference = serializers.CharField(max_length=100)  # noqa: N815
    data = NotificationDataSerializer()


class BookingNotificationAPI(APIView):
    """POST /api/v1/shipping/carriers/<SCAC>/booking-notifications/: a carrier's DCSA booking
    notification, signed with the carrier's shared secret (``CARRIER_<SCAC>_NOTIFICATION_SECRET``,
    else the carrier's own): header ``Notification-Signature: sha256=<HMAC-SHA256 of the body,
    hex>``. Answers 204; a repeat of a notification already received changes nothing and answers
    204 again. A Full State Transfer naming our ``bookingChannelReference`` teaches the network
    the carrier's reference of a request whose answer was lost."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="v1_shipping_carrier_booking_notification",
        summary="Receive a carrier's DCSA booking notification",
        parameters=[
            OpenApiParameter(
                "scac",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description="The carrier's SCAC (case-insensitive).",
            ),
            OpenApiParameter(
                "Notification-Signature",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                description="`sha256=` and the hex HMAC-SHA256 of the raw body with the "
                "carrier's shared secret.",
            ),
            OpenApiParameter(
                "API-Version",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                response=[204],
                description="The DCSA Booking API version the notification was read as.",
            ),
        ],
        request=BookingNotificationSerializer,
        responses={
            204: OpenApiResponse(
                description="Received (or a repeat of a notification already received).",
                response=None,
            ),
            400: OpenApiResponse(
                ErrorSerializer,
                description="The body is not JSON or not a booking notification "
                "(`invalid_notification`, `validation_error`).",
            ),
            401: OpenApiResponse(
                ErrorSerializer,
                description="The signature is missing or wrong (`invalid_signature`).",
            ),
            404: OpenApiResponse(ErrorSerializer, description="No active carrier with this SCAC."),
        },
    )
    def post(self, request, scac: str):
        carrier = get_object_or_404(Carrier, scac=scac.upper(), is_active=True)
        body = request.body
        if not services.notification_signature_valid(
            carrier=carrier, body=body, signature=request.headers.get("Notification-Signature", "")
        ):
            return _invalid_signature()
        try:
            payload = json_loads(body)
        except (ValueError, UnicodeDecodeError) as error:
            raise NotificationRejected(_("The body is not JSON.")) from error
        checked = BookingNotificationSerializer(data=payload)
        checked.is_valid(raise_exception=True)
        services.carrier_notification_receive(carrier=carrier, payload=payload)
        return Response(status=status.HTTP_204_NO_CONTENT, headers={"API-Version": "2.0.5"})


# --- Container tracking ------------------------------------------------------------------------


class TrackingEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = TrackingEvent
        fields = [
            "event_id",
            "event_type",
            "event_code",
            "classifier",
            "milestone",
            "event_at",
            "equipment_reference",
            "location",
            "location_name",
            "vessel_name",
            "voyage_number",
        ]


class TrackingMilestoneSerializer(serializers.Serializer):
    milestone = serializers.ChoiceField(choices=TrackingEvent.Milestone.choices)
    reached = serializers.BooleanField()
    event_at = serializers.DateTimeField(source="event.event_at", allow_null=True, default=None)
    location = serializers.CharField(source="event.location", allow_null=True, default=None)
    location_name = serializers.CharField(
        source="event.location_name", allow_null=True, default=None
    )
    vessel_name = serializers.CharField(source="event.vessel_name", allow_null=True, default=None)
    voyage_number = serializers.CharField(
        source="event.voyage_number", allow_null=True, default=None
    )
    equipment_reference = serializers.CharField(
        source="event.equipment_reference", allow_null=True, default=None
    )


class BookingTrackingSerializer(serializers.Serializer):
    booking = serializers.CharField()
    carrier_booking_reference = serializers.CharField()
    eta = serializers.DateTimeField(
        allow_null=True,
        help_text="The latest estimated arrival at the port of discharge reported by the carrier.",
    )
    milestones = TrackingMilestoneSerializer(many=True)
    events = TrackingEventSerializer(many=True)


class BookingTrackingAPI(APIView):
    """GET a booking's container tracking: the six milestones (gate-in, loaded, departed,
    arrived, discharged, gate-out) with where and when each was reached, the latest ETA and
    every event the carrier reported."""

    api_scopes = {"read": "bookings:read"}
    organization_kinds = [Organization.Kind.MERCHANT, Organization.Kind.OPERATOR]

    @extend_schema(
        operation_id="v1_shipping_bookings_tracking",
        summary="A booking's container tracking events and milestones",
        parameters=[BOOKING_REFERENCE],
        responses={
            200: BookingTrackingSerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN_FOR_KIND,
            404: BOOKING_NOT_FOUND,
        },
    )
    def get(self, request, reference: str):
        booking = _booking(request, reference)
        events = list(selectors.booking_tracking_events(booking=booking))
        return Response(
            BookingTrackingSerializer(
                {
                    "booking": booking.reference,
                    "carrier_booking_reference": booking.carrier_booking_reference,
                    "eta": booking.tracking_eta,
                    "milestones": tracking.milestones_from(events),
                    "events": events,
                }
            ).data
        )


MAX_EVENTS_PER_PUSH = 500


class CarrierEventSerializer(serializers.Serializer):
    """The parts of a Track & Trace 2.2.0 event (ShipmentEvent, TransportEvent or
    EquipmentEvent) the network relies on; other members are kept as sent."""

    eventID = serializers.CharField(max_length=100)  # noqa: N815 - DCSA's names
    eventType = serializers.ChoiceField(choices=carrier_tracking.EVENT_TYPES)  # noqa: N815
    eventClassifierCode = serializers.ChoiceField(choices=carrier_tracking.CLASSIFIERS)  # noqa: N815
    eventDateTime = serializers.DateTimeField()  # noqa: N815
    eventCreatedDateTime = serializers.DateTimeField()  # noqa: N815
    transportEventTypeCode = serializers.CharField(max_length=4, required=False)  # noqa: N815
    equipmentEventTypeCode = serializers.CharField(max_length=4, required=False)  # noqa: N815
    shipmentEventTypeCode = serializers.CharField(max_length=4, required=False)  # noqa: N815
    equipmentReference = serializers.CharField(max_length=15, required=False)  # noqa: N815
    emptyIndicatorCode = serializers.ChoiceField(choices=["EMPTY", "LADEN"], required=False)  # noqa: N815
    transportCall = serializers.DictField(required=False)  # noqa: N815
    eventLocation = serializers.DictField(required=False)  # noqa: N815
    documentReferences = serializers.ListField(  # noqa: N815
        child=serializers.DictField(), required=False, max_length=50
    )


def _invalid_signature() -> Response:
    return Response(
        {
            "code": "invalid_signature",
            "message": _("The notification's signature is missing or wrong."),
            "fields": {},
        },
        status=status.HTTP_401_UNAUTHORIZED,
    )


class TrackingEventsCallbackAPI(APIView):
    """POST /api/v1/shipping/tracking/<token>/events/: the carrier's push of Track & Trace
    events for one of the network's event subscriptions (the callbackUrl it was given), a JSON
    array of events signed with the subscription's secret: header ``Notification-Signature:
    sha256=<hex HMAC-SHA256 of the raw body keyed with the base64-decoded secret>``. Answers 204;
    events already received are recognised by their eventID and change nothing."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="v1_shipping_tracking_events_callback",
        summary="Receive a carrier's pushed Track & Trace events",
        parameters=[
            OpenApiParameter(
                "token",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description="Names the subscription; part of the callbackUrl given to the carrier.",
            ),
            OpenApiParameter(
                "Notification-Signature",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                description="`sha256=` and the hex HMAC-SHA256 of the raw body keyed with the "
                "subscription's base64-decoded secret.",
            ),
        ],
        request=CarrierEventSerializer(many=True, max_length=MAX_EVENTS_PER_PUSH),
        responses={
            204: OpenApiResponse(
                description="Received (events already received change nothing).",
                response=None,
            ),
            400: OpenApiResponse(
                ErrorSerializer,
                description="The body is not a JSON array of Track & Trace events "
                "(`invalid_events`, `validation_error`).",
            ),
            401: OpenApiResponse(
                ErrorSerializer,
                description="The signature is missing or wrong (`invalid_signature`).",
            ),
            404: OpenApiResponse(ErrorSerializer, description="No such subscription."),
        },
    )
    def post(self, request, token: str):
        subscription_id = tracking.tracking_subscription_id_from_token(token)
        # The carrier is no organisation: the subscription's secret is all this reads before
        # the signature is checked; the events are then stored in the booking's own scope.
        with scopes_disabled():
            subscription = (
                TrackingSubscription.objects.filter(pk=subscription_id).only("pk", "secret").first()
                if subscription_id
                else None
            )
        if subscription is None:
            raise Http404
        body = request.body
        if not carrier_tracking.notification_signature_valid(
            secret=subscription.secret,
            body=body,
            signature=request.headers.get("Notification-Signature", ""),
        ):
            return _invalid_signature()
        try:
            payload = json_loads(body)
        except (ValueError, UnicodeDecodeError) as error:
            raise TrackingEventsRejected(_("The body is not JSON.")) from error
        if not isinstance(payload, list):
            raise TrackingEventsRejected(_("The body must be a JSON array of events."))
        checked = CarrierEventSerializer(data=payload, many=True, max_length=MAX_EVENTS_PER_PUSH)
        checked.is_valid(raise_exception=True)
        try:
            events = carrier_tracking.parse_events(payload)
        except carrier_tracking.TrackingEventInvalid as error:
            raise TrackingEventsRejected(str(error)) from error
        tracking.tracking_events_receive(subscription_id=subscription.pk, events=events)
        return Response(status=status.HTTP_204_NO_CONTENT)
