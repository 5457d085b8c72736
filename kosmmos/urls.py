from django.templatetags.static import static
from django.urls import include, path
from django.views.generic.base import RedirectView

urlpatterns = [
    path("", include("kosmmos.overview.urls")),
    path("", include("kosmmos.accounts.urls")),
    path("", include("kosmmos.briefs.urls")),
    path("", include("kosmmos.proposals.urls")),
    path("", include("kosmmos.content.urls")),
    path("", include("kosmmos.links.urls")),
    path("", include("kosmmos.ads.urls")),
    path("", include("kosmmos.audiences.urls")),
    path("", include("kosmmos.channels.urls")),
    path("", include("kosmmos.inbox.urls")),
    path("", include("kosmmos.competitors.urls")),
    path("", include("kosmmos.results.urls")),
    path("", include("kosmmos.giveaways.urls")),
    path("", include("kosmmos.api.urls")),
    path("", include("kosmmos.privacy.urls")),
    path("", include("kosmmos.reports.urls")),
    path("ord/", include("kosmmos.ord.urls")),
    path("", include("kosmmos.notifications.urls")),
    path("publishing/", include("kosmmos.publishing.urls")),
    path("outbox/", include("kosmmos.mail.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    # Browsers ask for /favicon.ico whatever the page says.
    path("favicon.ico", RedirectView.as_view(url=static("kosmmos/favicon.svg"), permanent=True)),
]

# Styled error pages in the product's layout (the rule for 403 vs 404: kosmmos/overview/errors.py).
handler403 = "kosmmos.overview.errors.permission_denied"
handler404 = "kosmmos.overview.errors.page_not_found"
handler500 = "kosmmos.overview.errors.server_error"
