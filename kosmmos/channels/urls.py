from django.urls import path

from kosmmos.channels import views

app_name = "channels"

urlpatterns = [
    path("workspaces/<uuid:workspace_id>/channels/", views.channel_list, name="list"),
    path("workspaces/<uuid:workspace_id>/channels/connect/", views.channel_connect,
         name="connect"),
    path("channels/alerts/", views.alert_list, name="alerts"),
    path("channels/<uuid:channel_id>/", views.channel_detail, name="detail"),
    path("channels/<uuid:channel_id>/edit/", views.channel_edit, name="edit"),
    path("channels/<uuid:channel_id>/check/", views.channel_check, name="check"),
    path("channels/<uuid:channel_id>/toggle/", views.channel_toggle, name="toggle"),
    path("channels/<uuid:channel_id>/delete/", views.channel_delete, name="delete"),
]
