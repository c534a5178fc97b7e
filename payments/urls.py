"""The payments section's pages: ``/payments/``. Each use case keeps its own URL list."""

from django.urls import path

from payments import urls_bank, urls_claims, urls_payouts, views

app_name = "payments"
urlpatterns = [
    path("", views.home, name="home"),
    *urls_bank.urlpatterns,
    *urls_claims.urlpatterns,
    *urls_payouts.urlpatterns,
]
