from django.urls import path

from shipping import api, api_containers, api_documents

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
    path(
        "shipping/containers/",
        api_containers.ContainerListAPI.as_view(),
        name="shipping_containers",
    ),
    path(
        "shipping/space-requests/",
        api_containers.SpaceRequestListAPI.as_view(),
        name="shipping_space_requests",
    ),
    path(
        "shipping/space-requests/<str:space_reference>/",
        api_containers.SpaceRequestDetailAPI.as_view(),
        name="shipping_space_request",
    ),
    path(
        "shipping/space-requests/<str:space_reference>/cancel/",
        api_containers.SpaceRequestCancelAPI.as_view(),
        name="shipping_space_request_cancel",
    ),
]

# Shipments of merchant orders.
from shipping import api_shipments  # noqa: E402

urlpatterns += [
    path("shipping/shipments/", api_shipments.ShipmentListAPI.as_view(), name="shipping_shipments"),
    path(
        "shipping/shipments/<str:reference>/",
        api_shipments.ShipmentDetailAPI.as_view(),
        name="shipping_shipment",
    ),
    path(
        "shipping/shipments/<str:reference>/dispatch/",
        api_shipments.ShipmentDispatchAPI.as_view(),
        name="shipping_shipment_dispatch",
    ),
    path(
        "shipping/shipments/<str:reference>/cancel/",
        api_shipments.ShipmentCancelAPI.as_view(),
        name="shipping_shipment_cancel",
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
