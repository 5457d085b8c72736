from django.urls import path

from kosmmos.links import public, views

app_name = "links"

W = "workspaces/<uuid:workspace_id>/money/"

urlpatterns = [
    path(W, views.pnl, name="pnl"),
    path(W + "links/", views.link_list, name="links"),
    path(W + "links/new/", views.link_create, name="link_create"),
    path(W + "clicks/", views.clicks, name="clicks"),
    path(W + "conversions/", views.conversions, name="conversions"),
    path(W + "conversions/import/", views.conversions_import, name="conversions_import"),
    path(W + "costs/", views.costs, name="costs"),
    path(W + "costs/import/", views.costs_import, name="costs_import"),
    path(W + "settings/", views.money_settings, name="settings"),
    path(W + "settings/rotate/", views.rotate_secret, name="rotate_secret"),
    path(W + "metrica/", views.metrica_page, name="metrica"),
    path(W + "metrica/export.csv", views.metrica_export, name="metrica_export"),
    path(W + "metrica/upload/", views.metrica_upload, name="metrica_upload"),
    path("money/links/<uuid:link_id>/", views.link_detail, name="link_detail"),
    path("money/links/<uuid:link_id>/qr.svg", views.link_qr, name="link_qr"),
    path("money/links/<uuid:link_id>/toggle/", views.link_toggle, name="link_toggle"),
    path("money/costs/<uuid:cost_id>/delete/", views.cost_delete, name="cost_delete"),
    path("money/metrica/<uuid:upload_id>/retry/", views.metrica_retry, name="metrica_retry"),
    # Public: signed server postbacks and the site snippet.
    path("t/pb/<str:money_key>/", public.postback, name="postback"),
    path("t/c/<str:money_key>/", public.collect, name="collect"),
]
