"""Which of our tracked links an ad points to: its URL is our short link, or our target with
our UTM tags. A matched banner is how a conversion (attributed to the link's last click) is
credited to the ad that brought it."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from django.conf import settings

from kosmmos.accounts.models import Workspace
from kosmmos.links.models import TrackedLink


def link_for(workspace: Workspace, url: str) -> TrackedLink | None:
    url = url.strip()
    base = settings.LINKS_BASE_URL.rstrip("/") + "/"
    if url.startswith(base):
        code = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
        return TrackedLink.objects.filter(workspace=workspace, code=code[:16]).first()
    parts = urlsplit(url)
    tags = {k: v for k, v in parse_qsl(parts.query) if k.startswith("utm_")}
    if not tags.get("utm_source"):
        return None
    stem = f"{parts.scheme}://{parts.netloc}{parts.path}"
    for link in TrackedLink.objects.filter(workspace=workspace, network=tags["utm_source"],
                                           target_url__startswith=stem).select_related(
                                               "campaign")[:200]:
        if link.utm().items() <= tags.items():
            return link
    return None
