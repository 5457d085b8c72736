"""The document shows the stored sections: the results page's figures, formatted; versions stored
before the figures came from the results page still render."""

from __future__ import annotations

import re
from datetime import date

from kosmmos.conftest import World
from kosmmos.reports import actions, document
from kosmmos.reports.models import DEFAULT_SECTIONS, Report, ReportVersion
from kosmmos.reports.tests.conftest import Seeded
from kosmmos.results import figures as results

# A version's figures as stored before #15 read the results page (no engagements, no
# projection or colour, within_band in the forecast rows, no money months).
OLD = {
    "money": {"revenue": "75000.50", "costs": "32345.67", "profit": "42654.83", "clicks": 0,
              "conversions": 3, "purchases": 2, "romi": 131.87, "cpa": "10781.89",
              "average_check": "37500.25", "profit_per_check": 1.14,
              "months": [{"month": "2026-10-01", "revenue": "75000.50", "costs": "32345.67",
                          "profit": "42654.83"}]},
    "audience": {"followers_start": 1000, "followers_end": 1100, "growth": 100,
                 "channels": [{"name": "ВК", "network": "vk", "start": 1000, "end": 1100,
                               "growth": 100}], "days": [["2026-10-31", 1100]]},
    "engagement": {"posts": 2, "views": 8300, "reach": 6600, "likes": 160, "comments": 20,
                   "reposts": 8, "er": 17.09, "err": 2.85},
    "reviews": {"total": 4, "positive": 2, "neutral": 1, "negative": 1, "negative_share": 0.25,
                "answered": 4, "median_minutes": 35, "within_target": 1.0, "target_minutes": 60,
                "days": [["2026-10-12", 2, 1, 1]]},
    "forecast": {"rows": [{"metric": "leads", "month": "2026-10-01", "target": "5",
                           "actual": "3", "low": "2", "high": "8", "deviation": -40.0,
                           "within_band": True}]},
}


def _figure(html: str, key: str) -> str:
    found = re.search(rf'data-figure="{re.escape(key)}">([^<]*)<', html)
    assert found, key
    return found.group(1).replace("\u202f", " ").replace("\xa0", " ")


def test_it_renders_a_version_stored_before_the_figures_came_from_results(
        world: World, seeded: Seeded) -> None:
    report, _ = actions.request_draft(seeded.workspace, seeded.start, seeded.end)
    version = ReportVersion.objects.create(report=report, number=1,
                                           sections=list(DEFAULT_SECTIONS), figures=OLD)
    html = document.render_fragment(report, version)
    assert _figure(html, "money.revenue") == "75 000,50 ₽"
    assert _figure(html, "audience.followers_start") == "1 000"
    assert _figure(html, "engagement.er") == "17,09 %"
    assert "<svg" in html  # the reviews chart from the stored days


def test_it_shows_the_results_pages_figures_formatted(world: World, seeded: Seeded) -> None:
    report, _ = actions.request_draft(seeded.workspace, seeded.start, seeded.end)
    version = actions.build_version(report)
    html = document.render_fragment(report, version)
    page = results.collect(seeded.workspace, seeded.start, seeded.end)
    assert _figure(html, "money.revenue") == "75 000,50 ₽"
    assert _figure(html, "audience.followers_end") == f"{page.audience.end:,}".replace(",", " ")
    assert page.engagement.err is not None
    assert _figure(html, "engagement.err") == f"{page.engagement.err:.2f} %".replace(".", ",")
    assert "Деньги учитываются по месяцам" not in html


def test_it_says_money_covers_whole_months_for_a_week(world: World, seeded: Seeded) -> None:
    report, _ = actions.request_draft(seeded.workspace, date(2026, 10, 5), date(2026, 10, 11))
    version = actions.build_version(report)
    assert version.figures["money"]["whole_months"] is False
    with_note = document.render_fragment(Report.objects.get(pk=report.pk), version)
    assert version.language == "ru"
    assert "Деньги учитываются по месяцам: денежные показатели — за полные месяцы Октябрь 2026" \
        in with_note
