"""Read-mostly admin for support: orders change only through ``orders.services``."""

from django.contrib import admin
from django_scopes import scopes_disabled

from orders.models import MerchantOrder, MerchantOrderSettings, PurchaseOrder, PurchaseOrderLine


class UnscopedAdmin(admin.ModelAdmin):
    def get_queryset(self, request):
        with scopes_disabled():
            return self.model.objects.all()


class LineInline(admin.TabularInline):
    model = PurchaseOrderLine
    fk_name = "purchase_order"
    extra = 0
    can_delete = False
    fields = ["merchant", "sku_code", "quantity", "unit_price_usd", "line_total_usd", "status"]
    readonly_fields = fields

    def get_queryset(self, request):
        with scopes_disabled():
            return PurchaseOrderLine.objects.all()


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(UnscopedAdmin):
    list_display = ["number", "organization", "status", "total_usd", "placed_at"]
    list_filter = ["status"]
    search_fields = ["number", "buyer_reference"]
    readonly_fields = ["number", "organization", "status", "total_usd", "placed_by", "placed_at"]
    inlines = [LineInline]


@admin.register(MerchantOrder)
class MerchantOrderAdmin(UnscopedAdmin):
    list_display = ["number", "organization", "buyer", "status", "subtotal_usd", "created_at"]
    list_filter = ["status"]
    search_fields = ["number"]
    readonly_fields = ["number", "organization", "buyer", "purchase_order", "status"]


@admin.register(MerchantOrderSettings)
class MerchantOrderSettingsAdmin(UnscopedAdmin):
    list_display = ["organization", "minimum_order_value_usd"]
