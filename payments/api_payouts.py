"""API of a merchant's money under /api/v1/payments/: what it is owed, holds in escrow and was
paid (``balance/``), its payouts (``payouts/``) and its statement as JSON or CSV
(``statement/``, ``statement.csv``). Merchants' keys read them with ``orders:read``."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from merchants.api import ErrorSerializer
from network.api_query import validated_query
from network.models import Organization
from payments import selectors_payouts as selectors
from payments.models import Payout
from payments.statement_files import statement_csv, statement_filename

MERCHANT = [Organization.Kind.MERCHANT]
SCOPES = {"read": "orders:read"}

UNAUTHENTICATED = OpenApiResponse(ErrorSerializer, description="Not signed in.")
FORBIDDEN = OpenApiResponse(
    ErrorSerializer,
    description="The active organisation is not a merchant, or the API key lacks `orders:read`.",
)
BAD_PERIOD = OpenApiResponse(ErrorSerializer, description="`from` or `to` is not a date.")
PERIOD = [
    OpenApiParameter(
        "from",
        OpenApiTypes.DATE,
        description="First day of the period (default: 30 days before `to`).",
    ),
    OpenApiParameter(
        "to", OpenApiTypes.DATE, description="Last day of the period (default: today)."
    ),
]


class BalanceSerializer(serializers.Serializer):
    currency = serializers.CharField()
    owed = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="Released to you, not yet paid out."
    )
    held = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        help_text="The buyers' money held in escrow for your orders until their goods arrive.",
    )
    in_transit = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="Paid out, not yet debited by the bank."
    )
    paid = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="Paid out and debited by the bank."
    )


class BalanceAPI(APIView):
    """GET what the merchant is owed, holds in escrow and was paid, in USD."""

    organization_kinds = MERCHANT
    api_scopes = SCOPES

    @extend_schema(
        operation_id="v1_payments_balance",
        summary="The merchant's money: owed, held in escrow, in transit, paid",
        responses={200: BalanceSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN},
    )
    def get(self, request):
        figures = selectors.merchant_money(organization=request.organization)
        return Response(
            BalanceSerializer(
                {
                    "currency": "USD",
                    "owed": figures.owed,
                    "held": figures.held,
                    "in_transit": figures.in_transit,
                    "paid": figures.paid,
                }
            ).data
        )


class PayoutSerializer(serializers.ModelSerializer):
    week = serializers.DateField(source="run.week")
    account_last4 = serializers.SerializerMethodField()
    currency = serializers.SerializerMethodField()

    class Meta:
        model = Payout
        fields = [
            "end_to_end_id",
            "week",
            "amount_usd",
            "currency",
            "account_last4",
            "status",
            "created_at",
            "paid_at",
        ]

    def get_account_last4(self, payout: Payout) -> str:
        return payout.bank_account.account_last4 if payout.bank_account_id else ""

    def get_currency(self, payout: Payout) -> str:
        return "USD"


class PayoutListAPI(ListAPIView):
    """GET the merchant's payouts, newest first (cursor pages)."""

    organization_kinds = MERCHANT
    api_scopes = SCOPES
    serializer_class = PayoutSerializer
    cursor_ordering = ("-created_at", "-pk")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema is being generated
            return Payout.objects.none()
        return selectors.merchant_payouts(organization=self.request.organization)

    @extend_schema(
        operation_id="v1_payments_payouts_list",
        summary="The merchant's payouts",
        responses={200: PayoutSerializer(many=True), 401: UNAUTHENTICATED, 403: FORBIDDEN},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


PeriodQuery = type(
    "PeriodQuery",
    (serializers.Serializer,),
    {
        "from": serializers.DateField(required=False),
        "to": serializers.DateField(required=False),
    },
)


class MovementSerializer(serializers.Serializer):
    created_at = serializers.DateTimeField()
    kind = serializers.CharField()
    description = serializers.CharField(source="memo")
    merchant_order = serializers.CharField()
    purchase_order = serializers.CharField()
    held = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="Change of the escrow held for your orders."
    )
    commission = serializers.DecimalField(max_digits=14, decimal_places=2)
    owed = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="Change of what you are owed."
    )
    paid = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="Paid to your bank (debited by ours)."
    )
    balance = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="What you are owed after this movement."
    )


class StatementSerializer(serializers.Serializer):
    currency = serializers.CharField()
    start = serializers.DateField(source="from_")
    end = serializers.DateField(source="to")
    opening = serializers.DecimalField(max_digits=14, decimal_places=2)
    closing = serializers.DecimalField(max_digits=14, decimal_places=2)
    movements = MovementSerializer(many=True)


def _statement(request) -> selectors.Statement:
    params = validated_query(PeriodQuery, request)
    start, end = selectors.statement_period(params.get("from"), params.get("to"))
    return selectors.merchant_statement(organization=request.organization, start=start, end=end)


class StatementAPI(APIView):
    """GET every movement of the merchant in a period, oldest first, with the running balance
    of what it is owed."""

    organization_kinds = MERCHANT
    api_scopes = SCOPES

    @extend_schema(
        operation_id="v1_payments_statement",
        summary="The merchant's statement (JSON)",
        parameters=PERIOD,
        responses={
            200: StatementSerializer,
            400: BAD_PERIOD,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
        },
    )
    def get(self, request):
        statement = _statement(request)
        return Response(
            StatementSerializer(
                {
                    "currency": "USD",
                    "from_": statement.start,
                    "to": statement.end,
                    "opening": statement.opening,
                    "closing": statement.closing,
                    "movements": statement.movements,
                }
            ).data
        )


class StatementCsvAPI(APIView):
    """GET the merchant's statement as CSV (UTF-8 with a byte order mark)."""

    organization_kinds = MERCHANT
    api_scopes = SCOPES

    @extend_schema(
        operation_id="v1_payments_statement_csv",
        summary="The merchant's statement (CSV)",
        parameters=PERIOD,
        responses={
            (200, "text/csv"): OpenApiTypes.BINARY,
            400: BAD_PERIOD,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
        },
    )
    def get(self, request):
        statement = _statement(request)
        response = HttpResponse(statement_csv(statement), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="{statement_filename(statement, "csv")}"'
        )
        return response
