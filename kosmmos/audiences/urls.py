from django.urls import path

from kosmmos.audiences import views

app_name = "audiences"

W = "workspaces/<uuid:workspace_id>/audiences/"
E = "audiences/exports/<uuid:audience_export_id>/"

urlpatterns = [
    path(W, views.index, name="index"),
    path(W + "exports/", views.export_create, name="export_create"),
    path(E + "delete/", views.export_delete, name="export_delete"),
    path(E + "retry/", views.export_retry, name="export_retry"),
]
