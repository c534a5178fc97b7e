from django.urls import include, path

app_name = "deals"

urlpatterns = [
    path("messages/", include("deals.urls_messages")),
    path("quotations/", include("deals.urls_quotations")),
    path("buy-again/", include("deals.urls_lists")),
]
