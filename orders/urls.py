from django.urls import path

from orders import views

app_name = "orders"
urlpatterns = [
    path("cart/", views.cart, name="cart"),
    path("cart/add/", views.cart_add, name="cart_add"),
    path("cart/lines/<int:line_id>/", views.cart_line_update, name="cart_line_update"),
    path("cart/lines/<int:line_id>/remove/", views.cart_line_remove, name="cart_line_remove"),
    path(
        "cart/lines/<int:line_id>/list-price/",
        views.cart_line_list_price,
        name="cart_line_list_price",
    ),
    path("checkout/", views.checkout, name="checkout"),
    path("purchase-orders/", views.purchase_order_list, name="purchase_order_list"),
    path(
        "purchase-orders/<str:number>/",
        views.purchase_order_detail,
        name="purchase_order_detail",
    ),
    path(
        "purchase-orders/<str:number>/print/",
        views.purchase_order_print,
        name="purchase_order_print",
    ),
    path(
        "purchase-orders/<str:number>/cancel/",
        views.purchase_order_cancel,
        name="purchase_order_cancel",
    ),
    path(
        "purchase-orders/parts/<str:number>/<str:action>/",
        views.buyer_merchant_order_action,
        name="buyer_merchant_order_action",
    ),
    path("incoming/", views.merchant_order_list, name="merchant_order_list"),
    path("incoming/<str:number>/", views.merchant_order_detail, name="merchant_order_detail"),
    path(
        "incoming/<str:number>/<str:action>/",
        views.merchant_order_action,
        name="merchant_order_action",
    ),
    path("settings/", views.order_settings, name="settings"),
    path(
        "receipt/<str:number>/problem/",
        views.receipt_problem_report,
        name="receipt_problem_report",
    ),
    path(
        "receipt/<str:number>/photos/<int:photo_id>/",
        views.receipt_problem_photo,
        name="receipt_problem_photo",
    ),
    path(
        "operations/receipt-problems/",
        views.operator_receipt_problems,
        name="operator_receipt_problems",
    ),
    path("all/", views.operator_orders, name="operator_orders"),
    path("all/<str:number>/", views.operator_order_detail, name="operator_order_detail"),
    path(
        "all/merchant-orders/<str:number>/<str:action>/",
        views.operator_merchant_order_action,
        name="operator_merchant_order_action",
    ),
]
