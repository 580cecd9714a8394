"""GuardDuty: no open high-severity finding."""

from __future__ import annotations

from typing import Any

from compliance_app.checks.aws._common import RegionalCheck, frameworks, result
from compliance_app.checks.base import CheckMeta, Finding
from compliance_app.vocabulary import Provider, Severity


class guardduty_no_high_severity_findings(RegionalCheck):
    meta = CheckMeta(
        key="guardduty_no_high_severity_findings",
        title="GuardDuty has no open high-severity finding",
        provider=Provider.AWS,
        service="guardduty",
        severity=Severity.HIGH,
        frameworks=frameworks(["CC7.3"], ["5.25", "8.16"]),
        rationale="A high-severity GuardDuty finding means a resource is probably compromised (credential "
                  "exfiltration, crypto-mining, command-and-control traffic); left open it is an incident nobody "
                  "is handling.",
        remediation="GuardDuty > Findings > filter Severity: High > investigate each finding, remediate the "
                    "resource, then archive it (or suppress a verified false positive with a filter rule); or "
                    "`aws guardduty list-findings --detector-id <id> --finding-criteria "
                    "'{\"Criterion\":{\"severity\":{\"GreaterThanOrEqual\":7},\"service.archived\":{\"Equals\":"
                    "[\"false\"]}}}'` then `aws guardduty archive-findings --detector-id <id> --finding-ids <ids>` "
                    "once handled.",
    )
    collector = "guardduty.high_findings"

    def evaluate(self, detectors: list[dict[str, Any]], region: str) -> list[Finding]:
        findings = []
        for d in detectors:
            ids = d.get("HighFindingIds") or []
            count = f"{'at least ' if d.get('Truncated') else ''}{len(ids)}"
            kinds = ", ".join(sorted({str(f.get("Type")) for f in d.get("Sample") or []}))
            findings.append(result(not ids, f"guardduty/{region}/{d['DetectorId']}",
                                   f"GuardDuty detector {d['DetectorId']} in {region} has no open high-severity "
                                   f"finding.",
                                   f"GuardDuty detector {d['DetectorId']} in {region} has {count} open "
                                   f"high-severity finding(s){f' ({kinds})' if kinds else ''}.",
                                   {"DetectorId": d["DetectorId"], "Status": d.get("Status"),
                                    "OpenHighFindings": len(ids), "Truncated": d.get("Truncated"),
                                    "Sample": d.get("Sample")}, region))
        return findings
