"""The evidence drawer: why the check matters, how to fix it, the raw proof, the proof file, and
accepting the risk. It reads EvidenceDrawerState; the upload form's way back reads the page's filters."""

from __future__ import annotations

import reflex as rx

from compliance_app.components.figures import severity_badge, status_badge
from compliance_app.components.forms import callout_if, field_error
from compliance_app.pages.audit_detail.state import AuditDetailState, EvidenceDrawerState
from compliance_app.services.proof import PROOF_MISSING

S = AuditDetailState
D = EvidenceDrawerState
_SUBMIT_UPLOAD = "HTMLFormElement.prototype.submit.call(document.querySelector('form.upload-form'))"

def _section(title: str, *children: rx.Component) -> rx.Component:
    return rx.vstack(rx.text(title, size="2", weight="bold"), *children, spacing="1", width="100%")


def _upload_form() -> rx.Component:
    return rx.el.form(
        rx.el.input(type="hidden", name="next", value=rx.cond(
            S.status_filter != "all",
            "/o/" + S.org_slug + "/audits/" + S.audit_key + "?status=" + S.status_filter,
            "/o/" + S.org_slug + "/audits/" + S.audit_key,
        )),
        rx.flex(
            rx.el.input(type="file", name="file", accept="image/png,image/jpeg,application/pdf", required=True,
                        class_name="evidence-file-input", style={"fontSize": "14px", "maxWidth": "100%"}),
            rx.el.label(
                rx.text("Evidence date", size="2"),
                # The day the proof was true (the screenshot's or report's date), not the upload's.
                rx.el.input(type="date", name="evidence_date", default_value=D.today, max=D.today,
                            min="2000-01-01", required=True, class_name="evidence-date-input",
                            key=D.ev["id"], style={"fontSize": "14px"}),
                style={"display": "flex", "gap": "0.4em", "alignItems": "center"},
            ),
            # Native submit(): Reflex's form handler would cancel the post (this is a plain HTTP upload).
            rx.button(rx.icon("upload", size=14), "Upload proof", type="button", size="2", variant="soft",
                      class_name="upload-proof", on_click=rx.call_script(_SUBMIT_UPLOAD)),
            gap="2",
            wrap="wrap",
            align="center",
        ),
        rx.text("PNG, JPEG or PDF, up to 10 MB. Stored privately; only members of this organization can open it. "
                "It stays this check's proof for this resource in later audits until it expires or is replaced.",
                size="1", color_scheme="gray"),
        callout_if(D.upload_error, icon="triangle-alert", color_scheme="red", size="1", class_name="upload-error"),
        action="/api/evidence/" + D.ev["id"] + "/file",
        method="post",
        enc_type="multipart/form-data",
        class_name="upload-form",
    )


def _proof_state() -> rx.Component:
    ev = D.ev
    return rx.hstack(
        rx.match(
            ev["proof_state"],
            ("stale", rx.badge("Stale", color_scheme="red")),
            ("expiring", rx.badge("Expires within 30 days", color_scheme="amber")),
            rx.badge("Current", color_scheme="green"),
        ),
        rx.text(ev["proof_dates"], size="1", color_scheme="gray"),
        wrap="wrap",
        align="center",
        spacing="2",
        class_name="proof-dates",
    )


def _proof_file() -> rx.Component:
    ev = D.ev
    missing = rx.callout(PROOF_MISSING, icon="file-x", color_scheme="red", size="1", class_name="proof-missing")
    return rx.cond(
        ev["proof_state"] != "",
        rx.vstack(_proof_state(), rx.cond(ev["proof_missing"], missing, _proof_link()), spacing="2", width="100%"),
        rx.text("No proof file yet.", size="2", color_scheme="gray"),
    )


def _proof_link() -> rx.Component:
    ev = D.ev
    return rx.cond(
        ev["has_file"],
        rx.cond(
            ev["file_is_image"],
            rx.link(
                rx.image(src=ev["file_url"], alt="Proof screenshot", max_height="220px", max_width="100%",
                         border_radius="6px", border=f"1px solid {rx.color('gray', 6)}", class_name="proof-thumb"),
                href=ev["file_url"], is_external=True,
            ),
            rx.link(rx.hstack(rx.icon("file-text", size=28), rx.text("Open the PDF proof"), align="center"),
                    href=ev["file_url"], is_external=True, class_name="proof-pdf"),
        ),
        rx.text("No proof file yet.", size="2", color_scheme="gray"),
    )


def _accept_form() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text("Accept this risk", weight="bold", size="2"),
            rx.text("The failure is recorded as accepted for this resource until the date below; new scans apply it "
                    "too. You can revoke it under Risk acceptances.", size="1", color_scheme="gray"),
            rx.text_area(placeholder="Why is this risk acceptable? (required)", value=D.accept_reason,
                         on_change=D.set_accept_reason, width="100%", class_name="accept-reason"),
            rx.hstack(
                rx.text("Until", size="2"),
                rx.input(type="date", value=D.accept_until, on_change=D.set_accept_until, class_name="accept-until"),
                rx.spacer(),
                rx.button("Accept risk", color_scheme="amber", on_click=D.accept_risk, class_name="accept-risk"),
                width="100%",
                align="center",
                wrap="wrap",
            ),
            field_error(D.accept_error, class_name="accept-error"),
            spacing="2",
            width="100%",
        ),
        width="100%",
        class_name="accept-form",
    )


def drawer() -> rx.Component:
    ev = D.ev
    return rx.dialog.root(
        rx.dialog.content(
            rx.vstack(
                rx.hstack(
                    rx.dialog.title(ev["title"], size="5", margin="0"),
                    rx.spacer(),
                    rx.dialog.close(rx.icon_button(rx.icon("x", size=16), variant="ghost", aria_label="Close")),
                    width="100%",
                    align="start",
                ),
                rx.hstack(
                    status_badge(ev["status"], ev["status_label"]),
                    severity_badge(ev["severity"]),
                    rx.badge(ev["provider"], variant="surface"),
                    rx.cond(ev["original"] != "",
                            rx.text("check reported ", ev["original"], size="1", color_scheme="gray")),
                    rx.code(ev["key"], size="1"),
                    wrap="wrap",
                    spacing="2",
                    align="center",
                ),
                _section("Resource", rx.text(ev["resource"], font_family="monospace", size="2",
                                             word_break="break-all", class_name="evidence-resource"),
                         rx.cond(ev["region"] != "", rx.text("Region ", ev["region"], size="1",
                                                                     color_scheme="gray"))),
                _section("Finding", rx.text(ev["message"], size="2")),
                _section("Why it matters", rx.text(ev["rationale"], size="2")),
                # Markdown (code spans, lists) without raw HTML: remediation text comes from the
                # catalog but may quote what a provider returned.
                _section("How to fix it", rx.markdown(ev["remediation"], use_raw=False,
                                                      class_name="remediation")),
                _section("Frameworks", rx.text(ev["frameworks"], size="2")),
                _section(
                    "Raw proof (as collected)",
                    rx.el.pre(ev["raw_json"], class_name="raw-json",
                              style={"maxHeight": "260px", "overflow": "auto", "padding": "0.75em", "margin": "0",
                                     "fontSize": "12px", "borderRadius": "6px", "width": "100%",
                                     "background": rx.color("gray", 3), "whiteSpace": "pre-wrap",
                                     "wordBreak": "break-all"}),
                ),
                _section("Proof file", _proof_file(), rx.cond(S.can_member, _upload_form())),
                rx.cond(S.can_admin & ev["can_accept"], _accept_form()),
                spacing="4",
                width="100%",
            ),
            max_width="760px",
            width="96vw",
            class_name="evidence-drawer",
        ),
        open=D.drawer_open,
        on_open_change=D.set_drawer_open,
    )
