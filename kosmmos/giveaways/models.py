"""A giveaway: its conditions, prizes, participants (each excluded one with its reason), the
frozen list's hash, the drand round and the winners.

Lifecycle (``stage``)::

    running ──ends_at: final collection with re-checks, list frozen and hashed──> frozen
    frozen ──the announced drand round exists: fetched, winners picked──> drawn

``status`` is the job's state for ``jobs/queue.py`` (pending → queued → running → pending|idle|
failed); ``next_attempt_at`` says when the next step is due: an incremental collection while
the giveaway runs, the freeze at its end, the draw when the round is out.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kosmmos.accounts.models import Organisation, Workspace
from kosmmos.content.models import Post
from kosmmos.lib import crypto
from kosmmos.links.models import CostEntry


def public_code() -> str:
    return secrets.token_urlsafe(12)


class Network(models.TextChoices):
    SANDBOX = "sandbox", _("Sandbox (rehearsal)")
    VK = "vk", "VK"


class Stage(models.TextChoices):
    RUNNING = "running", _("Collecting entries")
    FROZEN = "frozen", _("List frozen, waiting for the round")
    DRAWN = "drawn", _("Drawn")


class JobStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Working")
    IDLE = "idle", _("Nothing due")
    FAILED = "failed", _("Failed")


def default_conditions() -> dict[str, Any]:
    return {"like": True, "repost": False, "comment": False, "word": "", "tag_friend": False,
            "member": True, "partners": []}


def default_rules() -> dict[str, Any]:
    return {"min_age_days": 30, "no_avatar": True, "closed": False}


class Giveaway(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(max_length=24, unique=True, default=public_code)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="giveaways")
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="giveaways")
    title = models.CharField(_("title"), max_length=200)
    network = models.CharField(_("network"), max_length=16, choices=Network.choices)
    # The post on the network ("<owner_id>_<item_id>", VK's notation) and the own community.
    owner_id = models.CharField(_("owner id of the post"), max_length=40)
    item_id = models.CharField(_("post id"), max_length=40)
    group_id = models.CharField(_("community id"), max_length=40, blank=True)
    # The reading token (VK: a service or user token), encrypted with lib/crypto.py.
    token_encrypted = models.TextField(blank=True)
    conditions = models.JSONField(default=default_conditions)
    rules = models.JSONField(default=default_rules)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    winners_count = models.PositiveSmallIntegerField(_("winners"), default=1)
    reserves_count = models.PositiveSmallIntegerField(_("reserve winners"), default=2)
    answer_days = models.PositiveSmallIntegerField(_("days a winner has to answer"), default=3)
    stage = models.CharField(max_length=8, choices=Stage.choices, default=Stage.RUNNING)
    # The job (jobs/queue.py).
    status = models.CharField(max_length=8, choices=JobStatus.choices, default=JobStatus.PENDING)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # What the page shows and the draw proves.
    entries = models.PositiveIntegerField(default=0)  # eligible at the last collection
    collected_at = models.DateTimeField(null=True, blank=True)
    beacon_url = models.URLField(max_length=300)
    drand_round = models.PositiveBigIntegerField(null=True, blank=True)
    round_note = models.CharField(max_length=300, blank=True)  # why the round changed, if it did
    list_sha256 = models.CharField(max_length=64, blank=True)
    frozen_count = models.PositiveIntegerField(default=0)
    frozen_at = models.DateTimeField(null=True, blank=True)
    signature = models.TextField(blank=True)
    randomness = models.CharField(max_length=64, blank=True)
    drawn_at = models.DateTimeField(null=True, blank=True)
    results_post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-ends_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"]),
                   models.Index(fields=["workspace", "ends_at"])]

    def __str__(self) -> str:
        return self.title

    def token(self) -> str:
        return crypto.decrypt(self.token_encrypted) if self.token_encrypted else "sandbox"

    def public_url(self) -> str:
        """The page anyone can open to check the draw (no sign-in)."""
        return settings.SITE_URL + reverse("giveaways:public", args=[self.code])

    @property
    def post_key(self) -> str:
        return f"{self.owner_id}_{self.item_id}"

    def communities(self) -> list[str]:
        """Every community a participant must belong to: the own one, then partners'."""
        found = [self.group_id] if self.conditions.get("member") and self.group_id else []
        return found + [str(p) for p in self.conditions.get("partners") or [] if str(p)]


class Prize(models.Model):
    """A prize; its cost is a CostEntry (category prizes) in the month the giveaway ends."""

    giveaway = models.ForeignKey(Giveaway, on_delete=models.CASCADE, related_name="prizes")
    name = models.CharField(_("prize"), max_length=200)
    cost = models.DecimalField(_("cost, ₽"), max_digits=12, decimal_places=2, default=0)
    cost_entry = models.ForeignKey(CostEntry, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    NONE = "", "—"
    WINNER = "winner", _("Winner")
    RESERVE = "reserve", _("Reserve winner")
    SKIPPED = "skipped", _("Did not answer")


# Why someone is out: a code stored on the row, its words chosen when a page shows them (in the
# reader's language), with the row's ``reason_args``.
REASONS = {
    "own": _("own account"),
    "blacklist": _("blacklist"),
    "blacklist_note": _("blacklist: %(note)s"),
    "no_like": _("no like"),
    "no_repost": _("no repost"),
    "no_comment": _("no comment"),
    "no_word": _("comment without the word «%(word)s»"),
    "no_tag": _("comment without a tagged friend"),
    "not_member": _("not a member of community %(group)s"),
    "young": _("account created %(days)s days ago (rule: at least %(min)s)"),
    "no_avatar": _("no avatar"),
    "closed": _("closed profile"),
}


class Participant(models.Model):
    giveaway = models.ForeignKey(Giveaway, on_delete=models.CASCADE, related_name="participants")
    user_id = models.CharField(max_length=40)  # "<network>:<id>", the line in the frozen list
    name = models.CharField(max_length=200, blank=True)
    eligible = models.BooleanField(default=True)
    reason = models.CharField(max_length=16, blank=True)  # why excluded: a key of REASONS
    reason_args = models.JSONField(default=dict, blank=True)
    in_list = models.BooleanField(default=False)  # in the frozen list
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.NONE, blank=True)
    rank = models.PositiveSmallIntegerField(null=True, blank=True)  # pick order
    notified_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    # A winner's deadline to answer (set with notified_at); past it, the ticker hands the prize
    # to the next reserve winner (actions.promote_overdue).
    answer_due = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["giveaway", "user_id"],
                                               name="one_entry_per_user")]
        indexes = [models.Index(fields=["giveaway", "eligible"]),
                   models.Index(fields=["role", "answer_due"])]

    def __str__(self) -> str:
        return self.user_id

    @property
    def network_id(self) -> str:
        return self.user_id.partition(":")[2]

    @property
    def reason_text(self) -> str:
        template = REASONS.get(self.reason)
        if template is None:
            return self.reason
        try:
            return str(template) % self.reason_args if self.reason_args else str(template)
        except (KeyError, TypeError, ValueError):
            return str(template)

    @property
    def answer_by(self) -> datetime | None:
        """A winner's deadline to answer; past it, the prize goes to the next reserve."""
        if self.answer_due is not None or self.notified_at is None:
            return self.answer_due
        return self.notified_at + timedelta(days=self.giveaway.answer_days)


class Excluded(models.Model):
    """An account a workspace keeps out of its giveaways: its own, the agency's, or blacklisted."""

    class Kind(models.TextChoices):
        OWN = "own", _("Own account")
        BLACKLIST = "blacklist", _("Blacklist")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE,
                                  related_name="giveaway_exclusions")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    user_id = models.CharField(_("account"), max_length=40)  # "<network>:<id>"
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "user_id"],
                                               name="one_exclusion_per_account")]

    def __str__(self) -> str:
        return self.user_id


class Partner(models.Model):
    """A cross-marketing partner: another company (or workspace) and its community."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE,
                                  related_name="giveaway_partners")
    name = models.CharField(_("partner"), max_length=200)
    network = models.CharField(_("network"), max_length=16, choices=Network.choices)
    group_id = models.CharField(_("community id"), max_length=40)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    # A partner that is another client of the same agency: its post goes into that plan.
    partner_workspace = models.ForeignKey(Workspace, null=True, blank=True,
                                          on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


def exchange_token() -> str:
    return secrets.token_urlsafe(24)


class Exchange(models.Model):
    """An exchange of posts with a partner: ours about them (in our plan), theirs about us (in
    their plan when they are a workspace of this agency), approved by the partner by link."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Waiting for the partner")
        APPROVED = "approved", _("Approved by the partner")
        CHANGES = "changes", _("Partner asked for changes")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE,
                                  related_name="post_exchanges")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="exchanges")
    our_post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    their_text = models.TextField(_("the partner's post about us"))
    their_post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    token = models.CharField(max_length=64, unique=True, default=exchange_token)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    partner_comment = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.partner} ⇄ {self.workspace}"


class Run(models.Model):
    """One step of a giveaway's job: collection, freeze or draw, with its error and duration."""

    giveaway = models.ForeignKey(Giveaway, on_delete=models.CASCADE, related_name="runs")
    step = models.CharField(max_length=12)
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    calls = models.PositiveIntegerField(default=0)
    entries = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.step} {self.started_at:%Y-%m-%d %H:%M}"


class Outreach(models.Model):
    """One thing Kosmmos says on the network about a giveaway, said once.

    ``hash``: the frozen list's SHA-256 and the drand round, a comment under the giveaway post
    from the community. ``winner``: a winner told — a private message from the community where
    the person allows it, else a comment under the post mentioning them, else ``manual`` with the
    reason a person must contact them. A row per (giveaway, kind, person): ``key`` is unique, and
    is the comment's ``guid``; ``random_id`` (from it) is the message's.

    The job follows ``jobs/queue.py`` (pending → queued → sending → sent | pending | failed |
    manual). ``unsure`` says the last call may have reached the network (a timeout, VK error 10,
    a dead worker): the next attempt looks for what it sent before it sends again.
    """

    class Kind(models.TextChoices):
        HASH = "hash", _("List hash and round, a comment under the post")
        WINNER = "winner", _("Message to a winner")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        MANUAL = "manual", _("By hand")

    class Via(models.TextChoices):
        NONE = "", "—"
        COMMENT = "comment", _("comment under the post")
        MESSAGE = "message", _("private message")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    giveaway = models.ForeignKey(Giveaway, on_delete=models.CASCADE, related_name="outreach")
    participant = models.ForeignKey(Participant, null=True, blank=True,
                                    on_delete=models.CASCADE, related_name="outreach")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    key = models.CharField(max_length=120, unique=True)
    text = models.TextField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    unsure = models.BooleanField(default=False)
    via = models.CharField(max_length=8, choices=Via.choices, default=Via.NONE, blank=True)
    external_id = models.CharField(max_length=64, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return self.key

    @property
    def random_id(self) -> int:
        """VK ``messages.send`` idempotency key: the same row always sends the same id."""
        return int(hashlib.sha256(self.key.encode()).hexdigest()[:15], 16) % (2**31 - 1)


class OutreachAttempt(models.Model):
    """One try of an Outreach row: what happened, the error, how long it took."""

    class Outcome(models.TextChoices):
        SENT = "sent", _("sent")
        FOUND = "found", _("found already sent")
        RETRY = "retry", _("failed, will retry")
        UNSURE = "unsure", _("no answer: will look before retrying")
        FAILED = "failed", _("failed")
        MANUAL = "manual", _("left to a person")

    outreach = models.ForeignKey(Outreach, on_delete=models.CASCADE, related_name="tries")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.outreach_id} #{self.number}"
