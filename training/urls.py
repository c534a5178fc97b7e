from django.urls import path

from training import views

app_name = "training"
urlpatterns = [
    path("", views.seminar_list, name="seminar_list"),
    path("my/", views.my_registrations, name="my_registrations"),
    path("calendar/reset/", views.feed_reset, name="feed_reset"),
    path("calendar/<str:token>.ics", views.feed, name="feed"),
    path("registrations/<int:pk>/", views.registration_detail, name="registration_detail"),
    path("registrations/<int:pk>/cancel/", views.registration_cancel, name="registration_cancel"),
    path("registrations/<int:pk>/invite.ics", views.registration_ics, name="registration_ics"),
    path("registrations/<int:pk>/qr.svg", views.registration_qr, name="registration_qr"),
    path(
        "registrations/<int:pk>/certificate.pdf",
        views.registration_certificate,
        name="registration_certificate",
    ),
    path(
        "registrations/<int:pk>/feedback/",
        views.registration_feedback,
        name="registration_feedback",
    ),
    path("offers/<str:token>/", views.offer, name="offer"),
    path("materials/<int:pk>/", views.material_download, name="material_download"),
    path("check-in/<str:token>/", views.check_in_scan, name="check_in_scan"),
    path("manage/", views.manage_list, name="manage_list"),
    path("manage/new/", views.manage_create, name="manage_create"),
    path("manage/<int:pk>/", views.manage_edit, name="manage_edit"),
    path("manage/<int:pk>/publish/", views.manage_publish, name="manage_publish"),
    path("manage/<int:pk>/cancel/", views.manage_cancel, name="manage_cancel"),
    path("manage/<int:pk>/attendees/", views.manage_attendees, name="manage_attendees"),
    path("manage/<int:pk>/check-in/", views.manage_check_in, name="manage_check_in"),
    path("manage/<int:pk>/feedback/", views.manage_feedback, name="manage_feedback"),
    path("manage/<int:pk>/materials/", views.manage_materials, name="manage_materials"),
    path("<slug:slug>/", views.seminar_detail, name="seminar_detail"),
    path("<slug:slug>/register/", views.seminar_register, name="seminar_register"),
]
