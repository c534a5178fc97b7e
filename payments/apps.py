from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from network.models import Organization
        from network.navigation import NavEntry, register

        # "Payments" leads each kind of organisation straight to its own money page (a link
        # answers 200, not a redirect).
        for kind, url_name in (
            (Organization.Kind.BUYER, "payments:buyer_overview"),
            (Organization.Kind.MERCHANT, "payments:merchant_overview"),
            (Organization.Kind.OPERATOR, "payments:reconciliation"),
        ):
            register(NavEntry(_("Payments"), url_name, (kind,), order=45))

        from network.dashboards import register_panel
        from payments.dashboard import panels

        for panel in panels():
            register_panel(panel)

        # Orders ask payments (credit limit at placing, paid before shipping) and tell it what
        # happened to a merchant order, through orders.payment_hooks: orders may not import
        # payments.
        from orders.payment_hooks import register_payment_hooks
        from payments.panels import order_payment_panel
        from payments.services.hooks import (
            check_placement,
            check_shipment,
            merchant_order_event,
            problem_reported,
        )

        register_payment_hooks(
            check_placement=check_placement,
            check_shipment=check_shipment,
            merchant_order_event=merchant_order_event,
            problem_reported=problem_reported,
            order_payment_panel=order_payment_panel,
        )
