"""Competitors' public communities, their posts and counters, the key moves found in them, and
the brand-mention query of each workspace.

A ``Community`` is one public community of the installation, whoever follows it: the collector
reads it once per round for every workspace that follows it (``Follow``). Posts are kept once per
community (unique network id, counters updated on each read) and followers as one row a day.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kosmmos.accounts.models import Organisation, User, Workspace
from kosmmos.lib import crypto

MAX_COMPETITORS = 50
# How often a community is read; a failed read waits longer each time, up to a day.
ROUND = timedelta(hours=1)
MAX_BACKOFF = timedelta(hours=24)


class Network(models.TextChoices):
    VK = "vk", "VK"
    OK = "ok", _("Odnoklassniki")
    TELEGRAM = "telegram", "Telegram"
    SANDBOX = "sandbox", _("Sandbox")


class PublicKeys(models.Model):
    """The organisation's keys for public reads, encrypted at rest (lib.crypto)."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE,
                                        related_name="public_keys", primary_key=True)
    secrets = models.TextField(blank=True)  # encrypted JSON
    updated_at = models.DateTimeField(auto_now=True)

    NAMES = ("vk_service_token", "ok_application_key", "ok_secret_key", "tgstat_token",
             "sandbox_key")

    def __str__(self) -> str:
        return f"keys of {self.organisation_id}"

    def read(self) -> dict[str, str]:
        try:
            return {k: str(v) for k, v in crypto.decrypt_json(self.secrets).items()}
        except crypto.DecryptionError:
            return {}

    def write(self, values: dict[str, str]) -> None:
        self.secrets = crypto.encrypt_json({k: v for k, v in values.items() if v})


class Status(models.TextChoices):
    PENDING = "pending", _("Waiting")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Reading")
    FAILED = "failed", _("Failed")


class Community(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    network = models.CharField(max_length=16, choices=Network.choices)
    handle = models.CharField(max_length=64)  # canonical: connectors.public.parse_address
    external_id = models.CharField(max_length=64, blank=True)
    name = models.CharField(max_length=300, blank=True)
    url = models.CharField(max_length=300, blank=True)
    followers = models.PositiveBigIntegerField(null=True, blank=True)
    # The job columns (jobs.queue.RowQueue).
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_read_at = models.DateTimeField(null=True, blank=True)
    reads = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["network", "handle"],
                                               name="community_once")]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return self.name or f"{self.network}:{self.handle}"


class Follow(models.Model):
    """A workspace follows a community: a competitor, or (``own``) the client's own."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="follows")
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="follows")
    own = models.BooleanField(default=False)
    added_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-own", "created_at"]
        constraints = [models.UniqueConstraint(fields=["workspace", "community"],
                                               name="follow_once")]

    def __str__(self) -> str:
        return f"{self.workspace_id} → {self.community_id}"


class CommunityPost(models.Model):
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="posts")
    external_id = models.CharField(max_length=64)
    published_at = models.DateTimeField()
    text = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    format = models.CharField(max_length=8, default="text")
    likes = models.PositiveBigIntegerField(default=0)
    comments = models.PositiveBigIntegerField(default=0)
    reposts = models.PositiveBigIntegerField(default=0)
    views = models.PositiveBigIntegerField(default=0)
    is_ad = models.BooleanField(default=False)
    first_seen_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-published_at"]
        constraints = [models.UniqueConstraint(fields=["community", "external_id"],
                                               name="community_post_once")]
        indexes = [models.Index(fields=["community", "published_at"])]

    def __str__(self) -> str:
        return f"{self.community_id}/{self.external_id}"

    @property
    def engagement(self) -> int:
        return self.likes + self.comments + self.reposts


class Followers(models.Model):
    """The community's followers on a day (the last read of the day wins)."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="counts")
    day = models.DateField()
    followers = models.PositiveBigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["community", "day"],
                                               name="followers_once_a_day")]

    def __str__(self) -> str:
        return f"{self.community_id} {self.day}: {self.followers}"


class ReadAttempt(models.Model):
    """Every read of a community: what it found or why it failed."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="attempts_log")
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    ok = models.BooleanField(default=False)
    new_posts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["community", "started_at"])]

    def __str__(self) -> str:
        return f"{self.community_id} {self.started_at}"


class MoveKind(models.TextChoices):
    ENGAGEMENT = "engagement", _("A post far above its usual engagement")
    FREQUENCY = "frequency", _("Posting frequency changed")
    PROMO = "promo", _("A giveaway or a discount announced")
    FOLLOWERS = "followers", _("Follower jump")


class KeyMove(models.Model):
    """Something a competitor did that a manager should see; once per (community, key)."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="moves")
    kind = models.CharField(max_length=12, choices=MoveKind.choices)
    key = models.CharField(max_length=100)  # what makes it the same move (a post id, a week)
    post = models.ForeignKey(CommunityPost, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+")
    detail = models.CharField(max_length=500)
    found_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-found_at"]
        constraints = [models.UniqueConstraint(fields=["community", "kind", "key"],
                                               name="key_move_once")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"


class MentionQuery(models.Model):
    """What the workspace's brand is called out there, polled like a community."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE,
                                     related_name="mention_query")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    words = models.TextField(_("words"), help_text=_(
        "One word or phrase per line; a post mentioning any of them is a mention."))
    exclusions = models.TextField(_("exclusions"), blank=True, help_text=_(
        "One per line; a post containing any of them is left out (another company with the "
        "same name, job ads)."))
    enabled = models.BooleanField(_("enabled"), default=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    searched_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"mentions of {self.workspace_id}"

    def word_list(self) -> list[str]:
        return [w.strip() for w in self.words.splitlines() if w.strip()][:20]

    def exclusion_list(self) -> list[str]:
        return [w.strip().lower() for w in self.exclusions.splitlines() if w.strip()][:50]
