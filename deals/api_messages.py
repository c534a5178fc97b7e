"""API of messages under /api/v1/deals/threads/: a buyer or merchant organisation lists its
conversations, starts one (about a product, an order, a claim, or with a named organisation) and
reads and posts messages, with attachments as a multipart body. Writes accept an
``Idempotency-Key``. API keys need the orders scopes (``orders:read``, ``orders:write``)."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Product
from deals import selectors
from deals.models import Message, MessageAttachment, Thread
from deals.services import messages as services
from merchants.api import ErrorSerializer
from moderation.selectors import access_listing_report
from network.api import form_fields
from network.db_router import ToleratesLagMixin
from network.models import Organization
from network.tenancy import found
from orders.selectors import access_merchant_order, access_purchase_order
from payments.selectors_claims import access_claim

SIDES = [Organization.Kind.BUYER, Organization.Kind.MERCHANT, Organization.Kind.OPERATOR]
WRITERS = [Organization.Kind.BUYER, Organization.Kind.MERCHANT]
SCOPES = {"read": "orders:read", "write": "orders:write"}

UNAUTHENTICATED = OpenApiResponse(ErrorSerializer, description="Not signed in.")
FORBIDDEN = OpenApiResponse(
    ErrorSerializer,
    description="Not a buyer or merchant organisation (operators read threads about a claim "
    "or a report), a viewer writing, or an API key without the orders scope.",
)
NOT_FOUND = OpenApiResponse(
    ErrorSerializer, description="No such conversation (or record it is about) for you."
)
INVALID = OpenApiResponse(
    ErrorSerializer,
    description="The request is not valid (`validation_error`, `message_invalid`: no text, "
    "too many or unreadable attachments, two organisations that cannot talk).",
)
THREAD = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The conversation's id."
)


class AttachmentSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name")
    url = serializers.SerializerMethodField()

    class Meta:
        model = MessageAttachment
        fields = ["id", "name", "content_type", "size", "url"]

    def get_url(self, attachment) -> str:
        return reverse(
            "deals:message_attachment", args=[attachment.message.thread_id, attachment.pk]
        )


class MessageSerializer(serializers.ModelSerializer):
    author_organization = serializers.CharField(source="author_organization.name")
    author = serializers.SerializerMethodField()
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Message
        fields = ["id", "author_organization", "author", "body", "created_at", "attachments"]

    def get_author(self, message) -> str:
        return message.author.display_name if message.author else ""


class ThreadSerializer(serializers.ModelSerializer):
    buyer = serializers.CharField(source="buyer.slug")
    merchant = serializers.CharField(source="merchant.slug")
    buyer_name = serializers.CharField(source="buyer.name")
    merchant_name = serializers.CharField(source="merchant.name")
    product = serializers.IntegerField(source="product_id", allow_null=True)
    purchase_order = serializers.SerializerMethodField()
    merchant_order = serializers.SerializerMethodField()
    claim = serializers.SerializerMethodField()
    unread = serializers.SerializerMethodField()

    class Meta:
        model = Thread
        fields = [
            "id",
            "subject",
            "buyer",
            "buyer_name",
            "merchant",
            "merchant_name",
            "product",
            "purchase_order",
            "merchant_order",
            "claim",
            "created_at",
            "last_message_at",
            "unread",
        ]

    def get_purchase_order(self, thread) -> str | None:
        return thread.purchase_order.number if thread.purchase_order_id else None

    def get_merchant_order(self, thread) -> str | None:
        return thread.merchant_order.number if thread.merchant_order_id else None

    def get_claim(self, thread) -> str | None:
        return thread.claim.number if thread.claim_id else None

    def get_unread(self, thread) -> bool:
        return bool(getattr(thread, "unread", False))


class ThreadDetailSerializer(ThreadSerializer):
    messages = serializers.SerializerMethodField()
    other_side_languages = serializers.SerializerMethodField()

    class Meta(ThreadSerializer.Meta):
        fields = [*ThreadSerializer.Meta.fields, "other_side_languages", "messages"]

    def get_messages(self, thread) -> list[dict]:
        rows = selectors.thread_messages(thread, self.context["organization"])
        return MessageSerializer(rows, many=True).data

    def get_other_side_languages(self, thread) -> list[str]:
        organization = self.context["organization"]
        others = [o for o in (thread.buyer, thread.merchant) if o.pk != organization.pk]
        return [name for other in others for name in selectors.languages_read_by(other)]


class MessageCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=services.MAX_BODY)
    attachments = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        max_length=services.MAX_ATTACHMENTS,
        help_text="Up to 5 files (PDF, PNG or JPEG, checked by content), as repeated "
        "`attachments` parts of a multipart body.",
    )


class ThreadCreateSerializer(MessageCreateSerializer):
    subject = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    product = serializers.IntegerField(required=False, help_text="A listed product's id.")
    purchase_order = serializers.CharField(
        required=False, help_text="A purchase order's number (with `merchant`)."
    )
    merchant_order = serializers.CharField(required=False, help_text="A merchant order's number.")
    claim = serializers.CharField(required=False, help_text="A claim's number.")
    quotation_request = serializers.CharField(
        required=False,
        help_text="A request for quotation's number (a buyer names the quoting `merchant`).",
    )
    report = serializers.IntegerField(required=False, help_text="A listing report's id.")
    merchant = serializers.SlugField(
        required=False, help_text="The merchant organisation's slug (buyers)."
    )
    buyer = serializers.SlugField(
        required=False, help_text="The buyer organisation's slug (merchants)."
    )


def _payload(request, serializer_class):
    """The request's fields and its uploaded ``attachments`` (JSON or multipart)."""
    data = form_fields(request, serializer_class=serializer_class, files="attachments")
    payload = serializer_class(data=data)
    payload.is_valid(raise_exception=True)
    return dict(payload.validated_data)


def _about(request, data: dict) -> services.About:
    organization = request.organization
    counterpart = None
    if data.get("merchant"):
        counterpart = found(
            Organization.objects.filter(
                kind=Organization.Kind.MERCHANT, status=Organization.Status.ACTIVE
            ),
            slug=data["merchant"],
        )
    elif data.get("buyer"):
        counterpart = found(
            Organization.objects.filter(kind=Organization.Kind.BUYER), slug=data["buyer"]
        )
    records = {}
    if data.get("product") is not None:
        records["product"] = found(
            Product.objects.public().select_related("organization"), pk=data["product"]
        )
    elif data.get("purchase_order"):
        records["purchase_order"] = access_purchase_order(
            organization=organization, reference=data["purchase_order"]
        )
    elif data.get("merchant_order"):
        records["merchant_order"] = access_merchant_order(
            organization=organization, reference=data["merchant_order"]
        )
    elif data.get("claim"):
        records["claim"] = access_claim(organization=organization, number=data["claim"])
    elif data.get("quotation_request"):
        records["quotation_request"] = selectors.access_quotation_request_for_messages(
            organization=organization, number=data["quotation_request"]
        )
    elif data.get("report") is not None:
        records["report"] = access_listing_report(
            organization=organization, pk=data["report"], user=request.user
        )
    return services.thread_about(organization=organization, counterpart=counterpart, **records)


def _detail(request, pk: int) -> dict:
    thread = selectors.access_thread(organization=request.organization, pk=pk)
    return ThreadDetailSerializer(thread, context={"organization": request.organization}).data


class ThreadListCreateAPI(ToleratesLagMixin, APIView):
    """GET the organisation's conversations, newest first; POST: write to the other side (one
    of ``product``, ``merchant_order``, ``purchase_order`` with ``merchant``, ``claim``,
    ``report``, or ``merchant``/``buyer`` alone). Asking again about the same record continues
    its conversation."""

    organization_kinds = SIDES
    api_scopes = SCOPES
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        operation_id="v1_deals_threads_list",
        summary="Conversations",
        responses={200: ThreadSerializer(many=True), 401: UNAUTHENTICATED, 403: FORBIDDEN},
    )
    def get(self, request):
        threads = selectors.threads_for(organization=request.organization, user=request.user)
        threads = threads.select_related("purchase_order", "merchant_order", "claim")[:200]
        return Response(ThreadSerializer(threads, many=True).data)

    @extend_schema(
        operation_id="v1_deals_threads_create",
        summary="Start a conversation (or continue the one about the same record)",
        request={
            "application/json": ThreadCreateSerializer,
            "multipart/form-data": ThreadCreateSerializer,
        },
        responses={
            201: ThreadDetailSerializer,
            400: INVALID,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def post(self, request):
        if request.organization.kind not in WRITERS:
            raise services.MessagePermissionDenied(
                "Operators write only in conversations about a claim or a report."
            )
        data = _payload(request, ThreadCreateSerializer)
        thread, _message = services.thread_start(
            organization=request.organization,
            about=_about(request, data),
            subject=data.get("subject", ""),
            body=data["body"],
            attachments=data.get("attachments", []),
            acting_user=request.user,
        )
        return Response(_detail(request, thread.pk), status=status.HTTP_201_CREATED)


class ThreadDetailAPI(APIView):
    organization_kinds = SIDES
    api_scopes = SCOPES

    @extend_schema(
        operation_id="v1_deals_threads_retrieve",
        summary="A conversation with its messages",
        parameters=[THREAD],
        responses={
            200: ThreadDetailSerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def get(self, request, pk: int):
        return Response(_detail(request, pk))


class ThreadMessagesAPI(APIView):
    """GET a conversation's messages, oldest first; POST one (JSON, or multipart with
    ``attachments``)."""

    organization_kinds = SIDES
    api_scopes = SCOPES
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        operation_id="v1_deals_threads_messages_list",
        summary="A conversation's messages",
        parameters=[THREAD],
        responses={
            200: MessageSerializer(many=True),
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def get(self, request, pk: int):
        thread = selectors.access_thread(organization=request.organization, pk=pk)
        rows = selectors.thread_messages(thread, request.organization)
        return Response(MessageSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="v1_deals_threads_messages_create",
        summary="Write in a conversation",
        parameters=[THREAD],
        request={
            "application/json": MessageCreateSerializer,
            "multipart/form-data": MessageCreateSerializer,
        },
        responses={
            201: MessageSerializer,
            400: INVALID,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def post(self, request, pk: int):
        thread = selectors.access_thread(organization=request.organization, pk=pk)
        data = _payload(request, MessageCreateSerializer)
        message = services.message_post(
            thread=thread,
            organization=request.organization,
            body=data["body"],
            attachments=data.get("attachments", []),
            acting_user=request.user,
        )
        row = selectors.thread_messages(thread, request.organization).get(pk=message.pk)
        return Response(MessageSerializer(row).data, status=status.HTTP_201_CREATED)
