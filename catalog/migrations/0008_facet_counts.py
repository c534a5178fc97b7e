"""Browse counts from a summary: ``Product.in_stock`` and ``FacetCount`` (see catalog.facets),
filled from the data as they are."""

import django.db.models.deletion
from django.db import migrations, models

BACKFILL = """
UPDATE catalog_product AS p SET in_stock = EXISTS (
    SELECT 1 FROM catalog_sku s JOIN catalog_inventory i ON i.sku_id = s.id
    WHERE s.product_id = p.id AND i.on_hand > i.reserved);
INSERT INTO catalog_facetcount (organization_id, category_id, brand, in_stock, listings)
SELECT organization_id, category_id, CASE WHEN GROUPING(brand) = 0 THEN brand END, in_stock,
       count(*)
FROM catalog_product WHERE state = 'active'
GROUP BY GROUPING SETS (
    (organization_id, category_id, brand, in_stock), (organization_id, category_id, in_stock));
"""


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0007_price_lists_samples_tariffs"),
        ("network", "0012_webhook_deals"),
    ]

    operations = [
        migrations.AddField(
            model_name="product",
            name="in_stock",
            field=models.BooleanField(db_default=False, default=False, editable=False),
        ),
        migrations.CreateModel(
            name="FacetCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("brand", models.CharField(max_length=120, null=True)),
                ("in_stock", models.BooleanField()),
                ("listings", models.PositiveIntegerField()),
                (
                    "category",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="catalog.category",
                    ),
                ),
                (
                    "organization",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="network.organization",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("organization", "category", "brand", "in_stock"),
                        name="facetcount_unique",
                        nulls_distinct=False,
                    )
                ],
            },
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
    ]
