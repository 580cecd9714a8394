"""One date format: pages show a moment in the reader's locale with UTC on
hover (components/figures.py local_time), the PDF, the CLI and exports print ISO 8601 UTC."""

from __future__ import annotations

import re
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

from compliance_app.services.snapshot_pdf import render_snapshot_pdf
from compliance_app.timestamps import iso_utc, iso_utc_text

ROOT = Path(__file__).resolve().parents[2] / "compliance_app"
#: a moment written with its own pattern instead of the shared formatters (a bare day as
#: %Y-%m-%d is ISO 8601 already, as the CLI prints expiry days)
OWN_FORMAT = re.compile(r"strftime\(|%H:%M|%b")


def test_iso_utc_from_moments_and_from_text():
    assert iso_utc(datetime(2026, 11, 27, 15, 5, 9, 500, tzinfo=timezone(timedelta(hours=1)))) == "2026-11-27T14:05:09Z"
    assert iso_utc(datetime(2026, 1, 2, 3, 4)) == "2026-01-02T03:04:00Z" and iso_utc(None) == ""
    assert iso_utc_text("2026-12-01T10:00:00+02:00") == "2026-12-01T08:00:00Z"
    assert iso_utc_text("not a date") == "not a date" and iso_utc_text(None) == ""


def test_pdf_prints_iso_utc(tmp_path):
    data = {"organization": {"name": "Acme", "slug": "acme"},
            "audit": {"id": "a1", "finished_at": "2026-11-30T23:30:00-02:00", "counts": {}}, "evidence": []}
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(render_snapshot_pdf(data, "c" * 64, "2026-12-01T10:00:00+00:00"))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "2026-12-01T01:30:00Z" in text and "2026-12-01T10:00:00Z" in text and "Dec 2026," not in text


def test_pages_and_commands_use_the_shared_formatters():
    # The API tokens page and command still format their own dates: the known exceptions.
    elsewhere = {"pages/api_tokens.py", "commands/tokens.py"}
    own = [
        f"{path.relative_to(ROOT)}:{n}"
        for folder in ("pages", "commands")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if str(path.relative_to(ROOT)) not in elsewhere
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if OWN_FORMAT.search(line)
    ]
    assert own == [], "format dates with components/figures.py (pages) or timestamps.iso_utc (CLI)"


def test_a_day_keeps_its_utc_date_in_every_time_zone():
    from compliance_app.components.figures import local_time

    rendered = str(local_time("2027-01-31T00:00:00Z", "31 Jan 2027", date_only=True).render())
    assert 'timeZone: "UTC"' in rendered and "31 Jan 2027" in rendered  # the UTC text on hover
    assert "timeZone" not in str(local_time("2027-01-31T00:00:00Z", "x").render())  # moments: the reader's zone
