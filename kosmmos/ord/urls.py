from django.urls import path

from kosmmos.ord import views

app_name = "ord"

urlpatterns = [
    path("", views.home, name="home"),
    path("key/", views.settings_view, name="key"),
    path("parties/", views.parties, name="parties"),
    path("parties/new/", views.party_edit, name="party_new"),
    path("parties/<uuid:ord_party_id>/", views.party_edit, name="party_edit"),
    path("contracts/", views.contracts, name="contracts"),
    path("contracts/new/", views.contract_edit, name="contract_new"),
    path("contracts/<uuid:ord_contract_id>/", views.contract_edit, name="contract_edit"),
    path("months/", views.close_month, name="close_month"),
    path("reports/<uuid:ord_report_id>/", views.report, name="report"),
    path("reports/<uuid:ord_report_id>/send/", views.report_send, name="report_send"),
    path("reports/<uuid:ord_report_id>/export.csv", views.report_export, {"kind": "csv"},
         name="export_csv"),
    path("reports/<uuid:ord_report_id>/export.xlsx", views.report_export, {"kind": "xlsx"},
         name="export_xlsx"),
    path("rows/<uuid:ord_row_id>/shows/", views.row_shows, name="row_shows"),
    path("acts/<uuid:ord_invoice_id>/confirm/", views.invoice_confirm, name="invoice_confirm"),
    path("jobs/<uuid:ord_job_id>/retry/", views.job_retry, name="job_retry"),
    path("calls/", views.calls, name="calls"),
]
