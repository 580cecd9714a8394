"""A printable report of a snapshot, rendered on the server with fpdf2.

Auditors file PDFs; each page carries the snapshot's checksum in its footer so any
printed page can be tied back to the verifiable JSON.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.fonts import FontFace

from compliance_app.services.proof import frozen_proof_text
from compliance_app.services.remediation_text import Block, blocks
from compliance_app.services.snapshot_figures import snapshot_figures
from compliance_app.timestamps import iso_utc_text

_FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
_STATUS_ORDER = {"FAIL": 0, "ERROR": 1, "RISK_ACCEPTED": 2, "PASS": 3, "NOT_APPLICABLE": 4}  # worst first
_SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}
_STATUS_COLOR = {
    "PASS": (22, 130, 60),
    "FAIL": (190, 30, 45),
    "RISK_ACCEPTED": (180, 120, 0),
    "ERROR": (110, 110, 110),
    "NOT_APPLICABLE": (110, 110, 110),
}


class _SnapshotPDF(FPDF):
    def __init__(self, checksum: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.checksum = checksum
        self.family = "helvetica"
        self.mono = "courier"
        if (_FONT_DIR / "DejaVuSans.ttf").exists():
            # A Unicode font: resource names and messages are not limited to Latin-1.
            self.add_font("dejavu", "", str(_FONT_DIR / "DejaVuSans.ttf"))
            self.add_font("dejavu", "B", str(_FONT_DIR / "DejaVuSans-Bold.ttf"))
            self.family = "dejavu"
            self.add_font("dejavu-mono", "", str(_FONT_DIR / "DejaVuSansMono.ttf"))
            self.mono = "dejavu-mono"
        self.set_auto_page_break(auto=True, margin=18)
        self.alias_nb_pages()

    def text_safe(self, value: Any) -> str:
        text = "" if value is None else str(value)
        if self.family == "helvetica":
            return text.encode("latin-1", "replace").decode("latin-1")
        return text

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(self.family, "", 7)
        self.set_text_color(90, 90, 90)
        self.cell(0, 4, f"SHA-256 checksum: {self.checksum}", align="L")
        self.cell(0, 4, f"Page {self.page_no()}/{{nb}}", align="R", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)


def _disclosure_rows(data: dict[str, Any], original_checksum: str | None) -> list[tuple[str, str]]:
    if not original_checksum:
        return []
    mode = (data.get("disclosure") or {}).get("mode")
    shown = "identifiers redacted" if mode == "redact" else "raw proof hidden"
    return [("Shared copy", shown), ("Original SHA-256", original_checksum)]


def _markdown(pdf: _SnapshotPDF, block: Block) -> None:
    """One remediation block: list items indented with their marker hanging to the left, code
    spans and code blocks in the monospace face (no backticks), **bold** in bold."""
    margin = pdf.l_margin
    indent = margin + 6 * block.depth
    pdf.set_left_margin(indent)
    pdf.set_x(indent)
    if block.marker:
        pdf.set_font(pdf.family, "", 9)
        pdf.set_x(indent - 5)
        pdf.cell(5, 5, pdf.text_safe(block.marker))
    if block.preformatted:
        pdf.set_font(pdf.mono, "", 8)
        pdf.multi_cell(0, 4.5, pdf.text_safe(block.runs[0].text), new_x="LMARGIN", new_y="NEXT", align="L")
    else:
        for run in block.runs:
            pdf.set_font(pdf.mono if run.code else pdf.family, "B" if run.bold and not run.code else "", 9)
            pdf.write(5, pdf.text_safe(run.text))
        pdf.ln(5)
    pdf.ln(1)
    pdf.set_left_margin(margin)
    pdf.set_x(margin)


def _proof(pdf: _SnapshotPDF, rows: list[dict[str, Any]]) -> None:
    """Each uploaded proof with its date and expiry (or that its file was missing when frozen)."""
    proved = [(e, frozen_proof_text(e)) for e in rows if frozen_proof_text(e)]
    if not proved:
        return
    pdf.ln(4)
    pdf.set_font(pdf.family, "B", 12)
    pdf.cell(0, 7, f"Uploaded proof ({len(proved)})", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.family, "", 8)
    for e, text in proved:
        pdf.multi_cell(0, 4, pdf.text_safe(f"{e.get('title') or e.get('question_key')} — "
                                           f"{e.get('resource_id') or 'whole check'}: {text}"),
                       new_x="LMARGIN", new_y="NEXT", align="L")


def _remediation(pdf: _SnapshotPDF, rows: list[dict[str, Any]]) -> None:
    """How to fix each failing check, once per check, worst first (rows are sorted already)."""
    fixes: dict[str, tuple[str, str]] = {}
    for e in rows:
        key, text = str(e.get("question_key") or ""), str(e.get("remediation_steps") or "").strip()
        if e.get("status") in ("FAIL", "ERROR") and text and key not in fixes:
            fixes[key] = (str(e.get("title") or key), text)
    if not fixes:
        return
    pdf.ln(4)
    pdf.set_font(pdf.family, "B", 12)
    pdf.cell(0, 7, "How to fix what failed", new_x="LMARGIN", new_y="NEXT")
    for title, text in fixes.values():
        pdf.ln(1)
        pdf.set_font(pdf.family, "B", 10)
        pdf.multi_cell(0, 5, pdf.text_safe(title), new_x="LMARGIN", new_y="NEXT")
        for block in blocks(text):
            _markdown(pdf, block)


def render_snapshot_pdf(
    data: dict[str, Any], checksum: str, created_at: str, original_checksum: str | None = None
) -> bytes:
    """The report: organization, dates, score and what it counted, readiness per control, the
    checks (snapshots taken since scores went per check), every evidence row, then how to fix
    each failing check (its remediation Markdown laid out, not shown as source).

    A share link's redacted or raw-less copy says so and names the original's checksum.
    """
    pdf = _SnapshotPDF(checksum)
    pdf.add_page()
    org = data.get("organization") or {}
    audit = data.get("audit") or {}
    evidence = data.get("evidence") or []
    t = pdf.text_safe

    pdf.set_font(pdf.family, "B", 18)
    pdf.multi_cell(0, 9, t(f"Compliance snapshot — {org.get('name', '')}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.family, "", 10)
    for label, value in (
        ("Organization", f"{org.get('name', '')} ({org.get('slug', '')})"),
        ("Audit", audit.get("id")),
        ("Audit finished", iso_utc_text(audit.get("finished_at") or audit.get("created_at"))),
        ("Snapshot created", iso_utc_text(created_at)),
        *_disclosure_rows(data, original_checksum),
    ):
        pdf.cell(40, 6, t(label))
        pdf.cell(0, 6, t(value), new_x="LMARGIN", new_y="NEXT")

    pdf.ln(3)
    figures = snapshot_figures(data)
    score = figures.score
    pdf.set_font(pdf.family, "B", 28)
    pdf.cell(0, 14, "Score: —" if score is None else f"Score: {score}/100", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.family, "", 10)
    pdf.cell(0, 6, t(figures.basis), new_x="LMARGIN", new_y="NEXT")
    counts = audit.get("counts") or {}
    rows_of: list[tuple[str, dict[str, int]]] = [("Resources", counts)]
    if figures.per_check:
        rows_of.insert(0, ("Checks", figures.check_counts))
    for label, numbers in rows_of:
        pdf.cell(
            0, 6,
            f"{label} — " + "  ".join(f"{status}: {numbers.get(status, 0)}" for status in _STATUS_ORDER),
            new_x="LMARGIN", new_y="NEXT",
        )

    pdf.ln(3)
    pdf.set_font(pdf.family, "B", 12)
    pdf.cell(0, 7, "Readiness per framework (controls)", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.family, "", 10)
    with pdf.table(col_widths=(40, 25, 25, 25, 30, 25), text_align="LEFT", first_row_as_headings=True) as table:
        table.row(("Framework", "Readiness", "Passing", "Failing", "Could not run", "N/A"))
        for r in figures.readiness:
            table.row((r.framework, "n/a" if r.percent is None else f"{r.percent}%", str(r.passing),
                       str(r.failing), str(r.errors), str(r.not_applicable)))

    if figures.checks:
        pdf.ln(4)
        pdf.set_font(pdf.family, "B", 12)
        pdf.cell(0, 7, f"Checks ({len(figures.checks)})", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(pdf.family, "", 8)
        with pdf.table(
            col_widths=(27, 16, 97, 40), text_align="LEFT", first_row_as_headings=True,
            headings_style=FontFace(emphasis="BOLD", fill_color=(235, 235, 235)),
        ) as table:
            table.row(("Result", "Severity", "Check", "Resources"))
            for c in figures.checks:
                row = table.row()
                row.cell(t(c.result), style=FontFace(color=_STATUS_COLOR.get(c.result, (0, 0, 0))))
                row.cell(t(c.severity))
                row.cell(t(c.title))
                row.cell(t(c.resources_text))

    pdf.ln(4)
    pdf.set_font(pdf.family, "B", 12)
    pdf.cell(0, 7, f"Evidence ({len(evidence)})", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.family, "", 8)
    rows = sorted(
        evidence,
        key=lambda e: (_STATUS_ORDER.get(e.get("status"), 9), _SEVERITY_ORDER.get(e.get("severity"), 9),
                       e.get("question_key", ""), e.get("resource_id", "")),
    )
    with pdf.table(
        col_widths=(27, 16, 67, 52, 18), text_align="LEFT", first_row_as_headings=True,
        headings_style=FontFace(emphasis="BOLD", fill_color=(235, 235, 235)),
    ) as table:
        table.row(("Status", "Severity", "Check", "Resource", "Region"))
        for e in rows:
            row = table.row()
            row.cell(t(e.get("status")), style=FontFace(color=_STATUS_COLOR.get(e.get("status"), (0, 0, 0))))
            row.cell(t(e.get("severity")))
            row.cell(t(e.get("title") or e.get("question_key")))
            row.cell(t(e.get("resource_id")))
            row.cell(t(e.get("region") or ""))

    _proof(pdf, rows)
    _remediation(pdf, rows)

    pdf.ln(4)
    pdf.set_font(pdf.family, "", 8)
    pdf.multi_cell(
        0, 4,
        "Verify: download the JSON of this share link and compute SHA-256 over "
        'json.dumps(doc["snapshot"], sort_keys=True, separators=(",", ":"), ensure_ascii=False) '
        "encoded as UTF-8; it must equal the checksum printed at the foot of every page.",
        new_x="LMARGIN", new_y="NEXT", align="L",
    )
    return bytes(pdf.output())
