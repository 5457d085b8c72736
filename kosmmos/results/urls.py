from django.urls import path

from kosmmos.results import views

app_name = "results"

W = "workspaces/<uuid:workspace_id>/results/"

urlpatterns = [
    path("results/", views.agency, name="agency"),
    path(W, views.workspace_results, name="workspace"),
    path(W + "posts/", views.posts, name="posts"),
    path(W + "followers/", views.followers, name="followers"),
    path(W + "targets/", views.targets, name="targets"),
    path(W + "demographics/<uuid:channel_id>/retry/", views.demographics_retry,
         name="demographics_retry"),
]
