"""Remediation is Markdown without raw HTML on the share page and in the PDF:
code spans in a code face rather than raw backticks, lists as lists."""

from __future__ import annotations

import subprocess

from compliance_app.services.remediation_text import Block, Run, blocks
from compliance_app.services.snapshot_pdf import render_snapshot_pdf

REMEDIATION = """Require **two-factor authentication**: run `gh api -X PATCH /orgs/acme` <b>now</b>.

1. Open *Settings*
2. Choose `Require 2FA`
   - then tell the members

```
aws s3api put-public-access-block --bucket logs
```
"""


def test_markdown_becomes_blocks_with_code_runs_list_markers_and_no_html():
    found = blocks(REMEDIATION)
    assert found[0] == Block((Run("Require "), Run("two-factor authentication", bold=True), Run(": run "),
                              Run("gh api -X PATCH /orgs/acme", code=True), Run(" <b>now</b>.")))
    assert [(b.marker, b.depth) for b in found[1:4]] == [("1.", 1), ("2.", 1), ("•", 2)]
    assert found[2].runs == (Run("Choose "), Run("Require 2FA", code=True))
    assert found[4] == Block((Run("aws s3api put-public-access-block --bucket logs", code=True),),
                             preformatted=True)
    assert blocks("") == [] and blocks("3. third\n4. fourth")[1].marker == "4."


def _evidence(status: str, key: str, remediation: str) -> dict:
    return {"status": status, "severity": "high", "question_key": key, "title": f"Title of {key}",
            "resource_id": "acme", "remediation_steps": remediation}


def test_pdf_lays_out_the_remediation_of_failing_checks_once_without_backticks(tmp_path):
    data = {"organization": {"name": "Acme", "slug": "acme"}, "audit": {"id": "a1", "counts": {}},
            "evidence": [_evidence("FAIL", "two_fa", REMEDIATION), _evidence("FAIL", "two_fa", REMEDIATION),
                         _evidence("PASS", "passing", "Nothing `to` do")]}
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(render_snapshot_pdf(data, "c" * 64, "2026-12-01T10:00:00+00:00"))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "How to fix what failed" in text and text.count("Title of two_fa") == 3  # two table rows, one fix
    assert "gh api -X PATCH /orgs/acme" in text and "`" not in text and "**" not in text
    assert "1. Open Settings" in " ".join(text.split()) and "• then tell the members" in " ".join(text.split())
    assert "aws s3api put-public-access-block --bucket logs" in text
    assert "<b>now</b>" in text  # raw HTML is text, never markup
    assert "Nothing to do" not in " ".join(text.split())  # passing checks need no fix


def test_share_page_renders_remediation_as_markdown_without_raw_html():
    import reflex as rx

    from compliance_app.pages.share import ShareEvidence, _evidence_row

    item = rx.Var("item", _var_type=ShareEvidence).guess_type()  # a row as rx.foreach passes it
    rendered = str(_evidence_row(item).render())
    assert "Markdown" in rendered and "remediation" in rendered
    assert "rehypeRaw" not in rendered, "raw HTML in remediation text must not reach the page as HTML"
