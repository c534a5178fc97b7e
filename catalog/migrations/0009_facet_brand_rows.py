"""The browse summary also counts each merchant's listings per brand in every category (rows
with ``category`` NULL: the brand facet outside a category reads them), filled from the data as
they are; indexes for a brand or category filter over the summary and for the browse page of
one brand."""

import django.db.models.deletion
import django.db.models.functions.text
from django.db import migrations, models

BACKFILL = """
INSERT INTO catalog_facetcount (organization_id, category_id, brand, in_stock, listings)
SELECT organization_id, NULL, brand, in_stock, count(*)
FROM catalog_product WHERE state = 'active'
GROUP BY organization_id, brand, in_stock;
"""
REMOVE = "DELETE FROM catalog_facetcount WHERE category_id IS NULL;"


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0008_facet_counts"),
        ("network", "0013_notification_unsent"),
    ]

    operations = [
        migrations.AlterField(
            model_name="facetcount",
            name="category",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="catalog.category",
            ),
        ),
        migrations.AddIndex(
            model_name="facetcount",
            index=models.Index(
                django.db.models.functions.text.Upper("brand"), name="facetcount_brand"
            ),
        ),
        migrations.AddIndex(
            model_name="facetcount",
            index=models.Index(fields=["category"], name="facetcount_category"),
        ),
        migrations.AddIndex(
            model_name="facetcount",
            index=models.Index(
                condition=models.Q(("brand__isnull", True)),
                fields=["category", "organization", "in_stock"],
                include=("listings",),
                name="facetcount_every_brand",
            ),
        ),
        migrations.AddIndex(
            model_name="facetcount",
            index=models.Index(
                condition=models.Q(("category__isnull", True)),
                fields=["brand", "organization", "in_stock"],
                include=("listings",),
                name="facetcount_every_category",
            ),
        ),
        migrations.AddIndex(
            model_name="product",
            index=models.Index(
                django.db.models.functions.text.Upper("brand"),
                models.OrderBy(models.F("published_at"), descending=True),
                models.OrderBy(models.F("id"), descending=True),
                condition=models.Q(("state", "active")),
                name="product_active_brand_published",
            ),
        ),
        migrations.RunSQL(BACKFILL, REMOVE),
    ]
