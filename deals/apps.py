from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DealsConfig(AppConfig):
    name = "deals"
    verbose_name = _("Deals")

    def ready(self) -> None:
        # Each part registers its header entries and hooks from its own module.
        from deals import wiring

        wiring.register_all()
