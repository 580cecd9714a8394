"""`sso show|add-domain|remove-domain|require` for the operator."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli
from tests.factories import make_org
from tests.support.oidc_provider import Provider


def test_domain_rules_and_the_requirement_from_the_cli(
    idp: Provider, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_org(slug="acme", name="Acme")
    assert run_cli(monkeypatch, capsys, "sso", "add-domain", "--org", "acme", "--domain", "Acme.Example",
                   "--role", "viewer")[:2] == (0, "acme.example -> viewer in 'acme'\n")  # fmt: skip
    code, _out, err = run_cli(monkeypatch, capsys, "sso", "add-domain", "--org", "acme", "--domain", "not a domain")
    assert code == 1 and "'not a domain' is not an email domain" in err
    assert run_cli(monkeypatch, capsys, "sso", "require", "--org", "acme")[0] == 0
    code, out, _err = run_cli(monkeypatch, capsys, "sso", "show", "--org", "acme", "--json")
    assert code == 0 and json.loads(out) == {
        "organization": "acme", "sso_configured": True, "require_sso": True,
        "domain_rules": [{"domain": "acme.example", "role": "viewer"}],
    }  # fmt: skip
    assert run_cli(monkeypatch, capsys, "sso", "remove-domain", "--org", "acme", "--domain", "acme.example")[0] == 0
    code, _out, err = run_cli(monkeypatch, capsys, "sso", "remove-domain", "--org", "acme", "--domain", "acme.example")
    assert code == 1 and "has no rule for acme.example" in err
    assert run_cli(monkeypatch, capsys, "sso", "require", "--org", "acme", "--off")[1] == \
        "'acme': single sign-on not required\n"
