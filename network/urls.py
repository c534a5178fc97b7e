from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from network import health, metrics, views

# A lost database connection answers 503 with its own page (network.observability).
handler500 = "network.observability.server_error"
# Under /api/ these answer in the API's error shape; elsewhere the 400 and 404 pages.
handler400 = "network.request_guard.bad_request"
handler404 = "network.request_guard.not_found"

urlpatterns = [
    path("", views.home, name="home"),
    # The catalogue with moderation's pages, in one URL namespace ("catalog"); near the top, as
    # the browse page is the most requested page and each pattern before it is tried in turn.
    path("catalog/", include("moderation.urls")),
    path("healthz", health.healthz, name="healthz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("i18n/setlang/", views.language_switch, name="set_language"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    # Setting up TOTP also passes the session's second factor (see views.totp_activate).
    path("accounts/2fa/totp/activate/", views.totp_activate, name="mfa_activate_totp"),
    path("accounts/", include("allauth.urls")),
    path("account/preferences/", views.preferences, name="preferences"),
    path("account/notifications/", views.notifications, name="notifications"),
    path("organizations/new/", views.organization_create, name="organization_create"),
    path("organizations/switch/", views.organization_switch, name="organization_switch"),
    path("organization/members/", views.members, name="members"),
    path(
        "organization/members/<int:membership_id>/role/",
        views.member_change_role,
        name="member_change_role",
    ),
    path(
        "organization/members/<int:membership_id>/remove/",
        views.member_remove,
        name="member_remove",
    ),
    path(
        "organization/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("operations/exchange-rates/", views.exchange_rates, name="exchange_rates"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/<slug:slug>.csv", views.dashboard_export, name="dashboard_export"),
    path("merchants/", include("merchants.urls")),
    path("orders/", include("orders.urls")),
    path("shipping/", include("shipping.urls")),
    path("payments/", include("payments.urls")),
    path("deals/", include("deals.urls")),
    path("training/", include("training.urls")),
    path("api/v1/", include("network.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # Redoc styles itself with injected <style> elements; this one page allows them.
    path(
        "api/redoc/",
        csp_update({"style-src": ["'unsafe-inline'"]})(
            SpectacularRedocView.as_view(url_name="api-schema")
        ),
        name="api-redoc",
    ),
    path("organization/integrations/", views.integrations, name="integrations"),
    path(
        "organization/integrations/keys/<int:key_id>/revoke/",
        views.api_key_revoke,
        name="api_key_revoke",
    ),
    path("organization/integrations/webhooks/", views.webhooks, name="webhooks"),
    path(
        "organization/integrations/webhooks/<int:endpoint_id>/",
        views.webhook_detail,
        name="webhook_detail",
    ),
    path(
        "organization/integrations/deliveries/<int:delivery_id>/redeliver/",
        views.webhook_redeliver,
        name="webhook_redeliver",
    ),
    # Before the admin's own: its login form would skip the second factor and rate limits.
    path("admin/login/", views.admin_login, name="admin_login"),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:  # pragma: no cover
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
