"""KMS customer-managed key rotation."""

from __future__ import annotations

from typing import Any

from compliance_app.checks.aws._common import RegionalCheck, attr_error, frameworks, result
from compliance_app.checks.base import CheckMeta, Finding
from compliance_app.vocabulary import Provider, Severity


class kms_cmk_rotation_enabled(RegionalCheck):
    meta = CheckMeta(
        key="kms_cmk_rotation_enabled",
        title="Customer-managed KMS keys rotate automatically",
        provider=Provider.AWS,
        service="kms",
        severity=Severity.MEDIUM,
        frameworks=frameworks(["CC6.7"], ["8.24"], ["3.6"]),
        rationale="Automatic rotation limits how much data any single key version protects, with no "
                  "change for applications.",
        remediation="KMS > Customer managed keys > <key> > Key rotation > Automatically rotate, or "
                    "`aws kms enable-key-rotation --key-id <key-id>`.",
    )
    collector = "kms.keys"

    def evaluate(self, keys: list[dict[str, Any]], region: str) -> list[Finding]:
        findings = []
        for k in keys:
            resource = k.get("Arn") or k["KeyId"]
            if err := attr_error(k):
                findings.append(Finding.error(resource, f"KMS key {k['KeyId']}: {err}", region))
                continue
            findings.append(result(bool(k.get("KeyRotationEnabled")), resource,
                                   f"KMS key {k['KeyId']} rotates automatically.",
                                   f"KMS key {k['KeyId']} does not rotate automatically.",
                                   {"KeyId": k["KeyId"], "KeyRotationEnabled": k.get("KeyRotationEnabled")}, region))
        return findings
