from django.urls import include, path

urlpatterns = [
    path("", include("deals.api_urls_messages")),
    path("", include("deals.api_urls_quotations")),
    path("", include("deals.api_urls_lists")),
]
