"""Who hears about an event, on which channel and when: role defaults, a member's choices per
workspace, quiet hours in the organisation's time zone and the daily digest."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time, timedelta
from typing import Any

from kosmmos.accounts.models import AGENCY_ROLES, STAFF_ROLES, Membership
from kosmmos.notifications import kinds
from kosmmos.notifications.models import Channel, Event, Severity, Subscriber

DIGEST_HOUR = 9  # the daily digest goes out at 09:00 in the organisation's time zone
# Kinds whose own email already goes out with its content (the brief, the lead's answer): the
# notification email would be a second copy, so email is off for them unless a person turns it on.
# A sent report is its own email, with the PDF, to the client.
OWN_EMAIL = frozenset({"lead.created", "proposal.accepted", "report.sent"})
# Routine news: in the app only, unless a person asks for more.
IN_APP_ONLY = frozenset({"post.published"})
# Not urgent, but the agency's staff were emailed about these before there was a bell.
STAFF_EMAIL = frozenset({"channel.token_expiring", "inbox.negative_surge"})


def defaults(role: str, kind: str) -> list[str]:
    """A client hears about approvals and reports only; agency roles hear everything in the app
    and in Telegram, and by email what is urgent."""
    spec = kinds.get(kind)
    if role not in AGENCY_ROLES:
        if not spec.client:
            return []
        return [str(Channel.INAPP)] + ([] if kind in OWN_EMAIL else [str(Channel.EMAIL)])
    if kind in IN_APP_ONLY:
        return [str(Channel.INAPP)]
    chosen: list[str] = [Channel.INAPP, Channel.TELEGRAM]
    if (spec.urgent and kind not in OWN_EMAIL) or (kind in STAFF_EMAIL and role in STAFF_ROLES):
        chosen.append(Channel.EMAIL)
    return chosen


def channels_for(sub: Subscriber | None, role: str, kind: str, workspace_id: object) -> list[str]:
    """The channels a member chose for ``kind`` in the workspace (their choice for the workspace,
    else for every workspace, else the role default)."""
    if sub is not None:
        for scope in (str(workspace_id) if workspace_id else None, "*"):
            picked = (sub.choices.get(scope) or {}).get(kind) if scope else None
            if picked is not None:
                return [c for c in picked if c in Channel.values]
    return defaults(role, kind)


def sees(membership: Membership, workspace_id: Any) -> bool:
    """A client hears only about their own workspaces (and nothing organisation-wide)."""
    if membership.role in AGENCY_ROLES:
        return True
    if workspace_id is None:
        return False
    return membership.workspaces.filter(pk=workspace_id).exists()


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("Europe/Moscow")


def quiet_until(sub: Subscriber | None, tz_name: str, now: datetime) -> datetime | None:
    """The end of the member's quiet hours when ``now`` falls inside them, else None."""
    if sub is None or sub.quiet_from is None or sub.quiet_to is None \
            or sub.quiet_from == sub.quiet_to:
        return None
    local = now.astimezone(_zone(tz_name))
    t, start, end = local.time(), sub.quiet_from, sub.quiet_to
    inside = start <= t < end if start < end else (t >= start or t < end)
    if not inside:
        return None
    day = local.date() if t < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=local.tzinfo)


def next_digest(tz_name: str, now: datetime) -> datetime:
    local = now.astimezone(_zone(tz_name))
    at = datetime.combine(local.date(), time(DIGEST_HOUR), tzinfo=local.tzinfo)
    return at if at > local else at + timedelta(days=1)


def due_at(event: Event, sub: Subscriber | None, channel: str, tz_name: str,
           now: datetime) -> datetime:
    """When a delivery may go: now; after quiet hours (urgent events override); or, for a
    non-urgent email of a digest reader, at the next digest."""
    urgent = event.severity == Severity.URGENT
    if channel == Channel.EMAIL and sub is not None and sub.email_digest and not urgent:
        return next_digest(tz_name, now)
    if not urgent:
        until = quiet_until(sub, tz_name, now)
        if until is not None:
            return until
    return now
