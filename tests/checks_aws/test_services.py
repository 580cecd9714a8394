"""RDS, KMS, Logs, Config, GuardDuty, Security Hub, Access Analyzer, Backup, ACM, Secrets, DynamoDB."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from compliance_app.providers.aws import AwsSession
from tests.catalog_cases import covers
from tests.checks_aws.helpers import (
    CREDS,
    ERROR,
    FAIL,
    PASS,
    REGION,
    break_client,
    client_error,
    evaluate,
    run,
    status_of,
)

# -- RDS ----------------------------------------------------------------------------
RDS_CHECKS = ("rds_instance_storage_encrypted", "rds_instance_no_public_access", "rds_instance_backup_enabled")


def _db(rds, name: str, **kwargs) -> None:
    rds.create_db_instance(DBInstanceIdentifier=name, DBInstanceClass="db.t3.micro", Engine="postgres",
                           MasterUsername="admin", MasterUserPassword="Passw0rd-long!", AllocatedStorage=20,
                           **kwargs)


@covers(RDS_CHECKS, "pass", "fail")
def test_rds_checks(session: AwsSession) -> None:
    rds = boto3.client("rds", region_name=REGION)
    _db(rds, "good-db", StorageEncrypted=True, PubliclyAccessible=False, BackupRetentionPeriod=7)
    _db(rds, "bad-db", StorageEncrypted=False, PubliclyAccessible=True, BackupRetentionPeriod=1)
    for key in RDS_CHECKS:
        findings = run(key, session)
        assert (status_of(findings, "good-db"), status_of(findings, "bad-db")) == (PASS, FAIL), key


def test_read_replica_is_not_judged_on_backup_retention(session: AwsSession) -> None:
    rds = boto3.client("rds", region_name=REGION)
    _db(rds, "source-db", StorageEncrypted=True, BackupRetentionPeriod=7)
    rds.create_db_instance_read_replica(DBInstanceIdentifier="replica-db", SourceDBInstanceIdentifier="source-db",
                                        DBInstanceClass="db.t3.micro")
    findings = run("rds_instance_backup_enabled", session)
    assert [f.resource_id.rsplit(":", 1)[-1] for f in findings] == ["source-db"]
    assert findings[0].status == PASS
    assert len(run("rds_instance_storage_encrypted", session)) == 2  # replicas still count elsewhere


def test_rds_none_is_not_applicable(session: AwsSession) -> None:
    assert run("rds_instance_storage_encrypted", session) == []


# -- KMS ----------------------------------------------------------------------------
@covers("kms_cmk_rotation_enabled", "pass", "fail")
def test_kms_rotation(session: AwsSession) -> None:
    kms = boto3.client("kms", region_name=REGION)
    rotating = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=rotating)
    static = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")  # asymmetric: rotation not applicable
    findings = run("kms_cmk_rotation_enabled", session)
    assert len(findings) == 2
    assert status_of(findings, rotating) == PASS
    assert status_of(findings, static) == FAIL


@covers("kms_cmk_rotation_enabled", "error")
def test_kms_describe_key_denied_errs_that_key_not_the_region(session: AwsSession,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    kms = boto3.client("kms", region_name=REGION)
    locked = kms.create_key()["KeyMetadata"]["KeyId"]
    open_key = kms.create_key()["KeyMetadata"]["KeyId"]
    client = session.client("kms", REGION)
    describe = client.describe_key

    def deny_one(**kwargs: str) -> dict:
        if kwargs["KeyId"] == locked:
            raise client_error("AccessDeniedException", "DescribeKey")
        return describe(**kwargs)

    monkeypatch.setattr(client, "describe_key", deny_one)
    findings = run("kms_cmk_rotation_enabled", session)
    assert status_of(findings, locked) == ERROR and status_of(findings, open_key) == FAIL
    assert "kms:DescribeKey" in next(f.message for f in findings if f.status == ERROR)


def test_kms_key_policy_denial_is_error_for_that_key_only() -> None:
    keys = [{"KeyId": "k1", "Arn": "arn:k1", "__error__": "Access denied calling kms:GetKeyRotationStatus"},
            {"KeyId": "k2", "Arn": "arn:k2", "KeyRotationEnabled": True}]
    findings = evaluate("kms_cmk_rotation_enabled", keys, REGION)
    assert [f.status for f in findings] == [ERROR, PASS]


# -- CloudWatch Logs -------------------------------------------------------------------
@covers("cloudwatch_log_group_retention_policy_specific_days_enabled", "pass", "fail")
def test_log_group_retention(session: AwsSession) -> None:
    logs = boto3.client("logs", region_name=REGION)
    for name, days in (("/app/year", 400), ("/app/month", 30), ("/app/forever", None)):
        logs.create_log_group(logGroupName=name)
        if days:
            logs.put_retention_policy(logGroupName=name, retentionInDays=days)
    findings = run("cloudwatch_log_group_retention_policy_specific_days_enabled", session)
    assert [status_of(findings, n) for n in ("/app/year", "/app/month", "/app/forever")] == [PASS, FAIL, PASS]


# -- regional detection services ----------------------------------------------------
def _recorder(region: str = REGION, **group: object) -> None:
    boto3.client("s3", region_name=region).create_bucket(
        Bucket=f"config-{region}", **({} if region == "us-east-1" else
                                      {"CreateBucketConfiguration": {"LocationConstraint": region}}))
    cfg = boto3.client("config", region_name=region)
    cfg.put_configuration_recorder(ConfigurationRecorder={
        "name": "default", "roleARN": "arn:aws:iam::123456789012:role/config", "recordingGroup": group})
    cfg.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": f"config-{region}"})
    cfg.start_configuration_recorder(ConfigurationRecorderName="default")


@covers("config_recorder_all_regions_enabled", "pass", "fail")
def test_config_recorder(session: AwsSession) -> None:
    [f] = run("config_recorder_all_regions_enabled", session)
    assert f.status == FAIL and "No AWS Config recorder" in f.message
    boto3.client("s3", region_name=REGION).create_bucket(Bucket="config-bucket")
    cfg = boto3.client("config", region_name=REGION)
    cfg.put_configuration_recorder(ConfigurationRecorder={
        "name": "default", "roleARN": "arn:aws:iam::123456789012:role/config",
        "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True}})
    cfg.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "config-bucket"})
    session.close()
    [f] = run("config_recorder_all_regions_enabled", session)
    assert f.status == FAIL and "not recording" in f.message
    cfg.start_configuration_recorder(ConfigurationRecorderName="default")
    session.close()
    findings = run("config_recorder_all_regions_enabled", session)
    assert status_of(findings, f"region/{REGION}") == PASS and status_of(findings, "account") == PASS


def test_config_recorder_of_some_resource_types_fails(session: AwsSession) -> None:
    _recorder(allSupported=False, includeGlobalResourceTypes=False, resourceTypes=["AWS::S3::Bucket"])
    findings = run("config_recorder_all_regions_enabled", session)
    [regional] = [f for f in findings if f.resource_id == f"region/{REGION}"]
    assert regional.status == FAIL and "only some resource types (AWS::S3::Bucket)" in regional.message
    assert status_of(findings, "account") == FAIL  # and nothing records IAM


def test_config_without_global_resource_types_anywhere_fails(aws: None) -> None:
    for region in (REGION, "eu-west-1"):
        _recorder(region, allSupported=True, includeGlobalResourceTypes=False)
    findings = run("config_recorder_all_regions_enabled", AwsSession({"regions": [REGION, "eu-west-1"]}, CREDS))
    assert [f.status for f in findings if f.resource_id.startswith("region/")] == [PASS, PASS]
    assert status_of(findings, "account") == FAIL


@covers("guardduty_is_enabled", "pass", "fail")
def test_guardduty(session: AwsSession) -> None:
    [f] = run("guardduty_is_enabled", session)
    assert f.status == FAIL
    boto3.client("guardduty", region_name=REGION).create_detector(Enable=True)
    session.close()
    [f] = run("guardduty_is_enabled", session)
    assert f.status == PASS and f.raw_data["Detectors"][0]["Status"] == "ENABLED"


def test_securityhub_not_enabled_fails(session: AwsSession) -> None:
    [f] = run("securityhub_enabled", session)
    assert f.status == FAIL and "not enabled" in f.message


HUB = {"HubArn": "arn:aws:securityhub:us-east-1:123456789012:hub/default"}
FSBP = "arn:aws:securityhub:us-east-1::standards/aws-foundational-security-best-practices/v/1.0.0"


@pytest.mark.parametrize(("hub", "expected"), [
    ({**HUB, "Standards": [{"StandardsArn": FSBP, "StandardsStatus": "READY"}]}, PASS),
    ({**HUB, "Standards": []}, FAIL),
    ({**HUB, "Standards": [{"StandardsArn": FSBP, "StandardsStatus": "FAILED"}]}, FAIL),
    ({**HUB, "StandardsError": "Access denied calling securityhub:GetEnabledStandards in us-east-1"}, ERROR),
])
@covers("securityhub_enabled", "pass", "fail", "error")
def test_securityhub_needs_an_enabled_standard(hub: dict, expected: str) -> None:
    [f] = evaluate("securityhub_enabled", hub, REGION)
    assert f.status == expected, f.message
    if expected == PASS:
        assert "aws-foundational-security-best-practices" in f.message


def test_securityhub_standards_unreadable_on_moto_is_error_not_pass(session: AwsSession) -> None:
    """moto has no GetEnabledStandards: a hub whose standards cannot be read is not a pass."""
    boto3.client("securityhub", region_name=REGION).enable_security_hub()
    [f] = run("securityhub_enabled", session)
    assert f.status == ERROR and "standards could not be read" in f.message


@covers("accessanalyzer_enabled", "pass", "fail")
def test_access_analyzer_fixtures() -> None:
    active = [{"name": "default", "arn": "arn:aws:access-analyzer:us-east-1:1:analyzer/default",
               "type": "ACCOUNT", "status": "ACTIVE"}]
    [f] = evaluate("accessanalyzer_enabled", active, REGION)
    assert f.status == PASS
    [f] = evaluate("accessanalyzer_enabled", [], REGION)
    assert f.status == FAIL
    [f] = evaluate("accessanalyzer_enabled", [{**active[0], "status": "FAILED"}], REGION)
    assert f.status == FAIL and "not active" in f.message


def test_unused_access_analyzer_does_not_count() -> None:
    unused = [{"name": "unused", "arn": "arn:aws:access-analyzer:us-east-1:1:analyzer/unused",
               "type": "ACCOUNT_UNUSED_ACCESS", "status": "ACTIVE"}]
    [f] = evaluate("accessanalyzer_enabled", unused, REGION)
    assert f.status == FAIL and "do not look for external access" in f.message
    [f] = evaluate("accessanalyzer_enabled", [*unused, {**unused[0], "type": "ORGANIZATION", "name": "org"}], REGION)
    assert f.status == PASS


@covers("accessanalyzer_enabled", "error")
def test_access_analyzer_denied_is_error(session: AwsSession) -> None:
    break_client(session, "accessanalyzer", client_error("AccessDeniedException", "ListAnalyzers"))
    [f] = run("accessanalyzer_enabled", session)
    assert f.status == ERROR and f.region == REGION
    assert f.message.startswith("Access denied calling accessanalyzer:ListAnalyzers in us-east-1")


# -- data protection -------------------------------------------------------------------
@covers("backup_plans_exist", "pass", "fail")
def test_backup_plans(session: AwsSession) -> None:
    [f] = run("backup_plans_exist", session)
    assert f.status == FAIL
    boto3.client("backup", region_name=REGION).create_backup_plan(BackupPlan={
        "BackupPlanName": "daily", "Rules": [{"RuleName": "daily", "TargetBackupVaultName": "Default"}]})
    session.close()
    [f] = run("backup_plans_exist", session)
    assert f.status == PASS and "daily" in f.message


def _certificate(days: int) -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"in{days}days.example.com")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=days)).sign(key, hashes.SHA256()))
    pem_key = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM), pem_key


@covers("acm_certificates_expiration_check", "pass", "fail")
def test_acm_expiring_certificate_fails(session: AwsSession) -> None:
    acm = boto3.client("acm", region_name=REGION)
    arns = {}
    for days in (60, 3):
        cert, key = _certificate(days)
        arns[days] = acm.import_certificate(Certificate=cert, PrivateKey=key)["CertificateArn"]
    findings = run("acm_certificates_expiration_check", session)
    assert status_of(findings, arns[60]) == PASS
    expiring = next(f for f in findings if f.resource_id == arns[3])
    assert expiring.status == FAIL and "expires in 2 days" in expiring.message
    assert "PrivateKey" not in expiring.raw_data


def test_acm_expired_certificate_fails() -> None:
    cert = {"CertificateArn": "arn:cert", "DomainName": "old.example.com", "Status": "EXPIRED",
            "NotAfter": (datetime.now(UTC) - timedelta(days=10)).isoformat()}
    [f] = evaluate("acm_certificates_expiration_check", [cert], REGION)
    assert f.status == FAIL and "expired" in f.message


@covers("secretsmanager_automatic_rotation_enabled", "fail")
def test_secret_without_rotation_fails(session: AwsSession) -> None:
    boto3.client("secretsmanager", region_name=REGION).create_secret(Name="db-password", SecretString="hunter2")
    [f] = run("secretsmanager_automatic_rotation_enabled", session)
    assert f.status == FAIL and "db-password" in f.message and "hunter2" not in str(f.raw_data)


@covers("secretsmanager_automatic_rotation_enabled", "pass")
def test_secret_with_rotation_passes() -> None:
    # moto cannot rotate without invoking a Lambda; this is list_secrets' shape for a rotating secret.
    secret = {"Name": "db-password", "ARN": "arn:aws:secretsmanager:us-east-1:1:secret:db-password-abc",
              "RotationEnabled": True, "RotationRules": {"AutomaticallyAfterDays": 30}}
    [f] = evaluate("secretsmanager_automatic_rotation_enabled", [secret], REGION)
    assert f.status == PASS


@covers("dynamodb_tables_pitr_enabled", "pass", "fail")
def test_dynamodb_pitr(session: AwsSession) -> None:
    ddb = boto3.client("dynamodb", region_name=REGION)
    for name in ("with-pitr", "without-pitr"):
        ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                         BillingMode="PAY_PER_REQUEST")
    ddb.update_continuous_backups(TableName="with-pitr",
                                  PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    findings = run("dynamodb_tables_pitr_enabled", session)
    assert status_of(findings, "with-pitr") == PASS
    assert status_of(findings, "without-pitr") == FAIL
