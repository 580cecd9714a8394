"""Fixtures for AWS check tests: moto in-process, fake credentials, never real AWS."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from compliance_app.providers.aws import AwsSession
from tests.checks_aws.helpers import CREDS, REGION


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def session(aws: None) -> Iterator[AwsSession]:
    s = AwsSession({"regions": [REGION]}, CREDS)
    yield s
    s.close()
