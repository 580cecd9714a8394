"""Regional detection services: AWS Config, GuardDuty, Security Hub, IAM Access Analyzer."""

from __future__ import annotations

from typing import Any

from compliance_app.checks.aws._common import ACCOUNT, MultiRegionCheck, RegionalCheck, failed, frameworks, result
from compliance_app.checks.base import CheckMeta, Finding
from compliance_app.vocabulary import Provider, Severity


def records_all_resources(group: dict[str, Any]) -> bool:
    """allSupported (or the ALL_SUPPORTED_RESOURCE_TYPES strategy); a list of types is partial."""
    strategy = (group.get("recordingStrategy") or {}).get("useOnly")
    return bool(group.get("allSupported")) or strategy == "ALL_SUPPORTED_RESOURCE_TYPES"


def _healthy(recorder: dict[str, Any]) -> bool:
    return bool(recorder.get("recording")) and str(recorder.get("lastStatus") or "").upper() != "FAILURE"


class config_recorder_all_regions_enabled(MultiRegionCheck):
    meta = CheckMeta(
        key="config_recorder_all_regions_enabled",
        title="AWS Config records all resource types in every region",
        provider=Provider.AWS,
        service="config",
        severity=Severity.MEDIUM,
        frameworks=frameworks(["CC7.1"], ["8.9"], ["3.3"]),
        rationale="Config keeps the configuration history of resources: what changed, when, and what it "
                  "looked like before, needed for change audits and investigations. A recorder limited to a "
                  "few resource types leaves every other change unrecorded; global resources (IAM) must be "
                  "recorded in at least one region.",
        remediation="AWS Config > Settings (in each region): Recording strategy 'All resource types with "
                    "customizable overrides', include globally recorded resource types in one region, and a "
                    "delivery bucket; or `aws configservice put-configuration-recorder --configuration-recorder "
                    "name=default,roleARN=<role> --recording-group allSupported=true,includeGlobalResourceTypes=true` "
                    "+ `put-delivery-channel` + `start-configuration-recorder --configuration-recorder-name default`.",
    )
    collector = "config.recorders"

    def evaluate(self, by_region: dict[str, list[dict[str, Any]]]) -> list[Finding]:
        findings = []
        for region, recorders in by_region.items():
            raw = {"Recorders": [{k: r.get(k) for k in ("name", "recording", "lastStatus", "recordingGroup")}
                                 for r in recorders]}
            healthy = [r for r in recorders if _healthy(r)]
            complete = [r for r in healthy if records_all_resources(r.get("recordingGroup") or {})]
            if complete:
                msg = f"AWS Config records all resource types in {region}."
            elif healthy:
                types = (healthy[0].get("recordingGroup") or {}).get("resourceTypes") or []
                msg = (f"The AWS Config recorder in {region} records only some resource types "
                       f"({', '.join(types) or 'a subset'}).")
            elif recorders:
                msg = f"The AWS Config recorder in {region} is not recording (or its last delivery failed)."
            else:
                msg = f"No AWS Config recorder exists in {region}."
            findings.append(result(bool(complete), f"region/{region}", msg, msg, raw, region))
        recording = [(region, r) for region, recs in by_region.items() for r in recs if _healthy(r)]
        if recording:
            with_global = [region for region, r in recording
                           if (r.get("recordingGroup") or {}).get("includeGlobalResourceTypes")]
            findings.append(result(bool(with_global), ACCOUNT,
                                   f"Global resource types (IAM) are recorded in {', '.join(with_global)}.",
                                   "No AWS Config recorder records global resource types (IAM users, roles, "
                                   "policies): enable includeGlobalResourceTypes in one region.",
                                   {"RegionsRecordingGlobalTypes": with_global}))
        return findings


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
        title="Security Hub is enabled with at least one security standard",
        provider=Provider.AWS,
        service="securityhub",
        severity=Severity.MEDIUM,
        frameworks=frameworks(["CC7.2"], ["8.16"], ["4.16"]),
        rationale="Security Hub aggregates findings from GuardDuty, Inspector, Config and partners in one "
                  "place and runs the AWS foundational best-practice controls; a hub without an enabled "
                  "standard runs no control at all.",
        remediation="Security Hub > Go to Security Hub > Enable Security Hub (in each region) and, under "
                    "Security standards, enable AWS Foundational Security Best Practices (or CIS); or "
                    "`aws securityhub enable-security-hub --enable-default-standards --region <region>`.",
    )
    collector = "securityhub.hub"

    def evaluate(self, hub: dict[str, Any], region: str) -> list[Finding]:
        resource = f"region/{region}"
        if not hub.get("HubArn"):
            return [failed(resource, f"Security Hub is not enabled in {region}.", {"Hub": None}, region)]
        if hub.get("StandardsError"):
            return [Finding.error(resource, f"Security Hub is enabled in {region} but its standards could not "
                                            f"be read: {hub['StandardsError']}", region)]
        enabled = [st for st in hub.get("Standards") or [] if st.get("StandardsStatus") in _STANDARD_ON]
        names = ", ".join(str(st.get("StandardsArn", "")).rsplit("/", 3)[-3] for st in enabled)
        return [result(bool(enabled), resource, f"Security Hub is enabled in {region} with standard(s) {names}.",
                       f"Security Hub is enabled in {region} but no security standard is enabled, so it runs "
                       f"no controls.", {"Hub": hub}, region)]


#: Subscription states in which a standard's controls run (INCOMPLETE: some controls could not start).
_STANDARD_ON = {"READY", "INCOMPLETE", "PENDING"}
#: Analyzer types that look for access from outside the account or organization (the others report
#: unused access inside it).
EXTERNAL_ACCESS_TYPES = {"ACCOUNT", "ORGANIZATION"}


class accessanalyzer_enabled(RegionalCheck):
    meta = CheckMeta(
        key="accessanalyzer_enabled",
        title="IAM Access Analyzer looks for external access in every region",
        provider=Provider.AWS,
        service="accessanalyzer",
        severity=Severity.LOW,
        frameworks=frameworks(["CC6.1"], ["5.15"], ["1.20"]),
        rationale="An external access analyzer flags resources (buckets, keys, roles, snapshots) shared outside "
                  "the account or organization; an unused-access analyzer does not look for that.",
        remediation="IAM > Access analyzer > Create analyzer > External access (in each region), or "
                    "`aws accessanalyzer create-analyzer --analyzer-name default --type ACCOUNT --region <region>`.",
    )
    collector = "accessanalyzer.analyzers"

    def evaluate(self, analyzers: list[dict[str, Any]], region: str) -> list[Finding]:
        active = [a for a in analyzers if a.get("status") == "ACTIVE" and a.get("type") in EXTERNAL_ACCESS_TYPES]
        if any(a.get("type") in EXTERNAL_ACCESS_TYPES for a in analyzers):
            msg = f"The external access analyzer in {region} is not active."
        elif analyzers:
            msg = (f"IAM Access Analyzer in {region} only has unused-access analyzers "
                   f"({', '.join(str(a.get('type')) for a in analyzers)}), which do not look for external access.")
        else:
            msg = f"IAM Access Analyzer is not enabled in {region}."
        return [result(bool(active), f"region/{region}", f"IAM Access Analyzer looks for external access in "
                       f"{region} ({', '.join(a['name'] for a in active)}).", msg, {"Analyzers": analyzers}, region)]
