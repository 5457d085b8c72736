"""Audience segments from what Kosmmos knows about one workspace, as numeric VK ids.

Every query is bound to the workspace (and its organisation): a segment never holds a person
seen in another client's workspace. Only numeric, positive ids are VK users (a negative
``from_id`` is a community; Telegram's ids are not VK's); VK-side items only.

- commented: wrote a comment on the workspace's VK posts;
- complained: a comment or message labelled negative, or flagged as a possible complaint
  (the inbox's own rule, ``inbox.models.MAYBE_COMPLAINT``);
- messaged: wrote a private message;
- clicked: a conversion reported with a ``vk_id`` that came through a tracked link's click
  (a click itself carries no identity; the shop's postback is where the VK id is known);
- bought: a purchase reported with a ``vk_id``.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Q, QuerySet

from kosmmos.accounts.models import Workspace
from kosmmos.audiences.models import SegmentKind
from kosmmos.channels.models import Network
from kosmmos.inbox.models import CONVERSATION_KINDS, MAYBE_COMPLAINT, Item, Kind, Sentiment
from kosmmos.links.models import Conversion, ConversionKind

VK_ID = r"^[1-9][0-9]{0,19}$"
# The sandbox network rehearses VK (its demo authors are VK-like numeric ids).
VK_NETWORKS = (Network.VK, Network.SANDBOX)


def _items(workspace: Workspace) -> QuerySet[Item]:
    return Item.objects.filter(organisation_id=workspace.organisation_id, workspace=workspace,
                               network__in=VK_NETWORKS, author_ref__regex=VK_ID)


def _conversions(workspace: Workspace) -> QuerySet[Conversion]:
    return Conversion.objects.filter(organisation_id=workspace.organisation_id,
                                     workspace=workspace, vk_id__regex=VK_ID)


def query(workspace: Workspace, kind: str) -> QuerySet[Item] | QuerySet[Conversion]:
    if kind == SegmentKind.COMMENTED:
        return _items(workspace).filter(kind=Kind.COMMENT)
    if kind == SegmentKind.COMPLAINED:
        return _items(workspace).filter(kind__in=CONVERSATION_KINDS).filter(
            Q(sentiment=Sentiment.NEGATIVE) | MAYBE_COMPLAINT)
    if kind == SegmentKind.MESSAGED:
        return _items(workspace).filter(kind=Kind.MESSAGE)
    if kind == SegmentKind.CLICKED:
        return _conversions(workspace).filter(link__isnull=False)
    if kind == SegmentKind.BOUGHT:
        return _conversions(workspace).filter(kind=ConversionKind.PURCHASE)
    raise ValueError(kind)


def vk_ids(workspace: Workspace, kind: str) -> Iterator[str]:
    """The segment's distinct VK ids, in a stable order."""
    rows = query(workspace, kind)
    column = "vk_id" if rows.model is Conversion else "author_ref"
    yield from rows.order_by(column).values_list(column, flat=True).distinct().iterator(
        chunk_size=20_000)


def size(workspace: Workspace, kind: str) -> int:
    rows = query(workspace, kind)
    column = "vk_id" if rows.model is Conversion else "author_ref"
    return rows.values(column).distinct().count()
