"""api_urls_bank: filled by its use case."""

urlpatterns: list = []
