"""Roles and tenant isolation: the token's user's role in its organisation decides everything."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from kosmmos.accounts.tests.test_isolation import snapshot
from kosmmos.api.tests.conftest import Api, api_as, operations, token_for
from kosmmos.conftest import Tenant, World
from kosmmos.content.models import Post
from kosmmos.inbox.testing import make_channel, make_item
from kosmmos.notifications.webhooks import create_webhook
from kosmmos.reports.testing import make_sent_report


def _objects(tenant: Tenant, workspace: Any) -> dict[str, str]:
    """One object of each kind the API's paths name, in ``workspace``."""
    channel = make_channel(workspace, "telegram", f"-100{abs(hash(workspace.pk)) % 10**9}",
                           name=f"{workspace.name} TG", credentials={"bot_token": "123:SECRET"})
    make_item(channel, f"{workspace.name} private complaint")
    post = Post.objects.create(organisation=tenant.org, workspace=workspace, status="in_review",
                               text=f"{workspace.name} post text")
    report = make_sent_report(workspace)
    hook, _ = create_webhook(tenant.org, "https://93.184.216.34/hook", [])
    return {"workspace_id": str(workspace.pk), "post_id": str(post.pk), "report_id": str(report.pk),
            "webhook_id": str(hook.pk)}


def _url(path: str, ids: dict[str, str]) -> str:
    return path.format(**ids)


def _call(api: Api, method: str, path: str) -> Any:
    return api.get(path) if method == "GET" else api.post(path, {"text": "pwned", "title": "pwned"})


# owner, manager, analyst, client → expected status for a workspace the client was given.
MATRIX: dict[str, tuple[int, int, int, int]] = {
    "listWorkspaces": (200, 200, 200, 200),
    "getWorkspace": (200, 200, 200, 200),
    "listChannels": (200, 200, 200, 404),
    "listPosts": (200, 200, 200, 200),
    "createPost": (201, 201, 403, 403),
    "getPost": (200, 200, 200, 200),
    "reviewPost": (409, 409, 403, 403),  # the post is already in review
    "approvePost": (200, 409, 403, 403),  # the owner approved it first
    "schedulePost": (409, 409, 403, 403),  # no channel chosen
    "unschedulePost": (409, 409, 403, 403),
    "listInbox": (200, 200, 200, 404),
    "listLinks": (200, 200, 200, 200),
    "getPnl": (200, 200, 200, 200),
    "listReports": (200, 200, 200, 200),
    "getReport": (200, 200, 200, 200),
    "getReportPdf": (200, 200, 200, 200),
    "draftReport": (201, 200, 403, 403),  # last month's report: made once, then returned
    "getResults": (200, 200, 200, 200),  # a client reads its workspace's results, as on the page
    "listEvents": (200, 200, 200, 403),
    "listWebhooks": (200, 403, 403, 403),
    "createWebhook": (400, 400, 403, 403),  # the body is a post's, not a webhook's
    "enableWebhook": (200, 403, 403, 403),
    "disableWebhook": (200, 403, 403, 403),
    "rotateWebhookSecret": (200, 403, 403, 403),
    "listWebhookDeliveries": (200, 403, 403, 403),
    "listCompetitors": (200, 200, 200, 404),
    "listKeyMoves": (200, 200, 200, 404),
    "listMentions": (200, 200, 200, 404),
    "deleteWebhook": (200, 403, 403, 403),  # last: the owner's call removes it
}


def test_it_covers_every_endpoint_in_the_role_matrix() -> None:
    assert {e.operation_id for e in operations()} == set(MATRIX)


def test_it_applies_each_role(world: World) -> None:
    alpha = world.alpha
    ids = _objects(alpha, alpha.client_workspace)
    people = [alpha.owner, alpha.manager, alpha.analyst, alpha.client]
    problems = []
    for index, person in enumerate(people):
        api = api_as(person, alpha.org)
        for endpoint in operations():
            response = _call(api, endpoint.method, _url(endpoint.path, ids))
            expected = MATRIX[endpoint.operation_id][index]
            if response.status_code != expected:
                problems.append(f"{person.email} {endpoint.method} {endpoint.path}: "
                                f"{response.status_code} != {expected} {response.content[:200]!r}")
    assert not problems, "\n".join(problems)


def test_it_hides_from_a_client_the_workspaces_not_given_to_them(world: World) -> None:
    alpha = world.alpha
    api = api_as(alpha.client, alpha.org)
    names = [w["name"] for w in api.get("/workspaces").json()["results"]]
    assert names == [alpha.client_workspace.name]
    assert api.get(f"/workspaces/{alpha.other_workspace.pk}").status_code == 404
    draft = Post.objects.create(organisation=alpha.org, workspace=alpha.client_workspace,
                                text="Unsent draft")
    assert api.get(f"/posts/{draft.pk}").status_code == 404
    assert api.get(f"/workspaces/{alpha.client_workspace.pk}/posts").json()["results"] == []


def test_it_refuses_writes_to_a_read_only_token(world: World) -> None:
    api = api_as(world.alpha.owner, world.alpha.org, read_only=True)
    response = api.post(f"/workspaces/{world.alpha.client_workspace.pk}/posts", {"text": "x"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "token_read_only"
    assert api.get("/workspaces").status_code == 200


@pytest.mark.parametrize("who", ["outsider", "member of both, token of the other"])
def test_it_answers_404_for_every_object_of_another_organisation(world: World, who: str) -> None:
    """Every path of the API, filled with Alpha's ids, called with a token of Beta: a 404
    (never a 403 that would confirm the id exists), and nothing changes."""
    alpha, beta = world.alpha, world.beta
    ids = _objects(alpha, alpha.other_workspace)
    if who == "outsider":
        _token, secret = token_for(beta.owner, beta.org)
    else:
        # Alpha's owner is also an owner of Beta: a token scoped to Beta still sees nothing of Alpha.
        from kosmmos.accounts.models import Membership

        Membership.objects.create(organisation=beta.org, user=alpha.owner, role="owner")
        _token, secret = token_for(alpha.owner, beta.org)
    api = Api(secret)
    before = snapshot([alpha.org], None)
    problems = []
    for endpoint in operations():
        if not endpoint.path_params:
            continue
        response = _call(api, endpoint.method, _url(endpoint.path, ids))
        body = response.content.decode()
        if response.status_code != 404 or response.json()["error"]["code"] != "not_found":
            problems.append(f"{endpoint.method} {endpoint.path}: {response.status_code}")
        if alpha.other_workspace.name in body:
            problems.append(f"{endpoint.method} {endpoint.path}: leaks the workspace")
    assert not problems, "\n".join(problems)
    assert snapshot([alpha.org], None) == before


def test_it_answers_404_for_ids_that_do_not_exist(world: World) -> None:
    api = api_as(world.alpha.owner, world.alpha.org)
    assert api.get(f"/workspaces/{uuid.uuid4()}").status_code == 404
    assert api.get(f"/posts/{uuid.uuid4()}").json()["error"]["code"] == "not_found"


def test_it_never_shows_channel_credentials(world: World) -> None:
    alpha = world.alpha
    _objects(alpha, alpha.client_workspace)
    response = api_as(alpha.analyst, alpha.org).get(
        f"/workspaces/{alpha.client_workspace.pk}/channels")
    channel = response.json()["results"][0]
    assert "SECRET" not in response.content.decode()
    assert set(channel) == {"id", "network", "name", "external_id", "status", "last_error",
                            "last_checked_at", "token_expires_at", "followers"}
