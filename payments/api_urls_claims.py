"""Claims in the API: ``/api/v1/payments/claims/``."""

from django.urls import path

from payments import api_claims

urlpatterns = [
    path("payments/claims/", api_claims.ClaimListCreateAPI.as_view(), name="payments_claims"),
    path(
        "payments/claims/<str:number>/",
        api_claims.ClaimDetailAPI.as_view(),
        name="payments_claim",
    ),
    path(
        "payments/claims/<str:number>/respond/",
        api_claims.ClaimRespondAPI.as_view(),
        name="payments_claim_respond",
    ),
    path(
        "payments/claims/<str:number>/decide/",
        api_claims.ClaimDecideAPI.as_view(),
        name="payments_claim_decide",
    ),
]
