"""/share/{token}: the public, login-free view of a shared snapshot.

The state is deliberately NOT a SessionState: it knows nothing about users or
organizations, and holds only what the snapshot itself says, shaped for display. Every
token that does not open a live link shows the same "not found or expired" card.
Large audits are capped per group on the page; the JSON and PDF downloads hold everything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

import reflex as rx

from compliance_app.components.figures import STATUS_COLORS, iso_utc, local_time, score_color_css, score_ring, when
from compliance_app.components.layout import centered_card
from compliance_app.components.share_signature import share_signature_card
from compliance_app.services.errors import NotFound
from compliance_app.services.proof import frozen_proof_text
from compliance_app.services.readiness import FRAMEWORKS, framework_readiness
from compliance_app.services.shares import LINK_NOT_FOUND, resolve_public
from compliance_app.services.snapshot_figures import snapshot_figures
from compliance_app.services.snapshots import VERIFY_ONE_LINER
from compliance_app.state.offloop import off_loop

#: Rows shown per (framework, status) group; the downloads have all of them.
GROUP_LIMIT = 100
RAW_LIMIT = 4000
STATUS_ORDER = ("FAIL", "ERROR", "RISK_ACCEPTED", "PASS")
STATUS_LABEL = {"FAIL": "Failing", "ERROR": "Could not check", "RISK_ACCEPTED": "Risk accepted", "PASS": "Passing"}


@dataclass
class ShareEvidence:
    title: str = ""
    question_key: str = ""
    severity: str = ""
    status: str = ""
    resource_id: str = ""
    region: str = ""
    message: str = ""
    controls: str = ""
    remediation: str = ""
    raw: str = ""
    #: "Proof dated …, valid until …" for rows with uploaded proof, else "".
    proof: str = ""


@dataclass
class StatusGroup:
    status: str = ""
    label: str = ""
    color: str = ""
    total: int = 0
    hidden: int = 0
    rows: list[ShareEvidence] = field(default_factory=list)


@dataclass
class ReadinessCard:
    framework: str = ""
    percent: str = ""
    value: int = 0
    detail: str = ""


@dataclass
class FrameworkSection:
    framework: str = ""
    readiness: str = ""
    summary: str = ""
    groups: list[StatusGroup] = field(default_factory=list)


def _moment(value: str | None) -> datetime | None:
    """A timestamp the frozen snapshot keeps as ISO text (None when absent or unreadable)."""
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def _raw(value: Any) -> str:
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= RAW_LIMIT else text[:RAW_LIMIT] + "\n… (truncated: see the JSON download)"


def _item(row: dict[str, Any], framework: str) -> ShareEvidence:
    failing = row.get("status") in ("FAIL", "ERROR")
    return ShareEvidence(
        title=str(row.get("title") or row.get("question_key") or ""),
        question_key=str(row.get("question_key") or ""),
        severity=str(row.get("severity") or ""),
        status=str(row.get("status") or ""),
        resource_id=str(row.get("resource_id") or ""),
        region=str(row.get("region") or ""),
        message=str(row.get("message") or ""),
        controls=", ".join((row.get("frameworks") or {}).get(framework) or []),
        remediation=str(row.get("remediation_steps") or "") if failing else "",
        raw=_raw(row.get("raw_data") or {}),
        proof=frozen_proof_text(row),
    )


def build_sections(evidence: list[dict[str, Any]]) -> list[FrameworkSection]:
    """Evidence grouped by framework, then by status (worst first), capped per group."""
    readiness = {r.framework: r for r in framework_readiness(evidence)}
    sections = []
    for framework in FRAMEWORKS:
        mapped = [e for e in evidence if framework in (e.get("frameworks") or {})]
        groups = []
        for status in STATUS_ORDER:
            rows = [e for e in mapped if e.get("status") == status]
            if rows:
                groups.append(StatusGroup(
                    status=status, label=STATUS_LABEL[status], color=STATUS_COLORS[status], total=len(rows),
                    hidden=max(0, len(rows) - GROUP_LIMIT),
                    rows=[_item(row, framework) for row in rows[:GROUP_LIMIT]],
                ))
        r = readiness[framework]
        sections.append(FrameworkSection(
            framework=framework,
            readiness="n/a" if r.percent is None else f"{r.percent}%",
            summary=f"{r.passing} of {r.passing + r.failing} controls passing",
            groups=groups,
        ))
    return sections


#: What a redacted or raw-less copy tells its reader about what it leaves out.
WITHHELD = {
    "redact": "This shared copy masks identifiers (names, account and key ids, resource names): "
    "its checksum is its own. The organization keeps the original, whose checksum is below.",
    "hide_raw": "This shared copy leaves out the raw proof data: its checksum is its own. "
    "The organization keeps the original, whose checksum is below.",
}


class ShareState(rx.State):
    """Only the snapshot's own content, prepared for display; no user, no organization id."""

    loaded: bool = False
    found: bool = False
    org_name: str = ""
    audit_date: str = ""
    audit_date_iso: str = ""
    snapshot_date: str = ""
    snapshot_date_iso: str = ""
    score: str = "—"
    #: What the score counted: "scored n of m checks (k could not run)", or per resource for old snapshots.
    score_basis: str = ""
    gauge: str = ""
    counts: list[dict[str, str]] = []
    readiness: list[ReadinessCard] = []
    sections: list[FrameworkSection] = []
    total_evidence: int = 0
    checksum: str = ""
    #: For a link that redacts or hides raw proof: the frozen original's checksum and what was held back.
    original_checksum: str = ""
    withheld: str = ""
    json_url: str = ""
    pdf_url: str = ""

    def _token(self) -> str:
        parts = [p for p in (self.router.url.path or "").split("/") if p]
        return parts[1] if len(parts) >= 2 and parts[0] == "share" else ""

    @rx.event
    @off_loop
    def load(self) -> None:
        token = self._token()
        self.loaded = False
        try:
            snapshot = resolve_public(token)
        except NotFound:
            self.reset()
            self.loaded = True
            return
        data = snapshot.data
        audit = data.get("audit") or {}
        evidence = data.get("evidence") or []
        score = audit.get("score")
        self.org_name = str((data.get("organization") or {}).get("name") or "")
        audited = _moment(audit.get("finished_at") or audit.get("created_at"))
        self.audit_date, self.audit_date_iso = when(audited), iso_utc(audited)
        self.snapshot_date, self.snapshot_date_iso = when(snapshot.created_at), iso_utc(snapshot.created_at)
        self.score = "—" if score is None else str(score)
        self.score_basis = snapshot_figures(data).basis
        self.gauge = f"conic-gradient({score_color_css(score)} {(score or 0) * 3.6}deg, var(--gray-4) 0deg)"
        counts = audit.get("counts") or {}
        self.counts = [
            {"label": STATUS_LABEL[s], "value": str(counts.get(s, 0)), "color": STATUS_COLORS[s]} for s in STATUS_ORDER
        ]
        self.readiness = [
            ReadinessCard(r.framework, "n/a" if r.percent is None else f"{r.percent}%", r.percent or 0,
                          f"{r.passing}/{r.passing + r.failing}")
            for r in framework_readiness(evidence)
        ]
        self.sections = build_sections(evidence)
        self.total_evidence = len(evidence)
        self.checksum = snapshot.checksum
        self.original_checksum = snapshot.original_checksum or ""
        self.withheld = WITHHELD.get(snapshot.disclosure, "")
        quoted = quote(token, safe="")
        self.json_url = f"/api/public/snapshots/{quoted}"
        self.pdf_url = f"/api/public/snapshots/{quoted}/pdf"
        self.found = True
        self.loaded = True


def _stat(label: rx.Var, value: rx.Var, color: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(label, size="2", color_scheme="gray"),
            rx.heading(value, size="6", color_scheme=color),
            spacing="1",
        ),
        min_width="140px",
    )


def _gauge() -> rx.Component:
    return score_ring(
        rx.vstack(
            rx.heading(ShareState.score, size="8", id="share-score"),
            rx.text("score / 100", size="1", color_scheme="gray"),
            align="center",
            spacing="0",
        ),
        ShareState.gauge,
        disc="118px",
        ring="11px",
        width="140px",
        height="140px",
    )


def _evidence_row(item: ShareEvidence) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.badge(item.severity, variant="soft"),
            rx.text(item.title, weight="medium"),
            rx.spacer(),
            rx.code(item.resource_id, size="1"),
            align="center",
            wrap="wrap",
            width="100%",
        ),
        rx.text(item.message, size="2", color_scheme="gray"),
        rx.text(item.question_key, " · controls ", item.controls, size="1", color_scheme="gray"),
        rx.cond(item.proof != "", rx.hstack(rx.icon("paperclip", size=12), rx.text(item.proof, size="1"),
                                            align="center", spacing="1", class_name="share-proof")),
        rx.cond(
            item.remediation != "",
            # Markdown (code spans, lists) without raw HTML, as in the evidence drawer: remediation
            # comes from the catalog but may quote what a provider returned.
            rx.callout.root(
                rx.callout.icon(rx.icon("wrench")),
                rx.markdown(item.remediation, use_raw=False, class_name="remediation"),
                color_scheme="red", size="1", margin_top="0.4em",
            ),
        ),
        rx.el.details(
            rx.el.summary("Raw proof", style={"cursor": "pointer", "font-size": "0.8em"}),
            rx.code_block(item.raw, language="json", font_size="0.75em", wrap_long_lines=True),
        ),
        padding="0.6em 0",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        width="100%",
        class_name="evidence-row",
    )


def _group(group: StatusGroup) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.badge(group.label, color_scheme=group.color, size="2"),
            rx.text(group.total, rx.cond(group.total == 1, " check", " checks"), size="2", color_scheme="gray"),
            align="center",
        ),
        rx.foreach(group.rows, _evidence_row),
        rx.cond(
            group.hidden > 0,
            rx.text(group.hidden, " more in the JSON/PDF download.", size="2", color_scheme="gray"),
        ),
        width="100%",
        spacing="1",
        padding_bottom="1em",
    )


def _section(section: FrameworkSection) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(section.framework, size="5"),
                rx.badge(section.readiness, size="2"),
                rx.text(section.summary, size="2", color_scheme="gray"),
                align="center",
                wrap="wrap",
            ),
            rx.foreach(section.groups, _group),
            width="100%",
        ),
        width="100%",
    )


def _report() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.icon("shield-check", size=28, color=rx.color("accent", 9)),
            rx.vstack(
                rx.heading(ShareState.org_name, size="7", id="share-org"),
                rx.text("Compliance snapshot of the audit of ",
                        local_time(ShareState.audit_date_iso, ShareState.audit_date), color_scheme="gray"),
                spacing="0",
            ),
            align="center",
            spacing="3",
        ),
        rx.hstack(
            rx.vstack(
                _gauge(),
                rx.text(ShareState.score_basis, size="1", color_scheme="gray", id="share-score-basis"),
                align="center",
                spacing="1",
            ),
            rx.foreach(ShareState.counts, lambda c: _stat(c["label"], c["value"], c["color"])),
            align="center",
            wrap="wrap",
            spacing="4",
        ),
        rx.heading("Readiness per framework", size="4"),
        rx.hstack(
            rx.foreach(
                ShareState.readiness,
                lambda r: rx.card(
                    rx.vstack(
                        rx.text(r.framework, weight="bold"),
                        rx.heading(r.percent, size="6"),
                        rx.progress(value=r.value, max=100, width="160px"),
                        rx.text(r.detail, " controls passing", size="1", color_scheme="gray"),
                    )
                ),
            ),
            wrap="wrap",
            spacing="4",
        ),
        rx.card(
            rx.vstack(
                rx.heading("Verify this snapshot", size="4"),
                rx.text("SHA-256 checksum", size="2", color_scheme="gray"),
                rx.code(ShareState.checksum, id="share-checksum", style={"word-break": "break-all"}),
                rx.text(
                    "Download the JSON and run the line below: it must print this checksum, "
                    "which proves the content is exactly what was frozen on ",
                    local_time(ShareState.snapshot_date_iso, ShareState.snapshot_date), ".",
                    size="2",
                ),
                rx.code_block(VERIFY_ONE_LINER, language="bash", wrap_long_lines=True, font_size="0.8em"),
                rx.cond(
                    ShareState.original_checksum != "",
                    rx.vstack(
                        rx.text(ShareState.withheld, size="2"),
                        rx.text("SHA-256 checksum of the original snapshot", size="2", color_scheme="gray"),
                        rx.code(ShareState.original_checksum, id="share-original-checksum",
                                style={"word-break": "break-all"}),
                    ),
                ),
                rx.hstack(
                    rx.link(rx.button(rx.icon("file-json"), "Download JSON", variant="soft"),
                            href=ShareState.json_url, id="download-json", is_external=True),
                    rx.link(rx.button(rx.icon("file-text"), "Download PDF", variant="soft"),
                            href=ShareState.pdf_url, id="download-pdf", is_external=True),
                ),
                width="100%",
            ),
            width="100%",
        ),
        share_signature_card(),
        rx.heading("Evidence (", ShareState.total_evidence, ")", size="4"),
        rx.foreach(ShareState.sections, _section),
        rx.text("Shared through compliance_app. Snapshot taken ",
                local_time(ShareState.snapshot_date_iso, ShareState.snapshot_date), ".",
                size="1", color_scheme="gray"),
        spacing="5",
        width="100%",
        max_width="1100px",
        margin="0 auto",
        padding=["1em", "1.5em", "2em"],
    )


def _not_found() -> rx.Component:
    return centered_card(
        rx.heading("Link not found or expired", size="5", id="share-not-found"),
        rx.text(
            f"{LINK_NOT_FOUND[:-1]}: it may have been mistyped, revoked or reached its expiry date. "
            "Ask the organization that shared it for a new link.",
            color_scheme="gray",
        ),
    )


@rx.page(
    route="/share/[token]",
    title="Shared compliance snapshot",
    on_load=ShareState.load,
    meta=[{"name": "referrer", "content": "no-referrer"}],  # the token in the URL never leaves as a Referer
)
def share_page() -> rx.Component:
    return rx.fragment(
        rx.el.meta(name="robots", content="noindex"),
        rx.cond(
            ShareState.loaded,
            rx.cond(ShareState.found, _report(), _not_found()),
            rx.center(rx.spinner(size="3"), min_height="60vh"),
        ),
    )
