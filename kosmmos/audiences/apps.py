from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AudiencesConfig(AppConfig):
    name = "kosmmos.audiences"
    label = "audiences"
    verbose_name = _("Audiences")
