"""GitHub reads for the Actions and supply-chain checks, as a mixin of GitHubSession.

Kept apart from providers/github.py (the session's plumbing: retries, throttle, memo) so the
two evolve independently. Each `_fetch_<name>` is reached through `GitHubSession.collect`,
which memoizes it once per scan; every request goes through `call` (bounded retries, rate
limits waited out, errors turned into a `CollectionError` a person can act on).

Organization Actions settings need the classic `admin:org` scope (or the fine-grained
organization permission "Administration: read") and an owner's token: without them GitHub
answers 403 or 404, which becomes ERROR "the token lacks admin:org", never a FAIL.

Workflow files are read through the contents API (the directory listings, shared with the file
checks through GitHubSession's `directory` collection, then each file) and
parsed with PyYAML's safe loader, never matched with regular expressions. A file that cannot
be read or parsed is returned as an `error` entry naming it, so a check can still FAIL on the
other files, and ERROR (naming the file) when nothing else decides.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import yaml
from github import GithubException

from compliance_app.providers.base import CollectionError
from compliance_app.providers.github_batch import ASK_REST, deploy_keys_refused

T = TypeVar("T")

ADMIN_ORG = "admin:org"
WORKFLOWS_DIR = ".github/workflows"
_WORKFLOW_SUFFIXES = (".yml", ".yaml")
#: Fields of a deploy key the check decides on (never the key material). Not `last_used`: the
#: deploy keys are read through GitHub's GraphQL API (providers/github_batch.py), which has no such field.
_DEPLOY_KEY_FIELDS = ("id", "title", "read_only", "created_at", "verified")
#: What GitHub says when a repository's code scanning has never produced an analysis.
_NO_ANALYSIS = "no analysis found"


def _headers(exc: GithubException) -> dict[str, str]:
    return {k.lower(): v for k, v in (exc.headers or {}).items()}


def _message(exc: GithubException) -> str:
    data = exc.data if isinstance(exc.data, dict) else {}
    return str(data.get("message") or "").strip()


def lacks_admin_org(exc: GithubException) -> bool:
    """Whether GitHub refused because the token is not an owner's token with admin:org.

    A classic token without the scope gets 403 with X-Accepted-OAuth-Scopes naming it; a
    non-owner (or a fine-grained token without the organization permission) gets 404, which
    GitHub uses to hide organization settings.
    """
    if exc.status == 404:
        return True
    if exc.status != 403:
        return False
    headers = _headers(exc)
    accepted = {s.strip() for s in headers.get("x-accepted-oauth-scopes", "").split(",") if s.strip()}
    granted = {s.strip() for s in headers.get("x-oauth-scopes", "").split(",") if s.strip()}
    return ADMIN_ORG in accepted and ADMIN_ORG not in granted


def admin_org_reason(what: str, exc: GithubException) -> str:
    """The ERROR reason for an organization setting the token may not read."""
    granted = _headers(exc).get("x-oauth-scopes")
    has = f" (token has: {granted or 'no scopes'})" if granted is not None else ""
    return (f"Cannot read {what}: the token lacks admin:org{has}. GitHub shows this setting only to an "
            "organization owner's token with the admin:org scope (classic), or the organization "
            "permission 'Administration: read' (fine-grained); GitHub answered HTTP "
            f"{exc.status}.")


def parse_workflow(path: str, text: str) -> dict[str, Any]:
    """One workflow file as {"path", "workflow"} or {"path", "error"} (naming the file).

    YAML 1.1 (PyYAML) reads the key `on` as the boolean True: the trigger analysis in
    checks/github/_workflows.py looks for both.
    """
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        return {"path": path, "error": f"workflow {path} is not valid YAML{where}: {problem}"}
    if not isinstance(document, dict):
        return {"path": path, "error": f"workflow {path} is not a YAML mapping (GitHub cannot run it)"}
    return {"path": path, "workflow": document}


class SupplyChainReads:
    """`_fetch_*` collections for the Actions and supply-chain checks (mixed into GitHubSession)."""

    if TYPE_CHECKING:  # provided by GitHubSession
        org_login: str

        def call(self, what: str, fn: Callable[[], T]) -> T: ...
        def collect(self, name: str, **kw: Any) -> Any: ...
        def _get(self, path: str, **params: Any) -> Any: ...
        def _get_all(self, path: str, **params: Any) -> list[Any]: ...
        def _listed(self, repo: str) -> dict[str, Any] | None: ...
        def _analysis_status(self, repo: str, feature: str) -> str | None: ...
        def _batched(self, repo: str, fact: str) -> Any: ...

    # ---- organization Actions settings (admin:org) --------------------------------
    def _org_setting(self, what: str, path: str) -> dict[str, Any]:
        def read() -> dict[str, Any]:
            try:
                return self._get(path)
            except GithubException as exc:
                if lacks_admin_org(exc):
                    raise CollectionError(admin_org_reason(what, exc)) from None
                raise

        return self.call(what, read)

    def _fetch_actions_permissions(self) -> dict[str, Any]:
        """GET /orgs/{org}/actions/permissions: which repositories may run Actions, and which actions."""
        data = self._org_setting(f"the GitHub Actions permissions of '{self.org_login}'",
                                 f"/orgs/{self.org_login}/actions/permissions")
        return {k: data.get(k) for k in ("enabled_repositories", "allowed_actions", "sha_pinning_required")}

    def _fetch_actions_selected_actions(self) -> dict[str, Any]:
        """GET /orgs/{org}/actions/permissions/selected-actions (when allowed_actions is 'selected')."""
        data = self._org_setting(f"the allowed actions list of '{self.org_login}'",
                                 f"/orgs/{self.org_login}/actions/permissions/selected-actions")
        return {"github_owned_allowed": data.get("github_owned_allowed"),
                "verified_allowed": data.get("verified_allowed"),
                "patterns_allowed": list(data.get("patterns_allowed") or [])}

    def _fetch_org_workflow_permissions(self) -> dict[str, Any]:
        """GET /orgs/{org}/actions/permissions/workflow: the GITHUB_TOKEN's default permissions."""
        data = self._org_setting(f"the default workflow permissions of '{self.org_login}'",
                                 f"/orgs/{self.org_login}/actions/permissions/workflow")
        return {k: data.get(k) for k in ("default_workflow_permissions", "can_approve_pull_request_reviews")}

    def _fetch_fork_pr_approval(self) -> dict[str, Any]:
        """GET /orgs/{org}/actions/permissions/fork-pr-contributor-approval."""
        data = self._org_setting(f"the fork pull-request approval policy of '{self.org_login}'",
                                 f"/orgs/{self.org_login}/actions/permissions/fork-pr-contributor-approval")
        return {"approval_policy": data.get("approval_policy")}

    # ---- per repository ---------------------------------------------------------------
    def _admin_read(self, what: str, path: str) -> Any:
        """A repository setting GitHub shows only to its admins (404 hides it from others)."""
        def read() -> Any:
            try:
                return self._get(path)
            except GithubException as exc:
                if exc.status != 404:
                    raise
                raise CollectionError(
                    f"The token cannot read {what} (GitHub answers 404 without admin rights: the token "
                    "needs admin access to the repository, or the fine-grained permission "
                    "'Administration: read').") from None

        return self.call(what, read)

    def _fetch_repo_workflow_permissions(self, repo: str) -> dict[str, Any]:
        """GET /repos/{o}/{r}/actions/permissions/workflow (repository admins only)."""
        data = self._admin_read(f"the default workflow permissions of {repo}",
                                f"/repos/{repo}/actions/permissions/workflow")
        return {k: data.get(k) for k in ("default_workflow_permissions", "can_approve_pull_request_reviews")}

    def _fetch_deploy_keys(self, repo: str) -> list[dict[str, Any]]:
        """Every deploy key of the repository, without the key material.

        Read for many repositories at once in one GraphQL query (providers/github_batch.py),
        or from the repository's own REST list when that query cannot settle it. `id` is then
        GraphQL's node id of the key, REST's number otherwise; nothing decides on it.
        """
        batched = self._batched(repo, "deploy_keys")
        if batched is not ASK_REST:
            return batched

        def read() -> list[dict[str, Any]]:
            try:
                keys = self._get_all(f"/repos/{repo}/keys")
            except GithubException as exc:
                if exc.status != 404:
                    raise
                raise CollectionError(deploy_keys_refused(repo, "answers 404")) from None
            return [{k: key.get(k) for k in _DEPLOY_KEY_FIELDS} for key in keys]

        return self.call(f"deploy keys of {repo}", read)

    def _fetch_repo_outside_collaborators(self, repo: str) -> list[dict[str, Any]]:
        """Outside collaborators of the repository with the role each one holds on it.

        An outside collaborator is, by GitHub's definition, a non-member with access to at least
        one repository of the organization: when the organization lists none (one request), no
        repository has any, and the per-repository lists are not asked. If that list cannot be
        read, each repository is asked.
        """
        try:
            if not self.collect("outside_collaborators"):
                return []
        except CollectionError:
            pass

        def read() -> list[dict[str, Any]]:
            people = self._get_all(f"/repos/{repo}/collaborators", affiliation="outside")
            return [{"login": p.get("login"), "role_name": p.get("role_name"),
                     "admin": bool((p.get("permissions") or {}).get("admin")) or p.get("role_name") == "admin"}
                    for p in people]

        return self.call(f"outside collaborators of {repo}", read)

    def _fetch_code_scanning(self, repo: str) -> dict[str, Any]:
        """Whether code scanning has analysed the repository, and its open alerts.

        GitHub answers 404 "no analysis found" when code scanning never ran, and 403 "... must
        be enabled ..." when it is switched off (or not licensed) for the repository: both mean
        the repository is not scanned. Any other refusal (missing security_events scope...) is
        an error.

        A private repository whose listing says GitHub Code Security (and the Advanced Security
        bundle) is disabled needs no request: GitHub documents code scanning as available for
        "public repositories on GitHub.com" and for "organization-owned repositories ... with GitHub
        Code Security enabled", and the alert list of such a repository answers 403 "... must be
        enabled ...", which is read as "not scanned" anyway.
        """
        if self._code_security_off(repo):
            return {"enabled": False, "alerts": [], "reason": (
                "GitHub Code Security and Advanced Security are disabled for this private repository, and "
                "GitHub offers code scanning on private repositories only with Code Security")}

        def read() -> dict[str, Any]:
            try:
                alerts = self._get_all(f"/repos/{repo}/code-scanning/alerts", state="open")
            except GithubException as exc:
                message = _message(exc)
                off = ((exc.status == 404 and message.lower().startswith(_NO_ANALYSIS))
                       or (exc.status == 403 and "enabled" in message.lower()
                           and "rate limit" not in message.lower()))
                if off:
                    return {"enabled": False, "reason": message, "alerts": []}
                raise
            return {"enabled": True, "reason": None, "alerts": [
                {"number": a.get("number"), "rule": (a.get("rule") or {}).get("id"),
                 "security_severity_level": (a.get("rule") or {}).get("security_severity_level"),
                 "severity": (a.get("rule") or {}).get("severity"),
                 "tool": (a.get("tool") or {}).get("name")} for a in alerts]}

        return self.call(f"code scanning alerts of {repo}", read)

    def _code_security_off(self, repo: str) -> bool:
        """Whether the listing proves code scanning unavailable: a private repository whose
        security_and_analysis says both code_security and advanced_security are disabled."""
        listed = self._listed(repo)
        return (listed is not None and listed.get("private") is True
                and all(self._analysis_status(repo, f) == "disabled" for f in ("code_security", "advanced_security")))

    def _fetch_workflows(self, repo: str) -> list[dict[str, Any]]:
        """Every workflow file of the default branch, parsed: [{"path", "workflow"|"error"}].

        Files are read one after the other: this already runs inside the per-repository
        fan-out, and nesting another on the same bounded pool could starve it.
        """
        listing = self.collect("directory", repo=repo, path=WORKFLOWS_DIR) or []
        files = sorted(str(e["path"]) for e in listing if e.get("type") == "file" and e.get("path")
                       and str(e.get("name", "")).endswith(_WORKFLOW_SUFFIXES))
        return [self._workflow(repo, path) for path in files]

    def _workflow(self, repo: str, path: str) -> dict[str, Any]:
        data = self.call(f"{path} in {repo}", lambda: self._get(f"/repos/{repo}/contents/{path}"))
        content = data.get("content") if isinstance(data, dict) else None
        if not isinstance(data, dict) or data.get("encoding") != "base64" or not isinstance(content, str):
            return {"path": path, "error": f"workflow {path} could not be read through the contents API "
                                           "(larger than 1 MB, or not a file)"}
        try:
            text = base64.b64decode(content).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return {"path": path, "error": f"workflow {path} is not UTF-8 text"}
        return parse_workflow(path, text)
