"""Buying again in the API: ``/api/v1/deals/saved-lists/``, ``quick-order/``, ``reorder/``."""

from django.urls import path

from deals import api_lists

urlpatterns = [
    path("deals/saved-lists/", api_lists.SavedListsAPI.as_view(), name="deals_saved_lists"),
    path("deals/saved-lists/<int:pk>/", api_lists.SavedListAPI.as_view(), name="deals_saved_list"),
    path(
        "deals/saved-lists/<int:pk>/items/",
        api_lists.SavedListItemsAPI.as_view(),
        name="deals_saved_list_items",
    ),
    path(
        "deals/saved-lists/<int:pk>/items/<int:item_id>/",
        api_lists.SavedListItemAPI.as_view(),
        name="deals_saved_list_item",
    ),
    path(
        "deals/saved-lists/<int:pk>/cart/",
        api_lists.SavedListCartAPI.as_view(),
        name="deals_saved_list_cart",
    ),
    path("deals/quick-order/", api_lists.QuickOrderAPI.as_view(), name="deals_quick_order"),
    path("deals/reorder/<str:number>/", api_lists.ReorderAPI.as_view(), name="deals_reorder"),
]
