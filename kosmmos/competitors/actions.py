"""Writes: follow a community (a competitor, or the client's own), stop following, keys, the
mention query. Each is atomic; a first read is kicked once the row is committed."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kosmmos.accounts.models import Organisation, User, Workspace
from kosmmos.competitors.collect import reads
from kosmmos.competitors.listening import searches
from kosmmos.competitors.models import (
    MAX_COMPETITORS,
    Community,
    Follow,
    MentionQuery,
    PublicKeys,
    Status,
)
from kosmmos.connectors import public


class Refused(ValueError):
    """A follow that cannot be added; the message is for the person."""


def follow(workspace: Workspace, address: str, network: str = "", *, own: bool = False,
           user: User | None = None) -> Follow:
    """Follow the community at ``address`` (a link or an @name with ``network``)."""
    try:
        network, handle = public.parse_address(address, network)
    except public.BadAddress as exc:
        raise Refused(_("This is not a link to a VK community, an OK group or a Telegram "
                        "channel (nor an @name with its network chosen).")) from exc
    with transaction.atomic():
        # Locks the workspace row: two people adding the fiftieth competitor at once.
        Workspace.objects.select_for_update().filter(pk=workspace.pk).first()
        if not own and Follow.objects.filter(workspace=workspace, own=False).count() >= \
                MAX_COMPETITORS:
            raise Refused(_("A client can follow at most %(n)s competitors.")
                          % {"n": MAX_COMPETITORS})
        community, created = Community.objects.get_or_create(
            network=network, handle=handle,
            defaults={"url": public.link(network, handle), "next_attempt_at": timezone.now()})
        try:
            with transaction.atomic():
                found = Follow.objects.create(organisation_id=workspace.organisation_id,
                                              workspace=workspace, community=community, own=own,
                                              added_by=user)
        except IntegrityError as exc:
            raise Refused(_("This community is already on the list.")) from exc
        if created or community.status == Status.FAILED:
            Community.objects.filter(pk=community.pk, status=Status.FAILED).update(
                status=Status.PENDING, next_attempt_at=timezone.now(), last_error="")
            transaction.on_commit(lambda: reads.kick(community.pk))
    return found


def unfollow(follow_row: Follow) -> None:
    """Stop following; a community nobody follows any more is forgotten with its posts."""
    with transaction.atomic():
        community_id = follow_row.community_id
        follow_row.delete()
        if not Follow.objects.filter(community_id=community_id).exists():
            Community.objects.filter(pk=community_id).delete()


def save_keys(organisation: Organisation, values: dict[str, str]) -> PublicKeys:
    """Replace the given keys; an empty value keeps the stored one, "-" removes it."""
    row, _created = PublicKeys.objects.get_or_create(organisation=organisation)
    current = row.read()
    for name in PublicKeys.NAMES:
        value = (values.get(name) or "").strip()
        if value == "-":
            current.pop(name, None)
        elif value:
            current[name] = value
    row.write(current)
    row.save(update_fields=["secrets", "updated_at"])
    return row


def save_query(workspace: Workspace, data: dict[str, Any]) -> MentionQuery:
    with transaction.atomic():
        query, _created = MentionQuery.objects.update_or_create(
            workspace=workspace, defaults={
                "organisation_id": workspace.organisation_id, "words": data["words"],
                "exclusions": data.get("exclusions", ""), "enabled": data.get("enabled", True),
            })
        if query.enabled:
            MentionQuery.objects.filter(pk=query.pk, status=Status.FAILED).update(
                status=Status.PENDING, last_error="")
            transaction.on_commit(lambda: searches.kick(query.pk))
        else:
            # Off: never due (the dispatcher claims pending rows whose time has come).
            MentionQuery.objects.filter(pk=query.pk, status=Status.PENDING).update(
                next_attempt_at=timezone.now().replace(year=9999))
    return query
