from django.urls import path

from kosmmos.api import views
from kosmmos.api.dispatch import url_patterns
from kosmmos.api.endpoints import ENDPOINTS

app_name = "api"

urlpatterns = [
    path("api/", views.docs, name="docs"),
    path("api/tokens/", views.token_list, name="tokens"),
    path("api/tokens/<uuid:api_token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("api/v1/openapi.json", views.openapi_json, name="openapi"),
    *url_patterns(ENDPOINTS),
    # Last: whatever the registry does not route gets the API's JSON 404.
    path("api/v1/<path:unknown>", views.unknown_path, name="unknown"),
]
