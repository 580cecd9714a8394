"""Regional detection services: AWS Config, GuardDuty, Security Hub, IAM Access Analyzer."""

from __future__ import annotations

from typing import Any

from compliance_app.checks.aws._common import RegionalCheck, frameworks, result
from compliance_app.checks.base import CheckMeta, Finding
from compliance_app.vocabulary import Provider, Severity


class config_recorder_all_regions_enabled(RegionalCheck):
    meta = CheckMeta(
        key="config_recorder_all_regions_enabled",
        title="AWS Config is recording in every region",
        provider=Provider.AWS,
        service="config",
        severity=Severity.MEDIUM,
        frameworks=frameworks(["CC7.1"], ["8.9"], ["3.3"]),
        rationale="Config keeps the configuration history of resources: what changed, when, and what it "
                  "looked like before, needed for change audits and investigations.",
        remediation="AWS Config > Get started (in each region): record all resources, choose a delivery bucket; or "
                    "`aws configservice put-configuration-recorder` + `put-delivery-channel` + "
                    "`start-configuration-recorder --configuration-recorder-name default`.",
    )
    collector = "config.recorders"

    def evaluate(self, recorders: list[dict[str, Any]], region: str) -> list[Finding]:
        healthy = [r for r in recorders if r.get("recording") and str(r.get("lastStatus") or "").upper() != "FAILURE"]
        raw = {"Recorders": [{k: r.get(k) for k in ("name", "recording", "lastStatus")} for r in recorders]}
        if not recorders:
            msg = f"No AWS Config recorder exists in {region}."
        else:
            msg = f"The AWS Config recorder in {region} is not recording (or its last delivery failed)."
        return [result(bool(healthy), f"region/{region}", f"AWS Config is recording in {region}.", msg, raw, region)]


class guardduty_is_enabled(RegionalCheck):
    meta = CheckMeta(
        key="guardduty_is_enabled",
        title="GuardDuty is enabled in every region",
        provider=Provider.AWS,
        service="guardduty",
        severity=Severity.HIGH,
        frameworks=frameworks(["CC7.2"], ["8.16"]),
        rationale="GuardDuty detects compromised credentials, crypto-mining and reconnaissance from "
                  "CloudTrail, DNS and flow logs without agents.",
        remediation="GuardDuty > Get started > Enable GuardDuty (in each region), or "
                    "`aws guardduty create-detector --enable --region <region>`.",
    )
    collector = "guardduty.detectors"

    def evaluate(self, detectors: list[dict[str, Any]], region: str) -> list[Finding]:
        enabled = [d for d in detectors if d.get("Status") == "ENABLED"]
        msg = (f"The GuardDuty detector in {region} is suspended." if detectors
               else f"GuardDuty is not enabled in {region}.")
        return [result(bool(enabled), f"region/{region}", f"GuardDuty is enabled in {region}.", msg,
                       {"Detectors": detectors}, region)]


class securityhub_enabled(RegionalCheck):
    meta = CheckMeta(
        key="securityhub_enabled",
        title="Security Hub is enabled",
        provider=Provider.AWS,
        service="securityhub",
        severity=Severity.MEDIUM,
        frameworks=frameworks(["CC7.2"], ["8.16"], ["4.16"]),
        rationale="Security Hub aggregates findings from GuardDuty, Inspector, Config and partners in one "
                  "place and runs the AWS foundational best-practice controls.",
        remediation="Security Hub > Go to Security Hub > Enable Security Hub (in each region), or "
                    "`aws securityhub enable-security-hub --region <region>`.",
    )
    collector = "securityhub.hub"

    def evaluate(self, hub: dict[str, Any], region: str) -> list[Finding]:
        return [result(bool(hub.get("HubArn")), f"region/{region}", f"Security Hub is enabled in {region}.",
                       f"Security Hub is not enabled in {region}.", {"Hub": hub or None}, region)]


class accessanalyzer_enabled(RegionalCheck):
    meta = CheckMeta(
        key="accessanalyzer_enabled",
        title="IAM Access Analyzer is active in every region",
        provider=Provider.AWS,
        service="accessanalyzer",
        severity=Severity.LOW,
        frameworks=frameworks(["CC6.1"], ["5.15"], ["1.20"]),
        rationale="Access Analyzer flags resources (buckets, keys, roles, snapshots) shared outside the "
                  "account or organization.",
        remediation="IAM > Access analyzer > Create analyzer (in each region), or "
                    "`aws accessanalyzer create-analyzer --analyzer-name default --type ACCOUNT --region <region>`.",
    )
    collector = "accessanalyzer.analyzers"

    def evaluate(self, analyzers: list[dict[str, Any]], region: str) -> list[Finding]:
        active = [a for a in analyzers if a.get("status") == "ACTIVE"]
        msg = (f"IAM Access Analyzer exists in {region} but is not active." if analyzers
               else f"IAM Access Analyzer is not enabled in {region}.")
        return [result(bool(active), f"region/{region}", f"IAM Access Analyzer is active in {region} "
                       f"({', '.join(a['name'] for a in active)}).", msg, {"Analyzers": analyzers}, region)]
