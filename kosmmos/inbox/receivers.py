"""What the inbox does when another app saves something (connected in ``InboxConfig.ready``).

Light on purpose: every Django process runs ``ready``; importing the dispatcher here would load
the Celery app and the whole ingestion pipeline into processes that never poll.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from kosmmos.channels.models import Channel
from kosmmos.inbox.models import ChannelInbox, PollStatus


def poll_again_after_channel_change(sender: Any, instance: Channel, **kwargs: Any) -> None:
    """``post_save`` of a channel: a person reconnected it, re-checked it or enabled it again.
    A poll that failed (a revoked token waits an hour, other errors back off up to 30 min)
    is due now, so the inbox does not stay silent after the channel was fixed."""
    ChannelInbox.objects.filter(channel_id=instance.pk, failures__gt=0,
                                poll_status=PollStatus.IDLE,
                                next_poll_at__gt=timezone.now()).update(next_poll_at=timezone.now())
