"""The catalogue's API: public listings for every member, and a merchant's own products and
stock. The same selectors and services as the pages stand behind every read and write."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404
from django_scopes import scopes_disabled
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import selectors, services
from catalog.models import SKU, Category, Inventory, Product
from network.models import Organization


class TierSerializer(serializers.Serializer):
    min_quantity = serializers.IntegerField(min_value=1)
    unit_price_usd = serializers.DecimalField(max_digits=12, decimal_places=2)


class SKUSerializer(serializers.ModelSerializer):
    tiers = serializers.SerializerMethodField()
    available = serializers.SerializerMethodField()

    class Meta:
        model = SKU
        fields = [
            "id",
            "code",
            "variant_en",
            "variant_zh_hans",
            "case_pack",
            "moq",
            "tiers",
            "available",
        ]
        read_only_fields = fields

    def get_tiers(self, sku) -> list[dict]:
        return [
            {"min_quantity": t.min_quantity, "unit_price_usd": str(t.unit_price_usd)}
            for t in sorted(sku.tiers.all(), key=lambda t: t.min_quantity)
        ]

    def get_available(self, sku) -> int:
        inventory = getattr(sku, "inventory", None)
        return inventory.available if inventory else 0


class ProductListSerializer(serializers.ModelSerializer):
    merchant = serializers.SerializerMethodField()
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    in_stock = serializers.BooleanField(source="has_stock", read_only=True)

    class Meta:
        model = Product
        fields = [
            "id",
            "title_en",
            "title_zh_hans",
            "brand",
            "category",
            "merchant",
            "price_min_usd",
            "price_max_usd",
            "moq_min",
            "lead_time_days",
            "in_stock",
            "published_at",
        ]
        read_only_fields = fields

    def get_merchant(self, product) -> dict:
        application = getattr(product.organization, "merchant_application", None)
        return {
            "slug": product.organization.slug,
            "name": application.display_name if application else product.organization.name,
            "state": application.state if application else "",
        }


class ProductDetailSerializer(ProductListSerializer):
    skus = SKUSerializer(many=True, read_only=True)

    class Meta(ProductListSerializer.Meta):
        fields = [
            *ProductListSerializer.Meta.fields,
            "reference",
            "state",
            "description_en",
            "description_zh_hans",
            "hs_code",
            "country_of_origin",
            "weight_kg",
            "length_cm",
            "width_cm",
            "height_cm",
            "msrp_usd",
            "skus",
        ]
        read_only_fields = fields


def _positive_int(params, name: str) -> int | None:
    value = params.get(name)
    if value in (None, ""):
        return None
    if not value.isdigit():
        raise ValidationError({name: ["A whole number."]})
    return int(value)


def _decimal(params, name: str) -> Decimal | None:
    value = params.get(name)
    if value in (None, ""):
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        raise ValidationError({name: ["A number."]}) from None


class ProductListView(APIView):
    """Public listings, with the browse page's filters: ``q`` (English or Chinese),
    ``category``, ``state``, ``brand``, ``price_min``, ``price_max``, ``max_moq``,
    ``in_stock``, ``sort``, ``page``."""

    @extend_schema(responses=ProductListSerializer(many=True))
    def get(self, request):
        params = request.query_params
        filters = selectors.BrowseFilters(
            query=params.get("q", ""),
            category=params.get("category", ""),
            state=params.get("state", "").upper(),
            brand=params.get("brand", ""),
            price_min=_decimal(params, "price_min"),
            price_max=_decimal(params, "price_max"),
            max_moq=_positive_int(params, "max_moq"),
            in_stock=params.get("in_stock") in ("1", "true", "yes"),
            sort=params.get("sort", ""),
        )
        result = selectors.product_browse(
            filters=filters, page_number=_positive_int(params, "page") or 1, per_page=50
        )
        return Response(
            {
                "count": result.total,
                "page": result.page.number,
                "pages": result.page.paginator.num_pages,
                "results": ProductListSerializer(result.page.object_list, many=True).data,
                "facets": {
                    "category": {f.value: f.count for f in result.categories},
                    "state": {f.value: f.count for f in result.states},
                    "brand": {f.value: f.count for f in result.brands},
                    "in_stock": result.in_stock_count,
                },
            }
        )


class ProductDetailView(APIView):
    """One listing: public when active; drafts and paused ones only for their merchant."""

    @extend_schema(responses=ProductDetailSerializer)
    def get(self, request, pk: int):
        view = selectors.product_for_viewer(product_id=pk, organization=request.organization)
        if view is None:
            raise Http404
        product = view.product
        product.has_stock = view.available_total > 0
        with scopes_disabled():
            data = ProductDetailSerializer(product).data
        return Response(data)


# --- A merchant's own catalogue ----------------------------------------------------------------


class ProductWriteSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=40, required=False, allow_blank=True)
    category = serializers.SlugRelatedField(slug_field="slug", queryset=Category.objects.all())
    title_en = serializers.CharField(max_length=200)
    title_zh_hans = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description_en = serializers.CharField()
    description_zh_hans = serializers.CharField(required=False, allow_blank=True)
    brand = serializers.CharField(max_length=120, required=False, allow_blank=True)
    hs_code = serializers.CharField(max_length=10, required=False, allow_blank=True)
    country_of_origin = serializers.CharField(max_length=2, required=False)
    weight_kg = serializers.DecimalField(max_digits=8, decimal_places=3)
    length_cm = serializers.DecimalField(max_digits=7, decimal_places=1)
    width_cm = serializers.DecimalField(max_digits=7, decimal_places=1)
    height_cm = serializers.DecimalField(max_digits=7, decimal_places=1)
    lead_time_days = serializers.IntegerField(min_value=0)
    msrp_usd = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, allow_null=True
    )


class SKUWriteSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40)
    variant_en = serializers.CharField(max_length=100, required=False, allow_blank=True)
    variant_zh_hans = serializers.CharField(max_length=100, required=False, allow_blank=True)
    case_pack = serializers.IntegerField(min_value=1, default=1)
    moq = serializers.IntegerField(min_value=1)
    tiers = TierSerializer(many=True)
    on_hand = serializers.IntegerField(min_value=0, default=0)
    low_stock_threshold = serializers.IntegerField(min_value=0, default=0)


class ProductCreateSerializer(ProductWriteSerializer):
    skus = SKUWriteSerializer(many=True, required=False)


def _raise_validation(error: DjangoValidationError):
    fields = (
        error.message_dict if hasattr(error, "error_dict") else {"non_field_errors": error.messages}
    )
    raise ValidationError(fields)


def _tiers(data) -> list[tuple[int, Decimal]]:
    return [(t["min_quantity"], t["unit_price_usd"]) for t in data]


class MerchantProductListView(generics.ListAPIView):
    """The active merchant's products in every state (GET), or a new draft with its SKUs
    (POST)."""

    organization_kinds = [Organization.Kind.MERCHANT]
    serializer_class = ProductDetailSerializer

    def get_queryset(self):
        return (
            selectors.merchant_products(
                organization=self.request.organization,
                state=self.request.query_params.get("state", ""),
                query=self.request.query_params.get("q", ""),
            )
            .select_related("organization", "organization__merchant_application")
            .prefetch_related("skus__tiers", "skus__inventory")
            .annotate(has_stock=selectors._in_stock())
        )

    @extend_schema(request=ProductCreateSerializer, responses=ProductDetailSerializer)
    def post(self, request):
        serializer = ProductCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        skus = values.pop("skus", [])
        try:
            with transaction.atomic():
                product = services.product_create(
                    organization=request.organization, values=values, acting_user=request.user
                )
                for sku in skus:
                    services.sku_create(
                        product=product,
                        values=sku,
                        tiers=_tiers(sku["tiers"]),
                        on_hand=sku["on_hand"],
                        low_stock_threshold=sku["low_stock_threshold"],
                        acting_user=request.user,
                    )
        except DjangoValidationError as error:
            _raise_validation(error)
        product = self.get_queryset().get(pk=product.pk)
        return Response(ProductDetailSerializer(product).data, status=201)


class MerchantProductDetailView(APIView):
    """One of the active merchant's products (GET) and its changes (PATCH); another
    merchant's id is a 404."""

    organization_kinds = [Organization.Kind.MERCHANT]

    def _product(self, request, pk: int) -> Product:
        product = (
            Product.objects.filter(organization=request.organization, pk=pk)
            .select_related("organization", "organization__merchant_application", "category")
            .prefetch_related("skus__tiers", "skus__inventory")
            .annotate(has_stock=selectors._in_stock())
            .first()
        )
        if product is None:
            raise Http404
        return product

    @extend_schema(responses=ProductDetailSerializer)
    def get(self, request, pk: int):
        return Response(ProductDetailSerializer(self._product(request, pk)).data)

    @extend_schema(request=ProductWriteSerializer, responses=ProductDetailSerializer)
    def patch(self, request, pk: int):
        product = self._product(request, pk)
        serializer = ProductWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            services.product_update(
                product=product, values=dict(serializer.validated_data), acting_user=request.user
            )
        except DjangoValidationError as error:
            _raise_validation(error)
        return Response(ProductDetailSerializer(self._product(request, pk)).data)


class InventorySerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="sku.code")
    product = serializers.IntegerField(source="sku.product_id")
    available = serializers.IntegerField(read_only=True)

    class Meta:
        model = Inventory
        fields = [
            "sku",
            "product",
            "on_hand",
            "reserved",
            "available",
            "low_stock_threshold",
            "updated_at",
        ]
        read_only_fields = fields


class MerchantInventoryView(generics.ListAPIView):
    """Stock of every SKU of the active merchant."""

    organization_kinds = [Organization.Kind.MERCHANT]
    serializer_class = InventorySerializer

    def get_queryset(self):
        return selectors.merchant_inventory(organization=self.request.organization)
