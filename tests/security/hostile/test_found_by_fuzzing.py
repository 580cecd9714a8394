"""What the hostile-input suite found, kept as plain regression tests (each failed before its fix)."""

from __future__ import annotations

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from compliance_app.api import create_api
from compliance_app.api.session_cookie import COOKIE_NAME
from compliance_app.db import session_scope
from compliance_app.models import ActivityLog
from compliance_app.services import dashboard, evidence_files, organizations, risk, scans, shares, snapshots
from compliance_app.services.errors import NotFound, ValidationError
from tests.conftest import run_cli
from tests.security.conftest import World, png_bytes, session_token
from tests.security.hostile.outcome import fingerprint

BEYOND_INTEGER = 2**31  # one past PostgreSQL's integer, the type of evidence and snapshot ids


@pytest.mark.parametrize("slug", ["quokka\x00heavy", "\x00", "\ud800", "quokka-heavy\udcff"])
def test_a_slug_postgresql_cannot_hold_is_not_found(world: World, slug: str) -> None:
    """Was: psycopg DataError (NUL) / UnicodeEncodeError (lone surrogate) from the slug lookup."""
    owner = world.actor("admin")
    with pytest.raises(NotFound):
        organizations.get_organization_for(owner, slug)
    with pytest.raises(NotFound):
        scans.organization_id_for_slug(owner, slug)


def test_an_invitation_token_with_a_lone_surrogate_is_just_invalid(world: World) -> None:
    """Was: UnicodeEncodeError while hashing the token."""
    before = fingerprint()
    with pytest.raises(NotFound):
        organizations.accept_invitation(world.actor("outsider"), "\ud800" + world.invitation_token_a)
    assert fingerprint() == before


@pytest.mark.parametrize("evidence_id", [BEYOND_INTEGER, 10**30, "99999999999999999999", "\u00b2", "-1", 0])
def test_evidence_ids_beyond_the_column_are_not_found(world: World, evidence_id: int | str) -> None:
    """Was: DataError 'integer out of range' (huge ids) or ValueError from int('²') ('²'.isdigit() is True)."""
    owner = world.actor("admin")
    for call in (dashboard.get_evidence_detail, evidence_files.open_evidence_file):
        with pytest.raises(NotFound):
            call(owner, evidence_id)
    with pytest.raises(NotFound):
        risk.accept_risk_for_evidence(owner, evidence_id, "reason enough", None)


def test_snapshot_ids_beyond_the_column_are_not_found(world: World) -> None:
    """Was: DataError 'integer out of range' from get/verify/pin and from the links filter."""
    owner = world.actor("admin")
    for call in (snapshots.get_snapshot, snapshots.verify_snapshot):
        with pytest.raises(NotFound):
            call(owner, BEYOND_INTEGER)
    with pytest.raises(NotFound):
        snapshots.set_pinned(owner, BEYOND_INTEGER, True)
    with pytest.raises(NotFound):
        shares.create_link(owner, BEYOND_INTEGER)
    assert shares.list_links(owner, world.org_a.id, snapshot_id=BEYOND_INTEGER) == []


def test_page_numbers_beyond_any_offset_are_refused_or_empty(world: World) -> None:
    """Was: DataError 'bigint out of range' for the row offset of page 2**63."""
    owner = world.actor("admin")
    assert snapshots.list_snapshots(owner, world.org_a.id, page=2**63).items == []
    assert organizations.list_activity(owner, world.org_a.id, page=2**63).rows == []
    with pytest.raises(ValidationError):
        scans.list_audits(owner, world.org_a.id, page=2**63)
    with pytest.raises(ValidationError):
        scans.list_evidence(owner, world.audit_a, page=2**63)


def test_evidence_file_route_answers_404_for_an_id_beyond_the_column(world: World) -> None:
    """Was: 500 (the route's int converter lets 99999999999999999999 through to the database)."""
    client = TestClient(create_api(), raise_server_exceptions=False)
    client.cookies.set(COOKIE_NAME, session_token(world.admin_a, "huge-id"))
    assert client.get("/api/evidence/99999999999999999999/file").status_code == 404


def test_a_file_name_with_nul_or_a_lone_surrogate_is_recorded_escaped(world: World) -> None:
    """Was: DataError (JSONB cannot hold \\u0000) when the activity entry of the upload was written."""
    owner = world.actor("admin")
    evidence_files.save_evidence_file(owner, world.evidence_a, png_bytes(), "proof\x00\ud800.png")
    with session_scope() as s:
        meta = s.exec(select(ActivityLog.meta).where(ActivityLog.action == "evidence.file_uploaded")
                      .order_by(ActivityLog.id.desc())).first()
    assert meta["filename"] == "proof\\x00\\ud800.png"


@pytest.mark.parametrize("args", [
    ("share", "revoke", "\t\n\r"),
    ("snapshot", "create", "x\ny"),
    ("member", "add", "--org", "quokka-heavy", "--email", "vic@quokka.example", "--role", "\r"),
    ("share", "revoke", "\x1b[2J\x1b[31mowned\u202e"),
])
def test_cli_errors_stay_one_line_and_show_control_characters_escaped(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: tuple[str, ...]
) -> None:
    """Was: the error echoed the argument's newline/CR/escape sequence raw (several lines, a repainted terminal)."""
    code, out, err = run_cli(monkeypatch, capsys, *args)
    assert code in (1, 2) and out == ""
    assert err.count("\n") == 1 and "\r" not in err and "\x1b" not in err and "\u202e" not in err, repr(err)
