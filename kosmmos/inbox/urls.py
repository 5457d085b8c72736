from django.urls import path

from kosmmos.inbox import views, webhooks

app_name = "inbox"

urlpatterns = [
    path("inbox/", views.inbox, name="list"),
    path("inbox/canned/", views.canned_list, name="canned"),
    path("inbox/canned/<uuid:canned_id>/delete/", views.canned_delete, name="canned_delete"),
    path("inbox/items/<uuid:item_id>/", views.item_detail, name="item"),
    path("inbox/items/<uuid:item_id>/reply/", views.item_reply, name="item_reply"),
    path("inbox/items/<uuid:item_id>/sentiment/", views.item_sentiment, name="item_sentiment"),
    path("inbox/items/<uuid:item_id>/assign/", views.item_assign, name="item_assign"),
    path("inbox/items/<uuid:item_id>/status/", views.item_status, name="item_status"),
    path("inbox/items/<uuid:item_id>/note/", views.item_note, name="item_note"),
    path("inbox/items/<uuid:item_id>/canned/<uuid:canned_id>/", views.item_canned,
         name="item_canned"),
    path("inbox/replies/<uuid:reply_id>/retry/", views.reply_retry, name="reply_retry"),
    path("inbox/replies/<uuid:reply_id>/", views.reply_state, name="reply_state"),
    path("inbox/retrain/<uuid:run_id>/", views.retrain_progress, name="retrain_progress"),
    path("inbox/connections/<uuid:connection_id>/", views.connection, name="connection"),
    path("workspaces/<uuid:workspace_id>/inbox/", views.workspace_inbox, name="workspace"),
    path("workspaces/<uuid:workspace_id>/inbox/analytics/", views.workspace_analytics,
         name="analytics"),
    path("workspaces/<uuid:workspace_id>/inbox/sla/", views.workspace_sla, name="sla"),
    path("workspaces/<uuid:workspace_id>/inbox/retrain/", views.workspace_retrain,
         name="retrain"),
    # Public by design: the networks call it (code in the URL + the network's secret).
    path("hooks/<str:network>/<str:hook_code>/", webhooks.receive, name="webhook"),
]
