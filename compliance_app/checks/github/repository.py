"""Repository security features, ownership files and activity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from compliance_app.checks.base import CheckMeta, Finding
from compliance_app.checks.github._common import RepositoryCheck, finding, sample
from compliance_app.vocabulary import EvidenceStatus, Provider, Severity

INACTIVE_DAYS = 180
CODEOWNERS_PATHS = ("CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS")
SECURITY_MD_PATHS = ("SECURITY.md", ".github/SECURITY.md", "docs/SECURITY.md")
_SECURITY_SETTINGS = "GitHub → repository → Settings → Code security"


def _meta(key: str, title: str, severity: Severity, soc2: str, iso: str, cis: list[str], rationale: str,
          remediation: str) -> CheckMeta:
    frameworks = {"SOC 2": [soc2], "ISO 27001": [iso]}
    if cis:
        frameworks["CIS"] = cis
    return CheckMeta(key=key, title=title, provider=Provider.GITHUB, service="repository",
                     severity=severity, frameworks=frameworks, rationale=rationale, remediation=remediation,
                     when_empty=EvidenceStatus.NOT_APPLICABLE)  # no repository in scope: nothing to judge


class RepositorySecretScanningEnabled(RepositoryCheck):
    meta = _meta("repository_secret_scanning_enabled", "Secret scanning is enabled", Severity.HIGH,
                 "CC6.1", "8.12", ["1.5.1"],
                 "Credentials committed to a repository are the most common way source code leaks "
                 "become breaches; secret scanning finds them.",
                 f"{_SECURITY_SETTINGS} → Secret scanning → Enable (and enable push protection).")

    def evaluate(self, repo: dict[str, Any], data: Any) -> Finding:
        name = repo["full_name"]
        analysis = repo.get("security_and_analysis")
        if not analysis:
            return finding(name, None, f"GitHub did not return security settings for {name}: the token "
                                       "needs admin access to the repository, or the feature is not "
                                       "available on this plan.", {"repository": name})
        status = (analysis.get("secret_scanning") or {}).get("status")
        raw = {"repository": name, "secret_scanning": status,
               "push_protection": (analysis.get("secret_scanning_push_protection") or {}).get("status")}
        return finding(name, status == "enabled", f"Secret scanning of {name} is {status or 'off'}.", raw)


class RepositoryDependencyScanningEnabled(RepositoryCheck):
    meta = _meta("repository_dependency_scanning_enabled", "Dependabot vulnerability alerts are enabled",
                 Severity.MEDIUM, "CC7.1", "8.8", ["1.5.5"],
                 "Known-vulnerable dependencies are found only if someone is told about them.",
                 f"{_SECURITY_SETTINGS} → Dependabot alerts → Enable.")

    def collect(self, session: Any, repo: dict[str, Any]) -> Any:
        return session.collect("vulnerability_alerts", repo=repo["full_name"], admin=repo.get("admin"))

    def evaluate(self, repo: dict[str, Any], data: Any) -> Finding:
        name = repo["full_name"]
        return finding(name, bool(data), f"Dependabot alerts of {name} are {'on' if data else 'off'}.",
                       {"repository": name, "vulnerability_alerts_enabled": bool(data)})


class RepositoryNoOpenCriticalDependabotAlerts(RepositoryCheck):
    meta = _meta("repository_no_open_critical_dependabot_alerts",
                 "No open critical or high Dependabot alerts", Severity.HIGH, "CC7.1", "8.8", [],
                 "A known critical or high vulnerability left open is the easiest way in for an attacker.",
                 "GitHub → repository → Security → Dependabot → update or replace each listed package "
                 "(merge Dependabot's pull request), or dismiss the alert with a reason if it does not apply.")

    def collect(self, session: Any, repo: dict[str, Any]) -> Any:
        return session.collect("dependabot_alerts", repo=repo["full_name"])

    def evaluate(self, repo: dict[str, Any], data: Any) -> Finding:
        name = repo["full_name"]
        serious = [a for a in data if str(a.get("severity")).lower() in ("critical", "high")]
        raw = {"repository": name, "open_alerts": len(data), "open_critical_or_high": len(serious),
               "alerts": sample(serious, 20)}
        if serious:
            return finding(name, False, f"{name} has {len(serious)} open critical/high Dependabot alert(s).",
                           raw)
        return finding(name, True, f"{name} has no open critical/high Dependabot alerts.", raw)


class _FileCheck(RepositoryCheck):
    paths: tuple[str, ...] = ()
    label = ""

    def collect(self, session: Any, repo: dict[str, Any]) -> Any:
        return session.collect("first_file", repo=repo["full_name"], paths=self.paths)

    def evaluate(self, repo: dict[str, Any], data: Any) -> Finding:
        name = repo["full_name"]
        raw = {"repository": name, "found": data, "searched": list(self.paths)}
        if data:
            return finding(name, True, f"{name} has {self.label} at {data}.", raw)
        return finding(name, False, f"{name} has no {self.label} ({', '.join(self.paths)}).", raw)


class RepositoryHasCodeownersFile(_FileCheck):
    meta = _meta("repository_has_codeowners_file", "Repository has a CODEOWNERS file", Severity.LOW,
                 "CC8.1", "5.2", ["1.1.6"],
                 "CODEOWNERS names who is responsible for each part of the code and routes reviews to them.",
                 "Add a CODEOWNERS file in the repository root, .github/ or docs/, e.g. "
                 "'* @your-org/maintainers'.")
    paths, label = CODEOWNERS_PATHS, "a CODEOWNERS file"


class RepositoryPublicHasSecuritymdFile(_FileCheck):
    meta = _meta("repository_public_has_securitymd_file", "Public repository has a SECURITY.md file",
                 Severity.LOW, "CC2.3", "5.24", ["1.2.1"],
                 "Public users who find a vulnerability need to know how to report it privately.",
                 "Add SECURITY.md (root, .github/ or docs/) explaining how to report a vulnerability, "
                 "or enable private vulnerability reporting and describe it there.")
    paths, label = SECURITY_MD_PATHS, "a SECURITY.md file"
    public_only = True


class RepositoryInactiveNotArchived(RepositoryCheck):
    meta = _meta("repository_inactive_not_archived",
                 f"Repositories without pushes for {INACTIVE_DAYS} days are archived", Severity.LOW,
                 "CC6.1", "5.9", ["1.2.7"],
                 "Abandoned repositories keep access grants, secrets and vulnerable code nobody watches.",
                 "GitHub → repository → Settings → Danger Zone → Archive this repository (or delete it).")
    include_archived = True

    def evaluate(self, repo: dict[str, Any], data: Any) -> Finding:
        name = repo["full_name"]
        pushed_at = repo.get("pushed_at")
        raw = {"repository": name, "archived": bool(repo.get("archived")), "pushed_at": pushed_at}
        if repo.get("archived"):
            return finding(name, True, f"{name} is archived.", raw)
        if not pushed_at:
            return finding(name, False, f"{name} has never been pushed to and is not archived.", raw)
        last = datetime.fromisoformat(pushed_at.replace("Z", "+00:00"))
        idle = (datetime.now(UTC) - last).days
        raw["days_since_push"] = idle
        if last < datetime.now(UTC) - timedelta(days=INACTIVE_DAYS):
            return finding(name, False, f"{name} has had no push for {idle} days and is not archived.", raw)
        return finding(name, True, f"{name} was pushed to {idle} day(s) ago.", raw)
