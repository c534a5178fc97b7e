from django.urls import path

from merchants import api

urlpatterns = [
    path("merchant/application/", api.MyApplicationView.as_view(), name="api-my-application"),
    path("applications/", api.ApplicationListView.as_view(), name="api-applications"),
    path("applications/<int:pk>/", api.ApplicationDetailView.as_view(), name="api-application"),
    path(
        "applications/<int:pk>/decision/",
        api.ApplicationDecisionView.as_view(),
        name="api-application-decision",
    ),
    path(
        "applications/<int:pk>/checklist/",
        api.ApplicationChecklistView.as_view(),
        name="api-application-checklist",
    ),
]
