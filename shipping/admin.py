from django.contrib import admin
from django_scopes import scopes_disabled

from shipping.models import (
    Booking,
    BookingEvent,
    Carrier,
    CarrierNotification,
    Port,
    Sailing,
    SailingRate,
)


@admin.register(Port)
class PortAdmin(admin.ModelAdmin):
    list_display = ["un_locode", "name", "country", "time_zone"]
    search_fields = ["un_locode", "name"]
    list_filter = ["country"]


@admin.register(Carrier)
class CarrierAdmin(admin.ModelAdmin):
    list_display = [
        "scac",
        "name",
        "adapter",
        "free_cancellation_days",
        "cancellation_fee_per_container",
        "is_active",
    ]
    search_fields = ["scac", "name"]


class SailingRateInline(admin.TabularInline):
    model = SailingRate
    extra = 0


@admin.register(Sailing)
class SailingAdmin(admin.ModelAdmin):
    list_display = [
        "vessel_name",
        "voyage_number",
        "carrier",
        "port_of_loading",
        "port_of_discharge",
        "etd",
        "booked_teu",
        "capacity_teu",
        "is_published",
    ]
    list_filter = ["carrier", "port_of_loading", "port_of_discharge", "is_published"]
    list_select_related = ["carrier", "port_of_loading", "port_of_discharge"]
    search_fields = ["vessel_name", "voyage_number", "vessel_imo"]
    readonly_fields = ["booked_teu", "booked_weight_kg"]
    inlines = [SailingRateInline]


class ScopesDisabledAdmin(admin.ModelAdmin):
    """Staff in the admin see every organisation's rows; the admin changes no status (that
    goes through the services)."""

    def get_queryset(self, request):
        with scopes_disabled():
            return super().get_queryset(request)

    def changeform_view(self, *args, **kwargs):
        with scopes_disabled():
            return super().changeform_view(*args, **kwargs)

    def changelist_view(self, *args, **kwargs):
        with scopes_disabled():
            return super().changelist_view(*args, **kwargs)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Booking)
class BookingAdmin(ScopesDisabledAdmin):
    list_display = [
        "reference",
        "organization",
        "sailing",
        "equipment_code",
        "units",
        "status",
        "amendment_status",
        "cancellation_status",
        "created_at",
    ]
    list_filter = ["status", "amendment_status", "cancellation_status", "equipment_code"]
    list_select_related = [
        "organization",
        "sailing__port_of_loading",
        "sailing__port_of_discharge",
    ]
    search_fields = [
        "reference",
        "carrier_booking_reference",
        "carrier_booking_request_reference",
        "organization__name",
        "sailing__vessel_name",
    ]
    date_hierarchy = "created_at"


@admin.register(BookingEvent)
class BookingEventAdmin(ScopesDisabledAdmin):
    list_display = ["booking", "action", "status", "source", "created_at"]
    list_filter = ["status", "source"]
    list_select_related = ["booking"]
    search_fields = ["booking__reference", "action"]


@admin.register(CarrierNotification)
class CarrierNotificationAdmin(ScopesDisabledAdmin):
    list_display = ["carrier", "event_id", "booking", "outcome", "received_at"]
    list_filter = ["carrier"]
    list_select_related = ["carrier", "booking"]
    search_fields = ["event_id", "booking__reference"]
