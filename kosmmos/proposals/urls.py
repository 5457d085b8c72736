from django.urls import path

from kosmmos.proposals import views

app_name = "proposals"

urlpatterns = [
    path("proposals/", views.proposal_list, name="list"),
    path("proposals/<uuid:proposal_id>/", views.proposal_detail, name="detail"),
    path("proposals/<uuid:proposal_id>/edit/", views.proposal_edit, name="edit"),
    path("proposals/<uuid:proposal_id>/send/", views.proposal_send, name="send"),
    path("proposals/<uuid:proposal_id>/pdf/", views.proposal_pdf, name="pdf"),
    path("leads/<uuid:lead_id>/proposal/", views.lead_proposal, name="lead_proposal"),
    path("settings/proposals/", views.benchmark_settings, name="benchmarks"),
    path("settings/proposals/reset/", views.benchmark_reset, name="benchmark_reset"),
    path("p/<str:token>/", views.public_proposal, name="public"),
    path("p/<str:token>/pdf/", views.public_pdf, name="public_pdf"),
    path("p/<str:token>/accept/", views.public_accept, name="public_accept"),
    path("p/<str:token>/changes/", views.public_changes, name="public_changes"),
]
