"""Schemathesis over /api/v1/openapi.json: generated calls, valid and invalid, with a real token,
against the Django app — no server error and no answer outside what the document declares.

Bounded so it runs in well under a minute: a few examples per operation and mode. The ids in
paths are real (a workspace, a post of it): random UUIDs would only ever meet a 404.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from kosmmos.api.tests.conftest import token_for
from kosmmos.conftest import World
from kosmmos.content.models import Post
from kosmmos.inbox.testing import make_channel, make_item
from kosmmos.notifications.webhooks import create_webhook
from kosmmos.reports.testing import make_sent_report

EXAMPLES = 12  # per operation and generation mode
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


def _explore(operation: Any, mode: GenerationMode, params: dict[str, str], headers: dict[str, str],
             checks: list[Any]) -> tuple[int, int, list[str]]:
    """Calls generated for one operation: how many, how many were answered 2xx, and what the
    checks found."""
    cases, answered, failures = 0, 0, []

    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=params))
    @examples(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        nonlocal cases, answered
        cases += 1
        # The token replaces the generated one, but only where the case has the header: a case
        # that leaves the required header out must meet the 401 it deserves.
        if case.headers is not None and "Authorization" in case.headers:
            case.headers.update(headers)
        response = case.call()
        answered += response.status_code < 300
        try:
            case.validate_response(response, checks=checks)
        except (AssertionError, ExceptionGroup) as failure:  # schemathesis groups its findings
            failures.append(f"{operation.label}: {failure}")

    run()
    return cases, answered, failures


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_it_answers_generated_calls_as_the_spec_declares(world: World, settings: Any,
                                                         mode: GenerationMode) -> None:
    settings.ALLOWED_HOSTS = ["*"]
    settings.API_RATE_LIMIT_PER_MIN = 100_000
    # As Django's test client does: the request signals must not close the connection that
    # holds the test's transaction (they would on PostgreSQL, with health checks on).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        _run(world, mode)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _run(world: World, mode: GenerationMode) -> None:
    alpha = world.alpha
    ws = alpha.client_workspace
    channel = make_channel(ws, "sandbox", "sandbox-1")
    make_item(channel, "Отличный магазин", sentiment="positive")
    post = Post.objects.create(organisation=alpha.org, workspace=ws, text="Пост", status="approved")
    post.targets.create(organisation=alpha.org, channel=channel)
    _token, secret = token_for(alpha.owner, alpha.org)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())
    hook, _ = create_webhook(alpha.org, "https://93.184.216.34/hook", [])
    ids = {"workspace_id": str(ws.pk), "post_id": str(post.pk),
           "report_id": str(make_sent_report(ws).pk), "webhook_id": str(hook.pk)}
    checks = [*CHECKS, negative_data_rejection] if mode == GenerationMode.NEGATIVE else CHECKS
    cases, answered, failures, started = 0, 0, [], time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        params = {p.name: ids[p.name] for p in operation.path_parameters}
        count, ok, found = _explore(operation, mode, params, {"Authorization": f"Bearer {secret}"}, checks)
        cases += count
        answered += ok
        failures += found
    print(f"schemathesis ({mode.value}): {cases} cases, {answered} answered 2xx, {len(failures)} failures, "
          f"{time.monotonic() - started:.1f} s")
    assert cases >= EXAMPLES
    if mode == GenerationMode.POSITIVE:  # the token is used: most valid calls get through
        assert answered > cases // 4, (answered, cases)
    assert not failures, "\n\n".join(failures[:5])
