"""The OpenAPI document and the router come from the same operations: neither can list what the
other lacks. Also: the docs page, 405, 429, and the answers' shapes against the spec's schemas."""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from kosmmos.api.app import api as ninja_api
from kosmmos.api.tests.conftest import api_as, operations
from kosmmos.conftest import World
from kosmmos.content.models import Post
from kosmmos.inbox.testing import make_channel, make_item
from kosmmos.lib.events import emit
from kosmmos.notifications.models import WebhookDelivery
from kosmmos.notifications.webhooks import create_webhook
from kosmmos.reports.testing import make_sent_report

NOT_OPERATIONS = {"openapi-json", "api-root", "unknown"}


def _api_routes() -> set[tuple[str, str]]:
    """Every URL pattern under /api/v1/ that routes an operation: (path in OpenAPI notation,
    the operation's URL name)."""
    found: set[tuple[str, str]] = set()

    def walk(patterns: list[Any], prefix: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                route = prefix + str(entry.pattern)
                if route.startswith("api/v1/") and entry.name not in NOT_OPERATIONS:
                    path = re.sub(r"<\w+:(\w+)>", r"{\1}", route.removeprefix("api/v1"))
                    found.add((path, str(entry.name)))

    walk(get_resolver().url_patterns, "")
    return found


def test_it_documents_every_routed_operation_and_routes_every_documented_one() -> None:
    document = ninja_api.spec()
    documented = {(path, op["operationId"]) for path, ops in document["paths"].items() for op in ops.values()}
    assert documented == _api_routes()
    assert len(operations()) == sum(len(ops) for ops in document["paths"].values())


def test_it_resolves_every_spec_path_to_the_view_that_serves_it(db: None) -> None:
    for path, methods in ninja_api.spec()["paths"].items():
        url = "/api/v1" + re.sub(r"\{\w+\}", lambda _m: str(uuid.uuid4()), path)
        match = resolve(url)
        for method, operation in methods.items():
            params = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
            assert params == set(match.kwargs), path
            # Routed for this method: the token is asked for, not a 404 or a 405.
            response = Client().generic(method.upper(), url)
            assert response.status_code == 401, (method, path)


def test_it_serves_a_consistent_openapi_31_document(world: World) -> None:
    response = Client().get("/api/v1/openapi.json", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"] == "Kosmmos API"
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    refs = set(re.findall(r'"#/components/schemas/(\w+)"', response.content.decode()))
    assert refs <= set(document["components"]["schemas"])
    ids = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))
    russian = Client().get("/api/v1/openapi.json").json()
    assert russian["info"]["title"] != "Kosmmos API"  # Russian by default


def test_it_shows_the_docs_page_in_russian_first() -> None:
    page = Client().get("/api/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "curl -H &quot;Authorization: Bearer" in body or 'curl -H "Authorization: Bearer' in body
    for endpoint in operations():
        assert f"/api/v1{endpoint.path}" in body
    assert "Аутентификация" in body or "Авторизация" in body
    # Every script, style, font and image comes from this site (not any word search: the page
    # carries a random CSRF token, which may spell anything).
    loaded = loaded_urls(body)
    assert any(u.endswith("swagger-ui-bundle.js") for u in loaded), loaded
    assert [u for u in loaded if not u.startswith("/") or u.startswith("//")] == [], loaded


def loaded_urls(body: str) -> list[str]:
    """What a page makes the browser fetch: script and image sources, stylesheet, icon and
    preload links, CSS ``url(...)`` and ``@import``."""
    from html.parser import HTMLParser

    found: list[str] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            values = dict(attrs)
            if tag in {"script", "img", "iframe", "source"} and values.get("src"):
                found.append(str(values["src"]))
            rel = (values.get("rel") or "").lower()
            if tag == "link" and values.get("href") and any(
                    k in rel for k in ("stylesheet", "icon", "preload", "font", "manifest")):
                found.append(str(values["href"]))

    Collect().feed(body)
    found += re.findall(r"url\(\s*['\"]?([^'\")\s]+)", body)
    found += re.findall(r"@import\s+['\"]([^'\"]+)", body)
    return found


def test_it_finds_an_off_site_asset_on_a_page() -> None:
    page = ('<script src="https://cdn.example/x.js"></script><link rel="stylesheet" '
            'href="//fonts.example/f.css"><style>@font-face{src:url("https://f.example/a.woff2")}'
            '</style><a href="https://example.com/">a link is not loaded</a>')
    assert loaded_urls(page) == ["https://cdn.example/x.js", "//fonts.example/f.css",
                                 "https://f.example/a.woff2"]


def test_it_answers_405_with_the_allowed_methods(world: World) -> None:
    api = api_as(world.alpha.owner, world.alpha.org)
    response = api.client.delete("/api/v1/workspaces", headers=api.headers)
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_it_limits_the_calls_per_token(world: World, settings: Any) -> None:
    settings.API_RATE_LIMIT_PER_MIN = 2
    api = api_as(world.alpha.owner, world.alpha.org, language="en")
    assert [api.get("/workspaces").status_code for _ in range(2)] == [200, 200]
    response = api.get("/workspaces")
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert response.json()["error"]["code"] == "rate_limited"
    # Another token of the same person has its own budget.
    assert api_as(world.alpha.owner, world.alpha.org).get("/workspaces").status_code == 200


# --- Answers against their schemas (a small JSON Schema subset: enough for our documents) ----


def _check(value: Any, schema: dict[str, Any], components: dict[str, Any], where: str) -> list[str]:
    if "$ref" in schema:
        return _check(value, components[schema["$ref"].rsplit("/", 1)[1]], components, where)
    if "allOf" in schema:
        # One object described in parts: merge them, so "undocumented" means in none of them.
        parts = [components[s["$ref"].rsplit("/", 1)[1]] if "$ref" in s else s
                 for s in schema["allOf"]]
        merged = {"type": "object", "required": [n for p in parts for n in p.get("required", [])],
                  "properties": {k: v for p in parts for k, v in p.get("properties", {}).items()}}
        return _check(value, merged, components, where)
    if "anyOf" in schema:
        found = [_check(value, s, components, where) for s in schema["anyOf"]]
        return [] if any(not f for f in found) else [f"{where}: {value!r} matches none of anyOf"]
    if "enum" in schema:
        return [] if value in schema["enum"] else [f"{where}: {value!r} not in enum"]
    types = schema.get("type")
    types = [types] if isinstance(types, str) else (types or [])
    python = {"string": str, "integer": int, "number": (int, float), "boolean": bool,
              "object": dict, "array": list, "null": type(None)}
    if types and not any(isinstance(value, python[t]) for t in types):
        return [f"{where}: {value!r} is not {types}"]
    problems: list[str] = []
    if isinstance(value, dict):
        for name in schema.get("required", []):
            if name not in value:
                problems.append(f"{where}: missing {name}")
        properties = schema.get("properties", {})
        if "required" in schema:
            problems += [f"{where}: undocumented {k}" for k in value if k not in properties]
        for name, sub in properties.items():
            if name in value:
                problems += _check(value[name], sub, components, f"{where}.{name}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            problems += _check(item, schema["items"], components, f"{where}[{i}]")
    return problems


def test_it_answers_in_the_shapes_the_spec_declares(world: World) -> None:
    alpha = world.alpha
    ws = alpha.client_workspace
    channel = make_channel(ws, "telegram", "-100500")
    make_item(channel, "Отличный магазин", sentiment="positive")
    post = Post.objects.create(organisation=alpha.org, workspace=ws, text="Пост", status="approved")
    post.targets.create(organisation=alpha.org, channel=channel)
    document = ninja_api.spec()
    components = document["components"]["schemas"]
    api = api_as(alpha.owner, alpha.org)
    hook, _ = create_webhook(alpha.org, "https://93.184.216.34/hook", [])
    event = emit("post.failed", organisation=alpha.org, workspace=ws, title="Пост не вышел",
                 payload={"network": "vk"})
    delivery = WebhookDelivery.objects.create(webhook=hook, event=event, status="failed",
                                              last_error="HTTP 500")
    delivery.attempts_made.create(started_at=event.created_at, status_code=500, error="HTTP 500")
    ids = {"workspace_id": ws.pk, "post_id": post.pk, "report_id": make_sent_report(ws).pk,
           "webhook_id": hook.pk}
    problems: list[str] = []
    for path, methods in document["paths"].items():
        if "get" not in methods:
            continue
        response = api.get(path.format(**ids))
        assert response.status_code == 200, path
        answers = methods["get"]["responses"]["200"]["content"]
        if "application/pdf" in answers:
            assert response.content.startswith(b"%PDF"), path
            continue
        declared = answers["application/json"]["schema"]
        problems += _check(response.json(), declared, components, path)
    created = api.post(f"/workspaces/{ws.pk}/posts", {"text": "Новый", "channels": [str(channel.pk)]})
    problems += _check(created.json(), components["PostCreated"], components, "createPost")
    made = api.post("/webhooks", {"url": "https://93.184.216.34/other", "kinds": ["post.failed"]})
    problems += _check(made.json(), components["WebhookCreated"], components, "createWebhook")
    error = api.get(f"/posts/{uuid.uuid4()}").json()
    problems += _check(error, components["Error"], components, "error")
    assert not problems, "\n".join(problems)


def test_it_answers_other_api_paths_with_the_json_404(world: World) -> None:
    api = api_as(world.alpha.owner, world.alpha.org, language="en")
    for path in ("/workspaces/", "/nothing", f"/workspaces/{world.alpha.client_workspace.pk}/x"):
        response = api.get(path)
        assert response.status_code == 404, path
        assert response.json() == {"error": {"code": "not_found", "message": "Not found.",
                                             "fields": {}}}


def test_it_speaks_russian_unless_the_client_prefers_english(db: None) -> None:
    for header, language in [("", "ru"), ("de-DE,de;q=0.9", "ru"), ("en-US,en;q=0.9", "en"),
                             ("de;q=0.9,en;q=0.8", "en"), ("ru;q=0.5,en;q=0.9", "en")]:
        client = Client()
        headers = {"Accept-Language": header} if header else {}
        response = client.get("/api/v1/workspaces", headers=headers)
        assert response.status_code == 401
        assert response["Content-Language"] == language, header
        message = response.json()["error"]["message"]
        assert (message.startswith("Send your API token") if language == "en"
                else message.startswith("Передайте API-токен")), header
