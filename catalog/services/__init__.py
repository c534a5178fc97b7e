"""Every write of the catalogue. Each function is one transaction, checks who may act, raises a
``DomainError`` with a clear message, and writes an audit record.

By use case: ``products`` (a product with its SKUs, its changes, the API's upsert by SKU code,
its listing state), ``skus`` (SKUs, price tiers, stock set by the merchant), ``images``,
``imports`` (spreadsheet imports and their background job); ``common`` holds what they share.
The names other code imports are re-exported here."""

from catalog.services.common import (
    PRODUCT_FIELDS,
    SKU_FIELDS,
    SKUValues,
    Tier,
    active_listing_hs_code_error,
    refresh_product_summaries,
    require_catalogue_staff,
)
from catalog.services.images import product_image_add, product_image_remove
from catalog.services.products import (
    LISTING_TRANSITIONS,
    product_create,
    product_pause,
    product_publish,
    product_restore,
    product_take_down,
    product_update,
    products_bulk_transition,
    publish_missing,
    sku_upsert,
)
from catalog.services.skus import (
    inventory_adjust,
    inventory_set,
    price_tiers_set,
    sku_create,
    sku_delete,
    sku_update,
    tier_errors,
)

__all__ = [
    "LISTING_TRANSITIONS",
    "PRODUCT_FIELDS",
    "SKU_FIELDS",
    "SKUValues",
    "Tier",
    "active_listing_hs_code_error",
    "inventory_adjust",
    "inventory_set",
    "price_tiers_set",
    "product_create",
    "product_image_add",
    "product_image_remove",
    "product_pause",
    "product_publish",
    "product_restore",
    "product_take_down",
    "product_update",
    "products_bulk_transition",
    "publish_missing",
    "refresh_product_summaries",
    "require_catalogue_staff",
    "sku_create",
    "sku_delete",
    "sku_update",
    "sku_upsert",
    "tier_errors",
]
