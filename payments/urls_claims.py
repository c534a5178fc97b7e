"""urls_claims: filled by its use case."""

urlpatterns: list = []
