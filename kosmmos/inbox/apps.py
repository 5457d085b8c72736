from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboxConfig(AppConfig):
    name = "kosmmos.inbox"
    label = "inbox"
    verbose_name = _("Inbox")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from kosmmos.channels.models import Channel
        from kosmmos.inbox.receivers import poll_again_after_channel_change

        post_save.connect(poll_again_after_channel_change, sender=Channel,
                          dispatch_uid="kosmmos-inbox-poll-after-channel-change")
