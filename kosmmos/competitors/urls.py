from django.urls import path

from kosmmos.competitors import views

app_name = "competitors"

urlpatterns = [
    path("competitors/keys/", views.keys, name="keys"),
    path("competitors/<uuid:workspace_id>/", views.compare, name="compare"),
    path("competitors/<uuid:workspace_id>/add/", views.add, name="add"),
    path("competitors/<uuid:workspace_id>/mentions/", views.mentions, name="mentions"),
    path("competitors/follow/<uuid:follow_id>/remove/", views.remove, name="remove"),
    path("competitors/follow/<uuid:follow_id>/retry/", views.retry_read, name="retry"),
]
