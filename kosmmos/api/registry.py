"""The endpoint registry: one list that both the router and the OpenAPI spec are built from.

An ``Endpoint`` says its method, path, who may call it and what it takes and returns; the URL
patterns (``url_patterns``) and ``openapi.spec`` read the same objects, so the documentation cannot
drift from the code.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise

PATH_PARAM = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Param:
    """A query parameter."""

    name: str
    description: Promise
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})


@dataclass(frozen=True)
class Endpoint:
    method: str  # GET | POST
    path: str  # below /api/v1, e.g. "/workspaces/{workspace_id}/posts"; every {param} is a UUID
    operation_id: str
    summary: Promise
    handler: Callable[..., tuple[int, dict[str, Any]]]
    tag: str
    response: dict[str, Any]  # JSON schema of the success body
    status: int = 200
    write: bool = False  # needs a read-write token and the owner or manager role
    query: tuple[Param, ...] = ()
    body: dict[str, Any] | None = None  # JSON schema of the request body
    description: Promise | str = ""
    errors: tuple[int, ...] = (401, 404)

    @property
    def path_params(self) -> list[str]:
        return PATH_PARAM.findall(self.path)

    @property
    def route(self) -> str:
        """The Django route below ``api/v1``: ``{workspace_id}`` → ``<uuid:workspace_id>``."""
        return PATH_PARAM.sub(lambda m: f"<uuid:{m.group(1)}>", self.path.lstrip("/"))


BASE = "/api/v1"
