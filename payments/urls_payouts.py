"""Payouts: the merchant's money page, bank account, statements; the operators' runs."""

from django.urls import path

from payments import views

urlpatterns: list = [
    path("merchant/", views.coming, name="merchant_overview"),
]
