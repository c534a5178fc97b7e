"""API of buying again under /api/v1/deals/: saved lists (CRUD, items, to the cart), quick
order (pasted ``SKU,quantity`` lines) and reorder of a past purchase order. Each write that
fills the cart answers line by line what went in and what did not. Writes accept an
``Idempotency-Key``. API keys need the orders scopes (``orders:read``, ``orders:write``)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import SKU
from deals import selectors
from deals.models import SavedList, SavedListItem
from deals.services import lists as services
from merchants.api import ErrorSerializer
from network.db_router import ToleratesLagMixin
from network.models import Organization
from network.tenancy import found
from orders.selectors import access_purchase_order

BUYER = [Organization.Kind.BUYER]
SCOPES = {"read": "orders:read", "write": "orders:write"}
# Reading needs any member; writes need staff rank, which a buyer organisation's buyers hold.

UNAUTHENTICATED = OpenApiResponse(ErrorSerializer, description="Not signed in.")
FORBIDDEN = OpenApiResponse(
    ErrorSerializer,
    description="Not a buyer organisation, a role that may not order, or an API key without "
    "the orders scope.",
)
NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such list, item or order for you.")
INVALID = OpenApiResponse(
    ErrorSerializer,
    description="The request is not valid (`validation_error`, `saved_list_invalid`, "
    "`quick_order_invalid`).",
)
LIST_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The saved list's id."
)
ITEM_ID = OpenApiParameter(
    "item_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The item's id."
)
NUMBER = OpenApiParameter(
    "number", OpenApiTypes.STR, OpenApiParameter.PATH, description="The purchase order's number."
)


class OutcomeSerializer(serializers.Serializer):
    sku_id = serializers.IntegerField(allow_null=True)
    code = serializers.CharField()
    requested = serializers.IntegerField()
    outcome = serializers.CharField(
        help_text="`added`, or why not: `unavailable`, `below_moq`, `case_pack`, "
        "`insufficient_stock`, `not_allowed`."
    )
    quantity = serializers.IntegerField(help_text="The units put in the cart.")
    message = serializers.CharField()


class ItemSerializer(serializers.ModelSerializer):
    sku = serializers.IntegerField(source="sku_id")
    code = serializers.CharField(source="sku.code")
    product = serializers.CharField(source="sku.product.title")
    merchant = serializers.CharField(source="sku.product.organization.slug")

    class Meta:
        model = SavedListItem
        fields = ["id", "sku", "code", "product", "merchant", "quantity", "created_at"]


class SavedListSerializer(serializers.ModelSerializer):
    item_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = SavedList
        fields = ["id", "name", "item_count", "created_at", "updated_at"]


class SavedListDetailSerializer(serializers.ModelSerializer):
    items = serializers.SerializerMethodField()

    class Meta:
        model = SavedList
        fields = ["id", "name", "created_at", "updated_at", "items"]

    def get_items(self, saved_list) -> list[dict]:
        return ItemSerializer(selectors.saved_list_items(saved_list), many=True).data


class NameSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)


class ItemCreateSerializer(serializers.Serializer):
    sku = serializers.IntegerField(required=False, help_text="The SKU's id.")
    code = serializers.CharField(
        required=False, help_text="Or its code, `merchant-slug/CODE` where several use it."
    )
    quantity = serializers.IntegerField(min_value=1)

    def validate(self, attrs):
        if attrs.get("sku") is None and not attrs.get("code"):
            raise serializers.ValidationError("Give `sku` or `code`.")
        return attrs


class QuickOrderSerializer(serializers.Serializer):
    lines = serializers.CharField(
        max_length=20000, help_text="`SKU,quantity` lines (or `merchant-slug/SKU,quantity`)."
    )


class ProblemSerializer(serializers.Serializer):
    line_number = serializers.IntegerField()
    text = serializers.CharField()
    message = serializers.CharField()


class QuickOrderResultSerializer(serializers.Serializer):
    outcomes = OutcomeSerializer(many=True)
    problems = ProblemSerializer(many=True)


def _outcomes(outcomes) -> list[dict]:
    return OutcomeSerializer(outcomes, many=True).data


def _list(request, pk: int) -> SavedList:
    return selectors.access_saved_list(organization=request.organization, pk=pk)


def _sku(data: dict) -> SKU:
    if data.get("sku") is not None:
        return found(SKU.objects.public(), pk=data["sku"])
    read = services.quick_order_read(text=f"{data['code']},{data['quantity']}")
    if read.problems:
        raise services.SavedListInvalid(read.problems[0].message, field="code")
    return read.items[0][0]


class SavedListsAPI(ToleratesLagMixin, APIView):
    """GET the buyer's saved lists; POST a new (empty) one."""

    organization_kinds = BUYER
    api_scopes = SCOPES
    parser_classes = [JSONParser, FormParser]

    @extend_schema(
        operation_id="v1_deals_saved_lists_list",
        summary="Saved lists",
        responses={200: SavedListSerializer(many=True), 401: UNAUTHENTICATED, 403: FORBIDDEN},
    )
    def get(self, request):
        lists = selectors.saved_lists_for(organization=request.organization)[:200]
        return Response(SavedListSerializer(lists, many=True).data)

    @extend_schema(
        operation_id="v1_deals_saved_lists_create",
        summary="Create a saved list",
        request=NameSerializer,
        responses={
            201: SavedListDetailSerializer,
            400: INVALID,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
        },
    )
    def post(self, request):
        payload = NameSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        saved_list = services.saved_list_create(
            organization=request.organization,
            name=payload.validated_data["name"],
            acting_user=request.user,
        )
        return Response(SavedListDetailSerializer(saved_list).data, status=status.HTTP_201_CREATED)


class SavedListAPI(APIView):
    """GET a list with its items; PATCH its name; DELETE it."""

    organization_kinds = BUYER
    api_scopes = SCOPES
    parser_classes = [JSONParser, FormParser]

    @extend_schema(
        operation_id="v1_deals_saved_lists_retrieve",
        summary="A saved list",
        parameters=[LIST_ID],
        responses={
            200: SavedListDetailSerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def get(self, request, pk: int):
        return Response(SavedListDetailSerializer(_list(request, pk)).data)

    @extend_schema(
        operation_id="v1_deals_saved_lists_rename",
        summary="Rename a saved list",
        parameters=[LIST_ID],
        request=NameSerializer,
        responses={
            200: SavedListDetailSerializer,
            400: INVALID,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def patch(self, request, pk: int):
        saved_list = _list(request, pk)
        payload = NameSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        saved_list = services.saved_list_rename(
            saved_list=saved_list, name=payload.validated_data["name"], acting_user=request.user
        )
        return Response(SavedListDetailSerializer(saved_list).data)

    @extend_schema(
        operation_id="v1_deals_saved_lists_destroy",
        summary="Delete a saved list",
        parameters=[LIST_ID],
        responses={204: None, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def delete(self, request, pk: int):
        services.saved_list_delete(saved_list=_list(request, pk), acting_user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SavedListItemsAPI(APIView):
    """POST a SKU (by id or code) and quantity onto the list; a SKU already on it takes the new
    quantity."""

    organization_kinds = BUYER
    api_scopes = SCOPES
    parser_classes = [JSONParser, FormParser]

    @extend_schema(
        operation_id="v1_deals_saved_lists_items_create",
        summary="Save a SKU on a list",
        parameters=[LIST_ID],
        request=ItemCreateSerializer,
        responses={
            201: ItemSerializer,
            400: INVALID,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def post(self, request, pk: int):
        saved_list = _list(request, pk)
        payload = ItemCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        item = services.saved_list_add_item(
            organization=request.organization,
            saved_list=saved_list,
            sku=_sku(data),
            quantity=data["quantity"],
            acting_user=request.user,
        )
        item = selectors.access_saved_list_item(saved_list=saved_list, pk=item.pk)
        return Response(ItemSerializer(item).data, status=status.HTTP_201_CREATED)


class SavedListItemAPI(APIView):
    organization_kinds = BUYER
    api_scopes = SCOPES

    @extend_schema(
        operation_id="v1_deals_saved_lists_items_destroy",
        summary="Take a SKU off a list",
        parameters=[LIST_ID, ITEM_ID],
        responses={204: None, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def delete(self, request, pk: int, item_id: int):
        item = selectors.access_saved_list_item(saved_list=_list(request, pk), pk=item_id)
        services.saved_list_remove_item(item=item, acting_user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SavedListCartAPI(APIView):
    organization_kinds = BUYER
    api_scopes = SCOPES

    @extend_schema(
        operation_id="v1_deals_saved_lists_cart",
        summary="Put the whole list in the cart",
        parameters=[LIST_ID],
        request=None,
        responses={
            200: OutcomeSerializer(many=True),
            400: INVALID,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def post(self, request, pk: int):
        pairs = services.saved_list_to_cart(saved_list=_list(request, pk), acting_user=request.user)
        return Response(_outcomes([outcome for _item, outcome in pairs]))


class QuickOrderAPI(APIView):
    organization_kinds = BUYER
    api_scopes = SCOPES
    parser_classes = [JSONParser, FormParser]

    @extend_schema(
        operation_id="v1_deals_quick_order",
        summary="Quick order: pasted SKU,quantity lines to the cart",
        request=QuickOrderSerializer,
        responses={
            200: QuickOrderResultSerializer,
            400: INVALID,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
        },
    )
    def post(self, request):
        payload = QuickOrderSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        result = services.quick_order_add(
            organization=request.organization,
            text=payload.validated_data["lines"],
            acting_user=request.user,
        )
        return Response(
            {
                "outcomes": _outcomes([outcome for _sku, outcome in result.outcomes]),
                "problems": ProblemSerializer(result.problems, many=True).data,
            }
        )


class ReorderAPI(APIView):
    organization_kinds = BUYER
    api_scopes = SCOPES

    @extend_schema(
        operation_id="v1_deals_reorder",
        summary="Put a past purchase order's lines in the cart again",
        parameters=[NUMBER],
        request=None,
        responses={
            200: OutcomeSerializer(many=True),
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def post(self, request, number: str):
        purchase_order = access_purchase_order(organization=request.organization, reference=number)
        lines = services.purchase_order_reorder(
            purchase_order=purchase_order, acting_user=request.user
        )
        return Response(
            _outcomes(
                [{**vars(line.outcome), "code": line.outcome.code or line.code} for line in lines]
            )
        )
