from django.urls import path

from kosmmos.reports import views

app_name = "reports"

urlpatterns = [
    path("reports/", views.report_list, name="list"),
    path("reports/draft/", views.report_draft, name="draft"),
    path("reports/<uuid:report_id>/", views.report_detail, name="detail"),
    path("reports/<uuid:report_id>/pdf/", views.report_pdf, name="pdf"),
    path("reports/<uuid:report_id>/text/", views.report_text, name="text"),
    path("reports/<uuid:report_id>/send/", views.report_send, name="send"),
    path("reports/<uuid:report_id>/regenerate/", views.report_regenerate, name="regenerate"),
    path("reports/<uuid:report_id>/link/", views.report_link, name="link"),
    path("reports/<uuid:report_id>/retry/", views.report_retry, name="retry"),
    path("settings/reports/", views.report_settings, name="settings"),
    path("workspaces/<uuid:workspace_id>/report-template/", views.workspace_template,
         name="template"),
    path("r/<str:token>/", views.public_report, name="public"),
    path("r/<str:token>/pdf/", views.public_pdf, name="public_pdf"),
]
