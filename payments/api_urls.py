"""The payments API under ``/api/v1/payments/``; each use case keeps its own URL list."""

from payments import api_urls_bank, api_urls_claims, api_urls_payouts

urlpatterns = [
    *api_urls_bank.urlpatterns,
    *api_urls_claims.urlpatterns,
    *api_urls_payouts.urlpatterns,
]
