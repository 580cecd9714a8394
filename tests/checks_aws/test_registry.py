"""The catalog holds exactly the AWS checks of CHECKS.md, with their severity and mappings."""

from __future__ import annotations

from compliance_app.checks.aws._common import AwsCheck, MultiRegionCheck, RegionalCheck
from compliance_app.checks.registry import checks_for
from compliance_app.vocabulary import EvidenceStatus, Provider

#: key: (severity, SOC 2, ISO 27001) copied from CHECKS.md's AWS table.
CATALOG = {
    "iam_root_mfa_enabled": ("critical", "CC6.1", ["5.17", "8.5"]),
    "iam_no_root_access_key": ("critical", "CC6.1", ["8.2"]),
    "iam_user_mfa_enabled_console_access": ("high", "CC6.1", ["8.5"]),
    "iam_avoid_root_usage": ("high", "CC6.1", ["8.2"]),
    "iam_password_policy_minimum_length_14": ("medium", "CC6.1", ["5.17"]),
    "iam_password_policy_reuse_24": ("medium", "CC6.1", ["5.17"]),
    "iam_rotate_access_key_90_days": ("medium", "CC6.1", ["5.17"]),
    "iam_user_accesskey_unused": ("medium", "CC6.2", ["5.18"]),
    "iam_policy_no_administrative_privileges": ("high", "CC6.3", ["8.2"]),
    "iam_policy_attached_only_to_group_or_roles": ("low", "CC6.3", ["5.15"]),
    "cloudtrail_multi_region_enabled": ("high", "CC7.2", ["8.15"]),
    "cloudtrail_log_file_validation_enabled": ("medium", "CC7.2", ["8.15"]),
    "cloudtrail_kms_encryption_enabled": ("medium", "CC6.7", ["8.24"]),
    "config_recorder_all_regions_enabled": ("medium", "CC7.1", ["8.9"]),
    "guardduty_is_enabled": ("high", "CC7.2", ["8.16"]),
    "securityhub_enabled": ("medium", "CC7.2", ["8.16"]),
    "s3_account_level_public_access_blocks": ("high", "CC6.6", ["8.3"]),
    "s3_bucket_public_access": ("critical", "CC6.6", ["8.3"]),
    "s3_bucket_level_public_access_block": ("high", "CC6.6", ["8.3"]),
    "cloudtrail_logs_s3_bucket_is_not_publicly_accessible": ("critical", "CC7.2", ["8.15"]),
    "s3_bucket_secure_transport_policy": ("medium", "CC6.7", ["8.24"]),
    "s3_bucket_versioning_enabled": ("low", "A1.2", ["8.13"]),
    "s3_bucket_server_access_logging_enabled": ("low", "CC7.2", ["8.15"]),
    "ec2_ebs_default_encryption": ("medium", "CC6.7", ["8.24"]),
    "ec2_ebs_volume_encryption": ("medium", "CC6.7", ["8.24"]),
    "ec2_ebs_public_snapshot": ("critical", "CC6.6", ["8.3"]),
    "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22": ("high", "CC6.6", ["8.20"]),
    "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_3389": ("high", "CC6.6", ["8.20"]),
    "ec2_securitygroup_default_restrict_traffic": ("medium", "CC6.6", ["8.20"]),
    "ec2_instance_imdsv2_enabled": ("medium", "CC6.8", ["8.9"]),
    "rds_instance_storage_encrypted": ("high", "CC6.7", ["8.24"]),
    "rds_instance_no_public_access": ("critical", "CC6.6", ["8.20"]),
    "rds_instance_backup_enabled": ("medium", "A1.2", ["8.13"]),
    "kms_cmk_rotation_enabled": ("medium", "CC6.7", ["8.24"]),
    "vpc_flow_logs_enabled": ("medium", "CC7.2", ["8.15"]),
    "cloudwatch_log_group_retention_policy_specific_days_enabled": ("low", "CC7.2", ["8.15"]),
    "ec2_securitygroup_allow_ingress_from_internet_to_all_ports": ("critical", "CC6.6", ["8.20"]),
    "accessanalyzer_enabled": ("low", "CC6.1", ["5.15"]),
    "backup_plans_exist": ("low", "A1.2", ["8.13"]),
    "acm_certificates_expiration_check": ("high", "CC6.7", ["8.24"]),
    "secretsmanager_automatic_rotation_enabled": ("medium", "CC6.1", ["5.17"]),
    "dynamodb_tables_pitr_enabled": ("medium", "A1.2", ["8.13"]),
    # policies the first check never read
    "iam_inline_policy_no_administrative_privileges": ("high", "CC6.3", ["8.2"]),
    "iam_aws_attached_policy_no_administrative_privileges": ("high", "CC6.3", ["8.2"]),
    # logging, monitoring, IAM and SSM
    "cloudtrail_cloudwatch_logging_enabled": ("low", "CC7.2", ["8.15", "8.16"]),
    "cloudtrail_s3_dataevents_read_enabled": ("low", "CC7.2", ["8.15"]),
    "cloudtrail_s3_dataevents_write_enabled": ("low", "CC7.2", ["8.15"]),
    "guardduty_no_high_severity_findings": ("high", "CC7.3", ["5.25", "8.16"]),
    "iam_inline_policy_allows_privilege_escalation": ("high", "CC6.3", ["8.2", "5.15"]),
    "iam_user_console_access_unused": ("medium", "CC6.2", ["5.18"]),
    "ssm_managed_compliant_patching": ("high", "CC7.1", ["8.8"]),
    "ec2_instance_managed_by_ssm": ("medium", "CC7.1", ["8.8", "8.9"]),
    "cloudwatch_log_group_kms_encryption_enabled": ("medium", "CC6.7", ["8.24"]),
    "cloudwatch_log_metric_filter_unauthorized_api_calls": ("medium", "CC7.2", ["8.15", "8.16"]),
    "cloudwatch_log_metric_filter_root_usage": ("medium", "CC7.2", ["8.15", "8.16"]),
    "cloudwatch_log_metric_filter_policy_changes": ("medium", "CC7.2", ["8.15", "8.16"]),
    "cloudwatch_log_metric_filter_security_group_changes": ("medium", "CC7.2", ["8.15", "8.16"]),
    "cloudwatch_log_metric_filter_and_alarm_for_cloudtrail_configuration_changes_enabled":
        ("medium", "CC7.2", ["8.15", "8.16"]),
    "wafv2_webacl_logging_enabled": ("medium", "CC7.2", ["8.15", "8.16"]),
    "redshift_cluster_audit_logging": ("medium", "CC7.2", ["8.15"]),
    # network exposure and data stores
    "ec2_securitygroup_allow_ingress_from_internet_to_high_risk_tcp_ports": ("high", "CC6.6", ["8.20"]),
    "ec2_securitygroup_allow_ingress_from_internet_to_any_port": ("high", "CC6.6", ["8.20"]),
    "ec2_ebs_snapshot_account_block_public_access": ("high", "CC6.6", ["8.3"]),
    "ec2_ami_public": ("critical", "CC6.6", ["8.3"]),
    "ec2_networkacl_allow_ingress_any_port": ("medium", "CC6.6", ["8.20"]),
    "vpc_subnet_no_public_ip_by_default": ("medium", "CC6.6", ["8.20"]),
    "rds_cluster_storage_encrypted": ("high", "CC6.7", ["8.24"]),
    "rds_instance_deletion_protection": ("medium", "A1.2", ["8.13"]),
    "rds_instance_integration_cloudwatch_logs": ("medium", "CC7.2", ["8.15"]),
    "elbv2_logging_enabled": ("medium", "CC7.2", ["8.15"]),
    "s3_bucket_object_lock": ("low", "A1.2", ["8.13"]),
    "efs_have_backup_enabled": ("medium", "A1.2", ["8.13"]),
}

def test_registry_loads_exactly_the_aws_checks_of_the_catalog() -> None:
    checks = {c.meta.key: c for c in checks_for(Provider.AWS)}
    assert sorted(checks) == sorted(CATALOG)
    assert len(checks) == len(CATALOG) >= 44 + 16


def test_metadata_matches_catalog() -> None:
    for check in checks_for(Provider.AWS):
        meta = check.meta
        severity, soc2, iso = CATALOG[meta.key]
        meta.validate()
        assert meta.provider == Provider.AWS
        assert meta.severity.value == severity, meta.key
        assert meta.frameworks["SOC 2"] == [soc2], meta.key
        assert meta.frameworks["ISO 27001"] == iso, meta.key
        assert type(check).__name__ == meta.key
        assert len(meta.remediation) > 40 and len(meta.rationale) > 30, meta.key


def test_every_check_separates_collection_from_evaluation() -> None:
    for check in checks_for(Provider.AWS):
        assert isinstance(check, AwsCheck | RegionalCheck | MultiRegionCheck), check.meta.key
        abstract = (AwsCheck.evaluate, RegionalCheck.evaluate, MultiRegionCheck.evaluate)
        assert type(check).evaluate not in abstract, check.meta.key


#: Checks whose "nothing there" is compliance (no admin policy, no public bucket, no user without
#: MFA): an empty result is stored as PASS. Every other check's empty result is NOT_APPLICABLE.
PASS_WHEN_EMPTY = {
    "iam_policy_no_administrative_privileges", "iam_inline_policy_no_administrative_privileges",
    "iam_aws_attached_policy_no_administrative_privileges", "iam_policy_attached_only_to_group_or_roles",
    "iam_user_mfa_enabled_console_access", "iam_rotate_access_key_90_days", "iam_user_accesskey_unused",
    "s3_bucket_public_access", "ec2_ebs_public_snapshot",
    "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22",
    "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_3389",
    "ec2_securitygroup_allow_ingress_from_internet_to_all_ports",
    "iam_inline_policy_allows_privilege_escalation", "iam_user_console_access_unused",
    "ec2_securitygroup_allow_ingress_from_internet_to_high_risk_tcp_ports",
    "ec2_securitygroup_allow_ingress_from_internet_to_any_port", "ec2_ami_public",
    "ec2_networkacl_allow_ingress_any_port", "vpc_subnet_no_public_ip_by_default",
}


def test_each_check_says_what_nothing_in_scope_means() -> None:
    declared = {c.meta.key for c in checks_for(Provider.AWS) if c.meta.when_empty == EvidenceStatus.PASS}
    assert declared == PASS_WHEN_EMPTY
