"""Proof files: content-checked, size-limited, private, served only to the organization's members."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from compliance_app.api import create_api
from compliance_app.api.session_cookie import COOKIE_NAME
from compliance_app.db import session_scope
from compliance_app.models import ActivityLog, Evidence, Proof, Question, Role
from compliance_app.services import accounts
from compliance_app.services.errors import NotFound, PermissionDenied, ValidationError
from compliance_app.services.evidence_files import open_evidence_file, save_evidence_file
from compliance_app.settings import get_settings
from tests.dashboard.conftest import Scenario, png_bytes
from tests.factories import DEFAULT_PASSWORD, actor_for, add_member, make_org, make_user
from tests.support.asgi_stream import post_chunks

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _evidence_id(scenario: Scenario) -> int:
    return scenario.evidence["t_high_logging:trail-1"].id


def _stored(evidence_id: int) -> tuple[str | None, str | None]:
    """The current proof's file and type for the evidence's check and resource."""
    with session_scope() as s:
        e = s.get(Evidence, evidence_id)
        key = s.get(Question, e.question_id).key
        p = s.exec(select(Proof).where(Proof.question_key == key, Proof.resource_id == e.resource_id,
                                       Proof.replaced_at.is_(None))).first()
        return (p.file_name, p.content_type) if p else (None, None)


def _files(data_dir: Path) -> list[Path]:
    return sorted(p for p in data_dir.rglob("*") if p.is_file())


def test_png_is_stored_privately_under_a_random_name(scenario: Scenario, data_dir: Path) -> None:
    evidence_id = _evidence_id(scenario)
    stored = save_evidence_file(actor_for(scenario.owner), evidence_id, png_bytes(), "../../etc/passwd.png")
    assert stored.content_type == "image/png"
    assert _stored(evidence_id) == (stored.name, "image/png")
    assert _files(data_dir) == [data_dir / "evidence" / stored.name]
    assert "passwd" not in stored.name and len(stored.name) == 32 + len(".png")
    assert not (Path(get_settings().data_dir).parent / "uploaded_files" / stored.name).exists()
    found = open_evidence_file(actor_for(scenario.owner), evidence_id)
    assert found.path.read_bytes() == png_bytes() and found.content_type == "image/png"
    with session_scope() as s:
        log = s.exec(select(ActivityLog).where(ActivityLog.action == "evidence.file_uploaded")).one()
        assert log.target == str(evidence_id) and log.organization_id == scenario.org.id

    # A replacement becomes current; the earlier proof keeps its row and file (snapshots frozen
    # before it name them).
    second = save_evidence_file(actor_for(scenario.owner), evidence_id, PDF, "proof.pdf")
    assert second.content_type == "application/pdf"
    assert _stored(evidence_id) == (second.name, "application/pdf")
    assert _files(data_dir) == sorted([data_dir / "evidence" / stored.name, data_dir / "evidence" / second.name])
    with session_scope() as s:
        first = s.get(Proof, stored.proof_id)
        assert first.replaced_at is not None and first.file_name == stored.name


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"just some text pretending to be an image", "Only PNG, JPEG or PDF files are accepted"),
        (b"GIF89a" + b"\x00" * 64, "it looks like image/gif"),
        (b"", "The file is empty"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 2048, "too large"),
    ],
    ids=["text-renamed-png", "gif", "empty", "oversized"],
)
def test_bad_files_are_refused_and_nothing_is_stored(
    scenario: Scenario, data_dir: Path, monkeypatch: pytest.MonkeyPatch, data: bytes, message: str
) -> None:
    monkeypatch.setenv("UPLOAD_MAX_BYTES", "1024")
    get_settings.cache_clear()
    evidence_id = _evidence_id(scenario)
    with pytest.raises(ValidationError, match=message):
        save_evidence_file(actor_for(scenario.owner), evidence_id, data, "shot.png")
    assert _stored(evidence_id) == (None, None)
    assert _files(data_dir) == []


def test_roles_and_tenants(scenario: Scenario, data_dir: Path) -> None:
    evidence_id = _evidence_id(scenario)
    viewer = add_member(scenario.org, role=Role.VIEWER)
    with pytest.raises(PermissionDenied):
        save_evidence_file(actor_for(viewer), evidence_id, png_bytes())
    member = add_member(scenario.org, role=Role.MEMBER)
    save_evidence_file(actor_for(member), evidence_id, png_bytes())
    assert open_evidence_file(actor_for(viewer), evidence_id).content_type == "image/png"
    outsider = make_user()
    make_org(outsider)
    with pytest.raises(NotFound):
        save_evidence_file(actor_for(outsider), evidence_id, png_bytes())
    with pytest.raises(NotFound):
        open_evidence_file(actor_for(outsider), evidence_id)
    assert len(_files(data_dir)) == 1


# --- the HTTP routes ---------------------------------------------------------------------
@pytest.fixture
def client(db: str) -> Iterator[TestClient]:
    app: Starlette = create_api()
    with TestClient(app, base_url="http://testserver", headers={"origin": "http://testserver"}) as c:
        yield c


def _login(user_email: str) -> dict[str, str]:
    _user, token = accounts.authenticate(user_email, DEFAULT_PASSWORD, "127.0.0.1")
    return {COOKIE_NAME: token}


def test_file_route_serves_members_only(scenario: Scenario, data_dir: Path, client: TestClient) -> None:
    evidence_id = _evidence_id(scenario)
    url = f"/api/evidence/{evidence_id}/file"
    assert client.get(url).status_code == 404  # no file yet, anonymous
    owner_cookies = _login(scenario.owner.email)
    client.cookies.update(owner_cookies)
    r = client.post(url, files={"file": ("shot.png", png_bytes(), "image/png")})
    assert r.status_code == 201, r.text
    r = client.get(url)
    assert r.status_code == 200 and r.headers["content-type"] == "image/png" and r.content == png_bytes()
    assert "no-store" in r.headers["cache-control"]
    # Never rendered as a page of this origin: a download, in a sandbox if opened anyway.
    assert r.headers["content-disposition"].startswith("attachment;")
    assert r.headers["content-security-policy"] == "sandbox"

    client.cookies.clear()
    assert client.get(url).status_code == 404  # anonymous
    outsider = make_user()
    make_org(outsider)
    client.cookies.update(_login(outsider.email))
    assert client.get(url).status_code == 404  # another organization
    r = client.post(url, files={"file": ("x.png", png_bytes(), "image/png")})
    assert r.status_code == 404
    assert client.get("/api/evidence/999999/file").status_code == 404


def test_upload_route_reports_bad_input_readably(scenario: Scenario, data_dir: Path, client: TestClient) -> None:
    evidence_id = _evidence_id(scenario)
    url = f"/api/evidence/{evidence_id}/file"
    client.cookies.update(_login(scenario.owner.email))
    r = client.post(url, files={"file": ("fake.png", b"not an image at all", "image/png")})
    assert r.status_code == 400 and "Only PNG, JPEG or PDF" in r.json()["error"]
    r = client.post(url, files={"file": ("empty.png", b"", "image/png")})
    assert r.status_code == 400 and "empty" in r.json()["error"]
    # A form post from the drawer is redirected back with the message for the page to show.
    r = client.post(url, data={"next": "/o/x/audits/y"}, files={"file": ("fake.png", b"text", "image/png")},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/o/x/audits/y?evidence=")
    assert "error=Only+PNG" in r.headers["location"]
    r = client.post(url, data={"next": "https://evil.example/"}, files={"file": ("a.png", png_bytes(), "image/png")},
                    follow_redirects=False)
    assert r.status_code == 303 and not r.headers["location"].startswith("https://evil")
    r = client.post(url, files={"file": ("a.png", png_bytes(), "image/png")}, headers={"origin": "https://evil.example"})
    assert r.status_code == 403
    assert _stored(evidence_id)[1] == "image/png"
    assert len(_files(data_dir)) == 1


def test_upload_route_accepts_only_the_apps_own_origin(
    scenario: Scenario, data_dir: Path, client: TestClient
) -> None:
    url = f"/api/evidence/{_evidence_id(scenario)}/file"
    client.cookies.update(_login(scenario.owner.email))
    files = {"file": ("a.png", png_bytes(), "image/png")}
    for headers in (
        {"sec-fetch-site": "cross-site", "origin": "null"},
        {"sec-fetch-site": "same-site", "origin": "https://sub.testserver"},  # a sibling subdomain
        {"sec-fetch-site": "same-origin", "origin": "null"},  # a sandboxed or no-referrer page
        {"origin": "null"},
        {"origin": ""},  # no Origin and no Fetch Metadata: not a browser on our page
    ):
        assert client.post(url, files=files, headers=headers).status_code == 403, headers
    assert _stored(_evidence_id(scenario)) == (None, None)
    same = {"sec-fetch-site": "same-origin", "origin": "http://testserver"}
    assert client.post(url, files=files, headers=same).status_code == 201


# --- bodies are read only after the caller is known, and never past the limit ------------
MIB = 1024 * 1024


def _multipart_chunk(i: int) -> bytes:
    head = (b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n"
            b"Content-Type: image/png\r\n\r\n" + png_bytes())  # fmt: skip
    return head if i == 0 else b"\0" * MIB


def test_upload_from_anyone_who_may_not_upload_is_refused_before_its_body_is_read(scenario: Scenario) -> None:
    app = create_api()
    evidence_id = _evidence_id(scenario)
    viewer = add_member(scenario.org, role=Role.VIEWER)
    outsider = make_user()
    make_org(outsider)
    answers = []
    for cookie in ("", _cookie(viewer.email), _cookie(outsider.email)):
        for target in (evidence_id, 99999999):
            result = post_chunks(app, f"/api/evidence/{target}/file", _multipart_chunk, 200,
                                 {"origin": "http://testserver", "cookie": cookie,
                                  "content-type": "multipart/form-data; boundary=b"})  # fmt: skip
            assert result.chunks_read == 0, (cookie, target)
            answers.append((result.status, result.body))
    assert set(answers) == {(404, b"Not found")}  # anonymous, viewer, other tenant; real id or not


def test_chunked_upload_is_cut_off_at_the_limit(
    scenario: Scenario, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UPLOAD_MAX_BYTES", str(2 * MIB))
    get_settings.cache_clear()
    result = post_chunks(create_api(), f"/api/evidence/{_evidence_id(scenario)}/file", _multipart_chunk, 200,
                         {"origin": "http://testserver", "cookie": _cookie(scenario.owner.email),
                          "content-type": "multipart/form-data; boundary=b"})  # fmt: skip
    get_settings.cache_clear()
    assert result.status == 413 and b"too large" in result.body
    assert result.chunks_read <= 4  # 2 MiB + the form's envelope, not the 200 MiB sent
    assert _stored(_evidence_id(scenario)) == (None, None) and _files(data_dir) == []


def _cookie(email: str) -> str:
    return f"{COOKIE_NAME}={_login(email)[COOKIE_NAME]}"
