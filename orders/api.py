"""API of wholesale ordering under /api/v1/orders/: buyers place and follow purchase orders
(``POST`` accepts an ``Idempotency-Key``), merchants read and work their merchant orders."""

from __future__ import annotations

from django.http import Http404
from django_scopes import scopes_disabled
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from network.api import idempotent
from network.models import Organization, Role
from orders import selectors, services
from orders.models import (
    DeliveryType,
    Incoterm,
    MerchantOrder,
    MerchantOrderStatus,
    PaymentTerms,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
)

BUYER = [Organization.Kind.BUYER]
MERCHANT = [Organization.Kind.MERCHANT]
SCOPES = {"read": "orders:read", "write": "orders:write"}


class LineSerializer(serializers.ModelSerializer):
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
            "status",
        ]


class MerchantOrderSummarySerializer(serializers.ModelSerializer):
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
    "total_usd",
    "savings_usd",
    "currency",
    "placed_at",
]


class PurchaseOrderSerializer(serializers.ModelSerializer):
    currency = serializers.SerializerMethodField()
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

    def get_lines(self, purchase_order) -> list[dict]:
        with scopes_disabled():
            lines = PurchaseOrderLine.objects.filter(purchase_order=purchase_order).order_by("pk")
            return LineSerializer(lines, many=True).data


class ItemSerializer(serializers.Serializer):
    sku_id = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=1, max_value=10_000_000)


class PurchaseOrderCreateSerializer(serializers.Serializer):
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


class PurchaseOrderListCreateAPI(ListAPIView):
    """GET the buyer's purchase orders (newest first, cursor pages; ``?status=``); POST places
    one: ``{"lines": [{"sku_id": 12, "quantity": 48}], "delivery_location": "…", "incoterm":
    "FOB", "payment_terms": "net30"}``. Send an ``Idempotency-Key`` to retry safely."""

    organization_kinds = BUYER
    api_scopes = SCOPES
    serializer_class = PurchaseOrderSerializer
    cursor_ordering = ("-placed_at", "-pk")

    def get_queryset(self):
        status_filter = self.request.query_params.get("status", "")
        if status_filter not in PurchaseOrderStatus.values:
            status_filter = ""
        return selectors.purchase_orders_for_buyer(
            organization=self.request.organization, status=status_filter
        )

    @idempotent
    def post(self, request):
        payload = PurchaseOrderCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        key = request.headers.get("Idempotency-Key", "").strip()
        purchase_order = services.purchase_order_place(
            organization=request.organization,
            items=[(item["sku_id"], item["quantity"]) for item in data["lines"]],
            checkout=services.Checkout(
                delivery_type=data["delivery_type"],
                delivery_location=data["delivery_location"],
                incoterm=data["incoterm"],
                payment_terms=data["payment_terms"],
                buyer_reference=data["buyer_reference"],
                notes=data["notes"],
            ),
            idempotency_key=f"api:{key}" if key else "",
            acting_user=request.user,
        )
        fresh = selectors.purchase_orders_for_buyer(organization=request.organization).get(
            pk=purchase_order.pk
        )
        return Response(
            PurchaseOrderDetailSerializer(fresh).data,
            status=status.HTTP_200_OK
            if getattr(purchase_order, "replayed", False)
            else status.HTTP_201_CREATED,
        )


class PurchaseOrderDetailAPI(APIView):
    """GET one of the buyer's purchase orders with its lines and merchant orders."""

    organization_kinds = BUYER
    api_scopes = SCOPES

    def get(self, request, number: str):
        purchase_order = (
            selectors.purchase_orders_for_buyer(organization=request.organization)
            .filter(number=number)
            .first()
        )
        if purchase_order is None:
            raise Http404
        return Response(PurchaseOrderDetailSerializer(purchase_order).data)


class PurchaseOrderCancelAPI(APIView):
    """POST ``{"reason": "…"}``: withdraw a purchase order no merchant has accepted yet."""

    organization_kinds = BUYER
    required_role = Role.BUYER
    api_scopes = SCOPES

    def post(self, request, number: str):
        purchase_order = selectors.purchase_order_for_buyer(
            organization=request.organization, number=number
        )
        if purchase_order is None:
            raise Http404
        services.purchase_order_cancel(
            purchase_order=purchase_order,
            reason=str(request.data.get("reason", "")),
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

    def get_lines(self, merchant_order) -> list[dict]:
        return LineSerializer(selectors.merchant_order_lines(merchant_order), many=True).data


class MerchantOrderListAPI(ListAPIView):
    """GET the merchant's orders (newest first, cursor pages; ``?status=pending``)."""

    organization_kinds = MERCHANT
    api_scopes = SCOPES
    serializer_class = MerchantOrderSerializer
    cursor_ordering = ("-created_at", "-pk")

    def get_queryset(self):
        status_filter = self.request.query_params.get("status", "")
        if status_filter not in MerchantOrderStatus.values:
            status_filter = ""
        return selectors.merchant_orders_for_merchant(
            organization=self.request.organization, status=status_filter
        )


def _merchant_order(request, number: str) -> MerchantOrder:
    merchant_order = selectors.merchant_order_for_merchant(
        organization=request.organization, number=number
    )
    if merchant_order is None:
        raise Http404
    return merchant_order


class MerchantOrderDetailAPI(APIView):
    organization_kinds = MERCHANT
    api_scopes = SCOPES

    def get(self, request, number: str):
        return Response(MerchantOrderDetailSerializer(_merchant_order(request, number)).data)


class AcceptSerializer(serializers.Serializer):
    lines = serializers.ListField(
        child=serializers.IntegerField(), required=False, allow_null=True, default=None
    )


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class ShipSerializer(serializers.Serializer):
    carrier_name = serializers.CharField(max_length=100)
    booking_reference = serializers.CharField(
        max_length=60, required=False, default="", allow_blank=True
    )
    tracking_number = serializers.CharField(
        max_length=60, required=False, default="", allow_blank=True
    )


class MerchantOrderActionAPI(APIView):
    """POST ``accept`` (``{"lines": [ids]}`` to accept only some), ``reject``
    (``{"reason"}``), ``pack``, ``ship`` (``{"carrier_name", "booking_reference",
    "tracking_number"}``), ``deliver`` or ``cancel`` (``{"reason"}``)."""

    organization_kinds = MERCHANT
    required_role = Role.STAFF
    api_scopes = SCOPES

    def post(self, request, number: str, action: str):
        merchant_order = _merchant_order(request, number)
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
        return Response(MerchantOrderDetailSerializer(_merchant_order(request, number)).data)
