"""Helpers for AWS check tests. Importing this sets fake credentials: nothing reaches real AWS."""

from __future__ import annotations

import os
from typing import Any

# Set before boto3/moto read them: nothing may reach real AWS or a developer's profile.
os.environ.update({
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/nonexistent/aws-config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",  # the default AMIs add seconds and dozens of snapshots
})
os.environ.pop("AWS_PROFILE", None)

from botocore.exceptions import ClientError

from compliance_app.checks.base import Finding
from compliance_app.checks.registry import get_check
from compliance_app.providers.aws import AwsSession
from compliance_app.vocabulary import CollectionError, EvidenceStatus

REGION = "us-east-1"
CREDS = {"access_key_id": "AKIAFAKEFAKEFAKE1234", "secret_access_key": "s3cr3t-value-never-shown"}
PASS, FAIL, ERROR = EvidenceStatus.PASS, EvidenceStatus.FAIL, EvidenceStatus.ERROR


def run(key: str, session: Any) -> list[Finding]:
    return get_check(key).run(session)


def evaluate(key: str, *data: Any) -> list[Finding]:
    return get_check(key).evaluate(*data)


def status_of(findings: list[Finding], resource_fragment: str) -> EvidenceStatus:
    """Status of the one finding whose resource id contains `resource_fragment`."""
    matches = [f for f in findings if resource_fragment in f.resource_id]
    assert len(matches) == 1, f"expected one finding for {resource_fragment!r}, got {findings}"
    return matches[0].status


def client_error(code: str, op: str = "Operation", message: str = "") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message or code}}, op)


class RaisingClient:
    """Stands in for a boto3 client whose every call (and paginator) raises `exc`."""

    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def __getattr__(self, name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            raise self.exc
        return call

    def get_paginator(self, op: str) -> Any:
        return self

    def paginate(self, **kwargs: Any) -> Any:
        raise self.exc

    def close(self) -> None:
        pass


def break_client(session: AwsSession, service: str, exc: Exception, region: str = REGION) -> None:
    """Make `service` in `region` fail with `exc` for the rest of the session."""
    session.boto_session()
    session._clients[(service, region)] = RaisingClient(exc)


class FakeSession:
    """A provider session serving fixed data; a CollectionError value is raised instead."""

    def __init__(self, data: dict[Any, Any], regions: tuple[str, ...] = (REGION,)) -> None:
        self.data, self.regions = data, list(regions)

    def collect(self, name: str, region: str | None = None) -> Any:
        value = self.data.get((name, region), self.data.get(name))
        if isinstance(value, CollectionError):
            raise value
        return value

    def collect_regions(self, name: str) -> dict[str, Any]:
        return {r: self.data.get((name, r), self.data.get(name)) for r in self.regions}
