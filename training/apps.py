from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = _("Training")

    def ready(self) -> None:
        from network.navigation import NavEntry, register

        # Operators reach the management pages from the seminar calendar's header button.
        register(NavEntry(_("Seminars"), "training:seminar_list", (), order=60, public=True))

        from network.dashboards import register_panel
        from training.dashboard import panels

        for panel in panels():
            register_panel(panel)
