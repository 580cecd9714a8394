"""API tokens: created once (only the hash stored), listed, revoked, expired; the CLI contract; the
token as a caller under the one authorization rule (scope -> role, its organization only)."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlmodel import select

from compliance_app.db import session_scope
from compliance_app.models import ActivityLog, ApiToken
from compliance_app.services import activity, api_tokens, scans
from compliance_app.services.authz import Actor, Permission, authorize
from compliance_app.services.errors import AuthenticationRequired, NotFound, PermissionDenied, ValidationError
from tests.api.conftest import ApiWorld
from tests.conftest import run_cli
from tests.factories import actor_for, make_org, make_user


def test_cli_create_shows_the_token_once_and_stores_only_its_hash(
    db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_org(slug="acme")
    code, out, err = run_cli(monkeypatch, capsys, "token", "create", "--org", "acme", "--name", "CI deploy",
                             "--scope", "scan", "--expires-in", "30d", "--json")
    assert code == 0, err
    created = json.loads(out)
    token = created["token"]
    assert token.startswith("cat_") and len(token) > 40
    assert created["scope"] == "scan" and created["status"] == "active"
    with session_scope() as s:
        row = s.exec(select(ApiToken)).one()
        logged = s.exec(select(ActivityLog).where(ActivityLog.action == "token.created")).one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in json.dumps(row.model_dump(), default=str) and token not in json.dumps(logged.meta)
    assert (row.expires_at - row.created_at).days == 30
    assert logged.meta["scope"] == "scan" and logged.target == "CI deploy"

    code, out, _ = run_cli(monkeypatch, capsys, "token", "list", "--org", "acme")
    assert code == 0 and "CI deploy" in out and row.prefix in out and token not in out
    code, out, _ = run_cli(monkeypatch, capsys, "token", "revoke", str(row.id))
    assert code == 0 and "revoked" in out
    code, out, _ = run_cli(monkeypatch, capsys, "token", "list", "--org", "acme", "--json")
    assert json.loads(out)[0]["status"] == "revoked"
    with pytest.raises(AuthenticationRequired):
        api_tokens.authenticate_token(token, "127.0.0.1", 100)


@pytest.mark.parametrize(("args", "message"), [
    (["--scope", "write"], "Unknown scope 'write'"),
    (["--scope", "read", "--expires-in", "0d"], "above zero"),
    (["--scope", "read", "--expires-in", "400d"], "at most one year"),
    (["--scope", "read", "--expires-in", "soon"], "Invalid expiry"),
])
def test_cli_refuses_bad_input_and_writes_nothing(
    db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    make_org(slug="acme")
    code, out, err = run_cli(monkeypatch, capsys, "token", "create", "--org", "acme", "--name", "x", *args)
    assert code == 1 and message in err and len(err.strip().splitlines()) == 1 and out == ""
    with session_scope() as s:
        assert s.exec(select(ApiToken)).first() is None


def test_names_are_checked(db: str) -> None:
    make_org(slug="acme")
    for name in ("", "   ", "x" * 101, "a\nb", "nul\x00"):
        with pytest.raises(ValidationError):
            api_tokens.create_token(Actor.system(), "acme", name, "read")


@pytest.mark.parametrize(("scope", "allowed"), [
    ("read", {Permission.READ}),
    ("scan", {Permission.READ, Permission.RUN_SCAN, Permission.UPLOAD_EVIDENCE, Permission.CREATE_SNAPSHOT}),
    ("admin", set(Permission) - {Permission.TRANSFER_OWNERSHIP}),
])
def test_scope_maps_onto_a_role_in_its_organization_only(api_world: ApiWorld, scope: str,
                                                         allowed: set[Permission]) -> None:
    actor = api_tokens.authenticate_token(api_world.tokens[("a", scope)], "127.0.0.1", 100)
    with session_scope() as s:
        for permission in Permission:
            if permission in allowed:
                authorize(s, actor, api_world.org_a.id, permission)
            else:
                with pytest.raises(PermissionDenied):
                    authorize(s, actor, api_world.org_a.id, permission)
            with pytest.raises(NotFound):
                authorize(s, actor, api_world.org_b.id, permission)
    with pytest.raises(NotFound):
        scans.organization_id_for_slug(actor, "no-such-org")


def test_a_token_cannot_manage_tokens_unless_admin(api_world: ApiWorld) -> None:
    reader = api_tokens.authenticate_token(api_world.tokens[("a", "read")], "127.0.0.1", 100)
    with pytest.raises(PermissionDenied):
        api_tokens.list_tokens(reader, "acme")
    admin = api_tokens.authenticate_token(api_world.tokens[("a", "admin")], "127.0.0.1", 100)
    assert {t.name for t in api_tokens.list_tokens(admin, "acme")} == {"read a", "scan a", "admin a"}
    with pytest.raises(NotFound):
        api_tokens.list_tokens(admin, "wombat")


def test_unknown_and_malformed_tokens_are_one_401(db: str) -> None:
    for token in ("", "cat_", "cat_" + "x" * 43, "ghp_notours", "cat_\ud800", "cat_" + "x" * 5000):
        with pytest.raises(AuthenticationRequired, match="missing, invalid, expired or revoked"):
            api_tokens.authenticate_token(token, "127.0.0.1", 100)


def test_activity_reads_as_sentences(db: str) -> None:
    ann = make_user(email="ann@example.com")
    make_org(owner=ann, slug="acme")
    info, _token = api_tokens.create_token(actor_for(ann), "acme", "CI", "scan", "2w")
    api_tokens.revoke_token(Actor.system("cli"), info.id)
    with session_scope() as s:
        entries = s.exec(select(ActivityLog).where(ActivityLog.action.startswith("token.")).order_by(
            ActivityLog.created_at)).all()
        lines = [activity.sentence(e.action, e.actor_label, e.target, e.meta) for e in entries]
    until = f"{info.expires_at.day} {info.expires_at:%b %Y}"
    assert lines == [f"ann@example.com created the API token “CI” (scope scan), valid until {until}.",
                     "cli revoked the API token “CI”."]
