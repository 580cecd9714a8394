"""Each GitHub check of the catalog, given an answer it cannot read, is ERROR with the reason.

One case per check: the endpoint that check depends on fails (a server error GitHub did not
recover from, or a field GitHub withholds); every finding must then be ERROR naming the cause,
never a PASS or a FAIL guessed from what was missing.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from compliance_app.models import EvidenceStatus
from tests.catalog_cases import covers
from tests.checks_github.helpers import run
from tests.support.github_server import GitHubServer

Setup = Callable[[GitHubServer], None]


def _broken(pattern: str) -> tuple[Setup, str]:
    """A protected repository "api" exists; requests matching `pattern` answer HTTP 500."""
    def setup(s: GitHubServer) -> None:
        s.add_repo("api", files={"CODEOWNERS": "* @acme/devs", "SECURITY.md": "mail us"}).protect()
        s.fail(pattern, 500)
    return setup, "HTTP 500"


def _withheld_security_settings(s: GitHubServer) -> None:
    s.add_repo("api", security_and_analysis=None)  # what GitHub sends a token without admin rights


ORG, MEMBERS, BRANCH = r"^/orgs/acme$", r"^/orgs/acme/members$", r"^/repos/acme/api/branches/main(/protection)?$"
#: key -> (what makes its data unreadable, what the ERROR message must name)
CASES: dict[str, tuple[Setup, str]] = {
    "organization_members_mfa_required": _broken(ORG),
    "organization_default_repository_permission_strict": _broken(ORG),
    "organization_repository_creation_limited": _broken(ORG),
    "organization_repository_deletion_limited": _broken(ORG),
    "organization_members_without_2fa": _broken(MEMBERS),
    "organization_admins_limited": _broken(MEMBERS),
    "organization_outside_collaborators_without_2fa": _broken(r"^/orgs/acme/outside_collaborators$"),
    "organization_webhooks_secure": _broken(r"^/orgs/acme/hooks$"),
    "repository_default_branch_protection_enabled": _broken(BRANCH),
    "repository_default_branch_requires_pr_reviews": _broken(BRANCH),
    "repository_default_branch_disallows_force_push": _broken(BRANCH),
    "repository_default_branch_dismisses_stale_reviews": _broken(BRANCH),
    "repository_default_branch_requires_signed_commits": _broken(BRANCH),
    "repository_default_branch_deletion_disabled": _broken(BRANCH),
    "repository_default_branch_status_checks_required": _broken(BRANCH),
    "repository_default_branch_protection_applies_to_admins": _broken(BRANCH),
    "repository_default_branch_requires_codeowners_review": _broken(BRANCH),
    "repository_secret_scanning_enabled": (_withheld_security_settings, "admin access"),
    "repository_dependency_scanning_enabled": _broken(r"/vulnerability-alerts$|/dependabot/alerts$"),
    "repository_no_open_critical_dependabot_alerts": _broken(r"/dependabot/alerts$"),
    # the top directories' GraphQL query fails, and so does the REST read each repository falls back to
    "repository_has_codeowners_file": _broken(r"^/graphql$|/contents/"),
    "repository_public_has_securitymd_file": _broken(r"^/graphql$|/contents/"),
    "repository_inactive_not_archived": _broken(r"^/orgs/acme/repos$"),
}


@pytest.mark.parametrize("key", sorted(CASES))
@covers(CASES, "error")
def test_unreadable_data_is_error(key: str, github_server: GitHubServer) -> None:
    setup, cause = CASES[key]
    setup(github_server)
    findings = run(key, github_server, max_attempts=1)
    assert findings and all(f.status == EvidenceStatus.ERROR for f in findings), findings
    assert all(cause in f.message for f in findings), [f.message for f in findings]
