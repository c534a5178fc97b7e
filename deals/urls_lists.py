"""Buying again: ``/deals/buy-again/`` (saved lists, quick order, reorder)."""

from django.urls import path

from deals import views_lists

urlpatterns = [
    path("", views_lists.buy_again, name="buy_again"),
    path("quick-order/", views_lists.quick_order, name="quick_order"),
    path("reorder/<str:number>/", views_lists.reorder, name="reorder"),
    path("lists/new/", views_lists.saved_list_create, name="saved_list_create"),
    path("lists/add/", views_lists.saved_list_add, name="saved_list_add"),
    path("lists/<int:list_id>/", views_lists.saved_list_detail, name="saved_list"),
    path("lists/<int:list_id>/rename/", views_lists.saved_list_rename, name="saved_list_rename"),
    path("lists/<int:list_id>/delete/", views_lists.saved_list_delete, name="saved_list_delete"),
    path("lists/<int:list_id>/cart/", views_lists.saved_list_to_cart, name="saved_list_to_cart"),
    path(
        "lists/<int:list_id>/items/<int:item_id>/remove/",
        views_lists.saved_list_remove_item,
        name="saved_list_remove_item",
    ),
]
