"""Personal API tokens: issued on a page, shown once, stored hashed, revocable, expiring."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from django.utils import timezone

from kosmmos.accounts.models import Membership
from kosmmos.api.models import ApiToken
from kosmmos.api.tests.conftest import Api, api_as, token_for
from kosmmos.conftest import World, client_for

TOKEN = re.compile(r"kmm_[a-z0-9]{12}_[A-Za-z0-9_-]{40,}")


def test_it_issues_a_token_on_the_page_and_shows_it_once(world: World) -> None:
    browser = client_for(world.alpha.manager)
    assert "/api/tokens/" in browser.get("/").content.decode()  # the link in the top bar
    response = browser.post("/api/tokens/", {"name": "amoCRM sync", "read_only": "on"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    secret = TOKEN.search(response.content.decode())
    assert secret is not None
    token = ApiToken.objects.get(name="amoCRM sync")
    assert (token.organisation, token.user, token.read_only) == (
        world.alpha.org, world.alpha.manager, True)
    # Only the hash of the secret is stored; the list shows the prefix, never the secret again.
    assert token.secret_hash == hashlib.sha256(secret.group().split("_", 2)[2].encode()).hexdigest()
    assert secret.group() not in browser.get("/api/tokens/").content.decode()
    assert f"kmm_{token.prefix}_" in browser.get("/api/tokens/").content.decode()
    assert Api(secret.group()).get("/workspaces").status_code == 200


def test_it_refuses_an_expiry_in_the_past(world: World) -> None:
    browser = client_for(world.alpha.owner)
    response = browser.post("/api/tokens/", {"name": "x", "expires_on": "2020-01-01"})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_it_records_when_a_token_was_last_used(world: World) -> None:
    token, secret = token_for(world.alpha.owner, world.alpha.org)
    assert token.last_used_at is None
    Api(secret).get("/workspaces")
    token.refresh_from_db()
    assert token.last_used_at is not None
    page = client_for(world.alpha.owner).get("/api/tokens/").content.decode()
    assert "not yet" not in page and "ещё нет" not in page


def test_it_revokes_a_token_at_once(world: World) -> None:
    token, secret = token_for(world.alpha.manager, world.alpha.org)
    response = client_for(world.alpha.manager).post(f"/api/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    answer = Api(secret).get("/workspaces")
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "unauthenticated"


def test_it_lets_owners_revoke_anyones_token_and_nobody_else(world: World) -> None:
    owners, _secret = token_for(world.alpha.owner, world.alpha.org)
    managers, _secret = token_for(world.alpha.manager, world.alpha.org)
    # A manager neither sees nor revokes the owner's token; the other agency's owner neither.
    assert client_for(world.alpha.manager).post(f"/api/tokens/{owners.pk}/revoke/").status_code == 404
    assert client_for(world.beta.owner).post(f"/api/tokens/{managers.pk}/revoke/").status_code == 404
    assert client_for(world.alpha.owner).post(f"/api/tokens/{managers.pk}/revoke/").status_code == 302
    owners.refresh_from_db()
    managers.refresh_from_db()
    assert owners.revoked_at is None and managers.revoked_at is not None


def test_it_answers_401_without_a_valid_token(world: World) -> None:
    _token, secret = token_for(world.alpha.owner, world.alpha.org)
    prefix = secret.rsplit("_", 1)[0]
    for header in ["", "Basic abc", "Bearer ", "Bearer nonsense", f"Bearer {prefix}_wrong",
                   f"Bearer {secret}x"]:
        api = Api(None)
        if header:
            api.headers["Authorization"] = header
        response = api.get("/workspaces")
        assert response.status_code == 401, header
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert response.json()["error"]["code"] == "unauthenticated"


def test_it_ignores_a_signed_in_session(world: World) -> None:
    browser = client_for(world.alpha.owner)
    assert browser.get("/api/v1/workspaces").status_code == 401
    # No CSRF token is needed, because a session is never enough.
    assert browser.post(f"/api/v1/workspaces/{world.alpha.client_workspace.pk}/posts", {},
                        content_type="application/json").status_code == 401


def test_it_refuses_an_expired_token(world: World) -> None:
    _token, secret = token_for(world.alpha.owner, world.alpha.org,
                               expires_at=timezone.now() - timedelta(seconds=1))
    response = Api(secret, language="en").get("/workspaces")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "The API token has expired."


def test_it_stops_working_when_the_member_leaves(world: World) -> None:
    api = api_as(world.alpha.analyst, world.alpha.org)
    assert api.get("/workspaces").status_code == 200
    Membership.objects.filter(user=world.alpha.analyst, organisation=world.alpha.org).delete()
    assert api.get("/workspaces").status_code == 401


def test_it_follows_a_role_change_at_once(world: World) -> None:
    api = api_as(world.alpha.manager, world.alpha.org)
    path = f"/workspaces/{world.alpha.client_workspace.pk}/posts"
    assert api.post(path, {"text": "Первый"}).status_code == 201
    Membership.objects.filter(user=world.alpha.manager, organisation=world.alpha.org).update(
        role="analyst")
    assert api.post(path, {"text": "Второй"}).status_code == 403
