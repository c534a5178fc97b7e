"""Requests for quotation and quotations in the API: ``/api/v1/deals/...``."""

from django.urls import path

from deals import api_quotations as api

urlpatterns = [
    path(
        "deals/quotation-requests/",
        api.QuotationRequestListCreateAPI.as_view(),
        name="deals_quotation_requests",
    ),
    path(
        "deals/quotation-requests/<str:number>/",
        api.QuotationRequestDetailAPI.as_view(),
        name="deals_quotation_request",
    ),
    path(
        "deals/quotation-requests/<str:number>/close/",
        api.QuotationRequestCloseAPI.as_view(),
        name="deals_quotation_request_close",
    ),
    path(
        "deals/quotation-requests/<str:number>/quotations/",
        api.RequestQuotationsAPI.as_view(),
        name="deals_quotation_request_quotations",
    ),
    path("deals/quotations/", api.QuotationListAPI.as_view(), name="deals_quotations"),
    path(
        "deals/quotations/<str:number>/",
        api.QuotationDetailAPI.as_view(),
        name="deals_quotation",
    ),
    path(
        "deals/quotations/<str:number>/accept/",
        api.QuotationAcceptAPI.as_view(),
        name="deals_quotation_accept",
    ),
    path(
        "deals/quotations/<str:number>/withdraw/",
        api.QuotationWithdrawAPI.as_view(),
        name="deals_quotation_withdraw",
    ),
]
