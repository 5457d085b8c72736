"""The content plan: posts with one text and per-network variants, media, rubrics, approvals."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from kosmmos.accounts.models import Organisation, User, Workspace


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
    media = models.ManyToManyField(MediaItem, through="PostMedia", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["publish_at", "created_at"]
        indexes = [models.Index(fields=["organisation", "workspace", "publish_at"])]

    def __str__(self) -> str:
        return self.title or self.text[:60] or str(self.id)


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

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="events")
    author = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Set when the change came through an approval link, without an account.
    author_name = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=24)
    text = models.TextField(blank=True)
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

