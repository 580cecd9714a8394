"""Organization-wide GitHub settings: 2FA (members and outside collaborators), base
permission, repository creation and deletion, number of owners, webhooks.

Each check returns exactly one finding for the organization (PASS, FAIL or ERROR), so
"nothing in scope" (CheckMeta.when_empty) never arises for them."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from compliance_app.checks.base import CheckMeta, Finding
from compliance_app.checks.github._common import OrganizationCheck, finding, sample
from compliance_app.vocabulary import Provider, Severity

_SETTINGS_URL = "GitHub → your organization → Settings"


def _org_setting(login: str, org: dict[str, Any], name: str, good: Any, what: str) -> Finding:
    """PASS when org[name] is one of `good`; ERROR when GitHub did not return it at all.

    GitHub only returns these fields to organization owners, so a missing field means the
    token cannot see the setting — not that the setting is fine.
    """
    value = org.get(name)
    raw = {"organization": login, name: value}
    if value is None:
        return finding(login, None, f"GitHub did not return {name} for '{login}': the token must belong "
                                    "to an organization owner (scope read:org).", raw)
    ok = value in good
    return finding(login, ok, f"Organization '{login}' {what}: {name} = {value!r}.", raw)


def _safe_url(url: str) -> str:
    """Scheme, host and path only: query strings and user-info may carry credentials."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


class OrganizationMembersMfaRequired(OrganizationCheck):
    meta = CheckMeta(
        key="organization_members_mfa_required",
        title="Organization requires two-factor authentication",
        provider=Provider.GITHUB,
        service="organization",
        severity=Severity.CRITICAL,
        frameworks={"SOC 2": ["CC6.1"], "CIS": ["1.3.5"], "ISO 27001": ["8.5"]},
        rationale="A stolen password alone must not give access to source code; requiring 2FA for "
                  "every member removes members who have not enabled it.",
        remediation=f"{_SETTINGS_URL} → Authentication security → tick 'Require two-factor "
                    "authentication for everyone in the organization' → Save. Members without 2FA "
                    "are removed, so ask them to enable it first.",
    )

    def collect(self, session: Any) -> Any:
        return session.collect("organization")

    def evaluate(self, login: str, data: Any, session: Any) -> Finding:
        return _org_setting(login, data, "two_factor_requirement_enabled", (True,), "2FA requirement")


class OrganizationMembersWithout2fa(OrganizationCheck):
    meta = CheckMeta(
        key="organization_members_without_2fa",
        title="No organization member has two-factor authentication disabled",
        provider=Provider.GITHUB,
        service="organization",
        severity=Severity.HIGH,
        frameworks={"SOC 2": ["CC6.1"], "CIS": ["1.3.5"], "ISO 27001": ["8.5"]},
        rationale="Each member without 2FA is an account an attacker can take over with a password.",
        remediation="Ask the listed members to enable 2FA (GitHub → Settings → Password and "
                    "authentication), or require 2FA for the organization, which removes them.",
    )

    def collect(self, session: Any) -> Any:
        return session.collect("members", filter_="2fa_disabled")

    def evaluate(self, login: str, data: Any, session: Any) -> Finding:
        raw = {"organization": login, "members_without_2fa": sample(data), "count": len(data)}
        if not data:
            return finding(login, True, f"Every member of '{login}' has 2FA enabled.", raw)
        return finding(login, False, f"{len(data)} member(s) of '{login}' have 2FA disabled: "
                                     f"{', '.join(sample(data, 10))}.", raw)


class OrganizationOutsideCollaboratorsWithout2fa(OrganizationCheck):
    meta = CheckMeta(
        key="organization_outside_collaborators_without_2fa",
        title="No outside collaborator has two-factor authentication disabled",
        provider=Provider.GITHUB,
        service="organization",
        severity=Severity.HIGH,
        frameworks={"SOC 2": ["CC6.1"], "ISO 27001": ["8.5"]},
        rationale="Outside collaborators are not members, so the member list never shows them, yet they "
                  "can push to the repositories they were added to; one without 2FA is an account an "
                  "attacker can take over with a password.",
        remediation="Ask the listed collaborators to enable 2FA, or remove them: GitHub → your "
                    "organization → People → Outside collaborators → filter '2FA: Disabled' → remove from "
                    "all repositories. Requiring 2FA for the organization removes them too.",
    )

    def collect(self, session: Any) -> Any:
        return session.collect("outside_collaborators", filter_="2fa_disabled")

    def evaluate(self, login: str, data: Any, session: Any) -> Finding:
        raw = {"organization": login, "outside_collaborators_without_2fa": sample(data), "count": len(data)}
        if not data:
            return finding(login, True, f"Every outside collaborator of '{login}' has 2FA enabled.", raw)
        return finding(login, False, f"{len(data)} outside collaborator(s) of '{login}' have 2FA disabled: "
                                     f"{', '.join(sample(data, 10))}.", raw)


class OrganizationDefaultRepositoryPermissionStrict(OrganizationCheck):
    meta = CheckMeta(
        key="organization_default_repository_permission_strict",
        title="Organization base permission is read or none",
        provider=Provider.GITHUB,
        service="organization",
        severity=Severity.MEDIUM,
        frameworks={"SOC 2": ["CC6.3"], "CIS": ["1.3.8"], "ISO 27001": ["5.15"]},
        rationale="The base permission applies to every member on every repository; write or admin "
                  "by default breaks least privilege.",
        remediation=f"{_SETTINGS_URL} → Member privileges → Base permissions → choose 'Read' or "
                    "'No permission', then grant write access per team.",
    )

    def collect(self, session: Any) -> Any:
        return session.collect("organization")

    def evaluate(self, login: str, data: Any, session: Any) -> Finding:
        return _org_setting(login, data, "default_repository_permission", ("read", "none"),
                            "base repository permission")


class OrganizationRepositoryCreationLimited(OrganizationCheck):
    meta = CheckMeta(
        key="organization_repository_creation_limited",
        title="Members cannot create public repositories",
        provider=Provider.GITHUB,
        service="organization",
        severity=Severity.LOW,
        frameworks={"SOC 2": ["CC6.3"], "CIS": ["1.2.2"], "ISO 27001": ["5.15"]},
        rationale="A member creating a public repository can publish code or data by mistake.",
        remediation=f"{_SETTINGS_URL} → Member privileges → Repository creation → untick 'Public'.",
    )

    def collect(self, session: Any) -> Any:
        return session.collect("organization")

    def evaluate(self, login: str, data: Any, session: Any) -> Finding:
        return _org_setting(login, data, "members_can_create_public_repositories", (False,),
                            "public repository creation by members")


class OrganizationRepositoryDeletionLimited(OrganizationCheck):
    meta = CheckMeta(
        key="organization_repository_deletion_limited",
        title="Members cannot delete or transfer repositories",
        provider=Provider.GITHUB,
        service="organization",
        severity=Severity.MEDIUM,
        frameworks={"SOC 2": ["CC6.3"], "CIS": ["1.2.3"], "ISO 27001": ["5.15"]},
        rationale="Deleting a repository destroys code and history; only owners should be able to.",
        remediation=f"{_SETTINGS_URL} → Member privileges → Admin repository permissions → untick "
                    "'Allow members to delete or transfer repositories for this organization'.",
    )

    def collect(self, session: Any) -> Any:
        return session.collect("organization")

    def evaluate(self, login: str, data: Any, session: Any) -> Finding:
        return _org_setting(login, data, "members_can_delete_repositories", (False,),
                            "repository deletion by members")


class OrganizationAdminsLimited(OrganizationCheck):
    meta = CheckMeta(
        key="organization_admins_limited",
        title="The number of organization owners is limited",
        provider=Provider.GITHUB,
        service="organization",
        severity=Severity.MEDIUM,
        frameworks={"SOC 2": ["CC6.3"], "CIS": ["1.3.3"], "ISO 27001": ["8.2"]},
        rationale="Owners can change every setting and delete everything; each extra owner widens "
                  "the blast radius of a compromised account.",
        remediation="GitHub → your organization → People → filter Role: Owner → change the role of "
                    "owners who do not need it to Member (keep at least two owners).",
        description="PASS when the number of owners is at most the integration's max_admins (default 3).",
    )

    def collect(self, session: Any) -> Any:
        return session.collect("members", role="admin")

    def evaluate(self, login: str, data: Any, session: Any) -> Finding:
        limit = session.max_admins
        raw = {"organization": login, "owners": sample(data), "count": len(data), "max_admins": limit}
        ok = len(data) <= limit
        return finding(login, ok, f"Organization '{login}' has {len(data)} owner(s); the maximum is {limit}.",
                       raw)


class OrganizationWebhooksSecure(OrganizationCheck):
    meta = CheckMeta(
        key="organization_webhooks_secure",
        title="Organization webhooks use HTTPS with SSL verification",
        provider=Provider.GITHUB,
        service="organization",
        severity=Severity.MEDIUM,
        frameworks={"SOC 2": ["CC6.7"], "ISO 27001": ["8.24"]},
        rationale="Webhook payloads carry repository and member data; plain HTTP or disabled "
                  "certificate checks expose them to interception.",
        remediation=f"{_SETTINGS_URL} → Webhooks → edit each listed hook: use an https:// payload URL "
                    "and select 'Enable SSL verification'.",
    )

    def collect(self, session: Any) -> Any:
        return session.collect("hooks")

    def evaluate(self, login: str, data: Any, session: Any) -> Finding:
        insecure = [h for h in data
                    if not str(h.get("url", "")).lower().startswith("https://") or h.get("insecure_ssl") != "0"]
        raw = {"organization": login, "webhooks": len(data),
               "insecure": sample([{"id": h["id"], "url": _safe_url(h["url"]), "insecure_ssl": h["insecure_ssl"]}
                                   for h in insecure])}
        if not data:
            return finding(login, True, f"Organization '{login}' has no webhooks.", raw)
        if not insecure:
            return finding(login, True, f"All {len(data)} webhook(s) of '{login}' use verified HTTPS.", raw)
        return finding(login, False, f"{len(insecure)} of {len(data)} webhook(s) of '{login}' use plain "
                                     "HTTP or skip SSL verification.", raw)
