"""API of a shipment's trade documents: the versions of its commercial invoice, packing list
and case labels with what they total, and each version's PDF. The shipment's merchant reads them
with ``bookings:read``, its buyer with ``orders:read``; anyone else is answered 404."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from merchants.api import ErrorSerializer
from network.db_router import ToleratesLagMixin
from network.models import ApiScope, Organization
from shipping import selectors
from shipping.models import TradeDocument
from shipping.views_documents import trade_document_filename, trade_document_response

PARTIES = [Organization.Kind.MERCHANT, Organization.Kind.BUYER, Organization.Kind.OPERATOR]

UNAUTHENTICATED = OpenApiResponse(ErrorSerializer, description="Not signed in.")
FORBIDDEN = OpenApiResponse(
    ErrorSerializer,
    description="The active organisation is not allowed to use this endpoint, or the API key "
    "lacks `bookings:read` (a merchant's) or `orders:read` (a buyer's).",
)
SHIPMENT_NOT_FOUND = OpenApiResponse(
    ErrorSerializer,
    description="No shipment with this reference of which the active organisation is the "
    "merchant or the buyer (`not_found`).",
)
DOCUMENT_NOT_FOUND = OpenApiResponse(
    ErrorSerializer,
    description="No such document of this shipment for the active organisation (`not_found`).",
)
REFERENCE = OpenApiParameter(
    "reference", OpenApiTypes.STR, OpenApiParameter.PATH, description="The shipment's reference."
)
DOCUMENT_ID = OpenApiParameter(
    "pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="The document version's id."
)


class PartyScopes:
    """A merchant's key needs ``bookings:read``; a buyer's key ``orders:read``."""

    @property
    def api_scopes(self) -> dict[str, str]:
        organization = getattr(self.request, "organization", None)
        if organization is not None and organization.kind == Organization.Kind.BUYER:
            return {"read": ApiScope.ORDERS_READ}
        return {"read": ApiScope.BOOKINGS_READ}


class TradeDocumentSerializer(serializers.ModelSerializer):
    latest = serializers.SerializerMethodField()
    filename = serializers.SerializerMethodField()
    file_url = serializers.SerializerMethodField()

    class Meta:
        model = TradeDocument
        fields = [
            "id",
            "kind",
            "number",
            "version",
            "latest",
            "content_hash",
            "total_cases",
            "total_net_weight_kg",
            "total_gross_weight_kg",
            "total_volume_m3",
            "total_value_usd",
            "created_at",
            "filename",
            "file_url",
        ]

    def get_latest(self, document: TradeDocument) -> bool:
        return document.pk in self.context["latest"]

    def get_filename(self, document: TradeDocument) -> str:
        return trade_document_filename(document)

    def get_file_url(self, document: TradeDocument) -> str:
        return reverse(
            "shipping_trade_document_file", args=[self.context["reference"], document.pk]
        )


class TradeDocumentListSerializer(serializers.Serializer):
    shipment = serializers.CharField()
    results = TradeDocumentSerializer(many=True)


class TradeDocumentListAPI(ToleratesLagMixin, PartyScopes, APIView):
    """GET every version of the shipment's documents: by kind, newest version first."""

    organization_kinds = PARTIES

    @extend_schema(
        operation_id="v1_shipping_shipment_documents_list",
        summary="A shipment's trade documents, every version with its totals",
        parameters=[REFERENCE],
        responses={
            200: TradeDocumentListSerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: SHIPMENT_NOT_FOUND,
        },
    )
    def get(self, request, reference: str):
        shipment = selectors.shipment_with_trade_documents(
            organization=request.organization, reference=reference
        )
        documents = list(
            selectors.trade_documents_of_shipment(
                organization=request.organization, shipment=shipment
            )
        )
        latest = {}
        for document in documents:
            latest.setdefault(document.kind, document.pk)
        context = {"latest": set(latest.values()), "reference": shipment.reference}
        return Response(
            {
                "shipment": shipment.reference,
                "results": TradeDocumentSerializer(documents, many=True, context=context).data,
            }
        )


class TradeDocumentFileAPI(PartyScopes, APIView):
    """GET one version's PDF."""

    organization_kinds = PARTIES

    @extend_schema(
        operation_id="v1_shipping_shipment_documents_file",
        summary="The PDF of one version of a trade document",
        parameters=[REFERENCE, DOCUMENT_ID],
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            302: OpenApiResponse(
                description="Where uploads are kept on object storage (`S3_*`): the PDF is at "
                "the link in `Location`, signed for `S3_SIGNED_URL_SECONDS` (60 s by default)."
            ),
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: DOCUMENT_NOT_FOUND,
        },
    )
    def get(self, request, reference: str, pk: int):
        document = selectors.access_trade_document(
            organization=request.organization, shipment_reference=reference, document_pk=pk
        )
        return trade_document_response(document)
