from django.urls import path

from kosmmos.privacy import views

app_name = "privacy"

urlpatterns = [
    path("settings/personal-data/", views.personal_data, name="personal_data"),
    path("settings/personal-data/retention/", views.retention, name="retention"),
    path("settings/personal-data/consent/", views.consent_text, name="consent_text"),
    path("settings/personal-data/exports/", views.exports, name="exports"),
    path("settings/personal-data/exports/new/", views.export_request, name="export_request"),
    path("settings/personal-data/exports/<uuid:export_id>/", views.export_download,
         name="export_download"),
    path("settings/personal-data/deletion/", views.deletion_schedule, name="deletion_schedule"),
    path("settings/personal-data/deletion/cancel/", views.deletion_cancel, name="deletion_cancel"),
]
