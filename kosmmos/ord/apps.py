from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdConfig(AppConfig):
    name = "kosmmos.ord"
    label = "ord"
    verbose_name = _("Ad marking (ORD)")

    def ready(self) -> None:
        from kosmmos.ord import receivers

        receivers.connect()
