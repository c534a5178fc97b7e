"""Messages in the API: ``/api/v1/deals/threads/``."""

from django.urls import path

from deals import api_messages

urlpatterns = [
    path("deals/threads/", api_messages.ThreadListCreateAPI.as_view(), name="deals_threads"),
    path("deals/threads/<int:pk>/", api_messages.ThreadDetailAPI.as_view(), name="deals_thread"),
    path(
        "deals/threads/<int:pk>/messages/",
        api_messages.ThreadMessagesAPI.as_view(),
        name="deals_thread_messages",
    ),
]
