from django.urls import path

from catalog import api, api_prices

urlpatterns = [
    path("products/", api.ProductListView.as_view(), name="api-products"),
    path("products/<int:pk>/", api.ProductDetailView.as_view(), name="api-product"),
    # By SKU code, without a trailing slash, so a numeric code never meets the id route above.
    path("products/<path:sku>", api.ProductBySkuView.as_view(), name="api-product-by-sku"),
    path("merchant/products/", api.MerchantProductListView.as_view(), name="api-merchant-products"),
    path(
        "merchant/products/<int:pk>/",
        api.MerchantProductDetailView.as_view(),
        name="api-merchant-product",
    ),
    path("merchant/inventory/", api.MerchantInventoryView.as_view(), name="api-merchant-inventory"),
    path("inventory/set", api.InventorySetView.as_view(), name="api-inventory-set"),
    path("inventory/adjust", api.InventoryAdjustView.as_view(), name="api-inventory-adjust"),
    path(
        "merchant/price-lists/",
        api_prices.MerchantPriceListsAPI.as_view(),
        name="api-merchant-price-lists",
    ),
    path(
        "merchant/price-lists/<int:pk>/",
        api_prices.MerchantPriceListAPI.as_view(),
        name="api-merchant-price-list",
    ),
    path("price-lists/", api_prices.BuyerPriceListsAPI.as_view(), name="api-price-lists"),
    path("price-lists/<int:pk>/", api_prices.BuyerPriceListAPI.as_view(), name="api-price-list"),
    path("tariff-lines/", api_prices.TariffLinesAPI.as_view(), name="api-tariff-lines"),
    path("tariff-lines/<int:pk>/", api_prices.TariffLineAPI.as_view(), name="api-tariff-line"),
]
