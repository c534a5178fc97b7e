"""Requests for quotation and quotations, under /deals/quotations/."""

from django.urls import path

from deals import views_quotations as views

urlpatterns = [
    path("", views.quotation_requests, name="quotation_requests"),
    path("new/", views.quotation_request_create, name="quotation_request_create"),
    path("<str:rfq_number>/", views.quotation_request_detail, name="quotation_request"),
    path("<str:rfq_number>/close/", views.quotation_request_close, name="quotation_request_close"),
    path("<str:rfq_number>/quote/", views.quotation_create, name="quotation_create"),
    path(
        "<str:rfq_number>/files/<int:rfq_file_id>/",
        views.quotation_request_file,
        name="quotation_request_file",
    ),
    path(
        "quotation/<str:quotation_number>/accept/",
        views.quotation_accept,
        name="quotation_accept",
    ),
    path(
        "quotation/<str:quotation_number>/withdraw/",
        views.quotation_withdraw,
        name="quotation_withdraw",
    ),
]
