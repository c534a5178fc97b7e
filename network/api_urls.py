"""/api/v1/: every app's endpoints under one version prefix."""

from django.urls import include, path

urlpatterns = [
    path("", include("merchants.api_urls")),
    path("", include("catalog.api_urls")),
    path("", include("orders.api_urls")),
    path("", include("shipping.api_urls")),
    path("", include("training.api_urls")),
]
