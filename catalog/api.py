"""The catalogue's API: public listings for every member, and a merchant's own products and
stock. The same selectors and services as the pages stand behind every read and write."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from localflavor.us.us_states import STATE_CHOICES
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import selectors, services
from catalog.errors import VersionChanged
from catalog.inventory import (
    ALL_OR_NOTHING,
    CLIENT_REASONS,
    MAX_ROWS,
    MODES,
    StockRowsRejected,
    inventory_bulk_change,
)
from catalog.models import SKU, Category, Inventory, ListingState, Product, validate_sku_code
from catalog.selectors import SORTS
from merchants.api import ErrorSerializer
from network.api import (
    check_if_match,
    etag_for_data,
    inline_choice_field,
    precondition_failed,
)
from network.api_query import validated_query
from network.db_router import ToleratesLagMixin
from network.fields import IntegerSerializerField
from network.models import Organization

MERCHANT = [Organization.Kind.MERCHANT]
CATALOG_SCOPES = {"read": "catalog:read", "write": "catalog:write"}

UNAUTHENTICATED = OpenApiResponse(ErrorSerializer, description="Not signed in.")
FORBIDDEN = OpenApiResponse(
    ErrorSerializer,
    description="Not a member of the active organisation, an organisation of another kind, a "
    "role too low for a change, or an API key without the scope.",
)
# A change to a product meets the brand rules when the listing is active, as at publish.
FORBIDDEN_OR_BRAND = OpenApiResponse(
    ErrorSerializer,
    description="Not a member of the active organisation, an organisation of another kind, a "
    "role too low for a change, or an API key without the scope; or the change would give an "
    "active listing a protected brand the merchant is not authorised to sell "
    "(`brand_not_authorised`, nothing is written). A title resembling a protected brand is "
    "written and moves the listing to `in_review` for an operator's check.",
)
INVALID = OpenApiResponse(
    ErrorSerializer, description="The request is not valid (`validation_error`)."
)
PRODUCT_NOT_FOUND = OpenApiResponse(
    ErrorSerializer, description="No such product in the active organisation."
)
PRECONDITION_FAILED = OpenApiResponse(
    ErrorSerializer,
    description="`If-Match` names another version than the current one "
    "(`precondition_failed`): read the product again and retry.",
)
ETAG_HEADER = {"ETag": {"description": "The version of the product, for `If-Match`."}}


class TierSerializer(serializers.Serializer):
    min_quantity = IntegerSerializerField(min_value=1)
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
            "case_gross_weight_kg",
            "case_length_cm",
            "case_width_cm",
            "case_height_cm",
            "sample_price_usd",
            "sample_limit_per_buyer",
            "cn_tariff_code",
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


class ProductBrowseQuery(serializers.Serializer):
    q = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="English or Chinese words."
    )
    category = serializers.CharField(
        max_length=80, required=False, allow_blank=True, help_text="A category slug."
    )
    state = inline_choice_field(
        STATE_CHOICES, required=False, help_text="The merchant's US state, e.g. `MI`."
    )
    brand = serializers.CharField(max_length=120, required=False, allow_blank=True)
    merchant = serializers.SlugField(
        max_length=80,
        required=False,
        allow_blank=True,
        help_text="A merchant's handle (`merchant.slug` of a listing): only its listings.",
    )
    price_min = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False
    )
    price_max = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False
    )
    max_moq = IntegerSerializerField(min_value=1, required=False)
    in_stock = serializers.BooleanField(required=False, help_text="Only listings in stock.")
    sort = inline_choice_field([(key, key) for key in SORTS], required=False)
    page = IntegerSerializerField(min_value=1, required=False)


class ProductListView(ToleratesLagMixin, APIView):
    """Public listings, with the browse page's filters: ``q`` (English or Chinese),
    ``category``, ``state``, ``brand``, ``merchant``, ``price_min``, ``price_max``,
    ``max_moq``, ``in_stock``, ``sort``, ``page``."""

    api_scopes = {"read": "catalog:read"}

    @extend_schema(
        operation_id="v1_products_browse",
        summary="Browse the public catalogue",
        parameters=[ProductBrowseQuery],
        responses={
            200: inline_serializer(
                "ProductBrowsePage",
                {
                    "count": serializers.IntegerField(),
                    "page": serializers.IntegerField(),
                    "pages": serializers.IntegerField(),
                    "results": ProductListSerializer(many=True),
                    "facets": inline_serializer(
                        "ProductBrowseFacets",
                        {
                            "category": serializers.DictField(child=serializers.IntegerField()),
                            "state": serializers.DictField(child=serializers.IntegerField()),
                            "brand": serializers.DictField(child=serializers.IntegerField()),
                            "merchant": serializers.DictField(
                                child=serializers.IntegerField(),
                                help_text="Listings per merchant handle (the 20 with most).",
                            ),
                            "in_stock": serializers.IntegerField(),
                        },
                    ),
                },
            ),
            400: INVALID,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
        },
    )
    def get(self, request):
        params = validated_query(ProductBrowseQuery, request)
        filters = selectors.BrowseFilters(
            query=params.get("q", ""),
            category=params.get("category", ""),
            state=params.get("state", ""),
            brand=params.get("brand", ""),
            merchant=params.get("merchant", ""),
            price_min=params.get("price_min"),
            price_max=params.get("price_max"),
            max_moq=params.get("max_moq"),
            in_stock=params.get("in_stock", False),
            sort=params.get("sort", ""),
        )
        result = selectors.product_browse(
            filters=filters, page_number=params.get("page", 1), per_page=50
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
                    "merchant": {f.value: f.count for f in result.merchants},
                    "in_stock": result.in_stock_count,
                },
            }
        )


class ProductDetailView(APIView):
    """One listing: public when active; drafts and paused ones only for their merchant."""

    api_scopes = {"read": "catalog:read"}

    @extend_schema(
        operation_id="v1_products_retrieve",
        summary="One listing",
        responses={
            200: ProductDetailSerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: OpenApiResponse(ErrorSerializer, description="No listing this viewer may see."),
        },
    )
    def get(self, request, pk: int):
        view = selectors.product_for_viewer(product_id=pk, organization=request.organization)
        if view is None:
            raise Http404
        product = view.product
        product.has_stock = view.available_total > 0
        # The SKUs this viewer may see, as the page shows them (loaded with their tiers and
        # stock by product_for_viewer).
        product._prefetched_objects_cache = {"skus": view.skus}
        return Response(ProductDetailSerializer(product).data)


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
    lead_time_days = IntegerSerializerField(min_value=0, max_value=365)
    msrp_usd = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, allow_null=True
    )


class CaseFieldsMixin(serializers.Serializer):
    """The packed carton's weight and size (optional; the size all three or none)."""

    case_gross_weight_kg = serializers.DecimalField(
        max_digits=8,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        allow_null=True,
        help_text="One packed carton, with its packaging.",
    )
    case_length_cm = serializers.DecimalField(
        max_digits=6, decimal_places=1, min_value=Decimal("0.1"), required=False, allow_null=True
    )
    case_width_cm = serializers.DecimalField(
        max_digits=6, decimal_places=1, min_value=Decimal("0.1"), required=False, allow_null=True
    )
    case_height_cm = serializers.DecimalField(
        max_digits=6, decimal_places=1, min_value=Decimal("0.1"), required=False, allow_null=True
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        names = ("case_length_cm", "case_width_cm", "case_height_cm")
        given = [name for name in names if name in attrs]
        if given and (
            len(given) != len(names) or len({attrs[name] is None for name in names}) != 1
        ):
            raise ValidationError(
                {
                    "case_length_cm": [
                        _("Give the case's length, width and height together, or none of them.")
                    ]
                }
            )
        return attrs


class SampleAndTariffMixin(serializers.Serializer):
    """A sample offer (no price: none) and the 8-digit China tariff code (optional)."""

    sample_price_usd = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        allow_null=True,
        help_text="Price of one sample unit; null offers no sample.",
    )
    sample_limit_per_buyer = IntegerSerializerField(min_value=1, max_value=100, required=False)
    cn_tariff_code = serializers.RegexField(
        r"^\d{8}$", required=False, allow_blank=True, help_text="8-digit China tariff code."
    )


class SKUWriteSerializer(SampleAndTariffMixin, CaseFieldsMixin, serializers.Serializer):
    code = serializers.CharField(max_length=40)
    variant_en = serializers.CharField(max_length=100, required=False, allow_blank=True)
    variant_zh_hans = serializers.CharField(max_length=100, required=False, allow_blank=True)
    case_pack = IntegerSerializerField(min_value=1, default=1)
    moq = IntegerSerializerField(min_value=1)
    tiers = TierSerializer(many=True, min_length=1, max_length=20)
    on_hand = IntegerSerializerField(min_value=0, default=0)
    low_stock_threshold = IntegerSerializerField(min_value=0, default=0)


class ProductCreateSerializer(ProductWriteSerializer):
    skus = SKUWriteSerializer(many=True, required=False, max_length=100)


def _raise_validation(error: DjangoValidationError):
    fields = (
        error.message_dict if hasattr(error, "error_dict") else {"non_field_errors": error.messages}
    )
    raise ValidationError(fields)


def _tiers(data) -> list[tuple[int, Decimal]]:
    return [(t["min_quantity"], t["unit_price_usd"]) for t in data]


class SKUUpsertSerializer(SampleAndTariffMixin, CaseFieldsMixin, serializers.Serializer):
    variant_en = serializers.CharField(max_length=100, required=False, allow_blank=True)
    variant_zh_hans = serializers.CharField(max_length=100, required=False, allow_blank=True)
    case_pack = IntegerSerializerField(min_value=1, max_value=100_000, default=1)
    moq = IntegerSerializerField(min_value=1, max_value=10_000_000)
    tiers = TierSerializer(many=True, min_length=1, max_length=20)


class ProductUpsertSerializer(ProductWriteSerializer):
    sku = SKUUpsertSerializer(help_text="The variant named by the SKU code in the path.")


def _merchant_product(request, pk: int) -> Product:
    """One of the active merchant's products, loaded as the detail serializer reads it; a 404
    for anyone else's."""
    return selectors.merchant_product_detail(
        product=selectors.access_product(organization=request.organization, pk=pk)
    )


def _expect_version(request) -> Callable[[Product | None], None]:
    """The check of ``If-Match`` a service runs under its lock: the product as the client would
    read it now must be the version it names (and there must be a product to update)."""

    def check(product: Product | None) -> None:
        changed = _("The product changed since you read it; read it again and retry.")
        if product is None:
            if request.headers.get("If-Match"):
                raise VersionChanged(changed)
            return
        current = ProductDetailSerializer(_merchant_product(request, product.pk)).data
        if check_if_match(request, product_etag(current)) is not None:
            raise VersionChanged(changed)

    return check


def product_etag(data: dict) -> str:
    """The version of a product as a client saw it: its details, SKUs and tiers. Stock moves
    with every order, so it is left out; an edit never fails because something sold."""
    stable = {name: value for name, value in data.items() if name != "in_stock"}
    stable["skus"] = [
        {name: value for name, value in sku.items() if name != "available"}
        for sku in data.get("skus", [])
    ]
    return etag_for_data(stable)


def _with_etag(data: dict, status: int = 200) -> Response:
    return Response(data, status=status, headers={"ETag": product_etag(data)})


class MerchantProductsQuery(serializers.Serializer):
    state = inline_choice_field(ListingState.choices, required=False)
    q = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="Words of the title, or a reference, brand or SKU code.",
    )


class MerchantProductListView(generics.ListAPIView):
    """The active merchant's products in every state (GET), or a new draft with its SKUs
    (POST)."""

    organization_kinds = MERCHANT
    api_scopes = CATALOG_SCOPES
    serializer_class = ProductDetailSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema is being generated
            return Product.objects.none()
        params = validated_query(MerchantProductsQuery, self.request)
        return (
            selectors.merchant_products(
                organization=self.request.organization,
                state=params.get("state", ""),
                query=params.get("q", ""),
            )
            .select_related("organization", "organization__merchant_application")
            .prefetch_related("skus__tiers", "skus__inventory")
            .annotate(
                has_stock=selectors._in_stock(
                    Inventory.objects.visible_to(self.request.organization)
                )
            )
        )

    @extend_schema(
        operation_id="v1_merchant_products_list",
        summary="The merchant's products in every state",
        parameters=[MerchantProductsQuery],
        responses={200: ProductDetailSerializer(many=True), 401: UNAUTHENTICATED, 403: FORBIDDEN},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="v1_merchant_products_create",
        summary="Create a draft product with its SKUs",
        request=ProductCreateSerializer,
        responses={
            201: ProductDetailSerializer,
            400: INVALID,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            409: OpenApiResponse(ErrorSerializer, description="A SKU code is already in use."),
        },
    )
    def post(self, request):
        serializer = ProductCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        skus = values.pop("skus", [])
        try:
            product = services.product_create(
                organization=request.organization,
                values=values,
                skus=[
                    services.SKUValues(
                        values=sku,
                        tiers=_tiers(sku["tiers"]),
                        on_hand=sku["on_hand"],
                        low_stock_threshold=sku["low_stock_threshold"],
                    )
                    for sku in skus
                ],
                acting_user=request.user,
            )
        except DjangoValidationError as error:
            _raise_validation(error)
        except IntegrityError:
            raise ValidationError({"skus": [_("Each SKU code is used once.")]}) from None
        product = self.get_queryset().get(pk=product.pk)
        return Response(ProductDetailSerializer(product).data, status=201)


class MerchantProductDetailView(APIView):
    """One of the active merchant's products (GET, with its ``ETag``) and its changes (PATCH,
    honouring ``If-Match``); another merchant's id is a 404."""

    organization_kinds = MERCHANT
    api_scopes = CATALOG_SCOPES

    def _product(self, request, pk: int) -> Product:
        return _merchant_product(request, pk)

    @extend_schema(
        operation_id="v1_merchant_products_retrieve",
        summary="One of the merchant's products",
        responses={
            200: ProductDetailSerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: PRODUCT_NOT_FOUND,
        },
    )
    def get(self, request, pk: int):
        return _with_etag(ProductDetailSerializer(self._product(request, pk)).data)

    @extend_schema(
        operation_id="v1_merchant_products_partial_update",
        summary="Change some of a product's details",
        parameters=[
            OpenApiParameter(
                "If-Match",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="The `ETag` read last; a 412 if the product changed since.",
            )
        ],
        request=ProductWriteSerializer,
        responses={
            200: ProductDetailSerializer,
            400: INVALID,
            401: UNAUTHENTICATED,
            403: FORBIDDEN_OR_BRAND,
            404: PRODUCT_NOT_FOUND,
            409: OpenApiResponse(
                ErrorSerializer, description="A taken-down listing (`illegal_transition`)."
            ),
            412: PRECONDITION_FAILED,
        },
    )
    def patch(self, request, pk: int):
        product = self._product(request, pk)
        serializer = ProductWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            services.product_update(
                product=product,
                values=dict(serializer.validated_data),
                acting_user=request.user,
                expected=_expect_version(request),
            )
        except VersionChanged:
            return precondition_failed()
        except DjangoValidationError as error:
            _raise_validation(error)
        return _with_etag(ProductDetailSerializer(self._product(request, pk)).data)


SKU_IN_PATH = OpenApiParameter(
    "sku",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The SKU code, unique among the merchant's SKUs.",
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The `ETag` read last; the update is refused with a 412 if the product "
    "changed since (or, with any value, if there is no such SKU yet).",
)


class ProductBySkuView(APIView):
    """A product addressed by the code of one of its SKUs: GET it (with ``ETag``), or PUT it
    — created with that SKU when the merchant has no such code (201), replaced otherwise
    (200), honouring ``If-Match``."""

    organization_kinds = MERCHANT
    api_scopes = CATALOG_SCOPES

    @extend_schema(
        operation_id="v1_products_by_sku_retrieve",
        summary="A product by SKU code",
        parameters=[SKU_IN_PATH],
        responses={
            200: ProductDetailSerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: OpenApiResponse(ErrorSerializer, description="No SKU with this code."),
        },
    )
    def get(self, request, sku: str):
        if "\x00" in sku:
            raise Http404
        found = selectors.access_sku_by_code(organization=request.organization, code=sku)
        return _with_etag(
            ProductDetailSerializer(_merchant_product(request, found.product_id)).data
        )

    @extend_schema(
        operation_id="v1_products_by_sku_upsert",
        summary="Create or replace a product by SKU code",
        parameters=[SKU_IN_PATH, IF_MATCH],
        request=ProductUpsertSerializer,
        responses={
            200: OpenApiResponse(ProductDetailSerializer, description="Updated."),
            201: OpenApiResponse(ProductDetailSerializer, description="Created."),
            400: OpenApiResponse(
                ErrorSerializer,
                description="The request is not valid (`validation_error`), or the tiers break "
                "a rule (`invalid_price_tiers`).",
            ),
            401: UNAUTHENTICATED,
            403: FORBIDDEN_OR_BRAND,
            409: OpenApiResponse(
                ErrorSerializer,
                description="A taken-down listing cannot be edited (`illegal_transition`), or "
                "another request created the SKU at the same moment (`conflict`).",
            ),
            412: PRECONDITION_FAILED,
        },
    )
    def put(self, request, sku: str):
        try:
            if len(sku) > 40:
                raise DjangoValidationError(_("A SKU code has at most 40 characters."))
            if not sku.isprintable():
                raise DjangoValidationError(_("A SKU code has no control characters."))
            validate_sku_code(sku)
        except DjangoValidationError as error:
            raise ValidationError({"sku": error.messages}) from None
        serializer = ProductUpsertSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        sku_values = dict(values.pop("sku"))
        tiers = _tiers(sku_values.pop("tiers"))
        try:
            # If-Match on a SKU the merchant does not have asks for an update of nothing: 412.
            product, created = services.sku_upsert(
                organization=request.organization,
                code=sku,
                values=values,
                sku_values=sku_values,
                tiers=tiers,
                acting_user=request.user,
                expected=_expect_version(request),
            )
        except VersionChanged:
            return precondition_failed()
        except DjangoValidationError as error:
            _raise_validation(error)
        except IntegrityError:
            return Response(
                {
                    "code": "conflict",
                    "message": _("Another request changed this SKU at the same time; retry."),
                    "fields": {},
                },
                status=409,
            )
        data = ProductDetailSerializer(_merchant_product(request, product.pk)).data
        return _with_etag(data, status=201 if created else 200)


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


@extend_schema_view(
    get=extend_schema(
        operation_id="v1_merchant_inventory_list",
        summary="Stock of every SKU",
        responses={200: InventorySerializer(many=True), 401: UNAUTHENTICATED, 403: FORBIDDEN},
    )
)
class MerchantInventoryView(generics.ListAPIView):
    """Stock of every SKU of the active merchant."""

    organization_kinds = MERCHANT
    api_scopes = {"read": "catalog:read"}
    serializer_class = InventorySerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema is being generated
            return Inventory.objects.none()
        return selectors.merchant_inventory(organization=self.request.organization)


# --- Stock of many SKUs in one call ------------------------------------------------------------


class _BulkRequestSerializer(serializers.Serializer):
    mode = inline_choice_field(
        [(mode, mode) for mode in MODES],
        default=ALL_OR_NOTHING,
        help_text="`all_or_nothing`: any refused row refuses the call (422) and nothing is "
        "written. `reject_failed_rows`: the good rows are written, the refused ones listed.",
    )
    reason = inline_choice_field(
        [(reason, reason) for reason in CLIENT_REASONS],
        required=False,
        help_text="Recorded in the stock ledger; `count` for set, `correction` for adjust "
        "when omitted.",
    )
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class InventorySetRowSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=40)
    quantity = IntegerSerializerField(min_value=0)
    expected_quantity = IntegerSerializerField(
        min_value=0,
        required=False,
        help_text="Only change the row if on hand is still this (compare-and-set).",
    )


class InventoryAdjustRowSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=40)
    delta = IntegerSerializerField(min_value=-2_147_483_647)
    expected_quantity = IntegerSerializerField(
        min_value=0,
        required=False,
        help_text="Only change the row if on hand is still this (compare-and-set).",
    )


class InventorySetRequestSerializer(_BulkRequestSerializer):
    rows = InventorySetRowSerializer(many=True, min_length=1, max_length=MAX_ROWS)


class InventoryAdjustRequestSerializer(_BulkRequestSerializer):
    rows = InventoryAdjustRowSerializer(many=True, min_length=1, max_length=MAX_ROWS)


class RowErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="The row's position in `rows`, from 0.")
    sku = serializers.CharField()
    code = serializers.CharField(
        help_text="`invalid_row`, `duplicate_sku`, `unknown_sku`, `quantity_mismatch`, "
        "`negative_stock` or `below_reserved`."
    )
    message = serializers.CharField()


class InventoryBulkResultSerializer(serializers.Serializer):
    mode = serializers.CharField()
    applied = serializers.IntegerField(help_text="Rows whose stock changed.")
    unchanged = serializers.IntegerField(help_text="Rows already at the figure.")
    failed = RowErrorSerializer(many=True, help_text="Refused rows (`reject_failed_rows`).")


class RowsRejectedErrorSerializer(ErrorSerializer):
    failed = RowErrorSerializer(
        many=True, required=False, help_text="The refused rows (`rows_rejected` only)."
    )


def _bulk_schema(operation: str, request_serializer):
    return extend_schema(
        operation_id=f"v1_inventory_{operation}",
        summary="Set the stock of many SKUs"
        if operation == "set"
        else "Adjust the stock of many SKUs",
        request=request_serializer,
        responses={
            200: InventoryBulkResultSerializer,
            400: INVALID,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            422: OpenApiResponse(
                RowsRejectedErrorSerializer,
                description="All-or-nothing and some rows were refused (`rows_rejected`): "
                "nothing was written; `failed` lists the rows.",
            ),
        },
    )


def _bulk_options(body) -> dict:
    """The call's options, checked by hand: the rows are checked one by one by the service,
    so one bad row of 10,000 is reported as that row rather than refusing the call."""
    if not isinstance(body, dict):
        raise ValidationError({"non_field_errors": [_("The body is a JSON object.")]})
    errors: dict[str, list[str]] = {}
    rows = body.get("rows")
    if not isinstance(rows, list) or not rows:
        errors["rows"] = [_("A list of at least one row.")]
    elif len(rows) > MAX_ROWS:
        errors["rows"] = [_("At most %(max)s rows per call.") % {"max": MAX_ROWS}]
    mode = body.get("mode", ALL_OR_NOTHING)
    if mode not in MODES:
        errors["mode"] = [_("One of all_or_nothing, reject_failed_rows.")]
    reason = body.get("reason")
    if reason is not None and reason not in CLIENT_REASONS:
        errors["reason"] = [_("One of count, received, damaged, correction.")]
    note = body.get("note", "")
    if not isinstance(note, str) or len(note) > 200:
        errors["note"] = [_("Text of at most 200 characters.")]
    if errors:
        raise ValidationError(errors)
    return {"rows": rows, "mode": mode, "reason": reason, "note": note}


class InventoryBulkView(APIView):
    """POST up to 10,000 rows. ``set``: ``{"sku", "quantity", "expected_quantity"?}``;
    ``adjust``: ``{"sku", "delta", "expected_quantity"?}``."""

    organization_kinds = MERCHANT
    api_scopes = {"write": "inventory:write"}
    operation = "set"

    def post(self, request):
        options = _bulk_options(request.data)
        try:
            result = inventory_bulk_change(
                organization=request.organization,
                operation=self.operation,
                acting_user=request.user,
                **options,
            )
        except StockRowsRejected as rejected:
            return Response(
                {
                    "code": rejected.code,
                    "message": rejected.message,
                    "fields": {},
                    "failed": [row.as_dict() for row in rejected.failed],
                },
                status=422,
            )
        return Response(
            {
                "mode": options["mode"],
                "applied": result.applied,
                "unchanged": result.unchanged,
                "failed": [row.as_dict() for row in result.failed],
            }
        )


@extend_schema_view(post=_bulk_schema("set", InventorySetRequestSerializer))
class InventorySetView(InventoryBulkView):
    operation = "set"


@extend_schema_view(post=_bulk_schema("adjust", InventoryAdjustRequestSerializer))
class InventoryAdjustView(InventoryBulkView):
    operation = "adjust"
