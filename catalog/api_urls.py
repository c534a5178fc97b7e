from django.urls import path

from catalog import api

urlpatterns = [
    path("products/", api.ProductListView.as_view(), name="api-products"),
    path("products/<int:pk>/", api.ProductDetailView.as_view(), name="api-product"),
    path("merchant/products/", api.MerchantProductListView.as_view(), name="api-merchant-products"),
    path(
        "merchant/products/<int:pk>/",
        api.MerchantProductDetailView.as_view(),
        name="api-merchant-product",
    ),
    path("merchant/inventory/", api.MerchantInventoryView.as_view(), name="api-merchant-inventory"),
]
