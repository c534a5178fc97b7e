"""/api/v1/ endpoints of the training app: the public seminar calendar, and a person's own
registrations (list, register, cancel)."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from merchants.api import ErrorSerializer
from network.api import inline_choice_field
from network.api_query import validated_query
from network.models import Organization, Role
from training import selectors, services
from training.models import Registration, Seminar, Topic

UNAUTHENTICATED = OpenApiResponse(ErrorSerializer, description="Not signed in.")
NOT_A_MEMBER = OpenApiResponse(
    ErrorSerializer, description="Not a member of the active organisation."
)
REGISTRATION_NOT_FOUND = OpenApiResponse(
    ErrorSerializer,
    description="No registration with this id of the signed-in person in the active organisation.",
)
SEMINAR_NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No public seminar by this slug.")


class SeminarSerializer(serializers.ModelSerializer):
    seats_left = serializers.IntegerField(read_only=True)
    registration_open = serializers.SerializerMethodField()
    location = serializers.CharField(read_only=True)
    speakers = serializers.ListField(source="speaker_list", child=serializers.CharField())
    agenda = serializers.SerializerMethodField()

    class Meta:
        model = Seminar
        # The join link is never public: it is on the registration, for confirmed attendees.
        fields = [
            "id",
            "slug",
            "title",
            "topic",
            "language",
            "summary",
            "format",
            "venue",
            "address",
            "city",
            "location",
            "time_zone",
            "start_at",
            "end_at",
            "capacity",
            "seats_left",
            "seats_per_organization",
            "registration_opens_at",
            "registration_closes_at",
            "registration_open",
            "speakers",
            "agenda",
            "status",
        ]

    def get_registration_open(self, seminar: Seminar) -> bool:
        return seminar.registration_open()

    def get_agenda(self, seminar: Seminar) -> list[dict[str, str]]:
        return [{"time": time, "item": item} for time, item in seminar.agenda_items]


class RegistrationSerializer(serializers.ModelSerializer):
    seminar = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    waitlist_position = serializers.SerializerMethodField()
    join_url = serializers.SerializerMethodField()
    attended = serializers.BooleanField(read_only=True)

    class Meta:
        model = Registration
        fields = [
            "id",
            "seminar",
            "status",
            "waitlist_position",
            "offer_expires_at",
            "created_at",
            "confirmed_at",
            "cancelled_at",
            "attended",
            "join_url",
        ]

    def get_waitlist_position(self, registration: Registration) -> int | None:
        if hasattr(registration, "waiting_ahead"):
            return registration.waitlist_position
        return services.waitlist_position(registration)

    def get_join_url(self, registration: Registration) -> str | None:
        seminar = registration.seminar
        if seminar.is_online and registration.status == Registration.Status.CONFIRMED:
            return seminar.join_url
        return None


class SeminarQuery(serializers.Serializer):
    when = inline_choice_field(
        [("upcoming", "upcoming"), ("past", "past")],
        required=False,
        help_text="`past` for seminars that have ended (most recent first); otherwise upcoming "
        "ones and those under way (soonest first).",
    )
    topic = inline_choice_field(Topic.choices, required=False, help_text="Only this topic.")
    language = inline_choice_field(
        settings.LANGUAGES, required=False, help_text="Only seminars held in this language."
    )
    format = inline_choice_field(
        Seminar.Format.choices, required=False, help_text="Only this format."
    )


@extend_schema(summary="Published seminars", parameters=[SeminarQuery])
class SeminarList(generics.ListAPIView):
    """Published seminars; ``?when=past`` for past ones, ``topic``, ``language``, ``format``."""

    permission_classes = [AllowAny]
    serializer_class = SeminarSerializer
    cursor_ordering = ("start_at", "pk")

    def get_queryset(self):
        params = validated_query(SeminarQuery, self.request)
        return selectors.seminars_public(
            past=params.get("when") == "past",
            topic=params.get("topic", ""),
            language=params.get("language", ""),
            format=params.get("format", ""),
        )


@extend_schema(
    summary="A public seminar", responses={200: SeminarSerializer, 404: SEMINAR_NOT_FOUND}
)
class SeminarDetail(generics.RetrieveAPIView):
    permission_classes = [AllowAny]
    serializer_class = SeminarSerializer

    def get_object(self):
        seminar = selectors.seminar_public(slug=self.kwargs["slug"])
        if seminar is None:
            raise Http404
        return seminar


class SeminarRegister(APIView):
    """Register the signed-in person for the active organisation: 201 with the registration
    (confirmed or waitlisted), or 409 with a code."""

    required_role = Role.STAFF
    organization_kinds = [Organization.Kind.MERCHANT, Organization.Kind.BUYER]

    @extend_schema(
        operation_id="v1_seminars_register",
        summary="Register for a seminar",
        request=None,
        responses={
            201: OpenApiResponse(
                RegistrationSerializer,
                description="Registered: `status` is `confirmed`, or `waitlisted` when the "
                "seminar is full.",
            ),
            401: UNAUTHENTICATED,
            403: OpenApiResponse(
                ErrorSerializer,
                description="Not a staff member of a merchant or buyer organisation.",
            ),
            404: SEMINAR_NOT_FOUND,
            409: OpenApiResponse(
                ErrorSerializer,
                description="`registration_closed`, `already_registered` or "
                "`organization_seat_limit`.",
            ),
        },
    )
    def post(self, request, slug: str):
        seminar = selectors.seminar_public(slug=slug)
        if seminar is None:
            raise Http404
        registration = services.registration_create(
            seminar=seminar, organization=request.organization, acting_user=request.user
        )
        return Response(RegistrationSerializer(registration).data, status=status.HTTP_201_CREATED)


class MyRegistrationList(generics.ListAPIView):
    """The signed-in person's registrations in the active organisation."""

    api_scopes = {"read": "training:read"}

    serializer_class = RegistrationSerializer

    @extend_schema(
        summary="My seminar registrations",
        responses={200: RegistrationSerializer(many=True), 401: UNAUTHENTICATED, 403: NOT_A_MEMBER},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema is being generated
            return Registration.objects.none()
        return selectors.registrations_of_person(
            user=self.request.user, organization=self.request.organization
        )


@extend_schema(
    summary="One of my seminar registrations",
    responses={
        200: RegistrationSerializer,
        401: UNAUTHENTICATED,
        403: NOT_A_MEMBER,
        404: REGISTRATION_NOT_FOUND,
    },
)
class MyRegistrationDetail(generics.RetrieveAPIView):
    api_scopes = {"read": "training:read"}
    serializer_class = RegistrationSerializer

    def get_object(self):
        return selectors.access_registration(
            organization=self.request.organization,
            pk=self.kwargs["pk"],
            registrant=self.request.user,
        )


class MyRegistrationCancel(APIView):
    required_role = Role.VIEWER

    @extend_schema(
        operation_id="v1_seminar_registrations_cancel",
        summary="Cancel one of my seminar registrations",
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        request=None,
        responses={
            200: RegistrationSerializer,
            401: UNAUTHENTICATED,
            403: NOT_A_MEMBER,
            404: REGISTRATION_NOT_FOUND,
            409: OpenApiResponse(
                ErrorSerializer,
                description="The registration is no longer active, or the seminar has started "
                "(`illegal_transition`).",
            ),
        },
    )
    def post(self, request, pk: int):
        registration = selectors.access_registration(
            organization=request.organization, pk=pk, registrant=request.user
        )
        registration = services.registration_cancel(
            registration=registration, acting_user=request.user
        )
        return Response(RegistrationSerializer(registration).data)
