from django.urls import path

from shipping import api, api_documents

urlpatterns = [
    path("shipping/sailings/", api.SailingSearchAPI.as_view(), name="shipping_sailings"),
    path("shipping/bookings/", api.BookingListAPI.as_view(), name="shipping_bookings"),
    path(
        "shipping/bookings/<str:reference>/",
        api.BookingDetailAPI.as_view(),
        name="shipping_booking",
    ),
    path(
        "shipping/bookings/<str:reference>/amend/",
        api.BookingAmendAPI.as_view(),
        name="shipping_booking_amend",
    ),
    path(
        "shipping/bookings/<str:reference>/cancel/",
        api.BookingCancelAPI.as_view(),
        name="shipping_booking_cancel",
    ),
    path(
        "shipping/bookings/<str:reference>/tracking/",
        api.BookingTrackingAPI.as_view(),
        name="shipping_booking_tracking",
    ),
    path(
        "shipping/tracking/<str:token>/events/",
        api.TrackingEventsCallbackAPI.as_view(),
        name="shipping_tracking_events",
    ),
    path(
        "shipping/carriers/<str:scac>/booking-notifications/",
        api.BookingNotificationAPI.as_view(),
        name="shipping_booking_notifications",
    ),
]

# Trade documents of shipments.
urlpatterns += [
    path(
        "shipping/shipments/<str:reference>/documents/",
        api_documents.TradeDocumentListAPI.as_view(),
        name="shipping_trade_documents",
    ),
    path(
        "shipping/shipments/<str:reference>/documents/<int:pk>/file/",
        api_documents.TradeDocumentFileAPI.as_view(),
        name="shipping_trade_document_file",
    ),
]
