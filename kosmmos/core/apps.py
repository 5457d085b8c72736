from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kosmmos.core"
    label = "core"
