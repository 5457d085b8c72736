from django.urls import path

from kosmmos.api import views
from kosmmos.api.app import api

app_name = "api"

urlpatterns = [
    path("api/", views.docs, name="docs"),
    path("api/tokens/", views.token_list, name="tokens"),
    path("api/tokens/<uuid:api_token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("api/v1/", api.urls),
]
