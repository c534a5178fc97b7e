from django.contrib import admin

from catalog.models import (
    Category,
    ImportJob,
    Inventory,
    InventoryLedger,
    Product,
)
from network.admin import UnscopedAdminMixin


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name_en", "name_zh_hans", "parent", "slug", "position"]
    list_filter = ["parent"]
    search_fields = ["name_en", "name_zh_hans", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}


@admin.register(Product)
class ProductAdmin(UnscopedAdminMixin, admin.ModelAdmin):
    """Read-only: listing changes go through the merchant's pages and the operators'
    takedown, so each one is checked and audited."""

    list_display = ["title_en", "organization", "reference", "state", "price_min_usd", "moq_min"]
    list_filter = ["state", "category"]
    search_fields = ["title_en", "title_zh_hans", "reference", "brand", "organization__name"]
    list_select_related = ["organization", "category"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Inventory)
class InventoryAdmin(UnscopedAdminMixin, admin.ModelAdmin):
    list_display = ["sku", "organization", "on_hand", "reserved", "low_stock_threshold"]
    search_fields = ["sku__code"]
    list_select_related = ["sku", "organization"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(InventoryLedger)
class InventoryLedgerAdmin(InventoryAdmin):
    list_display = ["created_at", "sku", "reason", "on_hand_before", "on_hand_after", "actor"]
    list_select_related = ["sku", "actor"]


@admin.register(ImportJob)
class ImportJobAdmin(InventoryAdmin):
    list_display = ["original_name", "organization", "status", "total_rows", "created_at"]
    list_filter = ["status"]
    search_fields = ["original_name", "organization__name"]
    list_select_related = ["organization"]
