from django.urls import path, register_converter

from catalog import views, views_price_lists, views_tariffs


class ListingActionConverter:
    """The transitions a merchant posts to ``manage/<id>/<action>/``. Only these words match, so
    the route cannot swallow a sibling such as ``manage/<id>/images/``."""

    regex = "publish|pause"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ListingActionConverter, "listing_action")

app_name = "catalog"
browse = path("", views.browse, name="browse")
urlpatterns = [
    browse,
    path("products/<int:product_id>/", views.product_detail, name="product"),
    path("images/<int:image_id>/<str:size>.jpg", views.product_image, name="image"),
    path("manage/", views.manage, name="manage"),
    path("manage/new/", views.product_create, name="product_create"),
    path("manage/bulk/", views.bulk_action, name="bulk_action"),
    path("manage/export/", views.export, name="export"),
    path("manage/import/", views.import_page, name="import"),
    path("manage/import/<int:job_id>/", views.import_job, name="import_job"),
    path(
        "manage/import/<int:job_id>/progress/",
        views.import_job_progress,
        name="import_job_progress",
    ),
    path(
        "manage/import/<int:job_id>/errors.csv", views.import_job_errors, name="import_job_errors"
    ),
    path("manage/<int:product_id>/", views.product_edit, name="product_edit"),
    path("manage/<int:product_id>/skus/new/", views.sku_create, name="sku_create"),
    path("manage/<int:product_id>/images/", views.image_upload, name="image_upload"),
    path(
        "manage/<int:product_id>/<listing_action:action>/",
        views.product_transition,
        name="product_transition",
    ),
    path("manage/skus/<int:sku_id>/", views.sku_edit, name="sku_edit"),
    path("manage/skus/<int:sku_id>/delete/", views.sku_delete, name="sku_delete"),
    path("manage/skus/<int:sku_id>/stock/", views.stock_update, name="stock_update"),
    path("manage/images/<int:image_id>/remove/", views.image_remove, name="image_remove"),
    path("tariffs/", views_tariffs.tariff_lines, name="tariff_lines"),
    path("tariffs/new/", views_tariffs.tariff_line_edit, name="tariff_line_create"),
    path("tariffs/upload/", views_tariffs.tariff_lines_upload, name="tariff_lines_upload"),
    path("tariffs/<int:tariff_id>/", views_tariffs.tariff_line_edit, name="tariff_line_edit"),
    path("price-lists/", views_price_lists.price_lists, name="price_lists"),
    path(
        "price-lists/<int:price_list_id>/",
        views_price_lists.price_list_detail,
        name="price_list",
    ),
    path(
        "price-lists/<int:price_list_id>/end/",
        views_price_lists.price_list_end,
        name="price_list_end",
    ),
    path(
        "price-lists/<int:price_list_id>/products/<int:entry_id>/",
        views_price_lists.price_list_entry_edit,
        name="price_list_entry",
    ),
    path(
        "price-lists/<int:price_list_id>/products/<int:entry_id>/remove/",
        views_price_lists.price_list_entry_remove,
        name="price_list_entry_remove",
    ),
]
