"""api_urls_payouts: filled by its use case."""

urlpatterns: list = []
