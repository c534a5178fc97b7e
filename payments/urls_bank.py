"""Paying by bank transfer: the buyer's payments, the operators' reconciliation and credit
limits."""

from django.urls import path

from payments import views_bank

urlpatterns: list = [
    path("buyer/", views_bank.buyer_overview, name="buyer_overview"),
    path(
        "purchase-orders/<str:number>/notice.pdf",
        views_bank.payment_notice,
        name="payment_notice",
    ),
    path("operations/reconciliation/", views_bank.reconciliation, name="reconciliation"),
    path(
        "operations/reconciliation/upload/",
        views_bank.statement_upload,
        name="statement_upload",
    ),
    path(
        "operations/reconciliation/match/",
        views_bank.entry_match,
        name="bank_entry_match",
    ),
    path(
        "operations/reconciliation/return/",
        views_bank.entry_return,
        name="bank_entry_return",
    ),
    path("operations/credit/", views_bank.credit_limits, name="credit_limits"),
    path(
        "operations/credit/set/",
        views_bank.credit_limit_update,
        name="credit_limit_update",
    ),
]
