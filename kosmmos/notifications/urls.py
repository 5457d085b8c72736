from django.urls import path

from kosmmos.notifications import views

app_name = "notifications"

urlpatterns = [
    path("notifications/", views.notification_list, name="list"),
    path("notifications/bell/", views.bell, name="bell"),
    path("notifications/read-all/", views.mark_all_read, name="read_all"),
    path("notifications/<uuid:notice_id>/read/", views.mark_read, name="read"),
    path("notifications/settings/", views.settings_view, name="settings"),
    path("notifications/telegram/link/", views.telegram_link, name="telegram_link"),
    path("notifications/telegram/check/", views.telegram_check, name="telegram_check"),
    path("notifications/telegram/bot/", views.bot_connect, name="bot_connect"),
    path("notifications/webhooks/", views.webhook_create, name="webhook_create"),
    path("notifications/webhooks/<uuid:hook_id>/", views.webhook_detail, name="webhook"),
    path("notifications/webhooks/<uuid:hook_id>/action/", views.webhook_action,
         name="webhook_action"),
]
