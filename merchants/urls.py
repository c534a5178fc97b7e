from django.urls import path

from merchants import views

app_name = "merchants"
urlpatterns = [
    path("", views.directory, name="directory"),
    path("application/", views.application, name="application"),
    path("application/submit/", views.application_submit, name="application_submit"),
    path("application/brands/add/", views.brand_add, name="brand_add"),
    path("application/brands/<int:claim_id>/edit/", views.brand_edit, name="brand_edit"),
    path("application/brands/<int:claim_id>/remove/", views.brand_remove, name="brand_remove"),
    path("application/documents/upload/", views.document_upload, name="document_upload"),
    path(
        "application/documents/<int:document_id>/remove/",
        views.document_remove,
        name="document_remove",
    ),
    path("application/<str:step>/", views.application_step, name="application_step"),
    path("documents/<int:document_id>/", views.document_file, name="document_file"),
    path("review/", views.review_queue, name="review_queue"),
    path("review/<int:application_id>/", views.review, name="review"),
    path("review/<int:application_id>/<str:action>/", views.review_action, name="review_action"),
    path("<slug:slug>/", views.profile, name="profile"),
]
