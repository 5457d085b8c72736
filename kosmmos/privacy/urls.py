from django.urls import path

from kosmmos.privacy import views

app_name = "privacy"

urlpatterns = [
    path("settings/personal-data/", views.personal_data, name="personal_data"),
    path("settings/personal-data/retention/", views.retention, name="retention"),
]
