"""Read-mostly admin for support: orders change only through ``orders.services``."""

from django.contrib import admin

from network.models import Organization
from network.selectors import operator_memberships
from orders.models import (
    DailySales,
    MerchantOrder,
    MerchantOrderSettings,
    PurchaseOrder,
    PurchaseOrderLine,
)


def _operator(request) -> Organization | None:
    """The operator organisation the person at the admin acts for (operators are a party to
    every order); None, and so no rows, for anyone else."""
    membership = (
        operator_memberships().filter(user=request.user).select_related("organization").first()
    )
    return membership.organization if membership else None


class OperatorAdmin(admin.ModelAdmin):
    def get_queryset(self, request):
        return self.model.objects.visible_to(_operator(request))


class LineInline(admin.TabularInline):
    model = PurchaseOrderLine
    fk_name = "purchase_order"
    extra = 0
    can_delete = False
    fields = [
        "merchant",
        "sku_code",
        "quantity",
        "unit_price_usd",
        "line_total_usd",
        "is_sample",
        "price_source",
        "price_reference",
        "status",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return PurchaseOrderLine.objects.visible_to(_operator(request))


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(OperatorAdmin):
    list_display = [
        "number",
        "organization",
        "status",
        "merchant_count",
        "total_usd",
        "placed_at",
    ]
    list_filter = ["status", "delivery_type", "incoterm", "payment_terms", "organization__country"]
    list_select_related = ["organization"]
    search_fields = ["number", "buyer_reference", "organization__name", "lines__sku_code"]
    date_hierarchy = "placed_at"
    readonly_fields = ["number", "organization", "status", "total_usd", "placed_by", "placed_at"]
    inlines = [LineInline]

    def get_search_results(self, request, queryset, search_term):
        # Searching through lines joins them in: one row per order all the same.
        results, _duplicates = super().get_search_results(request, queryset, search_term)
        return results, True


@admin.register(MerchantOrder)
class MerchantOrderAdmin(OperatorAdmin):
    list_display = ["number", "organization", "buyer", "status", "subtotal_usd", "created_at"]
    list_filter = ["status", "carrier_name"]
    list_select_related = ["organization", "buyer"]
    search_fields = [
        "number",
        "organization__name",
        "buyer__name",
        "booking_reference",
        "tracking_number",
    ]
    date_hierarchy = "created_at"
    readonly_fields = ["number", "organization", "buyer", "purchase_order", "status"]


@admin.register(MerchantOrderSettings)
class MerchantOrderSettingsAdmin(OperatorAdmin):
    list_display = ["organization", "minimum_order_value_usd"]


@admin.register(DailySales)
class DailySalesAdmin(OperatorAdmin):
    """The dashboards' summary, rebuilt by beat from the order lines: read-only."""

    list_display = ["day", "merchant", "category", "buyer_country", "gmv_usd", "units", "lines"]
    list_filter = ["buyer_country", "category"]
    list_select_related = ["merchant", "category"]
    search_fields = ["merchant__name"]
    date_hierarchy = "day"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
