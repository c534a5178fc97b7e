"""/api/v1/webhook-endpoints/: an organisation's webhook endpoints over the API — list, create
(the signing secret is in that answer only), read, change, delete, rotate the secret, read the
deliveries and send one again. Owners and admins only, as on the Integrations page; keys need
``webhooks:read`` / ``webhooks:write``. The same services as the page stand behind each write."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from network import selectors, services
from network.api import inline_choice_field
from network.api_schema import ErrorSerializer
from network.models import (
    ApiScope,
    Organization,
    Role,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from network.tenancy import found

INTEGRATION_KINDS = [Organization.Kind.MERCHANT, Organization.Kind.BUYER]

UNAUTHENTICATED = OpenApiResponse(ErrorSerializer, description="No valid API key or session.")
FORBIDDEN = OpenApiResponse(
    ErrorSerializer,
    description="Not an owner or admin of a merchant or buyer organisation, or a key without "
    "the `webhooks:read` / `webhooks:write` scope (`permission_denied`).",
)
ENDPOINT_NOT_FOUND = OpenApiResponse(
    ErrorSerializer, description="No webhook endpoint with this id in your organisation."
)
URL_REFUSED = OpenApiResponse(
    ErrorSerializer,
    description="The body is not valid (`validation_error`), or the URL is refused: "
    "`url_invalid`, `url_scheme_not_allowed` (only https in production), `url_not_public` "
    "(the host is, or resolves to, a loopback, private, link-local, multicast or other "
    "non-public address).",
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Send one to retry safely; the same key replays the first answer.",
)
IDEMPOTENCY_IN_PROGRESS = OpenApiResponse(
    ErrorSerializer, description="The same Idempotency-Key is still running."
)
IDEMPOTENCY_KEY_REUSED = OpenApiResponse(
    ErrorSerializer, description="The Idempotency-Key was used with another body."
)
ENDPOINT_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)


def _event_field(**kwargs) -> serializers.ChoiceField:
    return inline_choice_field(WebhookEvent.choices, **kwargs)


@extend_schema_field(
    {
        # In place rather than as a shared ``ErrorEnum`` component (see inline_choice_field).
        "allOf": [{"type": "string", "enum": WebhookDelivery.Error.values}],
        "nullable": True,
        "description": "Why the last attempt failed; null when it succeeded or none was made.",
    }
)
class DeliveryErrorField(serializers.CharField):
    def to_representation(self, value):
        return value or None


class WebhookEndpointSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=_event_field(), read_only=True)
    enabled = serializers.BooleanField(
        source="is_active",
        read_only=True,
        help_text="False when turned off, or disabled after failing deliveries in a row "
        "(`disabled_reason` says which).",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "description", "events", "enabled", "disabled_reason", "created_at"]
        read_only_fields = fields


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="The signing secret (`whsec_…`). Only in this answer: keep it now.",
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


# The scheme is checked here and in the schema; whether the host is on the public internet is
# checked by the service (``network.outbound``), against what its name resolves to.
URL_SCHEME = RegexValidator(r"^[Hh][Tt][Tt][Pp][Ss]?://[^/?#\s]+", code="url_scheme_not_allowed")


class WebhookEndpointCreateSerializer(serializers.Serializer):
    url = serializers.CharField(
        max_length=500,
        validators=[URL_SCHEME],
        help_text="Where events are POSTed: https (http only outside production), on the "
        "public internet.",
    )
    events = serializers.ListField(
        child=_event_field(), min_length=1, max_length=len(WebhookEvent.values)
    )
    description = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )


class WebhookEndpointUpdateSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=500, required=False, validators=[URL_SCHEME])
    events = serializers.ListField(
        child=_event_field(), min_length=1, max_length=len(WebhookEvent.values), required=False
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    enabled = serializers.BooleanField(
        required=False, help_text="true turns the endpoint on again and clears its failures."
    )


class WebhookDeliverySerializer(serializers.ModelSerializer):
    event = _event_field(read_only=True)
    status = inline_choice_field(WebhookDelivery.Status.choices, read_only=True)
    response_status_code = serializers.IntegerField(
        source="response_code",
        read_only=True,
        allow_null=True,
        help_text="The HTTP status of the last attempt's answer (a 3xx too: redirects are not "
        "followed). What the endpoint answered is never kept.",
    )
    response_time_ms = serializers.IntegerField(
        source="response_ms", read_only=True, allow_null=True
    )
    error = DeliveryErrorField(read_only=True, allow_null=True)
    outcome = serializers.CharField(
        read_only=True,
        help_text="The last attempt's outcome for people, e.g. `HTTP 500`, `timeout`.",
    )

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event",
            "event_id",
            "status",
            "attempts",
            "response_status_code",
            "response_time_ms",
            "error",
            "outcome",
            "created_at",
            "last_attempt_at",
            "next_attempt_at",
            "delivered_at",
        ]
        read_only_fields = fields


class WebhookApiView:
    """Owners and admins of merchant and buyer organisations, as the Integrations page."""

    api_scopes = {"read": ApiScope.WEBHOOKS_READ, "write": ApiScope.WEBHOOKS_WRITE}
    required_role = Role.ADMIN
    organization_kinds = INTEGRATION_KINDS

    def get_endpoint(self, pk: int) -> WebhookEndpoint:
        return selectors.access_webhook_endpoint(organization=self.request.organization, pk=pk)


def _run(call):
    """A service's model validation as the API's ``validation_error``."""
    try:
        return call()
    except DjangoValidationError as error:
        raise ValidationError(
            getattr(error, "message_dict", {"non_field_errors": error.messages})
        ) from error


class WebhookEndpointList(WebhookApiView, generics.ListAPIView):
    serializer_class = WebhookEndpointSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema is being generated
            return WebhookEndpoint.objects.none()
        return selectors.webhook_endpoints_of(organization=self.request.organization)

    @extend_schema(
        operation_id="v1_webhook_endpoints_list",
        summary="Webhook endpoints",
        responses={
            200: WebhookEndpointSerializer(many=True),
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="v1_webhook_endpoints_create",
        summary="Register a webhook endpoint",
        description="Answers the endpoint with its signing secret, which no later answer "
        "shows again (rotate it to get a new one).",
        parameters=[IDEMPOTENCY_KEY],
        request=WebhookEndpointCreateSerializer,
        responses={
            201: WebhookEndpointWithSecretSerializer,
            400: URL_REFUSED,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            409: IDEMPOTENCY_IN_PROGRESS,
            422: IDEMPOTENCY_KEY_REUSED,
        },
    )
    def post(self, request):
        payload = WebhookEndpointCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        endpoint = _run(
            lambda: services.webhook_endpoint_create(
                organization=request.organization,
                acting_user=request.user,
                **payload.validated_data,
            )
        )
        return Response(
            WebhookEndpointWithSecretSerializer(endpoint).data, status=status.HTTP_201_CREATED
        )


class WebhookEndpointDetail(WebhookApiView, APIView):
    @extend_schema(
        operation_id="v1_webhook_endpoints_retrieve",
        summary="A webhook endpoint",
        parameters=[ENDPOINT_ID],
        responses={
            200: WebhookEndpointSerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: ENDPOINT_NOT_FOUND,
        },
    )
    def get(self, request, pk: int):
        return Response(WebhookEndpointSerializer(self.get_endpoint(pk)).data)

    @extend_schema(
        operation_id="v1_webhook_endpoints_update",
        summary="Change a webhook endpoint",
        description="Send only what changes: `url`, `events`, `description`, `enabled`.",
        parameters=[ENDPOINT_ID],
        request=WebhookEndpointUpdateSerializer,
        responses={
            200: WebhookEndpointSerializer,
            400: URL_REFUSED,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: ENDPOINT_NOT_FOUND,
        },
    )
    def patch(self, request, pk: int):
        endpoint = self.get_endpoint(pk)
        payload = WebhookEndpointUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        endpoint = _run(
            lambda: services.webhook_endpoint_update(
                endpoint=endpoint, acting_user=request.user, **payload.validated_data
            )
        )
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(
        operation_id="v1_webhook_endpoints_destroy",
        summary="Delete a webhook endpoint",
        description="Its deliveries go with it; pending ones are not sent.",
        parameters=[ENDPOINT_ID],
        responses={
            204: OpenApiResponse(description="Deleted."),
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: ENDPOINT_NOT_FOUND,
        },
    )
    def delete(self, request, pk: int):
        services.webhook_endpoint_delete(endpoint=self.get_endpoint(pk), acting_user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookEndpointRotateSecret(WebhookApiView, APIView):
    @extend_schema(
        operation_id="v1_webhook_endpoints_rotate_secret",
        summary="Rotate a webhook endpoint's signing secret",
        description="Every attempt from now on, retries of earlier events included, is signed "
        "with the new secret, which only this answer shows; the old one signs nothing more.",
        parameters=[ENDPOINT_ID, IDEMPOTENCY_KEY],
        request=None,
        responses={
            200: WebhookEndpointWithSecretSerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: ENDPOINT_NOT_FOUND,
            409: IDEMPOTENCY_IN_PROGRESS,
            422: IDEMPOTENCY_KEY_REUSED,
        },
    )
    def post(self, request, pk: int):
        endpoint = services.webhook_endpoint_rotate_secret(
            endpoint=self.get_endpoint(pk), acting_user=request.user
        )
        return Response(WebhookEndpointWithSecretSerializer(endpoint).data)


class WebhookDeliveryList(WebhookApiView, generics.ListAPIView):
    serializer_class = WebhookDeliverySerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema is being generated
            return WebhookDelivery.objects.none()
        return selectors.webhook_deliveries_of(endpoint=self.get_endpoint(self.kwargs["pk"]))

    @extend_schema(
        operation_id="v1_webhook_endpoints_deliveries_list",
        summary="Deliveries to a webhook endpoint",
        description="Newest first: each event sent, with its last attempt's status code, time "
        "and error class.",
        parameters=[ENDPOINT_ID],
        responses={
            200: WebhookDeliverySerializer(many=True),
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: ENDPOINT_NOT_FOUND,
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class WebhookDeliveryReplay(WebhookApiView, APIView):
    @extend_schema(
        operation_id="v1_webhook_endpoints_deliveries_replay",
        summary="Send a delivery's event again",
        description="A new delivery of the same event (the same `event_id`, so receivers can "
        "drop duplicates), sent at once; the old one stays in the log.",
        parameters=[
            ENDPOINT_ID,
            OpenApiParameter("delivery_id", OpenApiTypes.INT, OpenApiParameter.PATH),
            IDEMPOTENCY_KEY,
        ],
        request=None,
        responses={
            201: WebhookDeliverySerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: OpenApiResponse(
                ErrorSerializer,
                description="No such endpoint in your organisation, or no such delivery to it.",
            ),
            409: OpenApiResponse(
                ErrorSerializer,
                description="The endpoint is disabled (`endpoint_disabled`): enable it first. "
                "Or the same Idempotency-Key is still running.",
            ),
            422: IDEMPOTENCY_KEY_REUSED,
        },
    )
    def post(self, request, pk: int, delivery_id: int):
        delivery = found(
            selectors.webhook_deliveries_of(endpoint=self.get_endpoint(pk)), pk=delivery_id
        )
        copy = services.webhook_redeliver(delivery=delivery, acting_user=request.user)
        return Response(WebhookDeliverySerializer(copy).data, status=status.HTTP_201_CREATED)
