"""The merchant registry's API: a merchant reads its application; operators list and decide.
The same services as the pages stand behind every write."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from merchants import selectors, services
from merchants.models import ApplicationStatus, MerchantApplication, ProductCategory
from network.api import inline_choice_field
from network.api_query import validated_query
from network.api_schema import ErrorSerializer
from network.fields import IntegerSerializerField
from network.models import Organization, Role


class ApplicationSerializer(serializers.ModelSerializer):
    organization = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    missing = serializers.SerializerMethodField()
    brands = serializers.SerializerMethodField()

    class Meta:
        model = MerchantApplication
        fields = [
            "id",
            "organization",
            "status",
            "status_display",
            "legal_name",
            "dba",
            "state_of_incorporation",
            "categories",
            "submitted_at",
            "decided_at",
            "approved_at",
            "decision_reason",
            "submission_count",
            "missing",
            "brands",
            "badges",
        ]
        read_only_fields = fields

    def get_missing(self, application) -> list[str]:
        return services.application_missing(application)

    def get_brands(self, application) -> list[dict]:
        return [
            {"name": b.name, "relationship": b.relationship, "trademark_number": b.trademark_number}
            for b in application.brands.all()
        ]


class OperatorApplicationSerializer(ApplicationSerializer):
    class Meta(ApplicationSerializer.Meta):
        fields = [
            *ApplicationSerializer.Meta.fields,
            "ein",
            "contact_name",
            "city",
            "state",
            "website",
            "year_founded",
            "employee_band",
            "revenue_band",
            "export_experience",
            "fulfilment",
            *MerchantApplication.CHECKLIST,
        ]
        read_only_fields = fields


class MyApplicationView(APIView):
    """The active merchant organisation's application and where it stands."""

    organization_kinds = [Organization.Kind.MERCHANT]

    @extend_schema(
        responses={
            200: ApplicationSerializer,
            404: OpenApiResponse(ErrorSerializer, description="No application yet."),
        }
    )
    def get(self, request):
        application = selectors.merchant_application(organization=request.organization)
        if application is None:
            return Response(
                {"code": "not_found", "message": "No application yet.", "fields": {}}, status=404
            )
        return Response(ApplicationSerializer(application).data)


class ApplicationQueueQuery(serializers.Serializer):
    status = inline_choice_field(
        [("all", "all"), *ApplicationStatus.choices],
        required=False,
        help_text="Omitted: those waiting for review; `all`: every submitted one.",
    )
    category = inline_choice_field(ProductCategory.choices, required=False)
    state = serializers.CharField(
        max_length=2, required=False, allow_blank=True, help_text="A US state, e.g. `MI`."
    )
    older_than_days = IntegerSerializerField(
        min_value=0,
        max_value=36_500,
        required=False,
        help_text="Only applications waiting longer than this many days.",
    )


@extend_schema_view(
    get=extend_schema(
        parameters=[ApplicationQueueQuery],
        responses={
            200: OperatorApplicationSerializer(many=True),
            400: OpenApiResponse(ErrorSerializer, description="The query is not valid."),
        },
    )
)
class ApplicationListView(generics.ListAPIView):
    """Operators: the review queue, filterable by status, category, state and age."""

    organization_kinds = [Organization.Kind.OPERATOR]
    serializer_class = OperatorApplicationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's introspection: no request
            return MerchantApplication.objects.none()
        params = validated_query(ApplicationQueueQuery, self.request)
        return selectors.review_queue(
            organization=self.request.organization,
            status=params.get("status", ""),
            category=params.get("category", ""),
            state=params.get("state", ""),
            older_than_days=params.get("older_than_days"),
        ).prefetch_related("brands", "documents")


class ApplicationDetailView(generics.RetrieveAPIView):
    """Operators: one application with its checklist."""

    organization_kinds = [Organization.Kind.OPERATOR]
    serializer_class = OperatorApplicationSerializer

    def get_object(self):
        return selectors.access_merchant_application(
            organization=self.request.organization, pk=self.kwargs["pk"]
        )


class DecisionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(
        choices=["start_review", "approve", "request_changes", "reject", "suspend", "reinstate"]
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ChecklistSerializer(serializers.Serializer):
    check_identity = serializers.BooleanField(required=False)
    check_ein = serializers.BooleanField(required=False)
    check_documents = serializers.BooleanField(required=False)
    check_brands = serializers.BooleanField(required=False)
    check_categories = serializers.BooleanField(required=False)


def _operator_application(request, pk: int) -> MerchantApplication:
    return selectors.access_merchant_application(organization=request.organization, pk=pk)


def _run(call):
    try:
        return call()
    except DjangoValidationError as error:
        raise ValidationError(
            getattr(error, "message_dict", {"non_field_errors": error.messages})
        ) from error


class ApplicationDecisionView(APIView):
    """Operators decide: start_review, approve, request_changes, reject, suspend, reinstate."""

    organization_kinds = [Organization.Kind.OPERATOR]
    required_role = Role.STAFF

    @extend_schema(
        request=DecisionSerializer,
        responses={
            200: OperatorApplicationSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="The request is not valid (`validation_error`), or the application "
                "lacks what approval needs (`application_incomplete`).",
            ),
            409: OpenApiResponse(
                ErrorSerializer,
                description="The application's status does not allow this (`illegal_transition`).",
            ),
        },
    )
    def post(self, request, pk: int):
        application = _operator_application(request, pk)
        decision = DecisionSerializer(data=request.data)
        decision.is_valid(raise_exception=True)
        action, reason = decision.validated_data["action"], decision.validated_data["reason"]
        user = request.user
        calls = {
            "start_review": lambda: services.application_start_review(
                application=application, acting_user=user
            ),
            "approve": lambda: services.application_approve(
                application=application, acting_user=user
            ),
            "request_changes": lambda: services.application_request_changes(
                application=application, reason=reason, acting_user=user
            ),
            "reject": lambda: services.application_reject(
                application=application, reason=reason, acting_user=user
            ),
            "suspend": lambda: services.merchant_suspend(
                organization=application.organization, reason=reason, acting_user=user
            ),
            "reinstate": lambda: services.merchant_reinstate(
                organization=application.organization, acting_user=user
            ),
        }
        _run(calls[action])
        return Response(OperatorApplicationSerializer(_operator_application(request, pk)).data)


class ApplicationChecklistView(APIView):
    """Operators tick the review checklist of an application."""

    organization_kinds = [Organization.Kind.OPERATOR]
    required_role = Role.STAFF

    @extend_schema(
        request=ChecklistSerializer,
        responses={
            200: OperatorApplicationSerializer,
            409: OpenApiResponse(
                ErrorSerializer,
                description="The application is not under review (`illegal_transition`).",
            ),
        },
    )
    def put(self, request, pk: int):
        application = _operator_application(request, pk)
        checks = ChecklistSerializer(data=request.data)
        checks.is_valid(raise_exception=True)
        _run(
            lambda: services.application_update_checklist(
                application=application, checks=checks.validated_data, acting_user=request.user
            )
        )
        return Response(OperatorApplicationSerializer(_operator_application(request, pk)).data)
