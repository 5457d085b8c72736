from django.urls import path

from kosmmos.ads import views

app_name = "ads"

W = "workspaces/<uuid:workspace_id>/ads/"

urlpatterns = [
    path(W, views.index, name="index"),
    path(W + "connect/", views.connect, name="connect"),
    path("ads/cabinets/<uuid:cabinet_id>/import/", views.import_now, name="import_now"),
    path("ads/cabinets/<uuid:cabinet_id>/retry/", views.import_retry, name="import_retry"),
    path("ads/cabinets/<uuid:cabinet_id>/reconnect/", views.reconnect, name="reconnect"),
]
