from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "kosmmos.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from kosmmos.lib.events import notable
        from kosmmos.notifications import events, fanout

        notable.connect(events.record, dispatch_uid="notifications.record")
        if fanout.kick_event not in events.after_commit_hooks:
            events.after_commit_hooks.append(fanout.kick_event)
