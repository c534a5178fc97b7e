"""API of buyer price lists and the China tariff table.

- ``/api/v1/merchant/price-lists/``: a merchant's lists (GET, POST with products), one list
  (GET, PATCH terms or products, DELETE); ``/api/v1/price-lists/``: the lists granted to the
  buyer (GET) and one of them.
- ``/api/v1/tariff-lines/``: the table's rows (GET, any member; POST, operators), one row
  (GET; PATCH, operators).
API keys need the catalogue scopes (``catalog:read``, ``catalog:write``)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import selectors
from catalog.errors import PriceListRejected
from catalog.models import PriceList, TariffLine
from catalog.services import price_lists as price_list_services
from catalog.services.tariffs import TARIFF_FIELDS, tariff_line_save
from merchants.api import ErrorSerializer
from network.api_query import validated_query
from network.db_router import ToleratesLagMixin
from network.fields import IntegerSerializerField
from network.models import Organization
from network.selectors import exchange_rate_day
from network.tenancy import RecordNotFound

MERCHANT = [Organization.Kind.MERCHANT]
BUYER = [Organization.Kind.BUYER]
SCOPES = {"read": "catalog:read", "write": "catalog:write"}
MAX_ROWS = 200

UNAUTHENTICATED = OpenApiResponse(ErrorSerializer, description="Not signed in.")
FORBIDDEN = OpenApiResponse(
    ErrorSerializer,
    description="An organisation of another kind, a role too low for a change, or an API key "
    "without the catalogue scope.",
)
INVALID = OpenApiResponse(
    ErrorSerializer,
    description="The request is not valid (`validation_error`, `price_list_rejected`: an "
    "unknown buyer, another merchant's product, an unknown SKU code, terms that set no price).",
)
NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such price list of yours.")
BUYER_NOT_FOUND = OpenApiResponse(
    ErrorSerializer,
    description="No buyer organisation has that name or short name (`buyer_not_found`).",
)
TARIFF_NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such tariff row.")
TARIFF_FORBIDDEN = OpenApiResponse(
    ErrorSerializer, description="Only network operators change the table; or no scope."
)


# --- Price lists -------------------------------------------------------------------------------


class OwnTierSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=40, help_text="The merchant's SKU code.")
    min_quantity = IntegerSerializerField(min_value=1, max_value=10_000_000)
    unit_price_usd = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0.01")
    )


def _discount_field() -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal("99.99"),
        required=False,
        allow_null=True,
        help_text="Off the public tiers, in %.",
    )


class PriceListProductSerializer(serializers.Serializer):
    product = IntegerSerializerField(min_value=1, max_value=2_147_483_647)
    discount_percent = _discount_field()
    tiers = OwnTierSerializer(many=True, required=False, max_length=50)


class PriceListWriteSerializer(serializers.Serializer):
    buyer = serializers.CharField(
        max_length=200, help_text="The buyer organisation's exact name or short name (slug)."
    )
    name = serializers.CharField(max_length=100)
    discount_percent = _discount_field()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(required=False, allow_null=True)
    products = PriceListProductSerializer(
        many=True, required=False, max_length=200, help_text="Replaces the list's products."
    )


class PriceListSerializer(serializers.ModelSerializer):
    merchant = serializers.CharField(source="organization.slug", read_only=True)
    buyer = serializers.CharField(source="buyer.slug", read_only=True)
    in_force = serializers.SerializerMethodField()
    products = serializers.SerializerMethodField()

    class Meta:
        model = PriceList
        fields = [
            "id",
            "name",
            "merchant",
            "buyer",
            "discount_percent",
            "valid_from",
            "valid_until",
            "in_force",
            "products",
        ]
        read_only_fields = fields

    def get_in_force(self, price_list) -> bool:
        return price_list_services.price_list_in_force(price_list)

    @extend_schema_field(PriceListProductSerializer(many=True))
    def get_products(self, price_list) -> list[dict]:
        return [
            {
                "product": entry.product_id,
                "discount_percent": entry.discount_percent,
                "tiers": [
                    {
                        "sku": tier.sku.code,
                        "min_quantity": tier.min_quantity,
                        "unit_price_usd": str(tier.unit_price_usd),
                    }
                    for tier in entry.tiers.all()
                ],
            }
            for entry in (
                price_list.entries.all()
                if "entries" in getattr(price_list, "_prefetched_objects_cache", {})
                else selectors.price_list_entries(price_list=price_list)
            )
        ]


def _write_products(price_list: PriceList, products: list[dict], request) -> None:
    """Replace the list's products with ``products`` (one transaction with the caller's)."""
    by_id = {
        product.pk: product
        for product in selectors.merchant_products(organization=request.organization).filter(
            pk__in=[row["product"] for row in products]
        )
    }
    for entry in selectors.price_list_entries(price_list=price_list):
        if entry.product_id not in {row["product"] for row in products}:
            price_list_services.price_list_entry_remove(entry=entry, acting_user=request.user)
    for row in products:
        product = by_id.get(row["product"])
        if product is None:
            raise PriceListRejected(
                _("Product %(id)s is not one of yours.") % {"id": row["product"]}
            )
        price_list_services.price_list_entry_set(
            price_list=price_list,
            product=product,
            discount_percent=row.get("discount_percent"),
            tiers=[
                price_list_services.OwnTier(t["sku"], t["min_quantity"], t["unit_price_usd"])
                for t in row.get("tiers", [])
            ],
            acting_user=request.user,
        )


def _price_list_response(request, pk: int, code: int = 200) -> Response:
    price_list = selectors.access_price_list(organization=request.organization, pk=pk)
    return Response(PriceListSerializer(price_list).data, status=code)


class MerchantPriceListsAPI(ToleratesLagMixin, APIView):
    """The merchant's price lists (GET, the newest 200) and a new one with its products
    (POST)."""

    organization_kinds = MERCHANT
    api_scopes = SCOPES

    @extend_schema(
        operation_id="v1_merchant_price_lists_list",
        summary="The merchant's buyer price lists",
        responses={200: PriceListSerializer(many=True), 401: UNAUTHENTICATED, 403: FORBIDDEN},
    )
    def get(self, request):
        rows = selectors.with_price_list_entries(
            selectors.price_lists_of(organization=request.organization).filter(
                organization=request.organization
            ),
            organization=request.organization,
        )[:MAX_ROWS]
        return Response(PriceListSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="v1_merchant_price_lists_create",
        summary="Grant a buyer a price list",
        request=PriceListWriteSerializer,
        responses={
            201: PriceListSerializer,
            400: INVALID,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: BUYER_NOT_FOUND,
        },
    )
    def post(self, request):
        payload = PriceListWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        values = dict(payload.validated_data)
        products = values.pop("products", [])
        buyer = price_list_services.buyer_by_name(values.pop("buyer"))
        try:
            with transaction.atomic():
                price_list = price_list_services.price_list_create(
                    organization=request.organization,
                    buyer=buyer,
                    values=values,
                    acting_user=request.user,
                )
                _write_products(price_list, products, request)
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from None
        return _price_list_response(request, price_list.pk, status.HTTP_201_CREATED)


class MerchantPriceListAPI(APIView):
    """One of the merchant's price lists: read, change (terms; ``products`` replaces them),
    delete."""

    organization_kinds = MERCHANT
    api_scopes = SCOPES

    def _own(self, request, pk: int) -> PriceList:
        price_list = selectors.access_price_list(organization=request.organization, pk=pk)
        if price_list.organization_id != request.organization.pk:
            raise RecordNotFound(_("Price list not found."))
        return price_list

    @extend_schema(
        operation_id="v1_merchant_price_lists_retrieve",
        summary="One of the merchant's price lists",
        responses={200: PriceListSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def get(self, request, pk: int):
        return Response(PriceListSerializer(self._own(request, pk)).data)

    @extend_schema(
        operation_id="v1_merchant_price_lists_partial_update",
        summary="Change a price list's terms or products",
        request=PriceListWriteSerializer(partial=True),
        responses={
            200: PriceListSerializer,
            400: INVALID,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def patch(self, request, pk: int):
        price_list = self._own(request, pk)
        payload = PriceListWriteSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        values = dict(payload.validated_data)
        if "buyer" in values:
            raise ValidationError({"buyer": [_("A price list keeps its buyer.")]})
        products = values.pop("products", None)
        try:
            with transaction.atomic():
                if values:
                    price_list_services.price_list_update(
                        price_list=price_list, values=values, acting_user=request.user
                    )
                if products is not None:
                    _write_products(price_list, products, request)
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from None
        return _price_list_response(request, price_list.pk)

    @extend_schema(
        operation_id="v1_merchant_price_lists_destroy",
        summary="Delete a price list",
        responses={204: None, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def delete(self, request, pk: int):
        price_list_services.price_list_delete(
            price_list=self._own(request, pk), acting_user=request.user
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class BuyerPriceListsAPI(ToleratesLagMixin, APIView):
    """The price lists merchants granted to the buyer (the newest 200)."""

    organization_kinds = BUYER
    api_scopes = SCOPES

    @extend_schema(
        operation_id="v1_price_lists_list",
        summary="The price lists granted to the buyer",
        responses={200: PriceListSerializer(many=True), 401: UNAUTHENTICATED, 403: FORBIDDEN},
    )
    def get(self, request):
        rows = selectors.with_price_list_entries(
            selectors.price_lists_of(organization=request.organization).filter(
                buyer=request.organization
            ),
            organization=request.organization,
        )[:MAX_ROWS]
        return Response(PriceListSerializer(rows, many=True).data)


class BuyerPriceListAPI(APIView):
    organization_kinds = BUYER
    api_scopes = SCOPES

    @extend_schema(
        operation_id="v1_price_lists_retrieve",
        summary="A price list granted to the buyer",
        responses={200: PriceListSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def get(self, request, pk: int):
        return _price_list_response(request, pk)


# --- The China tariff table --------------------------------------------------------------------


class TariffLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = TariffLine
        fields = ["id", *TARIFF_FIELDS]
        read_only_fields = ["id"]
        validators = []  # a row for a code and day that exists corrects it (the service)


class TariffQuery(serializers.Serializer):
    q = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="A code or HS-6 prefix, or words of the description.",
    )
    all_rows = serializers.BooleanField(
        required=False, default=False, help_text="Past and scheduled rows too, not only today's."
    )


class TariffLinesAPI(ToleratesLagMixin, APIView):
    """The table's rows in force today (or all), at most 200 by code; operators add rows."""

    api_scopes = SCOPES

    @extend_schema(
        operation_id="v1_tariff_lines_list",
        summary="China tariff lines",
        parameters=[TariffQuery],
        responses={200: TariffLineSerializer(many=True), 401: UNAUTHENTICATED, 403: FORBIDDEN},
    )
    def get(self, request):
        params = validated_query(TariffQuery, request)
        rows = selectors.tariff_lines_search(
            query=params.get("q", ""),
            in_force_on=None if params.get("all_rows") else exchange_rate_day(),
        )[:MAX_ROWS]
        return Response(TariffLineSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="v1_tariff_lines_create",
        summary="Add a tariff row (operators); a row for the same code and day corrects it",
        request=TariffLineSerializer,
        responses={
            201: TariffLineSerializer,
            400: INVALID,
            401: UNAUTHENTICATED,
            403: TARIFF_FORBIDDEN,
        },
    )
    def post(self, request):
        payload = TariffLineSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            line = tariff_line_save(values=payload.validated_data, acting_user=request.user)
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from None
        return Response(TariffLineSerializer(line).data, status=status.HTTP_201_CREATED)


class TariffLineAPI(APIView):
    api_scopes = SCOPES

    @extend_schema(
        operation_id="v1_tariff_lines_retrieve",
        summary="One tariff row",
        responses={
            200: TariffLineSerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: TARIFF_NOT_FOUND,
        },
    )
    def get(self, request, pk: int):
        return Response(TariffLineSerializer(selectors.access_tariff_line(pk=pk)).data)

    @extend_schema(
        operation_id="v1_tariff_lines_partial_update",
        summary="Correct a tariff row (operators)",
        request=TariffLineSerializer(partial=True),
        responses={
            200: TariffLineSerializer,
            400: INVALID,
            401: UNAUTHENTICATED,
            403: TARIFF_FORBIDDEN,
            404: TARIFF_NOT_FOUND,
        },
    )
    def patch(self, request, pk: int):
        line = selectors.access_tariff_line(pk=pk)
        payload = TariffLineSerializer(line, data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        try:
            line = tariff_line_save(
                values=payload.validated_data, line=line, acting_user=request.user
            )
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from None
        return Response(TariffLineSerializer(line).data)
