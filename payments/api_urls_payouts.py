"""API of a merchant's money: balance, payouts, statement."""

from django.urls import path

from payments import api_payouts as api

urlpatterns: list = [
    path("payments/balance/", api.BalanceAPI.as_view(), name="payments_balance"),
    path("payments/payouts/", api.PayoutListAPI.as_view(), name="payments_payouts"),
    path("payments/statement/", api.StatementAPI.as_view(), name="payments_statement"),
    path("payments/statement.csv", api.StatementCsvAPI.as_view(), name="payments_statement_csv"),
]
