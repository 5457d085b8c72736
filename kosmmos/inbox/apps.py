from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboxConfig(AppConfig):
    name = "kosmmos.inbox"
    label = "inbox"
    verbose_name = _("Inbox")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from kosmmos.inbox.search import register_casefold

        connection_created.connect(register_casefold, dispatch_uid="kosmmos-inbox-casefold")
