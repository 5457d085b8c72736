from django.urls import path

from kosmmos.publishing import views

app_name = "publishing"

urlpatterns = [
    path("targets/<uuid:target_id>/", views.target_detail, name="target_detail"),
    path("targets/<uuid:target_id>/resolve/", views.target_resolve, name="target_resolve"),
    path("posts/<uuid:post_id>/state/", views.post_state, name="post_state"),
    path("posts/<uuid:post_id>/stats/", views.post_stats, name="post_stats"),
    path("channels/<uuid:channel_id>/stats/", views.channel_stats, name="channel_stats"),
    path("channels/<uuid:channel_id>/sandbox/", views.sandbox_posts, name="sandbox_posts"),
]
