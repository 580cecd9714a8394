"""Each AWS check of the catalog, denied the API it reads, is ERROR with the reason.

One case per check: the AWS service the check's data comes from refuses every call
(AccessDenied, as for a role missing that read permission); every finding must be ERROR naming
the denial, never a PASS or a FAIL guessed from the missing data.
"""

from __future__ import annotations

import pytest

from compliance_app.providers.aws import AwsSession
from tests.catalog_cases import covers
from tests.checks_aws.helpers import ERROR, break_client, client_error, run

#: key -> the boto3 service whose denial leaves the check nothing to judge
DENIED_SERVICE: dict[str, str] = {
    "accessanalyzer_enabled": "accessanalyzer",
    "acm_certificates_expiration_check": "acm",
    "backup_plans_exist": "backup",
    "cloudtrail_kms_encryption_enabled": "cloudtrail",
    "cloudtrail_log_file_validation_enabled": "cloudtrail",
    "cloudtrail_logs_s3_bucket_is_not_publicly_accessible": "cloudtrail",
    "cloudtrail_multi_region_enabled": "cloudtrail",
    "cloudwatch_log_group_retention_policy_specific_days_enabled": "logs",
    "config_recorder_all_regions_enabled": "config",
    "dynamodb_tables_pitr_enabled": "dynamodb",
    "ec2_ebs_default_encryption": "ec2",
    "ec2_ebs_public_snapshot": "ec2",
    "ec2_ebs_volume_encryption": "ec2",
    "ec2_instance_imdsv2_enabled": "ec2",
    "ec2_securitygroup_allow_ingress_from_internet_to_all_ports": "ec2",
    "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22": "ec2",
    "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_3389": "ec2",
    "ec2_securitygroup_default_restrict_traffic": "ec2",
    "guardduty_is_enabled": "guardduty",
    "iam_avoid_root_usage": "iam",
    "iam_aws_attached_policy_no_administrative_privileges": "iam",
    "iam_inline_policy_no_administrative_privileges": "iam",
    "iam_no_root_access_key": "iam",
    "iam_password_policy_minimum_length_14": "iam",
    "iam_password_policy_reuse_24": "iam",
    "iam_policy_attached_only_to_group_or_roles": "iam",
    "iam_policy_no_administrative_privileges": "iam",
    "iam_root_mfa_enabled": "iam",
    "iam_rotate_access_key_90_days": "iam",
    "iam_user_accesskey_unused": "iam",
    "iam_user_mfa_enabled_console_access": "iam",
    "kms_cmk_rotation_enabled": "kms",
    "rds_instance_backup_enabled": "rds",
    "rds_instance_no_public_access": "rds",
    "rds_instance_storage_encrypted": "rds",
    "s3_account_level_public_access_blocks": "s3control",
    "s3_bucket_level_public_access_block": "s3",
    "s3_bucket_public_access": "s3",
    "s3_bucket_secure_transport_policy": "s3",
    "s3_bucket_server_access_logging_enabled": "s3",
    "s3_bucket_versioning_enabled": "s3",
    "secretsmanager_automatic_rotation_enabled": "secretsmanager",
    "securityhub_enabled": "securityhub",
    "vpc_flow_logs_enabled": "ec2",
    # network exposure and data stores
    "ec2_securitygroup_allow_ingress_from_internet_to_high_risk_tcp_ports": "ec2",
    "ec2_securitygroup_allow_ingress_from_internet_to_any_port": "ec2",
    "ec2_ebs_snapshot_account_block_public_access": "ec2",
    "ec2_ami_public": "ec2",
    "ec2_networkacl_allow_ingress_any_port": "ec2",
    "vpc_subnet_no_public_ip_by_default": "ec2",
    "rds_cluster_storage_encrypted": "rds",
    "rds_instance_deletion_protection": "rds",
    "rds_instance_integration_cloudwatch_logs": "rds",
    "elbv2_logging_enabled": "elbv2",
    "s3_bucket_object_lock": "s3",
    "efs_have_backup_enabled": "efs",
}


@pytest.mark.parametrize("key", sorted(DENIED_SERVICE))
@covers(DENIED_SERVICE, "error")
def test_denied_service_is_error(key: str, session: AwsSession) -> None:
    service = DENIED_SERVICE[key]
    break_client(session, service, client_error("AccessDenied", "Read"))
    findings = run(key, session)
    assert findings and all(f.status == ERROR for f in findings), findings
    action = "s3:Read" if service == "s3control" else f"{service}:Read"  # IAM names S3 Control actions s3:*
    assert all(f"Access denied calling {action}" in f.message for f in findings), [f.message for f in findings]
