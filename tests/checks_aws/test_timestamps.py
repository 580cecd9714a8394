"""Response timestamps are parsed without dateutil (it cost ~8% of a scan's CPU), to the same datetimes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import boto3
import dateutil.parser
import pytest
from botocore.utils import parse_timestamp as botocore_parse_timestamp

from compliance_app.providers.aws import AwsSession
from compliance_app.providers.aws.timestamps import parse_timestamp
from tests.checks_aws.helpers import REGION


@pytest.mark.parametrize("value", [
    "2024-05-01T12:00:00Z", "2024-05-01T12:00:00.000Z", "2024-05-01T12:00:00.5Z", "2024-05-01T12:00:00.123456Z",
    "2024-05-01T12:00:00+02:00", "2024-05-01T12:00:00.1234567Z", "1714564800", 1714564800,
    "Wed, 01 May 2024 12:00:00 GMT",
])
def test_same_datetime_as_botocore(value: object) -> None:
    parsed = parse_timestamp(value)
    assert parsed == botocore_parse_timestamp(value) and parsed.tzinfo is not None


def test_iso_8601_is_read_by_the_standard_library(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dateutil.parser, "parse", lambda *a, **k: pytest.fail("dateutil was asked"))
    assert parse_timestamp("2024-05-01T12:00:00.000Z") == datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert parse_timestamp("2024-05-01T12:00:00-05:00").utcoffset() == timezone(timedelta(hours=-5)).utcoffset(None)


def test_scan_clients_parse_timestamps_without_dateutil(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    boto3.client("iam", region_name=REGION).create_user(UserName="alice")
    session = AwsSession({"regions": [REGION]}, {"access_key_id": "AKIAFAKEFAKEFAKE1234",
                                                 "secret_access_key": "s3cr3t-value-never-shown"})
    monkeypatch.setattr(dateutil.parser, "parse", lambda *a, **k: pytest.fail("dateutil was asked"))
    try:
        [user] = session.collect("iam.users")
    finally:
        session.close()
    assert isinstance(user["CreateDate"], datetime) and user["CreateDate"].tzinfo is not None
