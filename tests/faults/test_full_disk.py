"""A full disk while a proof file is uploaded.

The fault is real: the upload route runs in a child process whose file-size limit
(RLIMIT_FSIZE) is far below the file, with SIGXFSZ ignored so the write fails with EFBIG
the way it fails with ENOSPC on a full disk, instead of killing the process. The user must
read that the disk is full and nothing was saved; nothing may be left behind: no
half-written file, no temporary file, no record pointing at a missing file. Once there is
room again, the same upload succeeds.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from PIL import Image
from sqlmodel import select

from compliance_app.db import session_scope
from compliance_app.models import ActivityLog, Proof
from compliance_app.models.types import utcnow
from compliance_app.services.proof import DISK_FULL
from tests.dashboard.conftest import Scenario, scenario  # noqa: F401 - the audit with evidence rows
from tests.factories import DEFAULT_PASSWORD

#: The child process: sign in, then post the file through the real upload route under a file-size
#: limit (set after start-up, so only the upload's own writes meet it).
_UPLOAD_UNDER_LIMIT = """
import json, resource, signal, sys
from starlette.testclient import TestClient
from compliance_app.api import create_api
from compliance_app.api.session_cookie import COOKIE_NAME
from compliance_app.services import accounts

limit, evidence_id, email, password, path, proven_on = sys.argv[1:7]
_user, token = accounts.authenticate(email, password, "127.0.0.1")
data = open(path, "rb").read()
with TestClient(create_api(), base_url="http://testserver", headers={"origin": "http://testserver"}) as client:
    client.cookies.set(COOKIE_NAME, token)
    if int(limit):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit raises EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (int(limit), int(limit)))
    r = client.post(f"/api/evidence/{evidence_id}/file", files={"file": ("big.png", data, "image/png")},
                    data={"evidence_date": proven_on})
print(json.dumps({"status": r.status_code, "body": r.json()}))
"""


def _noisy_png(tmp_path: Path) -> Path:
    """A PNG of about 190 KB (random pixels do not compress)."""
    buf = io.BytesIO()
    Image.frombytes("RGB", (256, 256), os.urandom(256 * 256 * 3)).save(buf, format="PNG")
    path = tmp_path / "big.png"
    path.write_bytes(buf.getvalue())
    return path


def _upload(world: Scenario, data_dir: Path, png: Path, limit: int) -> dict:
    env = {**os.environ, "DATA_DIR": str(data_dir), "PYTHONDONTWRITEBYTECODE": "1"}
    evidence_id = world.evidence["t_high_logging:trail-1"].id
    done = subprocess.run(
        [sys.executable, "-c", _UPLOAD_UNDER_LIMIT, str(limit), str(evidence_id), world.owner.email,
         DEFAULT_PASSWORD, str(png), utcnow().date().isoformat()],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _files(data_dir: Path) -> list[Path]:
    return sorted(p for p in data_dir.rglob("*") if p.is_file())


def test_a_full_disk_during_upload_says_so_and_leaves_nothing_behind(
    scenario: Scenario, data_dir: Path, tmp_path: Path  # noqa: F811 - the fixture imported above
) -> None:
    png = _noisy_png(tmp_path)
    assert png.stat().st_size > 100_000

    answer = _upload(scenario, data_dir, png, limit=16 * 1024)
    assert answer == {"status": 507, "body": {"error": DISK_FULL, "evidence_id": str(
        scenario.evidence["t_high_logging:trail-1"].id)}}
    assert DISK_FULL.startswith("The server's disk is full; nothing was saved.")
    assert _files(data_dir) == []  # no half-written file, no .part left over
    with session_scope() as s:
        assert s.exec(select(Proof)).all() == []  # no record pointing at a missing file
        assert s.exec(select(ActivityLog).where(ActivityLog.action == "evidence.file_uploaded")).all() == []

    # With room again, the same upload succeeds and the file is whole.
    answer = _upload(scenario, data_dir, png, limit=0)
    assert answer["status"] == 201, answer
    with session_scope() as s:
        (stored,) = s.exec(select(Proof)).all()
    assert _files(data_dir) == [data_dir / "evidence" / stored.file_name]
    assert (data_dir / "evidence" / stored.file_name).read_bytes() == png.read_bytes()
