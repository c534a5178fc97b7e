"""Messages between buyers and merchants: ``/deals/messages/``."""

from django.urls import path

from deals import views_messages

urlpatterns = [
    path("", views_messages.thread_list, name="threads"),
    path("new/", views_messages.thread_new, name="thread_new"),
    path("<int:thread_id>/", views_messages.thread_detail, name="thread"),
    path(
        "<int:thread_id>/files/<int:attachment_id>/",
        views_messages.message_attachment,
        name="message_attachment",
    ),
]
