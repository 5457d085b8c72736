from django.urls import path

from kosmmos.overview import views

app_name = "overview"

urlpatterns = [
    path("", views.index, name="home"),
    path("healthz", views.healthz, name="healthz"),
]
