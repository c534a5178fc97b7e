"""API of claims under /api/v1/payments/claims/: the buyer opens a claim on a merchant order
(multipart, with photos) and answers the merchant's offer or withdraws; the merchant accepts,
offers a partial refund or disputes; operators decide. Writes accept an ``Idempotency-Key``.
API keys need the orders scopes (``orders:read``, ``orders:write``)."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from merchants.api import ErrorSerializer
from network.api import inline_choice_field
from network.api_query import validated_query
from network.models import Organization, Role
from payments import selectors_claims as selectors
from payments.errors import PaymentPermissionDenied
from payments.models import Claim, ClaimPhoto, ClaimReason, ClaimStatus
from payments.services import claims as services

PARTIES = [Organization.Kind.BUYER, Organization.Kind.MERCHANT]
OPERATOR = [Organization.Kind.OPERATOR]
SCOPES = {"read": "orders:read", "write": "orders:write"}

UNAUTHENTICATED = OpenApiResponse(ErrorSerializer, description="Not signed in.")
FORBIDDEN = OpenApiResponse(
    ErrorSerializer,
    description="Not a party to claims (a buyer or merchant organisation; operators to "
    "decide), a role too low, or an API key without the orders scope.",
)
NOT_FOUND = OpenApiResponse(
    ErrorSerializer, description="No claim (or merchant order) with this number for you."
)
INVALID = OpenApiResponse(
    ErrorSerializer,
    description="The request is not valid (`validation_error`, `claim_invalid`: an amount "
    "above what escrow holds, the claim window closed, bad photos, …).",
)
ILLEGAL = OpenApiResponse(
    ErrorSerializer,
    description="The claim's status does not allow this, or its deadline passed "
    "(`illegal_transition`).",
)
NUMBER = OpenApiParameter(
    "number", OpenApiTypes.STR, OpenApiParameter.PATH, description="The claim's number."
)


class ClaimQuery(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=["open", *ClaimStatus.values],
        required=False,
        help_text="`open` for the open claims, or one status.",
    )


class ClaimPhotoSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = ClaimPhoto
        fields = ["id", "content_type", "url"]

    def get_url(self, photo) -> str:
        return reverse("payments:claim_photo", args=[photo.claim.number, photo.pk])


class ClaimSerializer(serializers.ModelSerializer):
    merchant_order = serializers.CharField(source="merchant_order.number")
    purchase_order = serializers.CharField(source="merchant_order.purchase_order.number")
    buyer = serializers.CharField(source="organization.name")
    merchant = serializers.CharField(source="merchant.name")
    reason = inline_choice_field(ClaimReason.choices, read_only=True)
    status = inline_choice_field(ClaimStatus.choices, read_only=True)
    refund_method = inline_choice_field(Claim.RefundMethod.choices, read_only=True)
    photos = serializers.SerializerMethodField()

    class Meta:
        model = Claim
        fields = [
            "number",
            "merchant_order",
            "purchase_order",
            "buyer",
            "merchant",
            "reason",
            "description",
            "amount_usd",
            "status",
            "respond_by",
            "merchant_response",
            "offer_usd",
            "refund_method",
            "refund_usd",
            "decision_note",
            "opened_at",
            "escalated_at",
            "closed_at",
            "photos",
        ]

    @extend_schema_field(ClaimPhotoSerializer(many=True))
    def get_photos(self, claim) -> list[dict]:
        return ClaimPhotoSerializer(claim.photos.all(), many=True).data


class ClaimCreateSerializer(serializers.Serializer):
    merchant_order = serializers.CharField(help_text="The merchant order's number.")
    reason = serializers.ChoiceField(choices=ClaimReason.choices)
    description = serializers.CharField(max_length=2000)
    amount_usd = serializers.DecimalField(max_digits=14, decimal_places=2)
    refund_method = serializers.ChoiceField(
        choices=Claim.RefundMethod.choices, default=Claim.RefundMethod.CREDIT
    )
    refund_account_name = serializers.CharField(max_length=140, required=False, default="")
    refund_account_number = serializers.CharField(max_length=40, required=False, default="")
    refund_bank_bic = serializers.CharField(max_length=14, required=False, default="")
    photos = serializers.ListField(
        child=serializers.FileField(),
        min_length=1,
        max_length=6,
        help_text="1 to 6 photos (JPEG, PNG or WebP, at most 8 MB each), as repeated "
        "`photos` parts of a multipart body.",
    )


class ClaimRespondSerializer(serializers.Serializer):
    action = serializers.ChoiceField(
        choices=[*services.MERCHANT_ACTIONS, *services.BUYER_ACTIONS],
        help_text="The merchant: `accept`, `offer` (with `offer_usd`) or `dispute` (with "
        "`text`). The buyer: `accept_offer`, `reject_offer` or `withdraw`.",
    )
    offer_usd = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True
    )
    text = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ClaimDecideSerializer(serializers.Serializer):
    refund_usd = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text="The refund, at most what escrow holds; empty or 0 rejects the claim.",
    )
    refund_method = serializers.ChoiceField(
        choices=Claim.RefundMethod.choices, required=False, allow_blank=True, default=""
    )
    note = serializers.CharField(max_length=2000, help_text="The reasons, for both parties.")


def _claim(request, number: str) -> Claim:
    return selectors.access_claim(organization=request.organization, number=number)


class ClaimListCreateAPI(APIView):
    """GET the organisation's claims (operators: every claim); POST (buyers, multipart): open a
    claim on a merchant order."""

    organization_kinds = [*PARTIES, *OPERATOR]
    api_scopes = SCOPES
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="v1_payments_claims_list",
        summary="Claims",
        parameters=[ClaimQuery],
        responses={200: ClaimSerializer(many=True), 401: UNAUTHENTICATED, 403: FORBIDDEN},
    )
    def get(self, request):
        params = validated_query(ClaimQuery, request)
        claims = selectors.claims_visible(
            organization=request.organization, status=params.get("status", "")
        ).prefetch_related("photos")[:200]
        return Response(ClaimSerializer(claims, many=True).data)

    @extend_schema(
        operation_id="v1_payments_claims_create",
        summary="Open a claim on a merchant order, with photos",
        request={"multipart/form-data": ClaimCreateSerializer},
        responses={
            201: ClaimSerializer,
            400: INVALID,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def post(self, request):
        if request.organization.kind != Organization.Kind.BUYER:
            raise PaymentPermissionDenied("Only the buyer opens claims.")
        payload = ClaimCreateSerializer(
            data={
                **{key: request.data.get(key) for key in request.data if key != "photos"},
                "photos": request.FILES.getlist("photos"),
            }
        )
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        merchant_order = selectors.access_merchant_order(
            organization=request.organization, number=data.pop("merchant_order")
        )
        claim = services.claim_open(merchant_order=merchant_order, acting_user=request.user, **data)
        claim = _claim(request, claim.number)
        return Response(ClaimSerializer(claim).data, status=status.HTTP_201_CREATED)


class ClaimDetailAPI(APIView):
    organization_kinds = [*PARTIES, *OPERATOR]
    api_scopes = SCOPES

    @extend_schema(
        operation_id="v1_payments_claims_retrieve",
        summary="A claim",
        parameters=[NUMBER],
        responses={200: ClaimSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def get(self, request, number: str):
        return Response(ClaimSerializer(_claim(request, number)).data)


class ClaimRespondAPI(APIView):
    """POST the merchant's answer (accept, offer, dispute) or the buyer's (accept or reject
    the offer, withdraw)."""

    organization_kinds = PARTIES
    required_role = Role.STAFF
    api_scopes = SCOPES
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        operation_id="v1_payments_claims_respond",
        summary="Answer a claim",
        parameters=[NUMBER],
        request=ClaimRespondSerializer,
        responses={
            200: ClaimSerializer,
            400: INVALID,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: ILLEGAL,
        },
    )
    def post(self, request, number: str):
        claim = _claim(request, number)
        payload = ClaimRespondSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        if data["action"] in services.MERCHANT_ACTIONS:
            services.claim_respond(
                claim=claim,
                action=data["action"],
                offer_usd=data.get("offer_usd"),
                text=data.get("text", ""),
                acting_user=request.user,
            )
        else:
            services.claim_buyer_answer(
                claim=claim, action=data["action"], acting_user=request.user
            )
        return Response(ClaimSerializer(_claim(request, number)).data)


class ClaimDecideAPI(APIView):
    """POST (operators): refund (as credit or by transfer) or reject a claim with them."""

    organization_kinds = OPERATOR
    required_role = Role.STAFF
    api_scopes = SCOPES
    parser_classes = [JSONParser, FormParser]

    @extend_schema(
        operation_id="v1_payments_claims_decide",
        summary="Decide a claim",
        parameters=[NUMBER],
        request=ClaimDecideSerializer,
        responses={
            200: ClaimSerializer,
            400: INVALID,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: ILLEGAL,
        },
    )
    def post(self, request, number: str):
        claim = _claim(request, number)
        payload = ClaimDecideSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        services.claim_decide(
            claim=claim,
            refund_usd=data.get("refund_usd"),
            refund_method=data.get("refund_method", ""),
            note=data["note"],
            acting_user=request.user,
        )
        return Response(ClaimSerializer(_claim(request, number)).data)
