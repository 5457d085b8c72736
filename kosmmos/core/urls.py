from django.urls import path

from kosmmos.core import views

app_name = "core"

urlpatterns = [
    path("", views.index, name="home"),
    path("healthz", views.healthz, name="healthz"),
]
