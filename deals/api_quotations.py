"""API of requests for quotation and quotations under /api/v1/deals/: the buyer opens requests
(JSON, or multipart with files), reads the quotations on them, accepts one (its lines go to
the cart at the quoted prices) or closes the request; a merchant lists the requests open to it,
quotes and withdraws. Writes accept an ``Idempotency-Key``. API keys need the orders scopes."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Category, Product
from deals import selectors_quotations as selectors
from deals.errors_quotations import QuotationRequestInvalid
from deals.models import (
    Quotation,
    QuotationLine,
    QuotationRequest,
    QuotationRequestStatus,
    QuotationStatus,
)
from deals.services import quotations as services
from merchants.api import ErrorSerializer
from network.api import form_fields, inline_choice_field
from network.api_query import validated_query
from network.db_router import ToleratesLagMixin
from network.models import Organization, Role
from orders.models import Incoterm
from shipping.models import Port

BUYER = [Organization.Kind.BUYER]
MERCHANT = [Organization.Kind.MERCHANT]
EVERYONE = [*BUYER, *MERCHANT, Organization.Kind.OPERATOR]
SCOPES = {"read": "orders:read", "write": "orders:write"}

UNAUTHENTICATED = OpenApiResponse(ErrorSerializer, description="Not signed in.")
FORBIDDEN = OpenApiResponse(
    ErrorSerializer,
    description="Not the right kind of organisation (buyers ask and accept, merchants quote), "
    "a role too low, or an API key without the orders scope.",
)
NOT_FOUND = OpenApiResponse(
    ErrorSerializer, description="No request or quotation with this number for you."
)
INVALID = OpenApiResponse(
    ErrorSerializer,
    description="The request is not valid (`validation_error`, `quotation_request_invalid`, "
    "`quotation_invalid`, `quotation_exists`).",
)
CONFLICT = OpenApiResponse(
    ErrorSerializer,
    description="The status does not allow this (`illegal_transition`, "
    "`quotation_request_not_open`), the quotation has expired (`quotation_expired`), or a "
    "quoted SKU is no longer on sale (`product_unavailable`).",
)
NUMBER = OpenApiParameter(
    "number", OpenApiTypes.STR, OpenApiParameter.PATH, description="The request's number."
)
QUOTATION_NUMBER = OpenApiParameter(
    "number", OpenApiTypes.STR, OpenApiParameter.PATH, description="The quotation's number."
)


class StatusQuery(serializers.Serializer):
    status = serializers.CharField(required=False, help_text="One status, or all.")


class QuotationRequestFileSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="original_name")
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    url = serializers.SerializerMethodField()

    def get_url(self, upload) -> str:
        return reverse("deals:quotation_request_file", args=[upload.request.number, upload.pk])


class QuotationRequestSerializer(serializers.ModelSerializer):
    buyer = serializers.CharField(source="buyer.name")
    product = serializers.IntegerField(source="product_id", allow_null=True)
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    destination_port = serializers.SlugRelatedField(slug_field="un_locode", read_only=True)
    incoterm = inline_choice_field(Incoterm.choices, read_only=True)
    status = inline_choice_field(QuotationRequestStatus.choices, read_only=True)
    files = serializers.SerializerMethodField()

    class Meta:
        model = QuotationRequest
        fields = [
            "number",
            "buyer",
            "title",
            "description",
            "product",
            "category",
            "quantity",
            "target_unit_price_usd",
            "destination_port",
            "incoterm",
            "needed_by",
            "status",
            "created_at",
            "closed_at",
            "files",
        ]

    def get_files(self, rfq) -> list[dict]:
        files = self.context.get("files", {}).get(rfq.pk, [])
        return QuotationRequestFileSerializer(files, many=True).data


class QuotationRequestCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    product = serializers.IntegerField(
        required=False, allow_null=True, help_text="A product's id (one on sale)."
    )
    category = serializers.SlugField(
        required=False, allow_blank=True, help_text="A category's slug."
    )
    quantity = serializers.IntegerField(min_value=1)
    target_unit_price_usd = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, allow_null=True
    )
    destination_port = serializers.CharField(
        max_length=5, required=False, allow_blank=True, help_text="A UN/LOCODE."
    )
    incoterm = serializers.ChoiceField(choices=Incoterm.choices, default=Incoterm.FOB)
    needed_by = serializers.DateField(required=False, allow_null=True)
    files = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        max_length=5,
        help_text="Up to 5 PDF, PNG or JPEG files, as repeated `files` parts (multipart).",
    )


class QuotationTierSerializer(serializers.Serializer):
    min_quantity = serializers.IntegerField(min_value=1)
    unit_price_usd = serializers.DecimalField(max_digits=12, decimal_places=2)


class QuotationLineSerializer(serializers.ModelSerializer):
    sku = serializers.IntegerField(source="sku_id")
    sku_code = serializers.CharField(source="sku.code")
    tiers = QuotationTierSerializer(many=True)

    class Meta:
        model = QuotationLine
        fields = ["sku", "sku_code", "quantity", "tiers"]


class QuotationSerializer(serializers.ModelSerializer):
    request = serializers.CharField(source="request.number")
    buyer = serializers.CharField(source="buyer.name")
    merchant = serializers.CharField(source="merchant.name")
    status = inline_choice_field(QuotationStatus.choices, read_only=True)
    lines = QuotationLineSerializer(many=True)
    expired = serializers.SerializerMethodField()

    class Meta:
        model = Quotation
        fields = [
            "number",
            "request",
            "buyer",
            "merchant",
            "status",
            "moq",
            "lead_time_days",
            "valid_until",
            "expired",
            "note",
            "lines",
            "created_at",
            "accepted_at",
        ]

    def get_expired(self, quotation) -> bool:
        return selectors.quotation_expired(quotation)


class QuotedLineSerializer(serializers.Serializer):
    sku = serializers.IntegerField(help_text="The id of one of your SKUs on sale.")
    quantity = serializers.IntegerField(min_value=1, help_text="Goes to the cart on acceptance.")
    tiers = QuotationTierSerializer(many=True, min_length=1, max_length=5)


class QuotationCreateSerializer(serializers.Serializer):
    lines = QuotedLineSerializer(many=True, min_length=1, max_length=20)
    moq = serializers.IntegerField(min_value=1)
    lead_time_days = serializers.IntegerField(min_value=0, max_value=365)
    valid_until = serializers.DateField()
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


def _request_data(rfq: QuotationRequest) -> dict:
    files = {rfq.pk: selectors.quotation_request_files(rfq)}
    return QuotationRequestSerializer(rfq, context={"files": files}).data


class QuotationRequestListCreateAPI(ToleratesLagMixin, APIView):
    """GET the buyer's requests, the requests open to a merchant, or all (operators); POST
    (buyers): ask for quotations."""

    organization_kinds = EVERYONE
    api_scopes = SCOPES
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_permissions(self):
        if self.request.method == "POST":
            self.organization_kinds = BUYER
            self.required_role = Role.BUYER
        return super().get_permissions()

    @extend_schema(
        operation_id="v1_deals_quotation_requests_list",
        summary="Requests for quotation",
        parameters=[StatusQuery],
        responses={
            200: QuotationRequestSerializer(many=True),
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
        },
    )
    def get(self, request):
        params = validated_query(StatusQuery, request)
        rfqs = list(
            selectors.quotation_requests_visible(
                organization=request.organization, status=params.get("status", "")
            )[:200]
        )
        files: dict[int, list] = {rfq.pk: [] for rfq in rfqs}
        for upload in selectors.files_of_requests(rfqs):
            files[upload.request_id].append(upload)
        return Response(QuotationRequestSerializer(rfqs, many=True, context={"files": files}).data)

    @extend_schema(
        operation_id="v1_deals_quotation_requests_create",
        summary="Ask for quotations",
        request={
            "application/json": QuotationRequestCreateSerializer,
            "multipart/form-data": QuotationRequestCreateSerializer,
        },
        responses={
            201: QuotationRequestSerializer,
            400: INVALID,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
        },
    )
    def post(self, request):
        data = form_fields(
            request, serializer_class=QuotationRequestCreateSerializer, files="files"
        )
        payload = QuotationRequestCreateSerializer(data=data)
        payload.is_valid(raise_exception=True)
        values = dict(payload.validated_data)
        product = None
        if values.get("product"):
            product = Product.objects.public().filter(pk=values["product"]).first()
            if product is None:
                raise QuotationRequestInvalid("No product on sale with this id.", field="product")
        category = None
        if values.get("category"):
            category = Category.objects.filter(slug=values["category"]).first()
            if category is None:
                raise QuotationRequestInvalid("No category with this slug.", field="category")
        port = None
        if values.get("destination_port"):
            port = Port.objects.filter(un_locode=values["destination_port"].upper()).first()
            if port is None:
                raise QuotationRequestInvalid(
                    "No port with this UN/LOCODE.", field="destination_port"
                )
        rfq = services.quotation_request_create(
            organization=request.organization,
            title=values["title"],
            description=values.get("description", ""),
            product=product,
            category=category,
            quantity=values["quantity"],
            target_unit_price_usd=values.get("target_unit_price_usd"),
            destination_port=port,
            incoterm=values["incoterm"],
            needed_by=values.get("needed_by"),
            files=values.get("files", []),
            acting_user=request.user,
        )
        rfq = selectors.access_quotation_request(
            organization=request.organization, number=rfq.number
        )
        return Response(_request_data(rfq), status=status.HTTP_201_CREATED)


class QuotationRequestDetailAPI(APIView):
    organization_kinds = EVERYONE
    api_scopes = SCOPES

    @extend_schema(
        operation_id="v1_deals_quotation_requests_retrieve",
        summary="A request for quotation",
        parameters=[NUMBER],
        responses={
            200: QuotationRequestSerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def get(self, request, number: str):
        rfq = selectors.access_quotation_request(organization=request.organization, number=number)
        return Response(_request_data(rfq))


class QuotationRequestCloseAPI(APIView):
    """POST (the buyer): close an open request; its standing quotations are set aside."""

    organization_kinds = BUYER
    required_role = Role.BUYER
    api_scopes = SCOPES
    parser_classes = [JSONParser, FormParser]

    @extend_schema(
        operation_id="v1_deals_quotation_requests_close",
        summary="Close a request for quotation",
        parameters=[NUMBER],
        request=None,
        responses={
            200: QuotationRequestSerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    def post(self, request, number: str):
        rfq = selectors.access_quotation_request(organization=request.organization, number=number)
        services.quotation_request_close(rfq=rfq, acting_user=request.user)
        rfq = selectors.access_quotation_request(organization=request.organization, number=number)
        return Response(_request_data(rfq))


def _quotation_data(request, number: str) -> dict:
    quotation = selectors.access_quotation(organization=request.organization, number=number)
    return QuotationSerializer(quotation).data


class RequestQuotationsAPI(APIView):
    """GET the quotations on a request (the buyer: all of them; a merchant: its own); POST (a
    merchant the request is open to): send a quotation."""

    organization_kinds = EVERYONE
    api_scopes = SCOPES
    parser_classes = [JSONParser]

    def get_permissions(self):
        if self.request.method == "POST":
            self.organization_kinds = MERCHANT
            self.required_role = Role.STAFF
        return super().get_permissions()

    @extend_schema(
        operation_id="v1_deals_quotation_requests_quotations_list",
        summary="Quotations on a request",
        parameters=[NUMBER],
        responses={
            200: QuotationSerializer(many=True),
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def get(self, request, number: str):
        rfq = selectors.access_quotation_request(organization=request.organization, number=number)
        quotations = selectors.quotations_of_request(organization=request.organization, rfq=rfq)
        return Response(QuotationSerializer(quotations, many=True).data)

    @extend_schema(
        operation_id="v1_deals_quotation_requests_quotations_create",
        summary="Send a quotation",
        parameters=[NUMBER],
        request=QuotationCreateSerializer,
        responses={
            201: QuotationSerializer,
            400: INVALID,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    def post(self, request, number: str):
        rfq = selectors.access_quotation_request(organization=request.organization, number=number)
        payload = QuotationCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        quotation = services.quotation_submit(
            rfq=rfq,
            merchant=request.organization,
            lines=[
                services.QuotedLine(
                    sku_id=line["sku"],
                    quantity=line["quantity"],
                    tiers=[(t["min_quantity"], t["unit_price_usd"]) for t in line["tiers"]],
                )
                for line in data["lines"]
            ],
            moq=data["moq"],
            lead_time_days=data["lead_time_days"],
            valid_until=data["valid_until"],
            note=data["note"],
            acting_user=request.user,
        )
        return Response(_quotation_data(request, quotation.number), status=status.HTTP_201_CREATED)


class QuotationListAPI(ToleratesLagMixin, APIView):
    """GET the quotations a merchant sent or a buyer received, newest first."""

    organization_kinds = EVERYONE
    api_scopes = SCOPES

    @extend_schema(
        operation_id="v1_deals_quotations_list",
        summary="Quotations",
        parameters=[StatusQuery],
        responses={200: QuotationSerializer(many=True), 401: UNAUTHENTICATED, 403: FORBIDDEN},
    )
    def get(self, request):
        params = validated_query(StatusQuery, request)
        quotations = selectors.quotations_visible(
            organization=request.organization, status=params.get("status", "")
        )[:200]
        return Response(QuotationSerializer(quotations, many=True).data)


class QuotationDetailAPI(APIView):
    organization_kinds = EVERYONE
    api_scopes = SCOPES

    @extend_schema(
        operation_id="v1_deals_quotations_retrieve",
        summary="A quotation",
        parameters=[QUOTATION_NUMBER],
        responses={200: QuotationSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def get(self, request, number: str):
        return Response(_quotation_data(request, number))


def _step_schema(operation_id: str, summary: str):
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        parameters=[QUOTATION_NUMBER],
        request=None,
        responses={
            200: QuotationSerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )


class _QuotationStepAPI(APIView):
    """One step of a quotation's life taken by one side: ``step`` is its service."""

    api_scopes = SCOPES
    parser_classes = [JSONParser, FormParser]
    step = staticmethod(services.quotation_accept)

    def take(self, request, number: str) -> Response:
        quotation = selectors.access_quotation(organization=request.organization, number=number)
        self.step(quotation=quotation, acting_user=request.user)
        return Response(_quotation_data(request, number))


class QuotationAcceptAPI(_QuotationStepAPI):
    """POST (the buyer): accept a standing quotation; its lines go to the cart at its prices
    until the end of its last day, the other quotations are set aside."""

    organization_kinds = BUYER
    required_role = Role.BUYER
    step = staticmethod(services.quotation_accept)

    @_step_schema("v1_deals_quotations_accept", "Accept a quotation")
    def post(self, request, number: str):
        return self.take(request, number)


class QuotationWithdrawAPI(_QuotationStepAPI):
    """POST (the merchant): withdraw a quotation that still stands."""

    organization_kinds = MERCHANT
    required_role = Role.STAFF
    step = staticmethod(services.quotation_withdraw)

    @_step_schema("v1_deals_quotations_withdraw", "Withdraw a quotation")
    def post(self, request, number: str):
        return self.take(request, number)
