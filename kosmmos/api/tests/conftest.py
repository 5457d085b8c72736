"""API test helpers: tokens for the world's people and a client that speaks JSON with a bearer."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from kosmmos.accounts.models import Membership, Organisation, User
from kosmmos.api.models import ApiToken
from kosmmos.api.tokens import issue_token


@pytest.fixture(autouse=True)
def _api_settings(settings: Any, tmp_path: Path) -> None:
    # The money endpoints read the click store; each test gets its own.
    settings.LINKS_EVENTS_PATH = tmp_path / "events.sqlite3"
    settings.LINKS_BASE_URL = "http://go.kosmmos.test"


def token_for(user: User, org: Organisation, **options: Any) -> tuple[ApiToken, str]:
    membership = Membership.objects.get(user=user, organisation=org)
    return issue_token(membership, name=options.pop("name", "test"), **options)


class Api:
    """A JSON client for /api/v1 with a bearer token (or none)."""

    def __init__(self, secret: str | None, *, language: str = "") -> None:
        self.client = Client()
        self.headers: dict[str, str] = {}
        if secret:
            self.headers["Authorization"] = f"Bearer {secret}"
        if language:
            self.headers["Accept-Language"] = language

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params, headers=self.headers)

    def post(self, path: str, body: dict[str, Any] | None = None, *, key: str = "") -> Any:
        headers = dict(self.headers)
        if key:
            headers["Idempotency-Key"] = key
        return self.client.post(f"/api/v1{path}", json.dumps(body or {}),
                                content_type="application/json", headers=headers)


def api_as(user: User, org: Organisation, **options: Any) -> Api:
    language = options.pop("language", "")
    return Api(token_for(user, org, **options)[1], language=language)


@dataclass(frozen=True)
class Operation:
    """One operation of the OpenAPI document."""

    method: str
    path: str  # below /api/v1, e.g. "/workspaces/{workspace_id}/posts"
    operation_id: str

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"\{(\w+)\}", self.path)


def operations() -> list[Operation]:
    from kosmmos.api.app import api

    return [Operation(method.upper(), path, operation["operationId"])
            for path, methods in api.spec()["paths"].items() for method, operation in methods.items()]
