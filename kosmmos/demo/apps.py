from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo agency a new install opens with (``kosmmos demo``)."""

    name = "kosmmos.demo"
    label = "demo"
