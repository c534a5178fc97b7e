from django.urls import path

from training import api

urlpatterns = [
    path("seminars/", api.SeminarList.as_view(), name="api_seminar_list"),
    path("seminars/<slug:slug>/", api.SeminarDetail.as_view(), name="api_seminar_detail"),
    path(
        "seminars/<slug:slug>/registrations/",
        api.SeminarRegister.as_view(),
        name="api_seminar_register",
    ),
    path(
        "seminar-registrations/",
        api.MyRegistrationList.as_view(),
        name="api_seminar_registration_list",
    ),
    path(
        "seminar-registrations/<int:pk>/",
        api.MyRegistrationDetail.as_view(),
        name="api_seminar_registration_detail",
    ),
    path(
        "seminar-registrations/<int:pk>/cancel/",
        api.MyRegistrationCancel.as_view(),
        name="api_seminar_registration_cancel",
    ),
]
