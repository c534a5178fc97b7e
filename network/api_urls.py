"""/api/v1/: every app's endpoints under one version prefix."""

from django.urls import include, path

from network import api_webhooks

urlpatterns = [
    path(
        "webhook-endpoints/",
        api_webhooks.WebhookEndpointList.as_view(),
        name="api-webhook-endpoints",
    ),
    path(
        "webhook-endpoints/<int:pk>/",
        api_webhooks.WebhookEndpointDetail.as_view(),
        name="api-webhook-endpoint",
    ),
    path(
        "webhook-endpoints/<int:pk>/rotate-secret/",
        api_webhooks.WebhookEndpointRotateSecret.as_view(),
        name="api-webhook-endpoint-rotate-secret",
    ),
    path(
        "webhook-endpoints/<int:pk>/deliveries/",
        api_webhooks.WebhookDeliveryList.as_view(),
        name="api-webhook-deliveries",
    ),
    path(
        "webhook-endpoints/<int:pk>/deliveries/<int:delivery_id>/replay/",
        api_webhooks.WebhookDeliveryReplay.as_view(),
        name="api-webhook-delivery-replay",
    ),
    path("", include("merchants.api_urls")),
    path("", include("catalog.api_urls")),
    path("", include("orders.api_urls")),
    path("", include("shipping.api_urls")),
    path("", include("payments.api_urls")),
    path("", include("deals.api_urls")),
    path("", include("training.api_urls")),
]
