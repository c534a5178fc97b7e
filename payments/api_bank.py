"""API of paying by bank transfer under /api/v1/payments/: a buyer reads what it owes and has
paid per purchase order (with the reference to quote) and its credit; operators import the
bank's statements (``POST`` accepts an ``Idempotency-Key``)."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from merchants.api import ErrorSerializer
from network.models import Organization, Role
from orders.models import PurchaseOrder
from payments import selectors_bank as selectors
from payments.camt import MAX_BYTES
from payments.services.statements import statement_import

BUYER = [Organization.Kind.BUYER]
# Payments ride on the orders scopes: a key that reads the orders reads what they cost.
SCOPES = {"read": "orders:read", "write": "orders:write"}
MONEY = {"max_digits": 14, "decimal_places": 2, "coerce_to_string": True}

UNAUTHENTICATED = OpenApiResponse(ErrorSerializer, description="Not signed in.")
FORBIDDEN = OpenApiResponse(
    ErrorSerializer,
    description="Not a member of a buyer organisation, or an API key without `orders:read`.",
)
NOT_FOUND = OpenApiResponse(
    ErrorSerializer, description="No purchase order with this number in the organisation."
)


class CollectionAccountSerializer(serializers.Serializer):
    name = serializers.CharField()
    bank = serializers.CharField()
    bic = serializers.CharField()
    routing_number = serializers.CharField()
    account_number = serializers.CharField()
    address = serializers.CharField()


class PlanSerializer(serializers.Serializer):
    merchant_order = serializers.CharField(source="merchant_order.number")
    merchant = serializers.CharField(source="merchant_order.organization.name")
    kind = serializers.CharField(source="plan.kind", help_text="prepaid, deposit, net30, net60")
    total_usd = serializers.DecimalField(source="plan.total_usd", **MONEY)
    deposit_usd = serializers.DecimalField(source="plan.deposit_usd", **MONEY)
    pre_shipment_usd = serializers.DecimalField(source="plan.pre_shipment_usd", **MONEY)
    paid_usd = serializers.DecimalField(source="paid", **MONEY)
    due_before_shipment_usd = serializers.DecimalField(source="due_before_shipment", **MONEY)
    owed_usd = serializers.DecimalField(source="owed", **MONEY)
    due_on = serializers.DateField(allow_null=True)
    held_in_escrow_usd = serializers.DecimalField(source="held", **MONEY)
    released = serializers.BooleanField()
    ended = serializers.BooleanField()


class OrderPaymentSerializer(serializers.Serializer):
    purchase_order = serializers.CharField(source="purchase_order.number")
    payment_terms = serializers.CharField(source="purchase_order.payment_terms")
    reference = serializers.CharField(help_text="ISO 11649 reference to quote with the transfer")
    total_usd = serializers.DecimalField(source="total", **MONEY)
    paid_usd = serializers.DecimalField(source="paid", **MONEY)
    due_before_shipment_usd = serializers.DecimalField(source="due_before_shipment", **MONEY)
    owed_usd = serializers.DecimalField(source="owed", **MONEY)
    next_due_on = serializers.DateField(allow_null=True)
    plans = PlanSerializer(source="lines", many=True)
    collection_account = serializers.SerializerMethodField()

    @extend_schema(responses=CollectionAccountSerializer)
    def get_collection_account(self, payment) -> dict:
        return CollectionAccountSerializer(selectors.collection_account()).data


class CreditSerializer(serializers.Serializer):
    balance_usd = serializers.DecimalField(
        source="balance", **MONEY, help_text="Money received and not applied to an order."
    )
    limit_usd = serializers.DecimalField(source="limit", **MONEY)
    owed_on_net_terms_usd = serializers.DecimalField(source="exposure", **MONEY)
    available_usd = serializers.DecimalField(source="available", **MONEY)


class PurchaseOrderPaymentListAPI(ListAPIView):
    """GET what the buyer owes and has paid on each of its purchase orders (newest first,
    cursor pages)."""

    organization_kinds = BUYER
    api_scopes = SCOPES
    serializer_class = OrderPaymentSerializer
    cursor_ordering = ("-placed_at", "-pk")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema is being generated
            return PurchaseOrder.objects.none()
        return selectors.buyer_purchase_orders(organization=self.request.organization)

    @extend_schema(
        operation_id="v1_payments_purchase_orders_list",
        summary="Payments of the buyer's purchase orders",
        responses={
            200: OrderPaymentSerializer(many=True),
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
        },
    )
    def get(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        payments = selectors.order_payments(list(page), organization=request.organization)
        return self.get_paginated_response(OrderPaymentSerializer(payments, many=True).data)


class PurchaseOrderPaymentAPI(APIView):
    """GET what the buyer owes and has paid on one purchase order, per merchant order."""

    organization_kinds = BUYER
    api_scopes = SCOPES

    @extend_schema(
        operation_id="v1_payments_purchase_orders_retrieve",
        summary="Payment of one purchase order",
        parameters=[
            OpenApiParameter(
                "number", OpenApiTypes.STR, OpenApiParameter.PATH, description="PO number."
            )
        ],
        responses={
            200: OrderPaymentSerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def get(self, request, number: str):
        order = selectors.buyer_purchase_order(organization=request.organization, number=number)
        if order is None:
            raise Http404
        return Response(
            OrderPaymentSerializer(
                selectors.order_payment(order, organization=request.organization)
            ).data
        )


class CreditAPI(APIView):
    """GET the buyer's credit balance, net-terms limit and what it owes on net terms."""

    organization_kinds = BUYER
    api_scopes = SCOPES

    @extend_schema(
        operation_id="v1_payments_credit_retrieve",
        summary="The buyer's credit",
        responses={200: CreditSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN},
    )
    def get(self, request):
        return Response(CreditSerializer(selectors.buyer_credit(request.organization)).data)


class StatementUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A camt.053 statement or camt.054 notification (XML).")


class StatementImportSerializer(serializers.Serializer):
    message_id = serializers.CharField(source="statement.message_id")
    kind = serializers.CharField(source="statement.kind")
    already_imported = serializers.BooleanField(
        help_text="The same message was imported before: nothing was credited again."
    )
    entries = serializers.IntegerField(source="statement.entry_count")
    new_entries = serializers.IntegerField(source="statement.new_entry_count")
    matched = serializers.IntegerField()
    unmatched = serializers.IntegerField()
    known = serializers.IntegerField(help_text="Entries an earlier message reported.")


class StatementImportAPI(APIView):
    """POST a bank statement as a multipart body (``file``): operators only. Each message is
    imported once and each entry credited once, however often it is sent."""

    organization_kinds = [Organization.Kind.OPERATOR]
    required_role = Role.STAFF
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="v1_payments_statements_create",
        summary="Import a bank statement (camt.053 / camt.054)",
        request={"multipart/form-data": StatementUploadSerializer},
        responses={
            201: StatementImportSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="No file, or not a camt.053 / camt.054 message (`statement_invalid`).",
            ),
            401: UNAUTHENTICATED,
            403: OpenApiResponse(ErrorSerializer, description="Not a network operator."),
        },
    )
    def post(self, request):
        upload = StatementUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        file = upload.validated_data["file"]
        if file.size > MAX_BYTES:
            raise serializers.ValidationError({"file": ["The file is larger than 20 MB."]})
        result = statement_import(data=file.read(), filename=file.name, acting_user=request.user)
        return Response(StatementImportSerializer(result).data, status=201)
