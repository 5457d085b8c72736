"""The sandbox connector maps the sandbox's answers to the connector contract (base.py)."""

from __future__ import annotations

import pytest

from kosmmos.connectors.base import (
    AmbiguousOutcome,
    AuthRevoked,
    ConnectorError,
    PublishRequest,
    RateLimited,
)
from kosmmos.connectors.sandbox.connector import SandboxConnector
from kosmmos.connectors.sandbox.server import Network


@pytest.fixture
def connector(bridged) -> SandboxConnector:
    return SandboxConnector(credentials={"token": "t"}, config={"external_id": "c1"})


def request(key: str = "k1", **extra) -> PublishRequest:
    return PublishRequest(key=key, text="Привет", **extra)


def test_it_publishes_and_finds_by_key(connector: SandboxConnector, network: Network) -> None:
    posted = connector.publish(request())
    assert posted.external_id == "1"
    assert posted.url == "http://sandbox.test/p/c1/1"
    found = connector.find(request())
    assert found and (found.external_id, found.url) == (posted.external_id, posted.url)
    assert found.published_at == posted.published_at
    assert connector.find(request("other")) is None
    assert network.posts[1]["text"] == "Привет"


def test_it_appends_the_ad_label(connector: SandboxConnector, network: Network) -> None:
    connector.publish(request(is_ad=True, advertiser="ООО «Ромашка»", erid="2Vtzqv"))
    assert network.posts[1]["text"] == "Привет\n\nРеклама. ООО «Ромашка». erid: 2Vtzqv"


def test_it_maps_5xx_to_a_transient_error(connector, network: Network) -> None:
    network.faults["error_rate"] = 1.0
    with pytest.raises(ConnectorError) as caught:
        connector.publish(request())
    assert not caught.value.permanent and not isinstance(caught.value, AmbiguousOutcome)
    assert caught.value.message == "sandbox: HTTP 503"


def test_it_maps_429_to_rate_limited(connector, network: Network) -> None:
    network.set_config("c1", {"rate_limit_rate": 1.0, "retry_after": 2.5})
    with pytest.raises(RateLimited) as caught:
        connector.publish(request())
    assert caught.value.retry_after == 2.5


def test_it_maps_401_to_auth_revoked(connector, network: Network) -> None:
    network.set_config("c1", {"revoked": True})
    with pytest.raises(AuthRevoked):
        connector.publish(request())


def test_it_reports_a_timeout_as_ambiguous_and_find_sees_the_post(
        connector, network: Network, monkeypatch) -> None:
    import httpx

    from kosmmos.connectors.sandbox import connector as module

    monkeypatch.setattr(module, "TIMEOUT", httpx.Timeout(0.3))
    network.set_config("c1", {"ambiguous_rate": 1.0, "hang_s": 1.0})
    network.rng.random = lambda: 0.0  # type: ignore[method-assign]  # always the hanging kind
    with pytest.raises(AmbiguousOutcome):
        connector.publish(request())
    network.set_config("c1", {"ambiguous_rate": 0.0})
    assert connector.find(request()) is not None


def test_it_reads_stats_followers_and_edits(connector, network: Network) -> None:
    posted = connector.publish(request())
    stats = connector.post_stats([posted.external_id, "999"])
    assert list(stats) == ["1"] and stats["1"].views is not None
    assert connector.followers() and connector.followers() > 0
    connector.edit(posted.external_id, PublishRequest(key="k1", text="Новый текст"))
    assert network.posts[1]["text"] == "Новый текст"
    connector.delete(posted.external_id)
    connector.delete(posted.external_id)  # gone already: still fine
    assert network.posts[1]["deleted_at"]
    assert connector.check().can_post is True


def test_it_comments_as_the_channel_and_finds_the_comment_by_key(
        connector: SandboxConnector, network: Network) -> None:
    posted = connector.publish(request())
    network.posts[1]["accepted_at"] -= 86400  # the customers' comments have arrived
    customer = connector.comments(posted.external_id)[0]
    sent = connector.comment(posted.external_id, "Спасибо!", reply_to=customer["id"], key="r-1")
    assert sent == "1_r1"
    assert connector.comment(posted.external_id, "Спасибо!", reply_to=customer["id"],
                             key="r-1") == sent  # the key posts once
    assert connector.find_comment(posted.external_id, "r-1") == sent
    assert connector.find_comment(posted.external_id, "r-2") is None
    ours = connector.comments(posted.external_id)[-1]
    assert (ours["id"], ours["from_channel"], ours["reply_to"]) == (sent, True, customer["id"])


def test_it_maps_comment_refusals_to_permanent_errors(
        connector: SandboxConnector, network: Network) -> None:
    posted = connector.publish(request())
    with pytest.raises(ConnectorError) as caught:
        connector.comment(posted.external_id, " ")
    assert caught.value.permanent and caught.value.message == "sandbox: text required"
    connector.delete(posted.external_id)
    with pytest.raises(ConnectorError) as gone:
        connector.comment(posted.external_id, "Ответ")
    assert gone.value.permanent and gone.value.message == "sandbox: the post is gone"
    assert connector.comments("999") == []


def test_it_reports_a_lost_comment_answer_as_ambiguous(
        connector: SandboxConnector, network: Network, monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx

    from kosmmos.connectors.sandbox import connector as module

    posted = connector.publish(request())
    monkeypatch.setattr(module, "TIMEOUT", httpx.Timeout(0.3))
    network.set_config("c1", {"ambiguous_rate": 1.0, "hang_s": 1.0})
    network.rng.random = lambda: 0.0  # type: ignore[method-assign]  # always the hanging kind
    with pytest.raises(AmbiguousOutcome):
        connector.comment(posted.external_id, "Ответ", key="r-1")
    assert connector.find_comment(posted.external_id, "r-1") == "1_r1"


def test_it_reads_a_month_of_followers_oldest_first(connector, network: Network) -> None:
    from datetime import date

    rows = connector.followers_history(30)
    assert len(rows) == 30 and all(isinstance(d, date) and n >= 0 for d, n in rows)
    assert [d for d, _ in rows] == sorted(d for d, _ in rows)
    assert rows[-1][1] == connector.followers()


def test_it_reads_demographics_in_vks_shape(connector: SandboxConnector, network: Network) -> None:
    mix = connector.demographics()
    assert mix is not None and mix.basis == "visitors"
    people = sum(mix.sex.values())
    # The visitors are a share of the followers; every breakdown adds up to them.
    assert 0 < people <= connector.followers()
    assert set(mix.sex) == {"f", "m"}
    assert abs(sum(mix.age.values()) - people) <= 2 * len(mix.age)
    assert sum(mix.sex_age.values()) == sum(mix.age.values())
    assert mix.cities[0][0] and mix.cities == sorted(mix.cities, key=lambda c: -c[1])
    assert (mix.period_to - mix.period_from).days == 30
    assert connector.demographics() == mix  # a pure function of the seed and the channel


def test_it_fails_demographics_when_told_and_when_revoked(connector: SandboxConnector,
                                                          network: Network) -> None:
    from kosmmos.connectors.sandbox.ext import audience

    audience._failures["left"] = 1
    with pytest.raises(ConnectorError, match="Internal server error"):
        connector.demographics()
    assert connector.demographics() is not None  # the next call answers again
    network.set_config("c1", {"revoked": True})
    with pytest.raises(AuthRevoked):
        connector.demographics()
