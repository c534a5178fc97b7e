from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        from network.models import Organization
        from network.navigation import NavEntry, register

        buyer = Organization.Kind.BUYER
        register(NavEntry(_("Cart"), "orders:cart", (buyer,), order=30))
        register(NavEntry(_("Purchase orders"), "orders:purchase_order_list", (buyer,), order=31))
        register(
            NavEntry(
                _("Orders"), "orders:merchant_order_list", (Organization.Kind.MERCHANT,), order=30
            )
        )
        register(
            NavEntry(
                _("All orders"), "orders:operator_orders", (Organization.Kind.OPERATOR,), order=30
            )
        )

        from network.dashboards import register_panel
        from orders.dashboard import panels

        for panel in panels():
            register_panel(panel)
