"""The ORD listens to the content plan (content knows nothing of it)."""

from __future__ import annotations

from typing import Any

from kosmmos.content import signals


def _approved(sender: Any, post: Any, **kwargs: Any) -> None:
    from kosmmos.ord.actions import register_post

    register_post(post)


def _ad_changed(sender: Any, post: Any, erid_before: str = "", **kwargs: Any) -> None:
    from kosmmos.ord.actions import ad_changed

    ad_changed(post, erid_before)


def connect() -> None:
    signals.approved.connect(_approved, dispatch_uid="ord.approved")
    signals.ad_changed.connect(_ad_changed, dispatch_uid="ord.ad_changed")
