"""The content plan: posts with one text and per-network variants, media, rubrics, approvals."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kosmmos.accounts.models import Organisation, User, Workspace
from kosmmos.channels.models import Channel
from kosmmos.lib.ids import token


class PostStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHED = "published", _("Published")
    FAILED = "failed", _("Failed")


class Rubric(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="rubrics")
    name = models.CharField(_("name"), max_length=100)
    color = models.CharField(_("colour"), max_length=7, default="#6366f1")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def _media_path(instance: MediaItem, filename: str) -> str:
    return f"media/{instance.organisation_id}/{instance.workspace_id}/{instance.id}/{filename}"


class MediaItem(models.Model):
    """A file in the workspace's media library (stored under MEDIA_ROOT)."""

    class Kind(models.TextChoices):
        PHOTO = "photo", _("Photo")
        VIDEO = "video", _("Video")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="media")
    file = models.FileField(upload_to=_media_path, max_length=400)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    mime = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(default=0)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    name = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name or str(self.id)


class Post(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    title = models.CharField(_("working title"), max_length=200, blank=True)
    text = models.TextField(_("text"), blank=True)
    rubric = models.ForeignKey(
        Rubric, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("rubric")
    )
    hashtags = models.CharField(_("hashtags"), max_length=500, blank=True)
    publish_at = models.DateTimeField(_("publish at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=PostStatus.choices, default=PostStatus.DRAFT
    )
    # Russian ad-labeling law (38-FZ art. 18.1): an ad post carries "Реклама", the advertiser and
    # the erid token from an ORD; VK posts also set mark_as_ads.
    is_ad = models.BooleanField(_("advertising post"), default=False)
    advertiser = models.CharField(_("advertiser"), max_length=300, blank=True)
    erid = models.CharField(_("erid token"), max_length=100, blank=True)
    media: models.ManyToManyField[MediaItem, PostMedia] = models.ManyToManyField(
        MediaItem, through="PostMedia", blank=True)
    # The client asked for changes; cleared when the post is sent for review again.
    changes_requested = models.BooleanField(default=False)
    # Typed in the network's own app (VK, Telegram) rather than made here: the inbox keeps it
    # when the network announces it (kosmmos/content/outside.py), published, with its stats and
    # comments like ours.
    outside = models.BooleanField(_("published outside Kosmmos"), default=False)
    # A published post removed from the plan: kept (its targets are being deleted from the
    # networks) but hidden from every list.
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["publish_at", "created_at"]
        indexes = [
            models.Index(fields=["organisation", "workspace", "publish_at"]),
            # The calendars and the overview filter by the visible workspaces, not by organisation.
            models.Index(fields=["workspace", "publish_at"], name="post_ws_publish_at"),
            models.Index(fields=["workspace", "status"], name="post_ws_status"),
        ]

    def __str__(self) -> str:
        return self.title or self.text[:60] or str(self.id)

    @property
    def label(self) -> str:
        """A short name for lists and emails."""
        first_line = (self.text.strip().splitlines() or [""])[0]
        return self.title or first_line[:80] or str(_("Untitled post"))


class PostMedia(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="post_media")
    media = models.ForeignKey(MediaItem, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["post", "media"], name="media_once_per_post")]

    def __str__(self) -> str:
        return f"{self.post_id} #{self.position}"


class PostVariant(models.Model):
    """The text for one network when it differs from the post's main text."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="variants")
    network = models.CharField(max_length=16)
    text = models.TextField(_("text"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "network"], name="one_variant_per_network")
        ]

    def __str__(self) -> str:
        return f"{self.post_id} [{self.network}]"


class PostEvent(models.Model):
    """The post's history: every change, approval, comment and publishing outcome."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        EDITED = "edited", _("Edited")
        SENT_FOR_REVIEW = "sent_for_review", _("Sent for review")
        APPROVED = "approved", _("Approved")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")
        SCHEDULED = "scheduled", _("Scheduled")
        UNSCHEDULED = "unscheduled", _("Unscheduled")
        RESCHEDULED = "rescheduled", _("Rescheduled")
        PUBLISHED = "published", _("Published")
        FAILED = "failed", _("Failed")
        RETRIED = "retried", _("Retry requested")
        COMMENT = "comment", _("Comment")
        DELETED = "deleted", _("Deleted")
        NOT_DELETABLE = "not_deletable", _("Not deletable on the network")

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="events")
    author = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Set when the change came through an approval link, without an account.
    author_name = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    # What people typed (a comment) or, on entries written before ``message``, the sentence.
    text = models.TextField(blank=True)
    # Our own sentence as a key and its parameters, made in the viewer's language when shown
    # (content/history.py); empty: ``text`` is the entry.
    message = models.CharField(max_length=40, blank=True)
    params = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.text[:60]}"


class PostComment(models.Model):
    """The approval thread between the agency and the client, per post."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    author_name = models.CharField(max_length=200, blank=True)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.text[:60]



class PostTemplate(models.Model):
    """A reusable post: text, variants, hashtags, rubric and ad details, per workspace."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="post_templates")
    name = models.CharField(_("template name"), max_length=200)
    title = models.CharField(max_length=200, blank=True)
    text = models.TextField(blank=True)
    variants = models.JSONField(default=dict, blank=True)  # network → text
    hashtags = models.CharField(max_length=500, blank=True)
    rubric = models.ForeignKey(Rubric, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    is_ad = models.BooleanField(default=False)
    advertiser = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# How long an approval link sent to a client works.
APPROVAL_LINK_DAYS = 14


def _approval_expiry() -> object:
    return timezone.now() + timedelta(days=APPROVAL_LINK_DAYS)


class ApprovalLink(models.Model):
    """A link that lets the client approve the posts of a period without an account."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="approval_links")
    token = models.CharField(max_length=64, unique=True, default=token)
    date_from = models.DateField(_("from"))
    date_to = models.DateField(_("to"))
    email = models.EmailField(_("send to"), blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(default=_approval_expiry)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.workspace_id} {self.date_from}–{self.date_to}"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    def url(self) -> str:
        return f"{settings.SITE_URL}/approve/{self.token}/"


def _import_path(instance: ImportRun, filename: str) -> str:
    return f"imports/{instance.organisation_id}/{instance.id}/{filename}"


class ImportRun(models.Model):
    """One uploaded content-plan file and its row-by-row report.

    Small files are imported in the request; big ones by a job that updates ``processed``.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="imports")
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    file = models.FileField(upload_to=_import_path, max_length=400, blank=True)
    filename = models.CharField(max_length=255)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"

    @property
    def percent(self) -> int:
        return int(100 * self.processed / self.total) if self.total else 0


class ImportRow(models.Model):
    """One line of an imported file: the post it became, or why it was rejected."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="rows")
    number = models.PositiveIntegerField()  # the line in the file; the header is line 1
    ok = models.BooleanField(default=False)
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    label = models.CharField(max_length=200, blank=True)
    messages = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["run", "number"], name="one_report_row_per_line")]

    def __str__(self) -> str:
        return f"{self.run_id} #{self.number}"


class TargetStatus(models.TextChoices):
    DRAFT = "draft", _("Not scheduled")
    SCHEDULED = "scheduled", _("Scheduled")
    QUEUED = "queued", _("Queued")
    PUBLISHING = "publishing", _("Publishing")
    RECONCILING = "reconciling", _("Checking the network")
    PUBLISHED = "published", _("Published")
    NEEDS_CHECK = "needs_check", _("Needs a manual check")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")
    DELETED = "deleted", _("Deleted from the network")
    # Deleted here, kept by the network: too old for its API to delete (Telegram: 48 h).
    NOT_DELETABLE = "not_deletable", _("Not deletable: still on the network")


# Where the engine has the target; the content editor must not change these posts' schedule.
IN_FLIGHT = (TargetStatus.QUEUED, TargetStatus.PUBLISHING, TargetStatus.RECONCILING)


class PendingAction(models.TextChoices):
    NONE = "", _("Nothing")
    EDIT = "edit", _("Edit on the network")
    DELETE = "delete", _("Delete from the network")


class PostTarget(models.Model):
    """One post on one channel: the unit the publishing engine schedules.

    Target states (the database is the truth; Celery only carries ids)::

        draft ──schedule──> scheduled ──dispatcher claim (publish_at due)──> queued
        queued ──task claim (lease)──> publishing ──> published
                                         │  ├─ transient / rate limited ──> scheduled (next_attempt_at)
                                         │  ├─ permanent / auth revoked ───> failed
                                         │  └─ ambiguous (timeout after send) ──> reconciling
        reconciling ──find() says posted──> published;  ──says absent──> scheduled (retry);
                    ──cannot tell (Telegram)──> needs_check (a person decides)
        publishing with an expired lease (worker died) ──sweep──> reconciling (never a blind resend)
        failed / needs_check ──retry (needs_check: "I checked, it is not there")──> scheduled
        published ──delete propagated──> deleted
        published ──delete asked past the network's delete window (or refused as too old)──>
                  not_deletable (kept there; a person deletes it in the network itself)

    Edits and deletes of a published post are jobs too: ``pending_action`` says what is owed to
    the network, ``action_due_at`` when to try, ``action_version`` which edit is the latest (an
    edit made while an older one is in flight is not lost). The writes are in targets.py; every
    try of anything is a row in the publishing app (``PublishAttempt``).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="targets")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="targets")
    status = models.CharField(max_length=16, choices=TargetStatus.choices, default=TargetStatus.DRAFT)
    publish_at = models.DateTimeField(null=True, blank=True)
    # When the next try is due (publish_at at first, later the backoff or retry_after).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    # The claim token of whoever holds the row ("worker name:random"): a claim sets it and then
    # reads back the rows carrying it, so a batch claim knows exactly which rows it won.
    lease_owner = models.CharField(max_length=100, blank=True)
    # Lookups on the network after an unknown outcome (reconciliation), for the give-up limit.
    checks = models.PositiveSmallIntegerField(default=0)
    external_id = models.CharField(max_length=100, blank=True)
    url = models.URLField(max_length=500, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # The exact text and media sent, so edits and reconciliation compare like with like.
    sent_text = models.TextField(blank=True)
    next_stats_at = models.DateTimeField(null=True, blank=True)
    # An edit or delete owed to the network for a published target (see the module docstring).
    pending_action = models.CharField(
        max_length=8, choices=PendingAction.choices, default=PendingAction.NONE, blank=True
    )
    action_due_at = models.DateTimeField(null=True, blank=True)
    action_version = models.PositiveIntegerField(default=0)
    action_attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "publishing_posttarget"  # created by the publishing app before it moved here
        constraints = [
            models.UniqueConstraint(fields=["post", "channel"], name="one_target_per_channel")
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["status", "enqueued_at"]),
            models.Index(fields=["status", "lease_until"]),
            models.Index(fields=["lease_owner"]),
            models.Index(fields=["status", "next_stats_at"]),
            models.Index(fields=["pending_action", "action_due_at"]),
            models.Index(fields=["organisation", "channel", "published_at"]),
            models.Index(fields=["status", "publish_at"], name="target_status_publish_at"),
            # The published posts of some channels in a period (results, channel stats): with
            # only (status, publish_at) SQLite read every published target of every client.
            models.Index(fields=["status", "channel", "published_at"],
                         name="target_published_by_channel"),
        ]

    def __str__(self) -> str:
        return f"{self.post_id} → {self.channel_id} ({self.status})"

    @property
    def key(self) -> str:
        """The idempotency key sent to the network (VK guid) and used to reconcile."""
        return self.id.hex
