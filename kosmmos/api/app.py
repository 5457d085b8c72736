"""The API on django-ninja: its routes below /api/v1/, the language it answers in, its error
shape for whatever goes wrong (an unknown path, a method it does not take, a failure), and the
OpenAPI 3.1 document ninja generates from the operations in ``endpoints``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern, path
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.translation.trans_real import parse_accept_lang_header
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.renderers import JSONRenderer
from ninja.responses import Response

from kosmmos.api import errors, schemas
from kosmmos.api.endpoints import PATH_PARAMS, router
from kosmmos.api.idempotency import HEADER, MAX_KEY
from kosmmos.api.notifications import router as notifications_router
from kosmmos.api.results import router as results_router
from kosmmos.api.text import gettext_lazy as _

BASE = "/api/v1"
SUPPORTED = {code for code, _name in settings.LANGUAGES}
READ_ERRORS = (400, 401, 404, 429)
WRITE_ERRORS = (400, 401, 403, 404, 409, 413, 422, 429)


def api_language(request: HttpRequest) -> str:
    """Russian unless ``Accept-Language`` prefers another supported language (the pages' cookie
    and profile choice do not apply: an integration has neither)."""
    for code, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        base = code.split("-")[0].lower()
        if base in SUPPORTED:
            return base
    return str(settings.LANGUAGE_CODE)


def _answering(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Every API view: in the caller's language and, once authenticated, the agency's time zone;
    never cached; ninja's plain-text 405 in the error shape."""

    @wraps(view)
    def answer(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with translation.override(api_language(request)), timezone.override(None):
            response = view(request, *args, **kwargs)
            if isinstance(response, HttpResponseNotAllowed):
                response = errors.not_allowed([m.strip() for m in response["Allow"].split(",")]).response()
            response["Content-Language"] = translation.get_language()
        response["Cache-Control"] = "no-store"
        patch_vary_headers(response, ["Accept-Language", "Authorization"])
        return response

    return csrf_exempt(answer)


def unknown(request: HttpRequest, **_kwargs: Any) -> HttpResponse:
    """Any other path under /api/v1/ (a typo, a trailing slash): the API's JSON 404, not the
    site's HTML page."""
    return errors.not_found().response()


class Renderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}


class KosmmosAPI(NinjaAPI):
    @property
    def urls(self) -> tuple[list[Any], str, str]:
        patterns, app_name, namespace = super().urls
        views: dict[str | None, Callable[..., HttpResponse]] = {"openapi-json": self.openapi_view,
                                                                 "api-root": unknown}
        routed: list[Any] = []
        for p in patterns:
            assert isinstance(p, URLPattern)  # ninja routes each operation with path(), never include()
            routed.append(URLPattern(p.pattern, _answering(views.get(p.name, p.callback)), p.default_args, p.name))
        # Last: whatever the operations do not route gets the API's JSON 404.
        return [*routed, path("<path:unknown>", _answering(unknown), name="unknown")], app_name, namespace

    def openapi_view(self, request: HttpRequest, **_kwargs: Any) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return errors.not_allowed(["GET"]).response()
        return Response(self.spec(), json_dumps_params={"ensure_ascii": False})

    def spec(self) -> dict[str, Any]:
        """The OpenAPI document: ninja's, with what it cannot know from the operations — the
        error answers, the Idempotency-Key header, the security scheme's name."""
        document: dict[str, Any] = dict(self.get_openapi_schema(path_prefix=""))
        document["servers"] = [{"url": f"{settings.SITE_URL}{BASE}"}]
        document["security"] = [{"bearer": []}]
        components = document.setdefault("components", {})
        components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
        error = schemas.Error.model_json_schema(ref_template="#/components/schemas/{model}")
        components["schemas"].update(error.pop("$defs", {}))
        components["schemas"]["Error"] = error
        for operations in document["paths"].values():
            for method, operation in operations.items():
                _complete(method, operation)
        return document


def _complete(method: str, operation: dict[str, Any]) -> None:
    operation["security"] = [{"bearer": []}]
    operation["responses"] = {str(status): answer for status, answer in operation["responses"].items()}
    operation.setdefault("parameters", [])
    for parameter in operation["parameters"]:
        if parameter["in"] == "path":
            parameter["description"] = str(PATH_PARAMS[parameter["name"]])
    write = method == "post"
    for status in WRITE_ERRORS if write else READ_ERRORS:
        codes = sorted(code for code, s in errors.CODES.items() if s == status)
        operation["responses"][str(status)] = {
            "description": ", ".join(codes),
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    if write:
        operation["parameters"].append({
            "name": HEADER, "in": "header", "required": False,
            "description": str(_("Repeat a write safely: the same key with the same token returns "
                                 "the stored answer instead of writing twice.")),
            "schema": {"type": "string", "maxLength": MAX_KEY}})
        operation["description"] = str(_("Needs a read-write token and the owner or SMM manager role."))


api = KosmmosAPI(
    title=_("Kosmmos API"), version="1.0.0", urls_namespace="api:v1", docs_url=None,
    description=_("Read client workspaces, channels, the content plan, the inbox and money figures; "
                  "create and schedule posts. Authenticate with a personal API token: "
                  "Authorization: Bearer <token>."),
    renderer=Renderer(), parser=errors.BodyParser(),
)
errors.install(api)
api.add_router("", router)
api.add_router("", results_router)
api.add_router("", notifications_router)
