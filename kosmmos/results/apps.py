from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResultsConfig(AppConfig):
    name = "kosmmos.results"
    label = "results"
    verbose_name = _("Results")

    def ready(self) -> None:
        # The monthly client reports show the results page's figures: reports declares the
        # provider it reads (it sits below results and cannot import it), results fills it in.
        from kosmmos.reports import figures as report_figures
        from kosmmos.results.for_reports import sections

        report_figures.register(sections)
