from django.apps import AppConfig


class LibConfig(AppConfig):
    """The shared toolkit as an app: the ``ui`` template tags every app's templates load, and the
    SQLite search function every search box needs."""

    name = "kosmmos.lib"
    label = "lib"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from kosmmos.lib.search import register_casefold

        # Every search box (inbox, leads, link tags) relies on it on SQLite.
        connection_created.connect(register_casefold, dispatch_uid="kosmmos-casefold")
