"""/api/v1/ endpoints of the training app: the public seminar calendar, and a person's own
registrations (list, register, cancel)."""

from __future__ import annotations

from django.http import Http404
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from network.models import Organization, Role
from training import selectors, services
from training.models import Registration, Seminar


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


class SeminarList(generics.ListAPIView):
    """Published seminars; ``?when=past`` for past ones, ``topic``, ``language``, ``format``."""

    permission_classes = [AllowAny]
    serializer_class = SeminarSerializer
    cursor_ordering = ("start_at", "pk")

    def get_queryset(self):
        params = self.request.query_params
        return selectors.seminars_public(
            past=params.get("when") == "past",
            topic=params.get("topic", ""),
            language=params.get("language", ""),
            format=params.get("format", ""),
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

    serializer_class = RegistrationSerializer

    def get_queryset(self):
        return selectors.registrations_of_person(
            user=self.request.user, organization=self.request.organization
        )


class MyRegistrationDetail(generics.RetrieveAPIView):
    serializer_class = RegistrationSerializer

    def get_object(self):
        registration = selectors.registration_for_registrant(
            pk=self.kwargs["pk"], user=self.request.user, organization=self.request.organization
        )
        if registration is None:
            raise Http404
        return registration


class MyRegistrationCancel(APIView):
    required_role = Role.VIEWER

    def post(self, request, pk: int):
        registration = selectors.registration_for_registrant(
            pk=pk, user=request.user, organization=request.organization
        )
        if registration is None:
            raise Http404
        registration = services.registration_cancel(
            registration=registration, acting_user=request.user
        )
        return Response(RegistrationSerializer(registration).data)
