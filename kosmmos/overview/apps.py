from django.apps import AppConfig


class OverviewConfig(AppConfig):
    """The agency's start page (what needs attention today, per client) and the health check."""

    name = "kosmmos.overview"
    label = "overview"
