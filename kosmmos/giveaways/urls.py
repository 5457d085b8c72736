from django.urls import path

from kosmmos.giveaways import views

app_name = "giveaways"

urlpatterns = [
    path("giveaways/<uuid:workspace_id>/", views.index, name="index"),
    path("giveaways/<uuid:workspace_id>/new/", views.create, name="create"),
    path("giveaways/<uuid:workspace_id>/exclude/", views.exclude, name="exclude"),
    path("giveaways/<uuid:workspace_id>/partners/", views.partner, name="partner"),
    path("giveaways/g/<uuid:giveaway_id>/", views.detail, name="detail"),
    path("giveaways/g/<uuid:giveaway_id>/retry/", views.retry, name="retry"),
    path("giveaways/g/<uuid:giveaway_id>/winner/", views.winner, name="winner"),
    path("giveaways/g/<uuid:giveaway_id>/outreach/<uuid:outreach_id>/retry/",
         views.retry_outreach, name="retry_outreach"),
    path("giveaways/<uuid:workspace_id>/exchanges/", views.propose_exchange,
         name="propose_exchange"),
    path("x/<str:token>/", views.exchange_public, name="exchange_public"),
    path("g/<str:code>/", views.public, name="public"),
    path("g/<str:code>/draw.json", views.public_json, name="public_json"),
]
