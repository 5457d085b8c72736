from django.apps import AppConfig


class GiveawaysConfig(AppConfig):
    name = "kosmmos.giveaways"
    label = "giveaways"
    default_auto_field = "django.db.models.BigAutoField"
