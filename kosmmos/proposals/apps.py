from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProposalsConfig(AppConfig):
    name = "kosmmos.proposals"
    label = "proposals"
    verbose_name = _("Commercial proposals")

    def ready(self) -> None:
        from kosmmos.briefs.signals import brief_received
        from kosmmos.proposals.receivers import draft_for_new_brief

        brief_received.connect(draft_for_new_brief, dispatch_uid="kosmmos-proposals-draft-for-new-brief")
