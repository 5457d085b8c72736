from __future__ import annotations

from kosmmos.accounts.models import User
from kosmmos.conftest import client_for
from kosmmos.demo.agency import load_demo
from kosmmos.reports.models import Report, ReportSettings


def test_it_gives_the_demo_client_a_report_and_the_agency_a_schedule(db: None) -> None:
    load_demo()
    client = User.objects.get(email="client@kosmmos.local")
    page = client_for(client).get("/reports/")
    report = Report.objects.get()
    assert page.status_code == 200 and str(report.pk) in page.content.decode()
    assert ReportSettings.objects.get().next_run_at is not None
    assert client_for(client).get(f"/reports/{report.pk}/pdf/").content.startswith(b"%PDF")
    load_demo()
    assert Report.objects.count() == 1
