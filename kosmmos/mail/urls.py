from django.urls import path

from kosmmos.mail import views

app_name = "mail"

urlpatterns = [
    path("", views.outbox, name="outbox"),
    path("<uuid:delivery_id>/", views.delivery_detail, name="delivery_detail"),
    path("<uuid:delivery_id>/retry/", views.delivery_retry, name="delivery_retry"),
]
