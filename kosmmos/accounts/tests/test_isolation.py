"""Tenant isolation, tried on every URL the project has.

Each URL pattern is filled with real ids of objects the visitor must not reach and requested with
GET and POST by an outsider (owner of the other agency), by a client of the agency (aiming at the
workspace they were not given and at agency-only objects) and by an anonymous visitor. The answer
must be a refusal (403/404/405, or a redirect to sign in), never the other tenant's data, and the
database must not change.

A new view is covered as soon as it is routed: a pattern with a parameter name missing from
``FILL`` fails the test until someone says how to fill it. The database snapshot covers every
model with an ``organisation`` field and the models one foreign key away from one, so a new
app's rows are watched without listing them here.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter
from django.urls.resolvers import RoutePattern
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from kosmmos.accounts.models import Invitation, Membership, Organisation, User, Workspace
from kosmmos.audit.models import Event
from kosmmos.briefs.models import Lead
from kosmmos.conftest import Tenant, World, client_for
from kosmmos.mail.models import Delivery


@dataclass
class Target:
    """What one visitor must not reach, as URL parameter values."""

    org: Organisation
    workspace: Workspace
    lead: Lead
    delivery: Delivery
    member: Membership
    invitation: Invitation
    brief_code: str
    user: User
    _proposal: Any = field(default=None, repr=False)
    _channel: Any = field(default=None, repr=False)

    def proposal(self) -> Any:
        """The lead's commercial proposal, made on first use (only proposal URLs need it)."""
        if self._proposal is None:
            from kosmmos.proposals.models import Proposal

            self._proposal, _ = Proposal.objects.get_or_create(
                lead=self.lead, defaults={"organisation": self.lead.organisation}
            )
        return self._proposal

    def channel(self) -> Any:
        """A channel of the workspace, made on first use (only channel URLs need it)."""
        if self._channel is None:
            from kosmmos.channels.models import Channel

            self._channel, _ = Channel.objects.get_or_create(
                workspace=self.workspace, network="sandbox", external_id="isolation",
                defaults={"organisation": self.workspace.organisation, "name": "Isolation"},
            )
        return self._channel


def _money(t: Target) -> dict[str, Any]:
    """Money objects of the target workspace (links issue), made on first use."""
    from decimal import Decimal

    from django.utils import timezone

    from kosmmos.links import actions
    from kosmmos.links.models import MetricaUpload, TrackedLink

    if not hasattr(t, "_money_objects"):
        ws = t.workspace
        link = TrackedLink.objects.create(
            organisation_id=ws.organisation_id, workspace=ws, target_url="https://shop.example/",
            network="vk",
        )
        cost = actions.add_cost(ws, month=timezone.localdate(), category="content", amount=Decimal(1))
        upload = MetricaUpload.objects.create(
            organisation_id=ws.organisation_id, workspace=ws, csv_text="x", status="failed"
        )
        t._money_objects = {
            "link": link, "cost": cost, "upload": upload, "settings": actions.money_settings(ws),
        }
    return t._money_objects


def _content(t: Target) -> dict[str, Any]:
    """Content-plan objects of the target workspace (content issue), made on first use. The
    post's title carries the workspace's name, so a page that leaks the post is caught."""
    from datetime import timedelta

    from django.utils import timezone

    from kosmmos.content.models import (
        ApprovalLink,
        ImportRun,
        MediaItem,
        Post,
        PostTarget,
        PostTemplate,
        Rubric,
    )

    if not hasattr(t, "_content_objects"):
        ws, org = t.workspace, t.workspace.organisation
        post = Post.objects.create(organisation=org, workspace=ws, title=f"{ws.name} post",
                                   text="secret plan", status="in_review",
                                   publish_at=timezone.now() + timedelta(days=2))
        target = PostTarget.objects.create(organisation=org, post=post, channel=t.channel(),
                                           status="failed", last_error="VK 214")
        media = MediaItem.objects.create(organisation=org, workspace=ws, file="media/none.png",
                                         kind="photo", mime="image/png", name="none.png")
        post.post_media.create(media=media, position=0)
        # Expired: the public approval pages must answer without showing anything.
        link = ApprovalLink.objects.create(
            organisation=org, workspace=ws, date_from=timezone.localdate(),
            date_to=timezone.localdate() + timedelta(days=7),
            expires_at=timezone.now() - timedelta(minutes=1))
        t._content_objects = {
            "post": post, "target": target, "media": media, "link": link,
            "rubric": Rubric.objects.create(organisation=org, workspace=ws, name=f"{ws.name} rubric"),
            "template": PostTemplate.objects.create(organisation=org, workspace=ws, name="tpl"),
            "import": ImportRun.objects.create(organisation=org, workspace=ws, filename="plan.csv"),
        }
    return t._content_objects

def _token(t: Target, route: str) -> str:
    if route.startswith("proposals:"):
        return str(t.proposal().token)
    if route.startswith("reports:"):
        return _report(t).token
    # Invitation links; on the password-reset page it is a wrong token for a real user.
    return t.invitation.token


# How to fill each URL parameter, given the target and the route's name. A pattern with a name
# not listed here fails the test: say how the new view's parameter is filled, and the view is
# tried by every visitor below.
def _ord(t: Target) -> dict[str, Any]:
    """ORD objects of the target's organisation (ORD issue), made on first use."""
    from kosmmos.ord.testing import isolation_objects

    if not hasattr(t, "_ord_objects"):
        t._ord_objects = isolation_objects(t.workspace)
    return t._ord_objects


def _inbox(t: Target) -> dict[str, Any]:
    """Inbox objects of the target workspace (inbox issue), made on first use."""
    from kosmmos.inbox.testing import isolation_objects

    if not hasattr(t, "_inbox_objects"):
        t._inbox_objects = isolation_objects(t.workspace, t.user)
    return t._inbox_objects


FILL: dict[str, Callable[[Target, str], str]] = {
    "org_id": lambda t, _: str(t.org.pk),
    "workspace_id": lambda t, _: str(t.workspace.pk),
    "lead_id": lambda t, _: str(t.lead.pk),
    "delivery_id": lambda t, _: str(t.delivery.pk),
    "member_id": lambda t, _: str(t.member.pk),
    "invitation_id": lambda t, _: str(t.invitation.pk),
    "proposal_id": lambda t, _: str(t.proposal().pk),
    "channel_id": lambda t, _: str(t.channel().pk),
    "code": lambda t, _: t.brief_code,
    "token": _token,
    "uidb64": lambda t, _: urlsafe_base64_encode(force_bytes(t.user.pk)),
    "link_id": lambda t, _: str(_money(t)["link"].pk),
    "cost_id": lambda t, _: str(_money(t)["cost"].pk),
    "upload_id": lambda t, _: str(_money(t)["upload"].pk),
    "money_key": lambda t, _: _money(t)["settings"].public_key,
    "post_id": lambda t, _: str(_content(t)["post"].pk),
    "target_id": lambda t, _: str(_content(t)["target"].pk),
    "media_id": lambda t, _: str(_content(t)["media"].pk),
    "rubric_id": lambda t, _: str(_content(t)["rubric"].pk),
    "template_id": lambda t, _: str(_content(t)["template"].pk),
    "import_id": lambda t, _: str(_content(t)["import"].pk),
    "approval_link_id": lambda t, _: str(_content(t)["link"].pk),
    "approval_token": lambda t, _: _content(t)["link"].token,
    "item_id": lambda t, _: str(_inbox(t)["item"].pk),
    "reply_id": lambda t, _: str(_inbox(t)["reply"].pk),
    "canned_id": lambda t, _: str(_inbox(t)["canned"].pk),
    "run_id": lambda t, _: str(_inbox(t)["run"].pk),
    "connection_id": lambda t, _: str(_inbox(t)["connection"].pk),
    "hook_code": lambda t, _: _inbox(t)["hook_code"],
    "network": lambda t, _: _inbox(t)["connection"].channel.network,
    "api_token_id": lambda t, _: str(_api_token(t).pk),
    "export_id": lambda t, _: str(_export(t).pk),
    "report_id": lambda t, _: str(_report(t).pk),
    "ord_party_id": lambda t, _: str(_ord(t)["party"].pk),
    "ord_contract_id": lambda t, _: str(_ord(t)["contract"].pk),
    "ord_report_id": lambda t, _: str(_ord(t)["report"].pk),
    "ord_row_id": lambda t, _: str(_ord(t)["row"].pk),
    "ord_invoice_id": lambda t, _: str(_ord(t)["invoice"].pk),
    "ord_job_id": lambda t, _: str(_ord(t)["job"].pk),
    "notice_id": lambda t, _: str(_notifications(t)["notice"].pk),
    "hook_id": lambda t, _: str(_notifications(t)["hook"].pk),
    "webhook_id": lambda t, _: str(_notifications(t)["hook"].pk),
    "follow_id": lambda t, _: str(_follow(t).pk),
    "giveaway_id": lambda t, _: str(_giveaway(t).pk),
    "outreach_id": lambda t, _: str(_giveaway(t).outreach.get().pk),
    "cabinet_id": lambda t, _: str(_audiences(t).cabinet_id),
    "audience_export_id": lambda t, _: str(_audiences(t).pk),
    "unknown": lambda t, _: f"workspaces/{t.workspace.pk}/",  # the API's JSON 404 for other paths
}


def _giveaway(t: Target) -> Any:
    """A drawn giveaway of the target workspace (giveaways issue), made on first use."""
    from datetime import timedelta

    from django.utils import timezone

    from kosmmos.giveaways.models import Giveaway

    if not hasattr(t, "_giveaway"):
        now = timezone.now()
        t._giveaway = Giveaway.objects.create(
            organisation=t.workspace.organisation, workspace=t.workspace,
            title=f"{t.workspace.name} giveaway", network="sandbox", owner_id="-1", item_id="1",
            starts_at=now - timedelta(days=2), ends_at=now - timedelta(days=1), stage="drawn",
            status="failed", beacon_url="http://sandbox.test/drand", last_error="boom")
        winner = t._giveaway.participants.create(user_id="sandbox:1", role="winner", rank=0)
        t._giveaway.outreach.create(participant=winner, kind="winner", status="failed",
                                    key=f"isolation-{t._giveaway.pk}", text="Вы выиграли",
                                    last_error="boom")
    return t._giveaway


def _export(t: Target) -> Any:
    """A finished export of the target's agency, made on first use."""
    import tempfile
    from pathlib import Path

    from kosmmos.privacy.models import OrganisationExport

    if not hasattr(t, "_export"):
        path = Path(tempfile.mkdtemp()) / "export.zip"
        path.write_bytes(b"the agency's export")
        t._export = OrganisationExport.objects.create(
            organisation=t.workspace.organisation, status="done", path=str(path))
    return t._export


def _report(t: Target) -> Any:
    """A sent report of the target workspace (reports issue), made on first use; its emailed
    link has expired, so the public pages must answer without showing it."""
    from datetime import timedelta

    from django.utils import timezone

    from kosmmos.reports.models import Report
    from kosmmos.reports.testing import make_sent_report

    if not hasattr(t, "_report"):
        t._report = make_sent_report(t.workspace)
        Report.objects.filter(pk=t._report.pk).update(
            token_expires_at=timezone.now() - timedelta(minutes=1))
    return t._report
def _notifications(t: Target) -> dict[str, Any]:
    """The target owner's in-app notification and a webhook of the target's agency."""
    from kosmmos.lib.events import emit
    from kosmmos.notifications.fanout import fan_out
    from kosmmos.notifications.models import Delivery
    from kosmmos.notifications.webhooks import create_webhook

    if not hasattr(t, "_notification_objects"):
        event = emit("post.failed", organisation=t.workspace.organisation, workspace=t.workspace,
                     title="private failure")
        fan_out(event.pk)
        hook, _ = create_webhook(t.workspace.organisation, "https://93.184.216.34/private", [])
        t._notification_objects = {
            "notice": Delivery.objects.get(event=event, user=t.user, channel="inapp"),
            "hook": hook}
    return t._notification_objects


def _audiences(t: Target) -> Any:
    """A failed audience export in a failed VK Ads cabinet of the target workspace (issue 25),
    made on first use."""
    from kosmmos.audiences.testing import isolation_export

    if not hasattr(t, "_audience_export"):
        t._audience_export = isolation_export(t.workspace)
    return t._audience_export


def _api_token(t: Target) -> Any:
    """An API token of the target's owner in the target workspace's agency, made on first use."""
    from kosmmos.api.models import ApiToken
    from kosmmos.lib.ids import short_code

    if not hasattr(t, "_api_token"):
        t._api_token = ApiToken.objects.create(
            organisation=t.workspace.organisation, user=t.user, name="isolation",
            prefix=short_code(12), secret_hash="0" * 64)
    return t._api_token


def _follow(t: Target) -> Any:
    """A competitor the target workspace follows, made on first use."""
    from kosmmos.competitors.models import Community, Follow

    if not hasattr(t, "_follow"):
        community, _new = Community.objects.get_or_create(network="sandbox",
                                                          handle=f"pub-{t.workspace.pk}")
        t._follow, _new = Follow.objects.get_or_create(
            workspace=t.workspace, community=community,
            defaults={"organisation": t.workspace.organisation})
    return t._follow


# Pages meant for people without an account, reached by a code or a token sent to them: they
# must answer but show nothing private.
CORE_PUBLIC = {
    "briefs:public_form", "briefs:public_thanks", "accounts:accept_invitation",
    "accounts:password_reset_confirm",
}
PUBLIC = CORE_PUBLIC | {
    "proposals:public", "proposals:public_pdf", "proposals:public_accept",
    "proposals:public_changes",
    # Signed server postbacks and the site snippet's collect: a signature or a validated event
    # is the permission; the links tests cover refusals (bad signature, replay, origin, limit).
    "links:postback", "links:collect",
    # Approval links: holding the token is the permission; filled with an expired link here, so
    # they must answer without showing or changing anything (content tests cover live links).
    "content:public_approval", "content:public_decide", "content:public_media",
    # Network webhooks (VK Callback API, Telegram): filled with a real channel's code, they must
    # refuse the walk's unsigned POSTs (no secret) and change nothing; inbox tests cover them.
    "inbox:webhook",
    # The report's emailed link: filled with an expired one, so nothing may show.
    "reports:public", "reports:public_pdf",
}
# Holding the token is the permission: a POST accepts the invitation or the proposal (as
# designed), so only GET is tried here; the apps' own tests cover accepting, expired and used
# links.
BEARER_POST_SKIPPED = {
    "accounts:accept_invitation", "proposals:public_accept", "proposals:public_changes",
    # A POST issues the visitor's own API token (in their own agency, acting with their own
    # role): a designed write; api/tests walk every API route with other tenants' tokens.
    "api:tokens",
}

# 401: the JSON API (/api/v1/) answers a call without a bearer token so; sessions never count there.
REFUSED = {401, 403, 404, 405}

# What a POST carries: enough for any of our forms to succeed, were the access check missing.
ATTACK: dict[str, str] = {
    "status": "won", "role": "owner", "text": "pwned note", "name": "Pwned",
    "website": "https://pwned.example", "description": "pwned", "language": "en",
    "new_password1": "Pwned-pass-123456", "new_password2": "Pwned-pass-123456",
}

PARAM = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


@dataclass
class Route:
    name: str
    route: str
    params: list[str]
    has_int: bool

    def url(self, target: Target) -> str:
        return "/" + PARAM.sub(lambda m: FILL[m.group("name")](target, self.name), self.route)


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            assert isinstance(entry.pattern, RoutePattern), f"use path(), not re_path(): {entry}"
            ns = entry.namespace or namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        else:
            assert isinstance(entry, URLPattern)
            # re_path() patterns would hide their parameters from FILL; routes keep them named.
            assert isinstance(entry.pattern, RoutePattern), f"use path(), not re_path(): {entry}"
            route = prefix + str(entry.pattern)
            yield Route(
                name=f"{namespace}:{entry.name}" if namespace else str(entry.name),
                route=route,
                params=[m.group("name") for m in PARAM.finditer(route)],
                has_int=any(
                    isinstance(c, IntConverter) for c in entry.pattern.converters.values()
                ) or "<int:" in route,
            )


def all_routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns))


def test_it_knows_how_to_fill_every_url_parameter() -> None:
    unknown = {(r.route, p) for r in all_routes() for p in r.params if p not in FILL}
    assert not unknown, f"add these parameters to FILL so the views are tried: {unknown}"


def test_it_takes_no_sequential_integer_ids_in_urls() -> None:
    assert [r.route for r in all_routes() if r.has_int] == []


def test_it_walks_the_views_it_claims_to() -> None:
    names = {r.name for r in all_routes()}
    assert {"briefs:lead_detail", "mail:delivery_retry", "accounts:workspace_edit",
            "accounts:member_role", "accounts:switch"} <= names
    assert names >= CORE_PUBLIC


# --- Snapshots ---------------------------------------------------------------------------------


@functools.cache
def _scopes() -> list[tuple[type[models.Model], str]]:
    """Each model with its path to the organisation: its own ``organisation`` field, or one
    foreign key to a model that has one (lead events, attempts, proposal versions, …)."""

    def owned(model: type[models.Model]) -> bool:
        return any(f.name == "organisation" and f.is_relation for f in model._meta.fields)

    scopes: list[tuple[type[models.Model], str]] = []
    for model in apps.get_models():
        if model is Organisation or model._meta.app_label in {"auth", "contenttypes", "sessions"}:
            continue
        if owned(model):
            scopes.append((model, "organisation"))
            continue
        for f in model._meta.fields:
            if f.many_to_one and f.related_model is not None and owned(f.related_model):
                scopes.append((model, f"{f.name}__organisation"))
                break
    return scopes


def _plain(value: Any) -> str:
    return str(value.tobytes() if isinstance(value, memoryview) else value)


def snapshot(orgs: list[Organisation], visitor: User | None) -> dict[str, list[Any]]:
    """Every row of these agencies that a request must not change.

    The visitor's own account is theirs to change (language), and last_login moves on sign-in.
    """

    def rows(qs: Any, *exclude: str) -> list[Any]:
        return [
            sorted((k, _plain(v)) for k, v in row.items() if k not in exclude)
            for row in qs.order_by("pk").values()
        ]

    users = User.objects.filter(memberships__organisation__in=orgs).distinct()
    state = {
        "organisations": rows(Organisation.objects.filter(pk__in=[o.pk for o in orgs])),
        "users": rows(users.exclude(pk=visitor.pk if visitor else None), "last_login"),
        "client access": sorted(
            (str(m), str(w)) for m, w in Membership.workspaces.through.objects.filter(
                membership__organisation__in=orgs
            ).values_list("membership_id", "workspace_id")
        ),
    }
    for model, path in _scopes():
        state[model._meta.label] = rows(model._default_manager.filter(**{f"{path}__in": orgs}))
    # Signing the visitor out and (back) in is written to their own agency's audit log: that
    # is theirs.
    state["audit.Event"] = rows(Event.objects.filter(organisation__in=orgs).exclude(
        actor=visitor, action__in=["auth.signed_in", "auth.signed_out"]) if visitor else
        Event.objects.filter(organisation__in=orgs))
    # A member's own notification settings and bell (read marks) are theirs to change.
    from kosmmos.notifications.models import Delivery as Notice
    from kosmmos.notifications.models import Subscriber
    for own in (Subscriber, Notice):
        found = own.objects.filter(organisation__in=orgs)
        state[own._meta.label] = rows(found.exclude(user=visitor) if visitor else found)
    return state


def test_it_watches_every_tenant_table() -> None:
    watched = {model._meta.label for model, _ in _scopes()}
    assert {
        "accounts.Membership", "accounts.Workspace", "accounts.Invitation", "briefs.Brief",
        "briefs.Lead", "briefs.LeadEvent", "mail.Delivery", "mail.Attempt", "mail.Attachment",
    } <= watched


# --- The visitors ------------------------------------------------------------------------------


@dataclass
class Visitor:
    label: str
    user: User | None
    target: Target
    victims: list[Organisation]
    secrets: list[str]


def _target_of(tenant: Tenant) -> Target:
    return Target(
        org=tenant.org, workspace=tenant.other_workspace, lead=tenant.leads[0],
        delivery=tenant.delivery, member=tenant.memberships["owner"],
        invitation=tenant.invitation, brief_code=tenant.org.brief_code, user=tenant.owner,
    )


def _visitors(world: World) -> list[Visitor]:
    alpha, beta = world.alpha, world.beta
    # The client of Alpha aims at Alpha's other workspace and agency-only objects, and at Beta
    # (the only organisation they do not belong to) for the organisation switch.
    client_target = _target_of(alpha)
    client_target.org = beta.org
    return [
        Visitor("outsider (owner of Beta)", beta.owner, _target_of(alpha), [alpha.org],
                alpha.private_texts()),
        Visitor("client of Alpha", alpha.client, client_target, [alpha.org, beta.org],
                alpha.private_texts() + beta.private_texts()),
        Visitor("anonymous", None, _target_of(alpha), [alpha.org, beta.org],
                alpha.private_texts() + beta.private_texts()),
    ]


def _request(browser: Client, method: str, url: str) -> Any:
    if method == "GET":
        return browser.get(url)
    return browser.post(url, ATTACK)


def _is_refusal(response: Any) -> bool:
    if response.status_code in REFUSED:
        return True
    return response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.django_db
def test_it_refuses_every_view_to_other_tenants(world: World) -> None:
    problems: list[str] = []
    routes = all_routes()
    assert all(p in FILL for r in routes for p in r.params), "see the test above"
    for visitor in _visitors(world):
        # Filling may create a target (a proposal); do it before taking the snapshot.
        urls = [(route, route.url(visitor.target)) for route in routes]
        # Nothing may change, so each request is compared with the state before the first.
        state = snapshot(visitor.victims, visitor.user)
        browser = client_for(visitor.user)
        for route, url in urls:
            public = route.name in PUBLIC
            for method in ("GET", "POST"):
                if method == "POST" and route.name in BEARER_POST_SKIPPED:
                    continue
                response = _request(browser, method, url)
                if visitor.user is not None and "_auth_user_id" not in browser.session:
                    browser = client_for(visitor.user)  # signed out (/logout/): sign back in
                where = f"{visitor.label}: {method} {url} ({route.name}) → {response.status_code}"
                after = snapshot(visitor.victims, visitor.user)
                if after != state:
                    problems.append(f"{where}: changed another tenant's data")
                    state = after
                if response.status_code >= 500:
                    problems.append(f"{where}: server error")
                if route.params and not public and not _is_refusal(response):
                    problems.append(f"{where}: not refused")
                body = response.content.decode(errors="replace")
                # The invitee's own address is what the invitation page is for.
                allowed = {visitor.target.invitation.email} if public else set()
                leaked = [s for s in visitor.secrets if s in body and s not in allowed]
                if leaked:
                    problems.append(f"{where}: shows {leaked}")
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_it_refuses_a_client_the_agency_pages(world: World) -> None:
    browser = client_for(world.alpha.client)
    for url in ("/leads/", "/team/", "/settings/", "/outbox/", "/workspaces/new/",
                f"/leads/{world.alpha.leads[0].pk}/"):
        assert browser.get(url).status_code in {403, 404}, url
    # What the client was given is readable.
    assert browser.get(f"/workspaces/{world.alpha.client_workspace.pk}/").status_code == 200
    listing = browser.get("/workspaces/").content.decode()
    assert world.alpha.client_workspace.name in listing
    assert world.alpha.other_workspace.name not in listing


@pytest.mark.django_db
def test_it_lets_the_owner_reach_what_the_outsider_cannot(world: World) -> None:
    """The refusals above are about access, not broken views: the owner gets the same URLs."""
    alpha = world.alpha
    browser = client_for(alpha.owner)
    for url in (f"/workspaces/{alpha.other_workspace.pk}/", f"/leads/{alpha.leads[0].pk}/",
                f"/outbox/{alpha.delivery.pk}/", "/team/", "/leads/", "/settings/"):
        assert browser.get(url).status_code == 200, url


# --- Mixed pairs -------------------------------------------------------------------------------

# A URL with two ids is filled with one id the visitor may reach and one they may not, both ways
# round: a view that checks each object but not that they belong together must still refuse.
# The public password-reset page answers a wrong pair with its "invalid link" page (200): there
# only "nothing changes and nothing shows" is asked. A network's webhook is no session door: the
# walk's POST carries no event, and the network's own answer to a malformed request (VK: 400) is
# its refusal; the snapshot still proves nothing changed.
MIXED_ANSWERS_PAGE = {"accounts:password_reset_confirm", "inbox:webhook"}


def _own_target(tenant: Tenant, workspace: Workspace) -> Target:
    own = _target_of(tenant)
    own.workspace = workspace
    return own


def _live(target: Target) -> Target:
    """The target's approval link made live: a wrong pair must be refused for the pair, not
    because a link ran out."""
    from datetime import timedelta

    from django.utils import timezone

    link = _content(target)["link"]
    link.expires_at = timezone.now() + timedelta(days=1)
    link.save(update_fields=["expires_at"])
    return target


def _mixed_url(route: Route, victim: Target, own: Target, victim_params: set[str]) -> str:
    def fill(m: re.Match[str]) -> str:
        name = m.group("name")
        return FILL[name](victim if name in victim_params else own, route.name)

    return "/" + PARAM.sub(fill, route.route)


@pytest.mark.django_db
def test_it_refuses_mixed_id_pairs_on_every_multi_id_route(world: World) -> None:
    alpha, beta = world.alpha, world.beta
    routes = [r for r in all_routes() if len(r.params) > 1]
    assert {"inbox:item_canned", "content:public_decide", "content:public_media"} <= {
        r.name for r in routes}
    visitors = [
        # (label, user, what they may reach, what they may not, agencies that must not change)
        ("outsider (owner of Beta)", beta.owner, _own_target(beta, beta.client_workspace),
         _target_of(alpha), [alpha.org]),
        ("client of Alpha", alpha.client, _own_target(alpha, alpha.client_workspace),
         _target_of(alpha), [alpha.org]),
        # The owner may reach both workspaces, but not one workspace's object through another's.
        ("owner of Alpha across workspaces", alpha.owner,
         _own_target(alpha, alpha.client_workspace), _target_of(alpha), [alpha.org]),
    ]
    problems: list[str] = []
    for label, user, own, victim, victims in visitors:
        _live(own), _live(victim)
        cases = [(route, _mixed_url(route, victim, own, {p}))
                 for route in routes for p in route.params]
        state = snapshot(victims, user)
        browser = client_for(user)
        for route, url in cases:
            for method in ("GET", "POST"):
                response = _request(browser, method, url)
                where = f"{label}: {method} {url} ({route.name}) → {response.status_code}"
                after = snapshot(victims, user)
                if after != state:
                    problems.append(f"{where}: changed data")
                    state = after
                if response.status_code >= 500:
                    problems.append(f"{where}: server error")
                if route.name not in MIXED_ANSWERS_PAGE and not _is_refusal(response):
                    problems.append(f"{where}: not refused")
    assert not problems, "\n".join(problems)
    # The refusals are about the pair: the owner's own pair is answered.
    own = _own_target(alpha, alpha.client_workspace)
    route = next(r for r in routes if r.name == "inbox:item_canned")
    answer = client_for(alpha.owner).get(route.url(own))
    assert answer.status_code == 200, answer.status_code
