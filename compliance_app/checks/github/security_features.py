"""Repository security features: secret scanning push protection, Dependabot security
updates, code scanning (enabled, with no open critical alert)."""

from __future__ import annotations

from typing import Any

from compliance_app.checks.base import CheckMeta, Finding
from compliance_app.checks.github._common import RepositoryCheck, finding, sample
from compliance_app.vocabulary import EvidenceStatus, Provider, Severity

_SECURITY_SETTINGS = "GitHub → repository → Settings → Code security"


def _meta(key: str, title: str, severity: Severity, soc2: list[str], iso: list[str], rationale: str,
          remediation: str) -> CheckMeta:
    return CheckMeta(key=key, title=title, provider=Provider.GITHUB, service="repository", severity=severity,
                     frameworks={"SOC 2": soc2, "ISO 27001": iso}, rationale=rationale,
                     remediation=remediation,
                     when_empty=EvidenceStatus.NOT_APPLICABLE)  # no repository in scope: nothing to judge


def _analysis_setting(repo: dict[str, Any], name: str, label: str) -> Finding:
    """PASS when security_and_analysis[name].status is "enabled"; ERROR when GitHub hid the block."""
    full_name = repo["full_name"]
    analysis = repo.get("security_and_analysis")
    if not analysis:
        return finding(full_name, None, f"GitHub did not return security settings for {full_name}: the token "
                                        "needs admin access to the repository, or the feature is not available "
                                        "on this plan.", {"repository": full_name})
    status = (analysis.get(name) or {}).get("status")
    return finding(full_name, status == "enabled", f"{label} of {full_name} is {status or 'off'}.",
                   {"repository": full_name, name: status})


class RepositorySecretScanningPushProtectionEnabled(RepositoryCheck):
    meta = _meta(
        "repository_secret_scanning_push_protection_enabled", "Secret scanning push protection is enabled",
        Severity.HIGH, ["CC6.1"], ["8.12", "5.17"],
        "Secret scanning finds a leaked credential after it is pushed, when it must already be revoked; "
        "push protection blocks the push, so the credential never reaches the repository.",
        f"{_SECURITY_SETTINGS} → Secret Protection → Push protection → Enable. CLI: gh api -X PATCH "
        "repos/OWNER/REPO --input - <<< "
        "'{\"security_and_analysis\":{\"secret_scanning_push_protection\":{\"status\":\"enabled\"}}}'")

    def evaluate(self, repo: dict[str, Any], data: Any) -> Finding:
        return _analysis_setting(repo, "secret_scanning_push_protection", "Secret scanning push protection")


class RepositoryDependabotSecurityUpdatesEnabled(RepositoryCheck):
    meta = _meta(
        "repository_dependabot_security_updates_enabled", "Dependabot security updates are enabled",
        Severity.MEDIUM, ["CC7.1"], ["8.8"],
        "An alert only says a dependency is vulnerable; security updates open the pull request that "
        "fixes it, which shortens the time a known vulnerability stays in the code.",
        f"{_SECURITY_SETTINGS} → Dependabot → Dependabot security updates → Enable (Dependabot alerts "
        "must be on). CLI: gh api -X PUT repos/OWNER/REPO/automated-security-fixes")

    def evaluate(self, repo: dict[str, Any], data: Any) -> Finding:
        return _analysis_setting(repo, "dependabot_security_updates", "Dependabot security updates")


class RepositoryCodeScanningEnabledNoOpenCriticalAlerts(RepositoryCheck):
    meta = _meta(
        "repository_code_scanning_enabled_no_open_critical_alerts",
        "Code scanning is enabled with no open critical alert", Severity.HIGH, ["CC7.1", "CC8.1"],
        ["8.8", "8.28"],
        "Static analysis finds injection, path traversal and similar flaws before release; a critical "
        "alert left open is a known exploitable flaw in the code.",
        f"{_SECURITY_SETTINGS} → Code scanning → CodeQL analysis → Set up → Default → Enable CodeQL; then "
        "fix or dismiss (with a reason) each critical alert under Security → Code scanning. CLI: gh api -X "
        "PATCH repos/OWNER/REPO/code-scanning/default-setup -f state=configured")

    def collect(self, session: Any, repo: dict[str, Any]) -> Any:
        return session.collect("code_scanning", repo=repo["full_name"])

    def evaluate(self, repo: dict[str, Any], data: Any) -> Finding:
        name = repo["full_name"]
        if not data["enabled"]:
            return finding(name, False, f"Code scanning is not enabled for {name} (GitHub: "
                                        f"{data['reason'] or 'no analysis'}).",
                           {"repository": name, "code_scanning": "not enabled", "github_says": data["reason"]})
        critical = [a for a in data["alerts"] if str(a.get("security_severity_level")).lower() == "critical"]
        raw = {"repository": name, "code_scanning": "enabled", "open_alerts": len(data["alerts"]),
               "open_critical": len(critical), "alerts": sample(critical, 20)}
        if critical:
            return finding(name, False, f"{name} has {len(critical)} open critical code scanning alert(s).", raw)
        return finding(name, True, f"Code scanning is enabled for {name} with no open critical alert.", raw)
