from django.apps import AppConfig


class CompetitorsConfig(AppConfig):
    name = "kosmmos.competitors"
    label = "competitors"
    default_auto_field = "django.db.models.BigAutoField"
