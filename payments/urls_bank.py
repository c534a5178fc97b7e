"""Paying by bank transfer: the buyer's payments, the operators' reconciliation."""

from django.urls import path

from payments import views

urlpatterns: list = [
    path("buyer/", views.coming, name="buyer_overview"),
    path("operations/reconciliation/", views.coming, name="reconciliation"),
]
