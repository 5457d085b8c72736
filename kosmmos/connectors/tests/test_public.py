"""Addresses people paste, and the OK sessionless signature."""

from __future__ import annotations

import pytest

from kosmmos.connectors import public
from kosmmos.connectors.ok.public import sessionless_signature


@pytest.mark.parametrize(("text", "network", "expected"), [
    ("https://vk.com/club123", "", ("vk", "123")),
    ("vk.com/public42", "", ("vk", "42")),
    ("https://m.vk.com/KBeauty_Shop?w=wall-1_2", "", ("vk", "kbeauty_shop")),
    ("https://ok.ru/group/57812345", "", ("ok", "57812345")),
    ("t.me/s/durov", "", ("telegram", "durov")),
    ("https://t.me/kbeauty/101", "", ("telegram", "kbeauty")),
    ("@kbeauty", "telegram", ("telegram", "kbeauty")),
    ("sandbox:pub-1", "", ("sandbox", "pub-1")),
])
def test_it_understands_links_and_names(text: str, network: str,
                                        expected: tuple[str, str]) -> None:
    assert public.parse_address(text, network) == expected


@pytest.mark.parametrize("text", [
    "", "@kbeauty", "https://example.com/x", "https://vk.com/", "t.me/s/", "@a",
    "vk.com/<script>", "x" * 200, "javascript:alert(1)", "ftp://vk.com/x", "vk.com/a b",
])
def test_it_refuses_what_is_not_a_community(text: str) -> None:
    with pytest.raises(public.BadAddress):
        public.parse_address(text)


def test_it_signs_ok_calls_without_a_session() -> None:
    # https://apiok.ru/en/dev/methods/rest/url/url.getInfo: md5 of the sorted k=v pairs
    # followed by the application secret key.
    params = {"method": "group.getCounters", "group_id": "1", "application_key": "CBA",
              "format": "json", "counterTypes": "members"}
    import hashlib

    expected = hashlib.md5(  # noqa: S324
        b"application_key=CBAcounterTypes=membersformat=jsongroup_id=1"
        b"method=group.getCounterssecret").hexdigest()
    assert sessionless_signature(params, "secret") == expected
