"""Payouts: the merchant's money page, bank account, statements; the operators' runs."""

from django.urls import path

from payments import views_payouts as views

urlpatterns: list = [
    path("merchant/", views.merchant_overview, name="merchant_overview"),
    path("merchant/bank-account/", views.bank_account_form, name="bank_account"),
    path(
        "merchant/bank-account/confirm/",
        views.bank_account_confirm,
        name="bank_account_confirm",
    ),
    path(
        "bank-account/confirm/<str:token>/",
        views.bank_account_confirm_link,
        name="bank_account_confirm_link",
    ),
    path(
        "merchant/statement.csv",
        views.merchant_statement,
        {"extension": "csv"},
        name="merchant_statement_csv",
    ),
    path(
        "merchant/statement.pdf",
        views.merchant_statement,
        {"extension": "pdf"},
        name="merchant_statement_pdf",
    ),
    path("operations/payouts/", views.payout_runs, name="payout_runs"),
    path("operations/payouts/run/", views.payout_run_start, name="payout_run_start"),
    path("operations/payouts/<int:pk>/", views.payout_run_detail, name="payout_run"),
    path("operations/payouts/<int:pk>/file/", views.payout_run_file, name="payout_run_file"),
]
