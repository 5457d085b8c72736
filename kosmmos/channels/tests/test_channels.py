"""Channels UI, actions and alerts. Networks are faked at the HTTP seam (respx)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
import respx
from django.db import connection
from django.utils import timezone

from kosmmos.channels import actions
from kosmmos.channels.dispatch import check_tokens
from kosmmos.channels.models import AlertKind, Channel, ChannelAlert, ChannelStatus
from kosmmos.conftest import World, client_for
from kosmmos.jobs.ticker import DISPATCHERS
from kosmmos.mail.models import Delivery
from kosmmos.notifications.fanout import fan_out
from kosmmos.notifications.models import Event

VK = "https://api.vk.com/method/"
TG_TOKEN = "7012345678:AAE-secret-bot-token-abcdef"  # a made-up token
TG = f"https://api.telegram.org/bot{TG_TOKEN}/"
USER_TOKEN = "vk1.a.SECRET-user-token-value"
GROUP_TOKEN = "vk1.a.SECRET-group-token-value"

GROUP = {"response": {"groups": [{"id": 123456, "name": "Корейская косметика", "is_admin": 1,
                                  "admin_level": 3, "members_count": 15320}], "profiles": []}}


def vk_group(respx_mock: respx.MockRouter, body: dict[str, Any] | None = None) -> respx.Route:
    return respx_mock.post(VK + "groups.getById").mock(
        return_value=httpx.Response(200, json=body or GROUP))


def make_channel(world: World, **kwargs: Any) -> Channel:
    ws = world.alpha.client_workspace
    channel = Channel(organisation=world.alpha.org, workspace=ws, network="vk",
                      external_id="123456", name="Корейская косметика")
    channel.credentials = {"user_token": USER_TOKEN, "community_token": GROUP_TOKEN}
    for key, value in kwargs.items():
        setattr(channel, key, value)
    channel.save()
    return channel


def connect_url(world: World, network: str) -> str:
    return f"/workspaces/{world.alpha.client_workspace.pk}/channels/connect/?network={network}"


# --- Connecting --------------------------------------------------------------------------------


def test_it_connects_a_vk_channel_after_checking_it(world: World,
                                                    respx_mock: respx.MockRouter) -> None:
    route = vk_group(respx_mock)
    response = client_for(world.alpha.manager).post(connect_url(world, "vk"), {
        "group": "https://vk.com/club123456", "user_token": USER_TOKEN,
        "community_token": GROUP_TOKEN, "user_token_expires": "2030-01-31",
    })
    channel = Channel.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/channels/{channel.pk}/"
    assert (channel.network, channel.external_id, channel.name) == (
        "vk", "123456", "Корейская косметика")
    assert channel.status == ChannelStatus.ACTIVE and channel.followers == 15320
    assert channel.token_expires_at is not None and channel.token_expires_at.year == 2030
    assert channel.last_checked_at is not None
    assert channel.credentials["user_token"] == USER_TOKEN
    assert channel.credentials["community_token"] == GROUP_TOKEN
    assert route.call_count == 2  # the user token, then the community token


def test_it_stores_tokens_encrypted(world: World, respx_mock: respx.MockRouter) -> None:
    vk_group(respx_mock)
    client_for(world.alpha.owner).post(connect_url(world, "vk"), {
        "group": "123456", "user_token": USER_TOKEN, "community_token": GROUP_TOKEN})
    channel = Channel.objects.get()
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials_encrypted, config FROM channels_channel WHERE id = %s",
                       [channel.pk.hex if connection.vendor == "sqlite" else channel.pk])
        raw, config = cursor.fetchone()
    assert raw and USER_TOKEN not in raw and GROUP_TOKEN not in raw and "SECRET" not in raw
    assert "SECRET" not in str(config)


def test_it_keeps_typed_values_and_never_echoes_tokens_when_the_check_fails(
    world: World, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post(VK + "groups.getById").mock(return_value=httpx.Response(200, json={
        "error": {"error_code": 5, "error_msg": "User authorization failed: invalid access_token",
                  "request_params": []}}))
    response = client_for(world.alpha.manager, language="en").post(connect_url(world, "vk"), {
        "name": "Kbeauty main", "group": "123456", "user_token": USER_TOKEN,
        "community_token": GROUP_TOKEN,
    })
    body = response.content.decode()
    assert response.status_code == 400
    assert "did not accept the connection" in body and "invalid access_token" in body
    assert 'value="Kbeauty main"' in body and 'value="123456"' in body
    assert USER_TOKEN not in body and GROUP_TOKEN not in body and "SECRET" not in body
    assert not Channel.objects.exists()


def test_it_explains_a_failed_check_in_russian(world: World,
                                               respx_mock: respx.MockRouter) -> None:
    respx_mock.post(VK + "groups.getById").mock(return_value=httpx.Response(200, json={
        "error": {"error_code": 5, "error_msg": "User authorization failed",
                  "request_params": []}}))
    response = client_for(world.alpha.manager, language="ru").post(connect_url(world, "vk"), {
        "group": "123456", "user_token": USER_TOKEN})
    body = response.content.decode()
    assert response.status_code == 400 and "Переподключите канал" in body


def test_it_validates_fields_without_calling_the_network(world: World,
                                                         respx_mock: respx.MockRouter) -> None:
    response = client_for(world.alpha.manager, language="en").post(connect_url(world, "vk"), {
        "name": "Kept name", "group": "vk.com/kbeauty_shop", "user_token": USER_TOKEN})
    body = response.content.decode()
    assert response.status_code == 400 and "numeric id" in body
    assert 'value="Kept name"' in body and USER_TOKEN not in body
    assert not respx_mock.calls


def test_it_refuses_the_same_channel_twice(world: World, respx_mock: respx.MockRouter) -> None:
    make_channel(world)
    response = client_for(world.alpha.manager, language="en").post(connect_url(world, "vk"), {
        "group": "123456", "user_token": USER_TOKEN})
    assert response.status_code == 400 and "already has this channel" in response.content.decode()
    assert not respx_mock.calls


def test_it_connects_a_telegram_channel_and_reports_missing_rights(
    world: World, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post(TG + "getMe").mock(return_value=httpx.Response(200, json={
        "ok": True, "result": {"id": 7012345678, "is_bot": True, "first_name": "Poster",
                               "username": "poster_bot"}}))
    respx_mock.post(TG + "getChat").mock(return_value=httpx.Response(200, json={
        "ok": True, "result": {"id": -1001234567890, "type": "channel", "title": "Матрасы",
                               "username": "matrasy"}}))
    respx_mock.post(TG + "getChatMember").mock(return_value=httpx.Response(200, json={
        "ok": True, "result": {"user": {"id": 7012345678, "is_bot": True, "first_name": "P"},
                               "status": "member"}}))
    respx_mock.post(TG + "getChatMemberCount").mock(
        return_value=httpx.Response(200, json={"ok": True, "result": 5120}))
    browser = client_for(world.alpha.manager, language="en")
    response = browser.post(connect_url(world, "telegram"), {
        "chat": "https://t.me/matrasy", "bot_token": TG_TOKEN}, follow=True)
    channel = Channel.objects.get()
    # Stored by the numeric id getChat gave (updates name chats by number), the username kept.
    assert (channel.external_id, channel.name, channel.followers) == (
        "-1001234567890", "Матрасы", 5120)
    assert channel.config["username"] == "matrasy"
    assert channel.status == ChannelStatus.ERROR and "@poster_bot" in channel.last_error
    body = response.content.decode()
    assert "@poster_bot" in body and TG_TOKEN not in body


def _telegram_answers(respx_mock: respx.MockRouter) -> respx.Route:
    respx_mock.post(TG + "getMe").mock(return_value=httpx.Response(200, json={
        "ok": True, "result": {"id": 7012345678, "is_bot": True, "first_name": "Poster",
                               "username": "poster_bot"}}))
    chat = respx_mock.post(TG + "getChat").mock(return_value=httpx.Response(200, json={
        "ok": True, "result": {"id": -1001234567890, "type": "channel", "title": "Матрасы",
                               "username": "matrasy"}}))
    respx_mock.post(TG + "getChatMember").mock(return_value=httpx.Response(200, json={
        "ok": True, "result": {"user": {"id": 7012345678, "is_bot": True, "first_name": "P"},
                               "status": "administrator", "can_post_messages": True}}))
    respx_mock.post(TG + "getChatMemberCount").mock(
        return_value=httpx.Response(200, json={"ok": True, "result": 5120}))
    return chat


def test_it_resolves_a_channel_saved_by_username_on_the_next_check(
    world: World, respx_mock: respx.MockRouter
) -> None:
    import importlib

    from django.apps import apps

    chat = _telegram_answers(respx_mock)
    channel = make_channel(world, network="telegram", external_id="@matrasy",
                           config={"discussion_chat_id": "-1001"})
    channel.credentials = {"bot_token": TG_TOKEN}
    channel.save()
    migration = importlib.import_module("kosmmos.channels.migrations.0003_telegram_numeric_ids")
    migration.mark(apps, None)
    channel.refresh_from_db()
    assert channel.config == {"discussion_chat_id": "-1001", "username": "matrasy",
                              "resolve_id": True}
    check_tokens(force=True)
    channel.refresh_from_db()
    assert json.loads(chat.calls.last.request.content) == {"chat_id": "@matrasy"}
    assert channel.external_id == "-1001234567890"
    assert channel.config == {"discussion_chat_id": "-1001", "username": "matrasy"}
    check_tokens(force=True)
    assert chat.call_count == 1  # resolved: not asked again


def test_it_connects_an_ok_group_with_a_thirty_day_token(world: World,
                                                         respx_mock: respx.MockRouter) -> None:
    answers = {
        "group.getInfo": [{"uid": "57812345", "name": "Матрасы ОК", "members_count": 8421}],
        "users.getCurrentUser": {"uid": "574829"},
        "group.getUserGroupsByIds": [{"groupId": "57812345", "userId": "574829",
                                      "status": "ADMIN"}],
    }
    respx_mock.post("https://api.ok.ru/fb.do").mock(side_effect=lambda request: httpx.Response(
        200, json=answers[dict(p.split("=", 1) for p in request.content.decode().split("&"))[
            "method"]]))
    client_for(world.alpha.manager).post(connect_url(world, "ok"), {
        "gid": "57812345", "application_key": "CBAFJIICABABABABA",
        "application_secret_key": "ok-secret", "access_token": "ok-token"})
    channel = Channel.objects.get()
    assert channel.status == ChannelStatus.ACTIVE and channel.followers == 8421
    assert channel.token_expires_at is not None
    days = (channel.token_expires_at - timezone.now()).days
    assert 29 <= days <= 30


def test_it_connects_a_sandbox_channel_with_a_random_id(world: World,
                                                        respx_mock: respx.MockRouter) -> None:
    browser = client_for(world.alpha.manager)
    browser.post(connect_url(world, "sandbox"), {"name": "Репетиция"})
    browser.post(connect_url(world, "sandbox"), {"name": "Репетиция 2"})
    first, second = Channel.objects.order_by("name")
    assert first.network == "sandbox" and first.name == "Репетиция"
    assert first.external_id.startswith("sbx-") and first.external_id != second.external_id
    assert first.credentials["token"] and first.status == ChannelStatus.ACTIVE
    assert not respx_mock.calls


def test_it_keeps_saved_tokens_when_editing_with_empty_fields(
    world: World, respx_mock: respx.MockRouter
) -> None:
    route = vk_group(respx_mock)
    channel = make_channel(world)
    browser = client_for(world.alpha.manager, language="en")
    page = browser.get(f"/channels/{channel.pk}/edit/").content.decode()
    assert USER_TOKEN not in page and GROUP_TOKEN not in page and "•••• saved" in page
    response = browser.post(f"/channels/{channel.pk}/edit/", {
        "name": "Renamed", "group": "123456", "user_token": "", "community_token": ""})
    assert response.status_code == 302
    channel.refresh_from_db()
    assert channel.name == "Renamed"
    assert channel.credentials["user_token"] == USER_TOKEN
    assert channel.credentials["community_token"] == GROUP_TOKEN
    assert route.calls[0].request.content.decode().count("SECRET-user-token") == 1


def test_it_replaces_a_token_typed_when_editing(world: World,
                                                respx_mock: respx.MockRouter) -> None:
    vk_group(respx_mock)
    channel = make_channel(world, status=ChannelStatus.NEEDS_REAUTH, last_error="error 5")
    client_for(world.alpha.manager).post(f"/channels/{channel.pk}/edit/", {
        "group": "123456", "user_token": "vk1.a.NEW-token"})
    channel.refresh_from_db()
    assert channel.credentials["user_token"] == "vk1.a.NEW-token"
    assert channel.credentials["community_token"] == GROUP_TOKEN
    assert channel.status == ChannelStatus.ACTIVE and channel.last_error == ""


# --- The channel page --------------------------------------------------------------------------


def test_it_shows_health_and_warns_about_an_expiring_token(world: World) -> None:
    channel = make_channel(world, followers=15320, last_error="The community token is missing",
                           token_expires_at=timezone.now() + timedelta(days=3),
                           last_checked_at=timezone.now())
    body = client_for(world.alpha.analyst, language="en").get(
        f"/channels/{channel.pk}/").content.decode()
    assert "15320" in body and "The community token is missing" in body
    assert "Less than 7 days left" in body
    assert USER_TOKEN not in body and GROUP_TOKEN not in body
    assert "Check now" not in body  # analysts read only


def test_it_checks_now_and_marks_a_revoked_token(world: World,
                                                 respx_mock: respx.MockRouter) -> None:
    respx_mock.post(VK + "groups.getById").mock(return_value=httpx.Response(200, json={
        "error": {"error_code": 5, "error_msg": "User authorization failed",
                  "request_params": []}}))
    channel = make_channel(world)
    response = client_for(world.alpha.manager).post(f"/channels/{channel.pk}/check/")
    assert response.status_code == 302
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.NEEDS_REAUTH
    assert "User authorization failed" in channel.last_error
    assert channel.last_checked_at is not None


def test_it_checks_now_and_records_followers(world: World,
                                             respx_mock: respx.MockRouter) -> None:
    vk_group(respx_mock)
    channel = make_channel(world, status=ChannelStatus.ERROR, last_error="old")
    client_for(world.alpha.manager).post(f"/channels/{channel.pk}/check/")
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.ACTIVE and channel.followers == 15320
    assert channel.last_error == ""


def test_it_disables_enables_and_deletes(world: World) -> None:
    channel = make_channel(world)
    browser = client_for(world.alpha.manager)
    browser.post(f"/channels/{channel.pk}/toggle/")
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.DISABLED
    browser.post(f"/channels/{channel.pk}/toggle/")
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.ACTIVE
    assert browser.get(f"/channels/{channel.pk}/delete/").status_code == 200
    assert Channel.objects.filter(pk=channel.pk).exists()  # GET only asks
    response = browser.post(f"/channels/{channel.pk}/delete/")
    assert response["Location"] == f"/workspaces/{channel.workspace_id}/channels/"
    assert not Channel.objects.filter(pk=channel.pk).exists()


def test_it_lets_analysts_read_but_not_change(world: World) -> None:
    channel = make_channel(world)
    browser = client_for(world.alpha.analyst)
    assert browser.get(f"/channels/{channel.pk}/").status_code == 200
    for url in ("check", "toggle", "delete", "edit"):
        assert browser.post(f"/channels/{channel.pk}/{url}/").status_code == 403
    assert browser.get(connect_url(world, "vk")).status_code == 403


def test_it_hides_channels_from_clients(world: World) -> None:
    channel = make_channel(world)  # in the workspace the client was given
    browser = client_for(world.alpha.client)
    # The pages exist and the workspace is the client's: a 403 saying so, not a 404.
    assert browser.get(f"/channels/{channel.pk}/").status_code == 403
    assert browser.get(f"/workspaces/{channel.workspace_id}/channels/").status_code == 403
    page = browser.get(f"/workspaces/{channel.workspace_id}/").content.decode()
    assert 'id="workspace-channels"' not in page


def test_it_lists_channels_on_the_workspace_page(world: World) -> None:
    channel = make_channel(world)
    page = client_for(world.alpha.manager, language="en").get(
        f"/workspaces/{channel.workspace_id}/").content.decode()
    assert 'id="workspace-channels"' in page and f"/channels/{channel.pk}/" in page
    assert "Connect a channel" in page


# --- Alerts ------------------------------------------------------------------------------------


def test_it_is_registered_with_the_ticker() -> None:
    assert "kosmmos.channels.dispatch:check_tokens" in DISPATCHERS


def test_it_alerts_once_about_an_expiring_token(world: World) -> None:
    channel = make_channel(world, token_expires_at=timezone.now() + timedelta(days=3))
    make_channel(world, external_id="999", token_expires_at=timezone.now() + timedelta(days=30))
    assert check_tokens(force=True) == 1
    assert check_tokens(force=True) == 0
    alert = ChannelAlert.objects.get()
    assert (alert.channel, alert.kind, alert.resolved_at) == (
        channel, AlertKind.TOKEN_EXPIRING, None)
    assert "Корейская косметика" in alert.message
    event = Event.objects.get()
    assert (event.kind, event.url) == ("channel.token_expiring", f"/channels/{channel.pk}/")
    fan_out(event.pk)  # what the after-commit kick does: staff are emailed, as before the bell
    emails = Delivery.objects.filter(kind="notification")
    assert sorted(e.to[0] for e in emails) == ["manager@alpha.test", "owner@alpha.test"]
    assert all(f"/channels/{channel.pk}/" in e.body for e in emails)


def test_it_alerts_once_about_a_channel_needing_reconnection(world: World) -> None:
    make_channel(world, status=ChannelStatus.NEEDS_REAUTH, last_error="VK error 5")
    assert check_tokens(force=True) == 1
    assert check_tokens(force=True) == 0
    alert = ChannelAlert.objects.get()
    assert alert.kind == AlertKind.NEEDS_REAUTH and "VK error 5" in alert.message
    assert Event.objects.get().kind == "channel.reconnect"


def test_it_never_raises_the_same_alert_twice_in_a_race(world: World) -> None:
    """Two tickers that both saw no open alert: the constraint lets one through, with one event."""
    channel = make_channel(world, status=ChannelStatus.NEEDS_REAUTH)
    assert actions.raise_alert(channel, AlertKind.NEEDS_REAUTH) is not None
    assert actions.raise_alert(channel, AlertKind.NEEDS_REAUTH) is None
    assert ChannelAlert.objects.count() == 1
    assert Event.objects.count() == 1


def test_it_resolves_an_alert_when_the_condition_clears_and_raises_it_again(
    world: World, respx_mock: respx.MockRouter
) -> None:
    vk_group(respx_mock)
    channel = make_channel(world, status=ChannelStatus.NEEDS_REAUTH)
    check_tokens(force=True)
    client_for(world.alpha.manager).post(f"/channels/{channel.pk}/check/")  # token works again
    alert = ChannelAlert.objects.get()
    assert alert.resolved_at is not None
    Channel.objects.filter(pk=channel.pk).update(status=ChannelStatus.NEEDS_REAUTH)
    assert check_tokens(force=True) == 1
    assert ChannelAlert.objects.filter(resolved_at__isnull=True).count() == 1


def test_it_shows_open_alerts_in_the_nav_and_on_a_page(world: World) -> None:
    channel = make_channel(world, status=ChannelStatus.NEEDS_REAUTH, last_error="VK error 5")
    check_tokens(force=True)
    page = client_for(world.alpha.analyst).get("/").content.decode()
    assert 'id="channel-alerts-badge"' in page
    alerts = client_for(world.alpha.manager).get("/channels/alerts/").content.decode()
    assert "VK error 5" in alerts and f"/channels/{channel.pk}/" in alerts
    # Another agency sees neither the badge nor the alert.
    other = client_for(world.beta.owner)
    assert 'id="channel-alerts-badge"' not in other.get("/").content.decode()
    assert "VK error 5" not in other.get("/channels/alerts/").content.decode()
    # Clients see no agency alerts.
    assert 'id="channel-alerts-badge"' not in client_for(world.alpha.client).get("/").content.decode()


def test_it_skips_disabled_channels(world: World) -> None:
    make_channel(world, status=ChannelStatus.DISABLED,
                 token_expires_at=timezone.now() + timedelta(days=1))
    assert check_tokens(force=True) == 0


@pytest.mark.parametrize("network", ["vk", "ok", "telegram", "sandbox"])
def test_it_shows_a_connect_form_per_network(world: World, network: str) -> None:
    response = client_for(world.alpha.manager).get(connect_url(world, network))
    assert response.status_code == 200
    # Every real network asks for a secret in a password field; the sandbox needs none.
    assert ('type="password"' in response.content.decode()) is (network != "sandbox")


def test_it_offers_every_network(world: World) -> None:
    page = client_for(world.alpha.manager).get(
        f"/workspaces/{world.alpha.client_workspace.pk}/channels/connect/").content.decode()
    for network in ("vk", "ok", "telegram", "sandbox"):
        assert f"?network={network}" in page


# --- Isolation ---------------------------------------------------------------------------------


def test_it_refuses_channel_views_to_other_tenants(world: World,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The project-wide walk (accounts/tests/test_isolation.py), on the channel URLs alone, so a
    gap elsewhere cannot hide one here."""
    from kosmmos.accounts.tests import test_isolation as walk

    mine = [r for r in walk.all_routes() if r.name.startswith("channels:")]
    assert {r.name for r in mine} >= {"channels:detail", "channels:edit", "channels:check",
                                      "channels:toggle", "channels:delete", "channels:connect",
                                      "channels:list", "channels:alerts"}
    monkeypatch.setattr(walk, "all_routes", lambda: mine)
    walk.test_it_refuses_every_view_to_other_tenants(world)


def test_it_draws_the_followers_growth_on_the_channel_page(world: World) -> None:
    from kosmmos.channels.models import ChannelStatsSnapshot

    channel = make_channel(world, followers=15320)
    today = timezone.localdate()
    ChannelStatsSnapshot.objects.bulk_create([
        ChannelStatsSnapshot(organisation_id=channel.organisation_id, channel=channel,
                             day=today - timedelta(days=n), followers=15000 + 10 * (30 - n))
        for n in range(30)])
    body = client_for(world.alpha.analyst, language="en").get(
        f"/channels/{channel.pk}/").content.decode()
    assert "<svg" in body and "Followers" in body
