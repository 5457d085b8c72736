from django.urls import include, path

urlpatterns = [
    path("", include("kosmmos.overview.urls")),
    path("", include("kosmmos.accounts.urls")),
    path("", include("kosmmos.briefs.urls")),
    path("", include("kosmmos.proposals.urls")),
    path("", include("kosmmos.content.urls")),
    path("", include("kosmmos.links.urls")),
    path("", include("kosmmos.ads.urls")),
    path("", include("kosmmos.channels.urls")),
    path("", include("kosmmos.inbox.urls")),
    path("", include("kosmmos.api.urls")),
    path("", include("kosmmos.privacy.urls")),
    path("publishing/", include("kosmmos.publishing.urls")),
    path("outbox/", include("kosmmos.mail.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
