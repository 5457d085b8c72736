from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kosmmos.core"
    label = "core"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from kosmmos.lib.search import register_casefold

        # Every search box (inbox, leads, link tags) relies on it on SQLite.
        connection_created.connect(register_casefold, dispatch_uid="kosmmos-casefold")
