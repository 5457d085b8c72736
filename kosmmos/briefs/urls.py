from django.urls import path

from kosmmos.briefs import views

app_name = "briefs"

urlpatterns = [
    path("brief/<str:code>/", views.brief_form, name="public_form"),
    path("brief/<str:code>/thanks/", views.brief_thanks, name="public_thanks"),
    path("leads/", views.lead_board, name="lead_board"),
    path("leads/<uuid:lead_id>/", views.lead_detail, name="lead_detail"),
    path("leads/<uuid:lead_id>/status/", views.lead_status, name="lead_status"),
    path("leads/<uuid:lead_id>/assign/", views.lead_assign, name="lead_assign"),
    path("leads/<uuid:lead_id>/notes/", views.lead_note, name="lead_note"),
    path("leads/<uuid:lead_id>/convert/", views.lead_convert, name="lead_convert"),
]
