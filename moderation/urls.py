"""The pages of brand protection keep the catalogue's paths and URL names (``catalog:report``,
``catalog:moderation``...), so links, bookmarks and e-mails sent before still work: this module
serves the ``catalog`` namespace under /catalog/ with the catalogue's own routes after these."""

from django.urls import path

from catalog import urls as catalog_urls
from moderation import views

app_name = "catalog"
urlpatterns = [
    # The browse page first (the site's most requested page; its path is /catalog/ alone, so
    # no route below can be shadowed by it).
    catalog_urls.browse,
    path("products/<int:product_id>/take-down/", views.product_takedown, name="takedown"),
    path("products/<int:product_id>/restore/", views.product_restore, name="restore"),
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
    *(pattern for pattern in catalog_urls.urlpatterns if pattern is not catalog_urls.browse),
]
