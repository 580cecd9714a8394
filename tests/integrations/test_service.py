"""The integrations service: who may do what, validation, encryption at rest, tests, scans."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from moto import mock_aws
from sqlmodel import SQLModel, select

from compliance_app.db import get_engine, session_scope
from compliance_app.models import ActivityLog, Integration, Role
from compliance_app.providers.github import GitHubSession
from compliance_app.services import integrations
from compliance_app.services.authz import Actor
from compliance_app.services.crypto import decrypt_json
from compliance_app.services.errors import Conflict, LimitExceeded, NotFound, PermissionDenied, ValidationError
from tests.factories import actor_for, add_member, make_org, make_user
from tests.support.github_server import GitHubServer

TOKEN = "ghp_SuperSecretTokenValue1234567890abcd"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def _secrets(integration_id: uuid.UUID) -> dict:
    with session_scope() as s:
        return decrypt_json(s.get(Integration, integration_id).secret_encrypted)


def _count() -> int:
    with session_scope() as s:
        return len(s.exec(select(Integration)).all())


@pytest.fixture
def org_admin(db):
    owner = make_user()
    return make_org(owner), actor_for(owner)


def test_admin_adds_and_lists_without_secrets(org_admin) -> None:
    org, admin = org_admin
    row = integrations.add_github_integration(admin, org.id, TOKEN, "acme")
    assert row.provider == "github" and row.config == {"github_org": "acme"} and row.secret_hint == "abcd"
    listed = integrations.list_integrations(admin, org.id)
    assert [r.id for r in listed] == [row.id]
    assert TOKEN not in str(listed[0].as_dict())
    with session_scope() as s:
        stored = s.get(Integration, row.id)
        assert TOKEN not in stored.secret_encrypted
        actions = [a.action for a in s.exec(select(ActivityLog)).all()]
    assert "integration.added" in actions


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_members_and_viewers_cannot_change_but_can_list(org_admin, role: Role) -> None:
    org, admin = org_admin
    row = integrations.add_github_integration(admin, org.id, TOKEN, "acme")
    user = actor_for(add_member(org, role=role))
    with pytest.raises(PermissionDenied):
        integrations.add_github_integration(user, org.id, TOKEN, "other")
    with pytest.raises(PermissionDenied):
        integrations.remove_integration(user, row.id)
    with pytest.raises(PermissionDenied):
        integrations.update_integration(user, row.id, name="x")
    with pytest.raises(PermissionDenied):
        integrations.test_integration(user, row.id)
    assert len(integrations.list_integrations(user, org.id)) == 1
    assert _count() == 1


def test_other_organization_sees_not_found(org_admin) -> None:
    org, admin = org_admin
    row = integrations.add_github_integration(admin, org.id, TOKEN, "acme")
    outsider_owner = make_user()
    make_org(outsider_owner)
    outsider = actor_for(outsider_owner)
    with pytest.raises(NotFound):
        integrations.list_integrations(outsider, org.id)
    with pytest.raises(NotFound):
        integrations.add_github_integration(outsider, org.id, TOKEN, "acme2")
    with pytest.raises(NotFound):
        integrations.remove_integration(outsider, row.id)
    with pytest.raises(NotFound):
        integrations.test_integration(outsider, uuid.uuid4())
    assert _count() == 1


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"token": "  "}, "token is required"),
    ({"token": "ghp abc def"}, "token looks malformed"),
    ({"github_org": ""}, "organization login is required"),
    ({"github_org": "bad org!"}, "not a valid GitHub organization login"),
    ({"base_url": "ftp://github.example.com"}, "must be an http(s) URL"),
    ({"base_url": "not a url"}, "must be an http(s) URL"),
    ({"base_url": "https://user:pw@github.example.com"}, "must not contain credentials"),
])
def test_github_validation_writes_nothing(org_admin, kwargs: dict, message: str) -> None:
    org, admin = org_admin
    args = {"token": TOKEN, "github_org": "acme", "base_url": None, **kwargs}
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        integrations.add_github_integration(admin, org.id, **args)
    assert _count() == 0


@pytest.mark.parametrize(("kwargs", "message"), [
    ({}, "AWS needs credentials"),
    ({"role_arn": "arn:aws:iam::123456789012:role/Audit"}, "needs the access key id and secret access key"),
    ({"role_arn": "arn:aws:iam::123456789012:role/Audit", "external_id": "ext-id-42"},
     "AWS_USE_HOST_CREDENTIALS is off"),
    ({"access_key_id": "AKIAIOSFODNN7EXAMPLE", "role_arn": "arn:aws:iam::123456789012:role/Audit"},
     "secret access key is missing"),
    ({"access_key_id": "AKIAIOSFODNN7EXAMPLE"}, "secret access key is missing"),
    ({"access_key_id": "akia-lower", "secret_access_key": AWS_SECRET}, "access key id looks malformed"),
    ({"role_arn": "arn:aws:iam::123:user/bob"}, "is not an IAM role ARN"),
    ({"role_arn": "arn:aws:iam::123456789012:role/Audit", "regions": "us-east-1,mars-1"},
     "Invalid AWS region name"),
    ({"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": AWS_SECRET, "external_id": "xyz"},
     "only used with a role"),
    ({"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": AWS_SECRET,
      "role_arn": "arn:aws:iam::123456789012:role/Audit", "endpoint_url": "localhost:5000"}, "must be an http"),
])
def test_aws_validation_writes_nothing(org_admin, kwargs: dict, message: str) -> None:
    org, admin = org_admin
    with pytest.raises(ValidationError, match=message):
        integrations.add_aws_integration(admin, org.id, **kwargs)
    assert _count() == 0


def test_aws_keys_and_role_integrations(org_admin) -> None:
    org, admin = org_admin
    keys = integrations.add_aws_integration(admin, org.id, "AKIAIOSFODNN7EXAMPLE", AWS_SECRET,
                                            regions="us-east-1, eu-west-3", endpoint_url="http://127.0.0.1:5000/")
    assert keys.config == {"regions": ["us-east-1", "eu-west-3"], "endpoint_url": "http://127.0.0.1:5000"}
    assert keys.secret_hint == "MPLE"
    # A role with the keys of the user it trusts (AssumeRole needs credentials of its own).
    role = integrations.add_aws_integration(admin, org.id, "AKIAROLEUSER00000001", AWS_SECRET,
                                            role_arn="arn:aws:iam::123456789012:role/Audit", external_id="ext-id-42")
    assert role.config == {"regions": [], "role_arn": "arn:aws:iam::123456789012:role/Audit"}
    assert role.secret_hint == "0001"
    assert _secrets(role.id) == {"access_key_id": "AKIAROLEUSER00000001", "secret_access_key": AWS_SECRET,
                                 "external_id": "ext-id-42"}
    # Adding a role to a keys integration keeps its keys; dropping the role drops the external id too.
    switched = integrations.update_integration(admin, keys.id, role_arn="arn:aws:iam::123456789012:role/Other")
    assert switched.config["role_arn"].endswith("role/Other") and switched.secret_hint == "MPLE"
    back = integrations.update_integration(admin, role.id, role_arn=None, external_id=None)
    assert "role_arn" not in back.config
    assert _secrets(role.id) == {"access_key_id": "AKIAROLEUSER00000001", "secret_access_key": AWS_SECRET}
    with pytest.raises(ValidationError, match="AWS_USE_HOST_CREDENTIALS is off"):
        integrations.update_integration(admin, keys.id, access_key_id=None, secret_access_key=None)
    with pytest.raises(ValidationError, match="only used with a role"):
        integrations.update_integration(admin, back.id, external_id="ext-id-43")


def test_role_without_keys_only_with_host_credentials(org_admin, monkeypatch: pytest.MonkeyPatch) -> None:
    from compliance_app.settings import get_settings

    org, admin = org_admin
    monkeypatch.setenv("AWS_USE_HOST_CREDENTIALS", "true")
    get_settings.cache_clear()
    try:
        row = integrations.add_aws_integration(admin, org.id, role_arn="arn:aws:iam::123456789012:role/Audit")
    finally:
        monkeypatch.delenv("AWS_USE_HOST_CREDENTIALS")
        get_settings.cache_clear()
    assert row.config["role_arn"].endswith("role/Audit") and row.config["host_credentials"] is True
    assert _secrets(row.id) == {} and row.external_id == org.aws_external_id
    with pytest.raises(ValidationError, match="Assuming a role needs the access key id"):
        integrations.add_aws_integration(admin, org.id, role_arn="arn:aws:iam::123456789012:role/Audit")
    # Host credentials never replace keys for a plain (role-less) integration.
    monkeypatch.setenv("AWS_USE_HOST_CREDENTIALS", "true")
    get_settings.cache_clear()
    try:
        with pytest.raises(ValidationError, match="AWS needs credentials"):
            integrations.add_aws_integration(admin, org.id, regions="us-east-1")
    finally:
        get_settings.cache_clear()


def test_role_with_keys_connects_on_moto(org_admin) -> None:
    org, admin = org_admin
    row = integrations.add_aws_integration(admin, org.id, "AKIAROLEUSER00000001", AWS_SECRET,
                                           role_arn="arn:aws:iam::123456789012:role/Audit", external_id="ext-id-42")
    with mock_aws():
        result = integrations.test_integration(admin, row.id)
    assert result.ok, result.message
    assert "assumed role arn:aws:iam::123456789012:role/Audit" in result.message


def test_duplicate_github_org_conflicts(org_admin) -> None:
    org, admin = org_admin
    integrations.add_github_integration(admin, org.id, TOKEN, "acme")
    with pytest.raises(Conflict, match="already connected"):
        integrations.add_github_integration(admin, org.id, TOKEN, "ACME")
    assert _count() == 1


def test_plan_limit_hook_is_enforced(org_admin, monkeypatch: pytest.MonkeyPatch) -> None:
    from compliance_app.settings import get_settings

    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_unused")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_unused")
    get_settings.cache_clear()
    try:
        org, admin = org_admin
        integrations.add_github_integration(admin, org.id, TOKEN, "acme")
        with pytest.raises(LimitExceeded):
            integrations.add_github_integration(admin, org.id, TOKEN, "acme-two")
        assert _count() == 1
    finally:
        monkeypatch.delenv("STRIPE_SECRET_KEY")
        monkeypatch.delenv("STRIPE_WEBHOOK_SECRET")
        get_settings.cache_clear()


def test_update_remove_and_activity(org_admin) -> None:
    org, admin = org_admin
    row = integrations.add_github_integration(admin, org.id, TOKEN, "acme")
    new_token = "ghp_RotatedTokenValue0000000000000wxyz"
    updated = integrations.update_integration(admin, row.id, token=new_token, name="Main org", max_admins=5)
    assert updated.secret_hint == "wxyz" and updated.name == "Main org" and updated.config["max_admins"] == 5
    with pytest.raises(ValidationError, match="Unknown field"):
        integrations.update_integration(admin, row.id, role_arn="arn:aws:iam::123456789012:role/x")
    integrations.remove_integration(admin, row.id)
    assert integrations.list_integrations(admin, org.id) == []
    with session_scope() as s:
        logs = s.exec(select(ActivityLog).order_by(ActivityLog.id)).all()
    actions = [entry.action for entry in logs]
    assert {"integration.added", "integration.updated", "integration.removed"} <= set(actions)
    assert all(new_token not in str(entry.meta) and TOKEN not in str(entry.meta) for entry in logs)


def test_connection_test_is_recorded(org_admin, github_server: GitHubServer) -> None:
    org, admin = org_admin
    good = integrations.add_github_integration(admin, org.id, github_server.token, "acme", github_server.base_url)
    bad = integrations.add_github_integration(admin, org.id, "ghp_expired_token_000", "acme-old",
                                              github_server.base_url)
    assert integrations.test_integration(admin, good.id).ok
    result = integrations.test_integration(admin, bad.id)
    assert not result.ok and "expired" in result.message
    rows = {r.id: r for r in integrations.list_integrations(admin, org.id)}
    assert rows[good.id].last_test_ok is True and rows[good.id].last_tested_at is not None
    assert rows[bad.id].last_test_ok is False and "expired" in rows[bad.id].last_test_message


def test_scan_sessions_and_mark_used(org_admin, github_server: GitHubServer) -> None:
    org, admin = org_admin
    row = integrations.add_github_integration(admin, org.id, github_server.token, "acme", github_server.base_url)
    [target] = integrations.load_scan_sessions(org.id)
    assert target.error is None and isinstance(target.session, GitHubSession)
    assert target.session.collect("organization")["login"] == "acme"
    integrations.mark_used(row.id, "ok")
    [listed] = integrations.list_integrations(Actor.system(), org.id)
    assert listed.last_used_status == "ok" and listed.last_used_at is not None


def test_scan_session_errors_are_kept_per_integration(org_admin) -> None:
    org, admin = org_admin
    row = integrations.add_github_integration(admin, org.id, TOKEN, "acme")
    with session_scope() as s:
        s.get(Integration, row.id).secret_encrypted = "not-a-fernet-token"
    [target] = integrations.load_scan_sessions(org.id)
    assert target.session is None and "cannot be decrypted" in target.error


def test_no_plaintext_secret_anywhere_in_the_database(org_admin, github_server: GitHubServer) -> None:
    org, admin = org_admin
    row = integrations.add_github_integration(admin, org.id, TOKEN, "acme", github_server.base_url)
    integrations.test_integration(admin, row.id)  # fails (unknown token): message stored, no secret
    integrations.update_integration(admin, row.id, name="renamed")
    integrations.add_aws_integration(admin, org.id, "AKIAIOSFODNN7EXAMPLE", AWS_SECRET)
    dump = []
    with get_engine().connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            for record in conn.execute(sa.text(f'SELECT * FROM "{table.name}"')):
                dump.append(f"{table.name}: {tuple(record)}")
    text = "\n".join(dump)
    assert "integration:" in text and "renamed" in text  # the dump really contains our rows
    assert TOKEN not in text and AWS_SECRET not in text
    assert TOKEN[-10:] not in text  # not even a longer fragment than the 4-char hint
