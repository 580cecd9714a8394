"""The dashboard page's typed rows come from pure functions (STYLE "Large Reflex pages"):
callable without a browser, a state or a database."""

from __future__ import annotations

from compliance_app.pages.dashboard import DashboardState, dashboard_page
from compliance_app.pages.dashboard.state import failing_rows, readiness_rows, trend_caption, trend_points
from compliance_app.services.dashboard import FailingCheck
from compliance_app.services.readiness import FrameworkReadiness


def test_failing_rows_say_how_many_resources_fail():
    rows = failing_rows([FailingCheck("gh_2fa", "2FA required", "high", "GitHub", 3, 10, "3 of 10 repositories"),
                         FailingCheck("s3_public", "No public buckets", "critical", "AWS", 1)])
    assert rows == [
        {"key": "gh_2fa", "title": "2FA required", "severity": "high", "provider": "GitHub",
         "failing": "3 of 10 repositories"},
        {"key": "s3_public", "title": "No public buckets", "severity": "critical", "provider": "AWS",
         "failing": "1 resource"},
    ]


def test_readiness_rows_label_missing_data_and_errors():
    rows = readiness_rows([FrameworkReadiness("SOC 2", 8, 2, 1, 80), FrameworkReadiness("CIS", 0, 0, 0, None)])
    assert rows == [
        {"framework": "SOC 2", "percent": 80, "label": "80%",
         "detail": "8 of 10 controls passing · 1 could not run"},
        {"framework": "CIS", "percent": 0, "label": "No data", "detail": "0 of 0 controls passing"},
    ]


def test_trend_leaves_out_days_with_nothing_checked_and_sums_up_the_rest():
    points = trend_points([
        {"date": "2026-11-29", "score": 61, "pass": 10, "fail": 5},
        {"date": "2026-11-30", "score": None, "pass": 0, "fail": 0},  # a scan with nothing to check
        {"date": "2026-12-01", "score": 79, "pass": 12, "fail": 3},
    ], 30)
    assert [(p["date"], p["label"]) for p in points] == [("2026-11-29", "29 Nov"), ("2026-12-01", "1 Dec")]
    assert trend_points([{"date": "2025-12-01", "score": 5, "pass": 1, "fail": 0}], 365)[0]["label"] == "1 Dec 25"
    assert trend_caption(points, "30 days") == "2 days scanned · low 61 · high 79 · average 70"
    assert trend_caption([], "7 days") == "No scans in the last 7 days."


def test_the_package_re_exports_the_page_and_its_state():
    assert DashboardState.__module__ == "compliance_app.pages.dashboard.state"
    assert "dashboard-score" in str(dashboard_page().render())
