"""The inbox: what people write to a workspace's channels, and what the agency answers.

Tables (tenant first, then time, as everywhere):

- ``ChannelInbox``: one per channel — the webhook code, and the polling job's due row (cursor,
  ``next_poll_at``, lease) for networks or channels without a webhook.
- ``SeenEvent``: the network's delivery ids already taken in (VK ``event_id``, Telegram
  ``update_id``), unique per channel — a redelivered event is dropped as a duplicate.
- ``Item``: a comment, a private message or an event (repost, join, leave), unique per
  (channel, kind, external_id). Text is stored exactly as the network sent it and only ever
  rendered escaped.
- ``Reply`` + ``ReplyAttempt``: an answer sent back through the network as a job (the row says
  what is due, each try is an attempt row shown with its error).
- ``Note``, ``CannedReply``, ``SentimentCorrection``: the managers' work.
- ``DropCount``: per (scope, day, step, reason) counters of what the pipeline dropped and why.
- ``InboxProfile``: per-workspace SLA target and the active sentiment model; ``RetrainRun`` rows.
- ``SurgeAlert``: at most one per (channel, day), which is what makes the alert fire once.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kosmmos.accounts.models import Organisation, User, Workspace
from kosmmos.channels.models import Channel
from kosmmos.connectors import base as incoming
from kosmmos.content.models import Post, PostTarget
from kosmmos.lib.ids import short_code

MAX_REPLY_ATTEMPTS = 5


def hook_code() -> str:
    return short_code(24)


class PollStatus(models.TextChoices):
    IDLE = "idle", _("Waiting")
    QUEUED = "queued", _("Queued")
    POLLING = "polling", _("Polling")
    OFF = "off", _("Off")


class ChannelInbox(models.Model):
    """How a channel's comments and messages reach us: a webhook, or a polling job."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    channel = models.OneToOneField(Channel, on_delete=models.CASCADE, related_name="inbox")
    # The random part of the webhook URL (/hooks/vk/<code>/); rotating it retires the old URL.
    code = models.CharField(max_length=32, unique=True, default=hook_code)
    poll_status = models.CharField(max_length=8, choices=PollStatus.choices,
                                   default=PollStatus.IDLE)
    next_poll_at = models.DateTimeField(default=timezone.now)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    # Network cursor: VK long poll {server, key, ts}, Telegram {offset}, sandbox {seen_at:
    # {post id: newest comment time seen}}.
    cursor = models.JSONField(default=dict, blank=True)
    failures = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_event_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["poll_status", "next_poll_at"])]

    def __str__(self) -> str:
        return f"inbox of {self.channel_id}"


class SeenEvent(models.Model):
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "key"], name="inbox_event_once_per_channel")
        ]

    def __str__(self) -> str:
        return f"{self.channel_id}:{self.key}"


class PostPart(models.Model):
    """A network id that belongs to a post published outside Kosmmos → its target: the post's
    own id, each message of a Telegram album and the album itself (``album:<media_group_id>``),
    so an album is one post and a comment on any of its messages finds it. Unique per channel:
    two deliveries racing to keep the same post keep it once."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    ref = models.CharField(max_length=120)
    target = models.ForeignKey(PostTarget, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "ref"], name="inbox_one_post_part")
        ]

    def __str__(self) -> str:
        return f"{self.ref} → {self.target_id}"


class ThreadLink(models.Model):
    """Telegram: the discussion group's copy of a channel post (is_automatic_forward) → the
    channel post id, so comments replying in that thread find our published post."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    group_message_id = models.CharField(max_length=100)
    post_ref = models.CharField(max_length=100)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "group_message_id"],
                                    name="inbox_one_thread_link")
        ]

    def __str__(self) -> str:
        return f"{self.group_message_id} → {self.post_ref}"


class NetworkAnswer(models.Model):
    """Our own answer to a customer's comment, typed on the network (or sent from Kosmmos and
    seen coming back). Not an inbox item: it is shown in the comment's thread and stops the
    comment's SLA clock — also when the network delivers it before the comment itself."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    external_id = models.CharField(max_length=120, blank=True)
    parent_ref = models.CharField(max_length=120)
    text = models.TextField(blank=True)
    answered_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "external_id"],
                                    condition=~models.Q(external_id=""),
                                    name="inbox_network_answer_once")
        ]
        indexes = [models.Index(fields=["channel", "parent_ref"], name="inbox_answer_parent")]
        ordering = ["answered_at"]

    def __str__(self) -> str:
        return f"{self.channel_id}:{self.external_id} → {self.parent_ref}"


class ReactionCount(models.Model):
    """Telegram ``message_reaction_count``: the latest anonymous totals per channel post."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    post_ref = models.CharField(max_length=100)
    counts = models.JSONField(default=dict)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "post_ref"], name="inbox_one_reaction_row")
        ]

    def __str__(self) -> str:
        return f"{self.post_ref}: {self.counts}"


class Kind(models.TextChoices):
    # The values are the kinds the networks' inbound sides report (kosmmos/connectors/base.py).
    COMMENT = incoming.COMMENT, _("Comment")
    MESSAGE = incoming.MESSAGE, _("Private message")
    REPOST = incoming.REPOST, _("Repost")
    JOIN = incoming.JOIN, _("Joined")
    LEAVE = incoming.LEAVE, _("Left")
    # A post anywhere on a network that names the workspace's brand (kosmmos/inbox/mentions.py);
    # it belongs to no channel of ours.
    MENTION = "mention", _("Mention")


CONVERSATION_KINDS = (Kind.COMMENT, Kind.MESSAGE)

# A placeholder for each kind of attachment (connectors.base ATTACHMENTS), shown for an item
# that has no text.
ATTACHMENT_LABELS = {
    "sticker": _("Sticker"), "photo": _("Photo"), "video": _("Video"), "audio": _("Audio"),
    "voice": _("Voice message"), "document": _("File"), "link": _("Link"), "poll": _("Poll"),
    "location": _("Location"), "other": _("Attachment"),
}


class Sentiment(models.TextChoices):
    NEGATIVE = "negative", _("Negative")
    NEUTRAL = "neutral", _("Neutral")
    POSITIVE = "positive", _("Positive")


# The model's negative probability from which an item not labelled negative is flagged as a
# possible complaint. Fixed a priori, not tuned: "more likely than a uniform guess" (1/3). On the
# brand comment set (MODEL_CARD.md) the flag lifts complaints caught from 65 % to 81 %, with 14 of
# 192 other comments flagged too.
POSSIBLE_COMPLAINT = 1 / 3
# A workspace's first-response target until someone sets one (InboxProfile.sla_minutes).
DEFAULT_SLA_MINUTES = 60
# The same rule as Item.maybe_complaint, for querysets (the inbox's order and filter, the
# overview's count).
MAYBE_COMPLAINT = (models.Q(sentiment_manual=False, scores__negative__gte=POSSIBLE_COMPLAINT)
                   & ~models.Q(sentiment="negative"))


class ItemStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("inbox item status", "Open")
    CLOSED = "closed", pgettext_lazy("inbox item status", "Closed")


class Item(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="inbox_items")
    # None for a mention (found by search, not on one of our channels).
    channel = models.ForeignKey(Channel, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="inbox_items")
    network = models.CharField(max_length=16)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # The network's id of this comment/message (with its chat for Telegram: "<chat>:<id>").
    external_id = models.CharField(max_length=120)
    # The network's id of the post it belongs to, and ours when we published that post.
    post_ref = models.CharField(max_length=100, blank=True)
    target = models.ForeignKey(PostTarget, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="inbox_items")
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="inbox_items")
    parent_ref = models.CharField(max_length=120, blank=True)
    # Where a reply goes: the chat for Telegram/VK messages ("" = the post's comments).
    chat_ref = models.CharField(max_length=100, blank=True)
    author_ref = models.CharField(max_length=100, blank=True)
    author_name = models.CharField(max_length=300, blank=True)
    # At most connectors.base TEXT_MAX characters: a longer text is kept up to there, ending in
    # lib.untrusted TRUNCATED, with text_cut set and its original length in text_length.
    text = models.TextField(blank=True)
    text_cut = models.BooleanField(default=False)
    text_length = models.PositiveIntegerField(default=0)
    # The kinds of what came attached (connectors.base ATTACHMENTS), e.g. ["sticker"].
    attachments = models.JSONField(default=list, blank=True)
    sentiment = models.CharField(max_length=8, choices=Sentiment.choices, blank=True)
    scores = models.JSONField(default=dict, blank=True)
    sentiment_manual = models.BooleanField(default=False)
    status = models.CharField(max_length=8, choices=ItemStatus.choices, default=ItemStatus.OPEN)
    needs_response = models.BooleanField(default=True)
    assignee = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    received_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    first_response_at = models.DateTimeField(null=True, blank=True)
    first_responder = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    raw = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "kind", "external_id"],
                                    name="inbox_item_once_per_channel"),
            models.UniqueConstraint(fields=["workspace", "kind", "external_id"],
                                    condition=models.Q(channel__isnull=True),
                                    name="inbox_mention_once_per_workspace"),
        ]
        indexes = [
            models.Index(fields=["organisation", "workspace", "received_at"]),
            models.Index(fields=["organisation", "status", "sentiment", "received_at"]),
            models.Index(fields=["channel", "received_at"]),
            models.Index(fields=["organisation", "first_response_at"]),
            # Waiting for an answer (analytics.waiting): the overview's and the SLA's counts read
            # only these few rows instead of a client's whole history.
            models.Index(fields=["workspace", "received_at"], name="inbox_item_waiting",
                         condition=models.Q(status="open", first_response_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.external_id}"

    @property
    def is_conversation(self) -> bool:
        return self.kind in CONVERSATION_KINDS

    @property
    def placeholder(self) -> str:
        """What stands for an item without text: its attachments («Стикер», «Фото, Фото»)."""
        kinds = self.attachments if isinstance(self.attachments, list) else []
        return ", ".join(str(ATTACHMENT_LABELS.get(k, ATTACHMENT_LABELS["other"])) for k in kinds[:10])

    @property
    def maybe_complaint(self) -> bool:
        """Not labelled negative, but the model gives negative at least POSSIBLE_COMPLAINT: shown
        and sorted with the negatives (a missed complaint costs more than a second look). A
        manager's label is final."""
        if self.sentiment == Sentiment.NEGATIVE or self.sentiment_manual:
            return False
        value = (self.scores or {}).get(Sentiment.NEGATIVE.value)
        return isinstance(value, (int, float)) and value >= POSSIBLE_COMPLAINT

    def response_seconds(self) -> float | None:
        if self.first_response_at is None:
            return None
        return max(0.0, (self.first_response_at - self.received_at).total_seconds())

    def is_overdue(self, sla: timedelta, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return (self.needs_response and self.status == ItemStatus.OPEN
                and self.first_response_at is None and self.received_at + sla < now)


class ReplyStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Reply(models.Model):
    """An answer to an item, posted back through the network by a job."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField()
    status = models.CharField(max_length=8, choices=ReplyStatus.choices,
                              default=ReplyStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    external_id = models.CharField(max_length=120, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"]),
                   models.Index(fields=["status", "enqueued_at"])]

    def __str__(self) -> str:
        return f"reply {self.pk} ({self.status})"

    @property
    def random_id(self) -> int:
        """VK ``messages.send`` idempotency key: the same reply always sends the same id."""
        return self.id.int % (2**31 - 1)


class ReplyAttempt(models.Model):
    reply = models.ForeignKey(Reply, on_delete=models.CASCADE, related_name="attempt_rows")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    ok = models.BooleanField(default=False)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.number} {'ok' if self.ok else 'error'}"


class Note(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField(_("note"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.text[:40]


class CannedReply(models.Model):
    """A ready answer; ``{name}``, ``{brand}``, ``{manager}``, ``{post}`` are filled in."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    # Empty: for every workspace of the agency.
    workspace = models.ForeignKey(Workspace, null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="+", verbose_name=_("workspace"))
    title = models.CharField(_("title"), max_length=120)
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class SentimentCorrection(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="corrections")
    user = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    old_label = models.CharField(max_length=8, blank=True)
    new_label = models.CharField(max_length=8, choices=Sentiment.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.old_label} → {self.new_label}"


class DropCount(models.Model):
    """How many items a pipeline step dropped, and why, per channel and day.

    ``scope`` is the channel id, or "" for requests no channel vouched for (a wrong webhook
    code or secret): those are counted but never written into a tenant's data.
    """

    scope = models.CharField(max_length=40, blank=True)
    organisation = models.ForeignKey(Organisation, null=True, blank=True,
                                     on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    step = models.CharField(max_length=16)
    reason = models.CharField(max_length=40)
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "day", "step", "reason"],
                                    name="inbox_one_drop_counter")
        ]
        indexes = [models.Index(fields=["organisation", "day"])]

    def __str__(self) -> str:
        return f"{self.day} {self.step}/{self.reason}: {self.count}"


class InboxProfile(models.Model):
    """Per workspace: the SLA target and the sentiment model in use."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE,
                                     related_name="inbox_profile")
    sla_minutes = models.PositiveIntegerField(_("first response target, minutes"),
                                              default=DEFAULT_SLA_MINUTES)
    # A model trained on this workspace's own labelled items (path under KOSMMOS_VAR), or "".
    model_path = models.CharField(max_length=500, blank=True)
    model_score = models.FloatField(null=True, blank=True)
    base_score = models.FloatField(null=True, blank=True)
    model_trained_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"inbox profile of {self.workspace_id}"

    @property
    def sla(self) -> timedelta:
        return timedelta(minutes=self.sla_minutes)


class RunStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Training")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


# What a retraining run says about itself, by code: the worker stores the code and the values, and
# the page translates them into the reader's language (the worker's language is nobody's choice).
RETRAIN_MESSAGES = {
    "collecting": _("Collecting labelled items"),
    "training": _("Training on %(n)s items"),
    "scoring": _("Scoring both models on %(n)s held-out items"),
    "saving": _("Saving"),
    "keeping": _("Keeping the current model"),
    "activated": _("The new model is active."),
    "kept_current": _("The current model scored as well or better; it stays active."),
    "not_enough_items": _("Not enough labelled items: %(n)s, with %(k)s label(s). Correct at least "
                          "%(min)s items, with at least two different labels."),
}


def retrain_message(code: str, values: dict[str, object] | None) -> str:
    """The message for ``code`` in the active language; any other text (rows written before codes,
    an unexpected exception's text) as it was stored."""
    message = RETRAIN_MESSAGES.get(code)
    if message is None:
        return code
    try:
        return str(message) % (values or {})
    except (KeyError, TypeError, ValueError):
        return str(message)


class RetrainRun(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=8, choices=RunStatus.choices, default=RunStatus.PENDING)
    progress = models.PositiveSmallIntegerField(default=0)
    # A code from RETRAIN_MESSAGES and its values (rows from before codes hold translated text).
    stage = models.CharField(max_length=200, blank=True)
    stage_values = models.JSONField(default=dict, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    n_items = models.PositiveIntegerField(default=0)
    n_held_out = models.PositiveIntegerField(default=0)
    current_score = models.FloatField(null=True, blank=True)
    new_score = models.FloatField(null=True, blank=True)
    kept = models.BooleanField(default=False)
    # A code from RETRAIN_MESSAGES and its values, or an unexpected exception's text as it was.
    error = models.TextField(blank=True)
    error_values = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "enqueued_at"])]

    def __str__(self) -> str:
        return f"retrain {self.workspace_id} {self.status}"

    @property
    def stage_text(self) -> str:
        return retrain_message(self.stage, self.stage_values)

    @property
    def error_text(self) -> str:
        return retrain_message(self.error, self.error_values)


class SurgeAlert(models.Model):
    """Negatives on a channel today well above its normal level; one per channel and day."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    negatives = models.PositiveIntegerField()
    mean = models.FloatField()
    sigma = models.FloatField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "day"], name="inbox_one_surge_per_day")
        ]
        indexes = [models.Index(fields=["organisation", "created_at"])]

    def __str__(self) -> str:
        return f"surge {self.channel_id} {self.day}"
