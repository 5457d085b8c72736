from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "kosmmos.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from kosmmos.lib.events import notable
        from kosmmos.notifications.events import record

        notable.connect(record, dispatch_uid="notifications.record")
