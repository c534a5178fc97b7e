"""Paying by bank transfer: the buyer's purchase order payments and credit."""

from django.urls import path

from payments import api_bank

urlpatterns: list = [
    path(
        "payments/purchase-orders/",
        api_bank.PurchaseOrderPaymentListAPI.as_view(),
        name="payments-purchase-orders",
    ),
    path(
        "payments/purchase-orders/<str:number>/",
        api_bank.PurchaseOrderPaymentAPI.as_view(),
        name="payments-purchase-order",
    ),
    path("payments/credit/", api_bank.CreditAPI.as_view(), name="payments-credit"),
    path(
        "payments/statements/",
        api_bank.StatementImportAPI.as_view(),
        name="payments-statements",
    ),
]
