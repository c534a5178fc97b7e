from django.urls import path

from orders import api

urlpatterns = [
    path(
        "orders/purchase-orders/",
        api.PurchaseOrderListCreateAPI.as_view(),
        name="orders_purchase_orders",
    ),
    path(
        "orders/purchase-orders/<str:number>/",
        api.PurchaseOrderDetailAPI.as_view(),
        name="orders_purchase_order",
    ),
    path(
        "orders/purchase-orders/<str:number>/cancel/",
        api.PurchaseOrderCancelAPI.as_view(),
        name="orders_purchase_order_cancel",
    ),
    path(
        "orders/merchant-orders/",
        api.MerchantOrderListAPI.as_view(),
        name="orders_merchant_orders",
    ),
    path(
        "orders/merchant-orders/<str:number>/",
        api.MerchantOrderDetailAPI.as_view(),
        name="orders_merchant_order",
    ),
    path(
        "orders/merchant-orders/<str:number>/confirm-receipt/",
        api.MerchantOrderConfirmReceiptAPI.as_view(),
        name="orders_merchant_order_confirm_receipt",
    ),
    path(
        "orders/merchant-orders/<str:number>/problems/",
        api.ReceiptProblemListCreateAPI.as_view(),
        name="orders_merchant_order_problems",
    ),
    path(
        "orders/merchant-orders/<str:number>/<str:action>/",
        api.MerchantOrderActionAPI.as_view(),
        name="orders_merchant_order_action",
    ),
]
