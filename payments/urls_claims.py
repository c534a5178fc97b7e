"""Claims: the buyer opens and follows its claims, the merchant answers, the operators decide."""

from django.urls import path

from payments import views_claims

urlpatterns = [
    path("claims/", views_claims.claim_list, name="claims"),
    path("claims/queue/", views_claims.claims_queue, name="claims_queue"),
    path("claims/new/<str:number>/", views_claims.claim_open, name="claim_open"),
    path("claims/<str:claim_number>/", views_claims.claim_detail, name="claim_detail"),
    path("claims/<str:claim_number>/respond/", views_claims.claim_respond, name="claim_respond"),
    path("claims/<str:claim_number>/answer/", views_claims.claim_answer, name="claim_answer"),
    path("claims/<str:claim_number>/decide/", views_claims.claim_decide, name="claim_decide"),
    path(
        "claims/<str:claim_number>/photos/<int:claim_photo_id>/",
        views_claims.claim_photo,
        name="claim_photo",
    ),
]
