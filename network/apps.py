from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class NetworkConfig(AppConfig):
    name = "network"
    verbose_name = _("Network")

    def ready(self) -> None:
        from allauth.account.forms import RequestReauthenticationCodeForm

        import network.api_schema  # noqa: F401 - registers the API-key security scheme
        from network.navigation import NavEntry, register

        # allauth leaves this field to be labelled by its name, "Recipient", in every language.
        RequestReauthenticationCodeForm.base_fields["recipient"].label = _("Send the code to")

        register(NavEntry(_("Home"), "home", (), order=0))
        register(NavEntry(_("Dashboard"), "dashboard", (), order=5))
        register(NavEntry(_("Members"), "members", (), order=90))
        register(NavEntry(_("Exchange rates"), "exchange_rates", ("operator",), order=80))
        register(NavEntry(_("Integrations"), "integrations", ("merchant", "buyer"), order=85))


class NetworkAdminConfig(admin_apps.AdminConfig):
    """The admin, on the network's site (who may open it: see network.admin_site)."""

    default = False  # the network app's own config stays NetworkConfig
    default_site = "network.admin_site.NetworkAdminSite"
