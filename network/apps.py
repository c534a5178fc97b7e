from django.apps import AppConfig
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
