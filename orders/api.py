"""API of wholesale ordering under /api/v1/orders/: buyers place and follow purchase orders
(``POST`` accepts an ``Idempotency-Key``), merchants read and work their merchant orders."""

from __future__ import annotations

from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import SKU
from merchants.api import ErrorSerializer
from network.api import (
    StaticModelSerializer,
    StaticSerializer,
    form_fields,
    inline_choice_field,
)
from network.api_query import validated_query
from network.db_router import ToleratesLagMixin
from network.fields import IntegerSerializerField
from network.models import Organization, Role
from orders import selectors, services
from orders.errors import OrderPermissionDenied
from orders.models import (
    DeliveryType,
    Incoterm,
    MerchantOrder,
    MerchantOrderStatus,
    PaymentTerms,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    ReceiptProblem,
    ReceiptProblemPhoto,
)

BUYER = [Organization.Kind.BUYER]
MERCHANT = [Organization.Kind.MERCHANT]
SCOPES = {"read": "orders:read", "write": "orders:write"}

UNAUTHENTICATED = OpenApiResponse(ErrorSerializer, description="Not signed in.")
FORBIDDEN = OpenApiResponse(
    ErrorSerializer,
    description="Not a member of a buyer (purchase orders) or merchant (merchant orders) "
    "organisation, a role too low for a change, or an API key without the orders scope.",
)
INVALID = OpenApiResponse(
    ErrorSerializer, description="The request is not valid (`validation_error`)."
)
ILLEGAL_TRANSITION = OpenApiResponse(
    ErrorSerializer,
    description="The order's state does not allow this (`illegal_transition`).",
)
PURCHASE_ORDER_NOT_FOUND = OpenApiResponse(
    ErrorSerializer, description="No purchase order with this number in the organisation."
)
MERCHANT_ORDER_NOT_FOUND = OpenApiResponse(
    ErrorSerializer, description="No merchant order with this number in the organisation."
)
NUMBER = OpenApiParameter(
    "number", OpenApiTypes.STR, OpenApiParameter.PATH, description="The order's number."
)


class LineSerializer(StaticModelSerializer):
    sku = serializers.CharField(source="sku_code")
    sku_id = serializers.IntegerField(allow_null=True)

    class Meta:
        model = PurchaseOrderLine
        fields = [
            "id",
            "sku",
            "sku_id",
            "product_title",
            "variant",
            "case_pack",
            "quantity",
            "unit_price_usd",
            "line_total_usd",
            "is_sample",
            "price_source",
            "price_reference",
            "status",
        ]


class MerchantOrderSummarySerializer(StaticModelSerializer):
    merchant = serializers.CharField(source="organization.name")

    class Meta:
        model = MerchantOrder
        fields = [
            "number",
            "merchant",
            "status",
            "subtotal_usd",
            "accept_by",
            "carrier_name",
            "booking_reference",
            "tracking_number",
            "status_reason",
            "accepted_at",
            "shipped_at",
            "delivered_at",
            "closed_at",
        ]


PO_FIELDS = [
    "number",
    "buyer_reference",
    "status",
    "delivery_type",
    "delivery_location",
    "incoterm",
    "payment_terms",
    "notes",
    "travel_together",
    "total_usd",
    "savings_usd",
    "currency",
    "usd_cny_rate",
    "total_cny",
    "landed_cost_cny",
    "placed_at",
]


class PurchaseOrderSerializer(StaticModelSerializer):
    status = inline_choice_field(PurchaseOrderStatus.choices, read_only=True)
    currency = serializers.SerializerMethodField()
    total_cny = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        help_text="The total in CNY at `usd_cny_rate`, the operators' rate when it was placed.",
    )
    merchant_orders = MerchantOrderSummarySerializer(many=True)

    class Meta:
        model = PurchaseOrder
        fields = [*PO_FIELDS, "merchant_orders"]

    def get_currency(self, purchase_order) -> str:
        return "USD"


class PurchaseOrderDetailSerializer(PurchaseOrderSerializer):
    lines = serializers.SerializerMethodField()

    class Meta(PurchaseOrderSerializer.Meta):
        fields = [*PurchaseOrderSerializer.Meta.fields, "lines"]

    @extend_schema_field(LineSerializer(many=True))
    def get_lines(self, purchase_order) -> list[dict]:
        placed = getattr(purchase_order, "_prefetched_objects_cache", {}).get("lines")
        lines = (
            placed
            if placed is not None
            else PurchaseOrderLine.objects.visible_to(purchase_order.organization)
            .filter(purchase_order=purchase_order)
            .order_by("pk")
        )
        return LineSerializer(lines, many=True).data


class ItemSerializer(StaticSerializer):
    sku_id = IntegerSerializerField(min_value=1, column=SKU._meta.pk)
    quantity = IntegerSerializerField(min_value=1, max_value=10_000_000)
    sample = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Sample units at the SKU's sample price, outside its MOQ and case pack, "
        "within its limit per buyer.",
    )


class PurchaseOrderCreateSerializer(StaticSerializer):
    lines = ItemSerializer(many=True, min_length=1, max_length=500)
    delivery_type = serializers.ChoiceField(
        choices=DeliveryType.choices, default=DeliveryType.WAREHOUSE
    )
    delivery_location = serializers.CharField(max_length=200)
    incoterm = serializers.ChoiceField(choices=Incoterm.choices, default=Incoterm.FOB)
    payment_terms = serializers.ChoiceField(
        choices=PaymentTerms.choices, default=PaymentTerms.PREPAID
    )
    buyer_reference = serializers.CharField(
        max_length=35, required=False, default="", allow_blank=True
    )
    notes = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True)
    travel_together = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Put every merchant's goods of this order in the same shared container while "
        "it has room, so they arrive together.",
    )


class PurchaseOrderQuery(serializers.Serializer):
    status = inline_choice_field(PurchaseOrderStatus.choices, required=False)


class PurchaseOrderListCreateAPI(ListAPIView):
    """GET the buyer's purchase orders (newest first, cursor pages; ``?status=``); POST places
    one: ``{"lines": [{"sku_id": 12, "quantity": 48}], "delivery_location": "…", "incoterm":
    "FOB", "payment_terms": "net30"}``. Send an ``Idempotency-Key`` to retry safely."""

    organization_kinds = BUYER
    api_scopes = SCOPES
    serializer_class = PurchaseOrderSerializer
    cursor_ordering = ("-placed_at", "-pk")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema is being generated
            return PurchaseOrder.objects.none()
        params = validated_query(PurchaseOrderQuery, self.request)
        return selectors.purchase_orders_for_buyer(
            organization=self.request.organization, status=params.get("status", "")
        )

    @extend_schema(
        operation_id="v1_orders_purchase_orders_list",
        summary="The buyer's purchase orders",
        parameters=[PurchaseOrderQuery],
        responses={
            200: PurchaseOrderSerializer(many=True),
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="v1_orders_purchase_orders_create",
        summary="Place a purchase order",
        request=PurchaseOrderCreateSerializer,
        responses={
            200: OpenApiResponse(
                PurchaseOrderDetailSerializer, description="Replayed: placed before."
            ),
            201: OpenApiResponse(PurchaseOrderDetailSerializer, description="Placed."),
            400: OpenApiResponse(
                ErrorSerializer,
                description="The request is not valid (`validation_error`), a quantity "
                "breaks the MOQ or case pack (`quantity_not_allowed`, `minimum_order_not_met`), "
                "or samples beyond the SKU's limit per buyer (`sample_limit_reached`).",
            ),
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            409: OpenApiResponse(
                ErrorSerializer,
                description="Not enough stock (`insufficient_stock`), a SKU id that is not on "
                "offer, whether unpublished or unknown, answered alike (`product_unavailable`), "
                "or a sample of a SKU that offers none (`sample_not_offered`).",
            ),
        },
    )
    def post(self, request):
        payload = PurchaseOrderCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        key = request.headers.get("Idempotency-Key", "").strip()
        purchase_order = services.purchase_order_place(
            organization=request.organization,
            items=[
                services.OrderItem(
                    sku_id=item["sku_id"], quantity=item["quantity"], is_sample=item["sample"]
                )
                for item in data["lines"]
            ],
            checkout=services.Checkout(
                delivery_type=data["delivery_type"],
                delivery_location=data["delivery_location"],
                incoterm=data["incoterm"],
                payment_terms=data["payment_terms"],
                buyer_reference=data["buyer_reference"],
                notes=data["notes"],
                travel_together=data["travel_together"],
            ),
            idempotency_key=f"api:{key}" if key else "",
            acting_user=request.user,
            membership=request.membership,
            answer_with=_placed_answer,
        )
        if getattr(purchase_order, "replayed", False):
            replayed = selectors.purchase_orders_for_buyer(organization=request.organization).get(
                pk=purchase_order.pk
            )
            return Response(PurchaseOrderDetailSerializer(replayed).data, status=status.HTTP_200_OK)
        return Response(purchase_order.answer, status=status.HTTP_201_CREATED)


def _placed_answer(purchase_order: PurchaseOrder) -> dict:
    """A new order as placed, from what placing it wrote (its lines came back with it): made
    before its stock rows are locked. Its merchant orders come with the fan-out, after commit."""
    purchase_order._prefetched_objects_cache["merchant_orders"] = []
    return PurchaseOrderDetailSerializer(purchase_order).data


class PurchaseOrderDetailAPI(APIView):
    """GET one of the buyer's purchase orders with its lines and merchant orders."""

    organization_kinds = BUYER
    api_scopes = SCOPES

    @extend_schema(
        operation_id="v1_orders_purchase_orders_retrieve",
        summary="One purchase order with its lines",
        parameters=[NUMBER],
        responses={
            200: PurchaseOrderDetailSerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: PURCHASE_ORDER_NOT_FOUND,
        },
    )
    def get(self, request, number: str):
        purchase_order = selectors.access_purchase_order(
            organization=request.organization, reference=number
        )
        fresh = selectors.purchase_orders_for_buyer(organization=request.organization).get(
            pk=purchase_order.pk
        )
        return Response(PurchaseOrderDetailSerializer(fresh).data)


class CancelReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)


class PurchaseOrderCancelAPI(APIView):
    """POST ``{"reason": "…"}``: withdraw a purchase order no merchant has accepted yet."""

    organization_kinds = BUYER
    required_role = Role.BUYER
    api_scopes = SCOPES

    @extend_schema(
        operation_id="v1_orders_purchase_orders_cancel",
        summary="Withdraw a purchase order",
        parameters=[NUMBER],
        request=CancelReasonSerializer,
        responses={
            200: PurchaseOrderDetailSerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: PURCHASE_ORDER_NOT_FOUND,
            409: ILLEGAL_TRANSITION,
        },
    )
    def post(self, request, number: str):
        purchase_order = selectors.access_purchase_order(
            organization=request.organization, reference=number
        )
        payload = CancelReasonSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.purchase_order_cancel(
            purchase_order=purchase_order,
            reason=payload.validated_data.get("reason", ""),
            acting_user=request.user,
        )
        fresh = selectors.purchase_orders_for_buyer(organization=request.organization).get(
            pk=purchase_order.pk
        )
        return Response(PurchaseOrderDetailSerializer(fresh).data)


# --- Merchants ---------------------------------------------------------------------------------


class MerchantOrderSerializer(serializers.ModelSerializer):
    buyer = serializers.CharField(source="buyer.name")
    purchase_order = serializers.CharField(source="purchase_order.number")
    buyer_reference = serializers.CharField(source="purchase_order.buyer_reference")
    incoterm = serializers.CharField(source="purchase_order.incoterm")
    delivery_location = serializers.CharField(source="purchase_order.delivery_location")
    payment_terms = serializers.CharField(source="purchase_order.payment_terms")
    currency = serializers.SerializerMethodField()

    class Meta:
        model = MerchantOrder
        fields = [
            "number",
            "purchase_order",
            "buyer",
            "buyer_reference",
            "status",
            "subtotal_usd",
            "currency",
            "incoterm",
            "delivery_location",
            "payment_terms",
            "accept_by",
            "carrier_name",
            "booking_reference",
            "tracking_number",
            "status_reason",
            "created_at",
            "accepted_at",
            "packed_at",
            "shipped_at",
            "delivered_at",
        ]

    def get_currency(self, merchant_order) -> str:
        return "USD"


class MerchantOrderDetailSerializer(MerchantOrderSerializer):
    lines = serializers.SerializerMethodField()

    class Meta(MerchantOrderSerializer.Meta):
        fields = [*MerchantOrderSerializer.Meta.fields, "lines"]

    @extend_schema_field(LineSerializer(many=True))
    def get_lines(self, merchant_order) -> list[dict]:
        return LineSerializer(selectors.merchant_order_lines(merchant_order), many=True).data


class MerchantOrderQuery(serializers.Serializer):
    status = inline_choice_field(MerchantOrderStatus.choices, required=False)


class MerchantOrderListAPI(ListAPIView):
    """GET the merchant's orders (newest first, cursor pages; ``?status=pending``)."""

    organization_kinds = MERCHANT
    api_scopes = SCOPES
    serializer_class = MerchantOrderSerializer
    cursor_ordering = ("-created_at", "-pk")

    @extend_schema(
        operation_id="v1_orders_merchant_orders_list",
        summary="The merchant's orders",
        parameters=[MerchantOrderQuery],
        responses={
            200: MerchantOrderSerializer(many=True),
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema is being generated
            return MerchantOrder.objects.none()
        params = validated_query(MerchantOrderQuery, self.request)
        return selectors.merchant_orders_for_merchant(
            organization=self.request.organization, status=params.get("status", "")
        )


class MerchantOrderDetailAPI(APIView):
    organization_kinds = MERCHANT
    api_scopes = SCOPES

    @extend_schema(
        operation_id="v1_orders_merchant_orders_retrieve",
        summary="One merchant order with its lines",
        parameters=[NUMBER],
        responses={
            200: MerchantOrderDetailSerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: MERCHANT_ORDER_NOT_FOUND,
        },
    )
    def get(self, request, number: str):
        merchant_order = selectors.access_merchant_order(
            organization=request.organization, reference=number
        )
        return Response(MerchantOrderDetailSerializer(merchant_order).data)


class AcceptSerializer(serializers.Serializer):
    lines = serializers.ListField(
        child=IntegerSerializerField(min_value=1, column=PurchaseOrderLine._meta.pk),
        required=False,
        allow_null=True,
        default=None,
        max_length=500,
    )


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class ShipSerializer(serializers.Serializer):
    carrier_name = serializers.CharField(
        max_length=100,
        required=False,
        default="",
        allow_blank=True,
        help_text="Required unless `booking_reference` is given (its carrier is then used).",
    )
    booking_reference = serializers.CharField(
        max_length=60,
        required=False,
        default="",
        allow_blank=True,
        help_text="One of the organisation's own bookings: the network's reference or the "
        "carrier's.",
    )
    tracking_number = serializers.CharField(
        max_length=60, required=False, default="", allow_blank=True
    )

    def validate(self, attrs):
        if not attrs["carrier_name"].strip() and not attrs["booking_reference"].strip():
            raise serializers.ValidationError(
                {"carrier_name": ["Name the carrier, or give a booking reference."]}
            )
        return attrs


class MerchantOrderActionSerializer(serializers.Serializer):
    """The body of every action: ``lines`` for accept, ``reason`` for reject and cancel,
    the carrier fields for ship; nothing for pack and deliver."""

    lines = serializers.ListField(
        child=IntegerSerializerField(min_value=1, column=PurchaseOrderLine._meta.pk),
        required=False,
        max_length=500,
    )
    reason = serializers.CharField(max_length=500, required=False)
    carrier_name = serializers.CharField(max_length=100, required=False)
    booking_reference = serializers.CharField(max_length=60, required=False)
    tracking_number = serializers.CharField(max_length=60, required=False)


class MerchantOrderActionAPI(APIView):
    """POST ``accept`` (``{"lines": [ids]}`` to accept only some), ``reject``
    (``{"reason"}``), ``pack``, ``ship`` (``{"carrier_name", "booking_reference",
    "tracking_number"}``; a booking reference is one of the organisation's own bookings, whose
    carrier is the shipment's), ``deliver`` or ``cancel`` (``{"reason"}``)."""

    organization_kinds = MERCHANT
    required_role = Role.STAFF
    api_scopes = SCOPES

    @extend_schema(
        operation_id="v1_orders_merchant_orders_action",
        summary="Accept, reject, pack, ship, deliver or cancel a merchant order",
        parameters=[
            NUMBER,
            OpenApiParameter(
                "action",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                enum=["accept", "reject", "pack", "ship", "deliver", "cancel"],
            ),
        ],
        request=MerchantOrderActionSerializer,
        responses={
            200: MerchantOrderDetailSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="The request is not valid (`validation_error`), or `ship`'s "
                "`booking_reference` is not one of the organisation's bookings that carries "
                "goods with that carrier (`unknown_booking`).",
            ),
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: MERCHANT_ORDER_NOT_FOUND,
            409: ILLEGAL_TRANSITION,
        },
    )
    def post(self, request, number: str, action: str):
        merchant_order = selectors.access_merchant_order(
            organization=request.organization, reference=number
        )
        user = request.user
        if action == "accept":
            payload = AcceptSerializer(data=request.data)
            payload.is_valid(raise_exception=True)
            services.merchant_order_accept(
                merchant_order=merchant_order,
                line_ids=payload.validated_data["lines"],
                acting_user=user,
            )
        elif action in ("reject", "cancel"):
            payload = ReasonSerializer(data=request.data)
            payload.is_valid(raise_exception=True)
            service = (
                services.merchant_order_reject
                if action == "reject"
                else services.merchant_order_cancel
            )
            service(merchant_order=merchant_order, acting_user=user, **payload.validated_data)
        elif action == "pack":
            services.merchant_order_pack(merchant_order=merchant_order, acting_user=user)
        elif action == "ship":
            payload = ShipSerializer(data=request.data)
            payload.is_valid(raise_exception=True)
            services.merchant_order_ship(
                merchant_order=merchant_order, acting_user=user, **payload.validated_data
            )
        elif action == "deliver":
            services.merchant_order_mark_delivered(merchant_order=merchant_order, acting_user=user)
        else:
            raise Http404
        merchant_order = selectors.access_merchant_order(
            organization=request.organization, reference=number
        )
        return Response(MerchantOrderDetailSerializer(merchant_order).data)


# --- Receipt: the buyer confirms the goods arrived, or reports a problem ---------------------

RECEIPT_NOT_ALLOWED = OpenApiResponse(
    ErrorSerializer,
    description="The goods have not arrived yet, or the order's state does not allow it "
    "(`illegal_transition`).",
)


class ReceiptProblemPhotoSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = ReceiptProblemPhoto
        fields = ["id", "content_type", "url"]

    def get_url(self, photo) -> str:
        number = self.context["merchant_order"].number
        return reverse("orders:receipt_problem_photo", args=[number, photo.pk])


class ReceiptProblemSerializer(serializers.ModelSerializer):
    merchant_order = serializers.CharField(source="merchant_order.number")
    kind = inline_choice_field(ReceiptProblem.Kind.choices, read_only=True)
    status = inline_choice_field(ReceiptProblem.Status.choices, read_only=True)
    photos = serializers.SerializerMethodField()

    class Meta:
        model = ReceiptProblem
        fields = ["id", "merchant_order", "kind", "description", "status", "created_at", "photos"]

    @extend_schema_field(ReceiptProblemPhotoSerializer(many=True))
    def get_photos(self, problem) -> list[dict]:
        return ReceiptProblemPhotoSerializer(
            problem.photos.all(), many=True, context=self.context
        ).data


class ReceiptProblemCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ReceiptProblem.Kind.choices)
    description = serializers.CharField(max_length=2000)
    photos = serializers.ListField(
        child=serializers.FileField(),
        min_length=1,
        max_length=6,
        help_text="1 to 6 photos (JPEG, PNG or WebP, at most 8 MB each), as repeated "
        "`photos` parts of a multipart body.",
    )


class MerchantOrderConfirmReceiptAPI(APIView):
    """POST (no body): the buyer confirms the goods of one of its merchant orders arrived; the
    merchant order is closed. Repeating it answers the closed order again."""

    organization_kinds = BUYER
    required_role = Role.BUYER
    api_scopes = SCOPES

    @extend_schema(
        operation_id="v1_orders_merchant_orders_confirm_receipt",
        summary="Confirm receipt of a merchant order",
        parameters=[NUMBER],
        request=None,
        responses={
            200: MerchantOrderSummarySerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: MERCHANT_ORDER_NOT_FOUND,
            409: RECEIPT_NOT_ALLOWED,
        },
    )
    def post(self, request, number: str):
        merchant_order = selectors.access_merchant_order(
            organization=request.organization, reference=number
        )
        services.merchant_order_confirm_receipt(
            merchant_order=merchant_order, acting_user=request.user
        )
        merchant_order = selectors.access_merchant_order(
            organization=request.organization, reference=number
        )
        return Response(MerchantOrderSummarySerializer(merchant_order).data)


class ReceiptProblemListCreateAPI(ToleratesLagMixin, APIView):
    """GET the receipt problems of a merchant order (its buyer and its merchant); POST, as a
    multipart body (``kind``, ``description``, ``photos`` repeated), the buyer reports one."""

    organization_kinds = BUYER + MERCHANT
    api_scopes = SCOPES
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="v1_orders_merchant_orders_problems_list",
        summary="Problems reported at receipt of a merchant order",
        parameters=[NUMBER],
        responses={
            200: ReceiptProblemSerializer(many=True),
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: MERCHANT_ORDER_NOT_FOUND,
        },
    )
    def get(self, request, number: str):
        merchant_order = selectors.access_merchant_order(
            organization=request.organization, reference=number
        )
        problems = selectors.receipt_problems_of(
            organization=request.organization, merchant_order_ids=[merchant_order.pk]
        ).get(merchant_order.pk, [])
        return Response(
            ReceiptProblemSerializer(
                problems, many=True, context={"merchant_order": merchant_order}
            ).data
        )

    @extend_schema(
        operation_id="v1_orders_merchant_orders_problems_create",
        summary="Report a problem at receipt, with photos",
        parameters=[NUMBER],
        request={"multipart/form-data": ReceiptProblemCreateSerializer},
        responses={
            201: ReceiptProblemSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="The request is not valid (`validation_error`), or a photo is not "
                "a JPEG, PNG or WebP image of at most 8 MB (`receipt_problem_invalid`).",
            ),
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: MERCHANT_ORDER_NOT_FOUND,
            409: RECEIPT_NOT_ALLOWED,
        },
    )
    def post(self, request, number: str):
        if request.organization.kind != Organization.Kind.BUYER:
            raise OrderPermissionDenied(_("Only the buyer reports problems at receipt."))
        merchant_order = selectors.access_merchant_order(
            organization=request.organization, reference=number
        )
        fields = form_fields(
            request, serializer_class=ReceiptProblemCreateSerializer, files="photos"
        )
        payload = ReceiptProblemCreateSerializer(
            data={
                "kind": fields.get("kind"),
                "description": fields.get("description"),
                "photos": fields.get("photos", []),
            }
        )
        payload.is_valid(raise_exception=True)
        problem = services.receipt_problem_report(
            merchant_order=merchant_order,
            acting_user=request.user,
            **payload.validated_data,
        )
        problem = selectors.receipt_problems_of(
            organization=request.organization, merchant_order_ids=[merchant_order.pk]
        ).get(merchant_order.pk, [problem])[0]
        return Response(
            ReceiptProblemSerializer(problem, context={"merchant_order": merchant_order}).data,
            status=status.HTTP_201_CREATED,
        )
