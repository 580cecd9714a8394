"""The public share page's signature card: who signed the snapshot, where it sits
in the organization's chain, the chain's current head (so a deleted newest snapshot shows
against a head noted earlier), the installation's published keys and the signed bundle.

It loads itself when it mounts, reading the token from the URL without counting a view
(the page counts its own), so the share page only includes `share_signature_card()`.
"""

from __future__ import annotations

from typing import TypedDict
from urllib.parse import quote

import reflex as rx

from compliance_app.services.errors import ServiceError
from compliance_app.services.snapshot_bundles import ShareSignature, share_signature
from compliance_app.state.offloop import run


class KeyRow(TypedDict):
    keyid: str
    since: str
    status: str


def key_rows(info: ShareSignature) -> list[KeyRow]:
    return [KeyRow(keyid=k.keyid, since=f"{k.created_at:%Y-%m-%d}", status="current" if k.active else "retired")
            for k in info.keys]


def head_text(info: ShareSignature) -> str:
    if info.head_sequence is None:
        return ""
    return f"Latest snapshot of this organization: sequence {info.head_sequence}, sha256 {info.head_checksum}"


class ShareSignatureState(rx.State):
    """Public information only: the signature line, the chain head, the published keys."""

    signature_loaded: bool = False
    signature_label: str = ""
    signed: bool = False
    chain_head: str = ""
    keys: list[KeyRow] = []
    bundle_url: str = ""
    _signature_loading: bool = False

    def _share_token(self) -> str:
        parts = [p for p in (self.router.url.path or "").split("/") if p]
        return parts[1] if len(parts) >= 2 and parts[0] == "share" else ""

    @rx.event(background=True)
    async def load_signature(self):
        async with self:
            if self._signature_loading:
                return
            self._signature_loading = True
            token = self._share_token()
        try:
            info: ShareSignature | None = await run(share_signature, token)
        except ServiceError:  # a dead link: the page says so itself
            info = None
        async with self:
            self._signature_loading = False
            self.signature_loaded = info is not None
            if info is not None:
                self.signature_label = info.label
                self.signed = info.signed
                self.chain_head = head_text(info)
                self.keys = key_rows(info)
                self.bundle_url = f"/api/public/bundles/{quote(token, safe='')}"


S = ShareSignatureState


def _key(row: KeyRow) -> rx.Component:
    return rx.text(rx.code(row["keyid"], size="1", style={"word-break": "break-all"}), " ", row["status"],
                   " since ", row["since"], size="1", color_scheme="gray", class_name="signing-key")


def share_signature_card() -> rx.Component:
    """The card; hidden until loaded."""
    return rx.box(
        rx.cond(
            S.signature_loaded,
            rx.card(
                rx.vstack(
                    rx.heading("Signature and history", size="4"),
                    rx.hstack(
                        rx.icon(rx.cond(S.signed, "badge-check", "badge-info"), size=18),
                        rx.text(S.signature_label, size="2", id="share-signature"),
                        align="center",
                        spacing="2",
                    ),
                    rx.cond(S.chain_head != "",
                            rx.text(S.chain_head, size="2", id="share-chain-head", style={"word-break": "break-all"})),
                    rx.text("Keys this installation signs with (also at ",
                            rx.link("/api/public/keys", href="/api/public/keys", is_external=True), "):",
                            size="1", color_scheme="gray"),
                    rx.foreach(S.keys, _key),
                    rx.cond(
                        S.signed,
                        rx.link(rx.button(rx.icon("file-badge"), "Download signed bundle", variant="soft"),
                                href=S.bundle_url, id="download-bundle", is_external=True),
                    ),
                    rx.text("docs/verify.md of compliance_app shows how to check the bundle offline with Python.",
                            size="1", color_scheme="gray"),
                    spacing="2",
                    width="100%",
                ),
                width="100%",
            ),
        ),
        on_mount=ShareSignatureState.load_signature,
        width="100%",
    )
