from django.urls import path

from shipping import views, views_containers, views_documents

app_name = "shipping"
urlpatterns = [
    path("", views.sailing_search, name="sailing_search"),
    path(
        "sailings/<int:sailing_id>/book/<str:equipment>/",
        views.booking_create,
        name="booking_create",
    ),
    path("bookings/", views.booking_list, name="booking_list"),
    path("bookings/<str:reference>/", views.booking_detail, name="booking_detail"),
    path("bookings/<str:reference>/amend/", views.booking_amend, name="booking_amend"),
    path("bookings/<str:reference>/cancel/", views.booking_cancel, name="booking_cancel"),
    path(
        "bookings/<str:reference>/withdraw-amendment/",
        views.booking_withdraw_amendment,
        name="booking_withdraw_amendment",
    ),
    path("operations/", views.operations, name="operations"),
    path("operations/sailings/new/", views.operations_sailing_edit, name="operations_sailing_new"),
    path(
        "operations/sailings/<int:sailing_id>/",
        views.operations_sailing,
        name="operations_sailing",
    ),
    path(
        "operations/sailings/<int:sailing_id>/edit/",
        views.operations_sailing_edit,
        name="operations_sailing_edit",
    ),
    path("operations/carriers/", views.operations_carriers, name="operations_carriers"),
    path("operations/lanes/", views.operations_lanes, name="operations_lanes"),
    path(
        "operations/lanes/<int:lane_id>/toggle/",
        views.operations_lane_toggle,
        name="operations_lane_toggle",
    ),
    path(
        "operations/schedules/pull/",
        views.operations_schedules_pull,
        name="operations_schedules_pull",
    ),
    path("operations/carriers/new/", views.operations_carrier_edit, name="operations_carrier_new"),
    path(
        "operations/carriers/<int:carrier_id>/edit/",
        views.operations_carrier_edit,
        name="operations_carrier_edit",
    ),
    # Shared containers: merchants' space, operators' planning.
    path("containers/", views_containers.container_list, name="container_list"),
    path(
        "containers/<str:container_reference>/book/",
        views_containers.space_book,
        name="space_book",
    ),
    path("space/", views_containers.space_list, name="space_list"),
    path(
        "space/<str:space_reference>/cancel/",
        views_containers.space_cancel,
        name="space_cancel",
    ),
    path(
        "operations/containers/",
        views_containers.operations_containers,
        name="operations_containers",
    ),
    path(
        "operations/containers/new/",
        views_containers.operations_container_new,
        name="operations_container_new",
    ),
    path(
        "operations/containers/<str:container_reference>/",
        views_containers.operations_container,
        name="operations_container",
    ),
    path(
        "operations/containers/<str:container_reference>/merge/",
        views_containers.operations_container_merge,
        name="operations_container_merge",
    ),
    path(
        "operations/containers/<str:container_reference>/release/",
        views_containers.operations_container_release,
        name="operations_container_release",
    ),
]

# Shipments of merchant orders.
from shipping import views_shipments  # noqa: E402

urlpatterns += [
    path("shipments/", views_shipments.shipment_list, name="shipment_list"),
    path("shipments/new/", views_shipments.shipment_create, name="shipment_create"),
    path("shipments/<str:reference>/", views_shipments.shipment_detail, name="shipment_detail"),
    path(
        "shipments/<str:reference>/dispatch/",
        views_shipments.shipment_dispatch,
        name="shipment_dispatch",
    ),
    path(
        "shipments/<str:reference>/cancel/",
        views_shipments.shipment_cancel,
        name="shipment_cancel",
    ),
    path(
        "shipments/<str:reference>/receive/",
        views_shipments.shipment_receive,
        name="shipment_receive",
    ),
]

# Trade documents of shipments.
urlpatterns += [
    path(
        "shipments/<str:shipment_reference>/documents/<int:document_pk>/",
        views_documents.trade_document_download,
        name="trade_document_download",
    ),
]
