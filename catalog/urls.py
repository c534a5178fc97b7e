from django.urls import path, register_converter

from catalog import views


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
urlpatterns = [
    path("", views.browse, name="browse"),
    path("products/<int:product_id>/", views.product_detail, name="product"),
    path("products/<int:product_id>/take-down/", views.product_takedown, name="takedown"),
    path("products/<int:product_id>/restore/", views.product_restore, name="restore"),
    path("images/<int:image_id>/<str:size>.jpg", views.product_image, name="image"),
    path("products/<int:product_id>/report/", views.report_create, name="report_create"),
    path("reports/", views.my_reports, name="my_reports"),
    path("reports/<int:report_id>/", views.report_detail, name="report"),
    path("reports/<int:report_id>/evidence/", views.report_evidence, name="report_evidence"),
    path("reports/<int:report_id>/decide/", views.report_decide, name="report_decide"),
    path("reports/<int:report_id>/appeal/", views.appeal_file, name="appeal_file"),
    path("moderation/", views.moderation_queue, name="moderation"),
    path("moderation/strikes/", views.strike_history, name="strikes"),
    path("moderation/appeals/<int:appeal_id>/decide/", views.appeal_decide, name="appeal_decide"),
    path("moderation/brands/<int:brand_id>/decide/", views.brand_decide, name="brand_decide"),
    path("brands/<int:brand_id>/evidence/", views.brand_evidence, name="brand_evidence"),
    path("transparency/", views.transparency, name="transparency"),
    path("manage/brands/", views.brands_manage, name="brands"),
    path("manage/brands/<int:brand_id>/edit/", views.brand_edit, name="brand_edit"),
    path("manage/brands/<int:brand_id>/grants/", views.brand_grant_add, name="brand_grant_add"),
    path(
        "manage/brands/grants/<int:grant_id>/revoke/",
        views.brand_grant_revoke,
        name="brand_grant_revoke",
    ),
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
]
