"""A local stand-in for the GitHub REST API, for tests and benchmarks (127.0.0.1 only).

It speaks the paths PyGithub and providers/github.py call, from in-memory state that a
test configures directly. Typical use (the `github_server` fixture in tests/conftest.py
yields a started server, reset for each test)::

    server.org.update(two_factor_requirement_enabled=True)
    server.add_member("alice", two_factor=False, role="admin")
    server.add_outside_collaborator("carol", two_factor=False)
    server.add_hook("https://hooks.example.com/x", insecure_ssl="0")
    repo = server.add_repo("api", private=True)        # default_branch "main"
    repo.protect(required_pull_request_reviews={"required_approving_review_count": 1})
    server.add_ruleset("api", rules=[{"type": "deletion"}], bypass_actors=[])
    repo.files["CODEOWNERS"] = "* @acme/devs"
    repo.admin = False          # the token is not a repository admin (protection reads 404)
    repo.visible = False        # the token cannot see it (a fine-grained token for some repos)
    repo.dependabot_alerts.append(dependabot_alert("critical"))
    repo.code_scanning_alerts.append(code_scanning_alert("critical"))
    repo.code_scanning_enabled = False                   # 404 "no analysis found"
    repo.files[".github/workflows/ci.yml"] = "on: push\njobs: {}"   # listed under the directory too
    repo.deploy_keys.append(deploy_key("ci", read_only=False))
    repo.add_collaborator("eve", permission="admin")    # an outside collaborator of the repository
    repo.workflow_permissions["default_workflow_permissions"] = "write"
    server.actions.update(allowed_actions="all")       # org Actions settings (need admin:org)
    server.selected_actions["patterns_allowed"] = ["octo/*"]
    server.workflow_permissions["can_approve_pull_request_reviews"] = True
    server.fork_pr_approval["approval_policy"] = "first_time_contributors"
    server.org_owner = False      # the token's user is no owner (organization alert lists answer 403)
    server.fail(r"/orgs/acme/hooks", 403, accepted_scopes="admin:org_hook", scopes="repo")
    server.secondary_rate_limit(r"/repos/.*/branches", retry_after=1, times=1)
    server.latency = 0.05                                # seconds added to every request
    session = GitHubSession({"github_org": "acme", "base_url": server.base_url},
                            {"token": server.token})
    server.requests                                      # [(method, path_with_query), ...]

POST /graphql answers GitHub's GraphQL API for what providers/github_batch.py asks
(Repository.object "HEAD:" as a Tree of the top directory, Repository.deployKeys), from the
same state, with a schema in GitHub's shape (graphql-core validates every query): an
invisible repository is a NOT_FOUND error on the repository field, a non-admin's deploy
keys a FORBIDDEN error on `deployKeys` (non-null, so its repository field becomes null), and
GitHub's extension `type` is at the top of each error. `server.fail(r"/graphql", ...)` and
`server.secondary_rate_limit(r"/graphql")` fault the whole query.

Requests without `Authorization: token <server.token>` (or Bearer) get 401 "Bad credentials".
Lists paginate with `per_page` / `page` and RFC 5988 Link headers like GitHub's.
Faults are matched with `re.search` against the path (without query) and can be limited to
the first `times` matching requests.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from graphql import GraphQLError, build_schema, graphql_sync
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

DEFAULT_TOKEN = "ghp_standin_0123456789abcdefghijklmnopqrstu"
#: Scopes of the stand-in's classic token unless a test sets `server.scopes`.
DEFAULT_SCOPES = "repo, read:org, security_events, admin:org"


#: The part of GitHub's GraphQL schema the stand-in serves (names and nullability as GitHub's).
GRAPHQL_SCHEMA = build_schema("""
scalar DateTime
scalar GitObjectID
type Query { repository(owner: String!, name: String!, followRenames: Boolean): Repository }
type Repository {
  nameWithOwner: String!
  object(expression: String, oid: GitObjectID): GitObject
  deployKeys(first: Int, after: String, last: Int, before: String): DeployKeyConnection!
}
interface GitObject { oid: GitObjectID! }
type Tree implements GitObject { oid: GitObjectID! entries: [TreeEntry!] }
type Blob implements GitObject { oid: GitObjectID! text: String }
type TreeEntry { name: String! path: String mode: Int! type: String! oid: GitObjectID! }
type PageInfo { hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String endCursor: String }
type DeployKeyConnection { totalCount: Int! pageInfo: PageInfo! nodes: [DeployKey] }
type DeployKey {
  id: ID! key: String! title: String! readOnly: Boolean! createdAt: DateTime! verified: Boolean! enabled: Boolean!
}
""")


class _QuietHandler(WSGIRequestHandler):
    """No access log on stderr: `GitHubServer.requests` is the log tests read."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def days_ago(days: int) -> str:
    return iso(datetime.now(UTC) - timedelta(days=days))


def dependabot_alert(severity: str, package: str = "lodash", number: int = 1, state: str = "open") -> dict:
    """A Dependabot alert shaped like GitHub's (only the fields our checks read, plus a few)."""
    return {
        "number": number,
        "state": state,
        "dependency": {"package": {"ecosystem": "npm", "name": package}, "manifest_path": "package.json"},
        "security_advisory": {"ghsa_id": f"GHSA-test-{number:04d}", "severity": severity,
                              "summary": f"{severity} issue in {package}"},
        "security_vulnerability": {"severity": severity, "package": {"ecosystem": "npm", "name": package}},
        "html_url": f"https://github.example/alerts/{number}",
    }


def code_scanning_alert(level: str, number: int = 1, state: str = "open", rule: str = "js/sql-injection") -> dict:
    """A code scanning alert shaped like GitHub's; `level` is rule.security_severity_level."""
    return {
        "number": number, "state": state, "html_url": f"https://github.example/code-scanning/{number}",
        "rule": {"id": rule, "severity": "error", "security_severity_level": level,
                 "description": f"{level} finding", "tags": ["security"]},
        "tool": {"name": "CodeQL", "version": "2.20.0"},
        "most_recent_instance": {"ref": "refs/heads/main", "state": state,
                                 "location": {"path": "src/app.js", "start_line": 10}},
    }


def deploy_key(title: str, read_only: bool = True, key_id: int = 1) -> dict:
    """A deploy key shaped like GET /repos/{o}/{r}/keys answers."""
    return {"id": key_id, "key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIStandinKey", "title": title,
            "url": f"https://github.example/keys/{key_id}", "verified": True, "created_at": days_ago(30),
            "read_only": read_only, "added_by": "octocat", "last_used": days_ago(2), "enabled": True}


@dataclass
class Fault:
    pattern: str
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    times: int | None  # None = forever

    def matches(self, path: str) -> bool:
        return (self.times is None or self.times > 0) and re.search(self.pattern, path) is not None


@dataclass
class Repo:
    """One repository. Edit fields directly; `protect` sets classic branch protection."""

    name: str
    owner: str
    private: bool = False
    archived: bool = False
    default_branch: str = "main"
    pushed_at: str = field(default_factory=lambda: days_ago(1))
    #: None means "not returned" (what GitHub does for tokens without admin access).
    security_and_analysis: dict[str, Any] | None = field(
        default_factory=lambda: {"secret_scanning": {"status": "enabled"},
                                 "secret_scanning_push_protection": {"status": "enabled"},
                                 "dependabot_security_updates": {"status": "enabled"}}
    )
    vulnerability_alerts: bool = True
    #: Whether the token has admin rights on the repository. Without them GitHub answers 404
    #: to classic branch protection and to the Dependabot alert setting, and leaves
    #: `bypass_actors` out of rulesets, however the repository is configured.
    admin: bool = True
    #: Whether the token sees the repository at all (a fine-grained token may be limited to
    #: some repositories). Unseen ones still count in the organization's repository totals.
    visible: bool = True
    branches: dict[str, dict[str, Any] | None] = field(default_factory=dict)  # name -> classic protection
    files: dict[str, str] = field(default_factory=dict)
    dependabot_alerts: list[dict[str, Any]] = field(default_factory=list)
    #: False: code scanning never analysed the repository (GitHub answers 404 "no analysis found").
    code_scanning_enabled: bool = True
    code_scanning_alerts: list[dict[str, Any]] = field(default_factory=list)
    deploy_keys: list[dict[str, Any]] = field(default_factory=list)
    #: login -> {"permission": pull|triage|push|maintain|admin, "outside": bool}
    collaborators: dict[str, dict[str, Any]] = field(default_factory=dict)
    workflow_permissions: dict[str, Any] = field(default_factory=lambda: {
        "default_workflow_permissions": "read", "can_approve_pull_request_reviews": False})

    def add_collaborator(self, login: str, permission: str = "push", outside: bool = True) -> None:
        self.collaborators[login] = {"permission": permission, "outside": outside}

    def __post_init__(self) -> None:
        self.branches.setdefault(self.default_branch, None)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    def protect(self, branch: str | None = None, **settings: Any) -> dict[str, Any]:
        """Classic protection shaped like GET .../branches/{b}/protection; settings override."""
        protection: dict[str, Any] = {
            "required_status_checks": None,
            "enforce_admins": {"enabled": False},
            "required_pull_request_reviews": None,
            "required_signatures": {"enabled": False},
            "allow_force_pushes": {"enabled": False},
            "allow_deletions": {"enabled": False},
        }
        protection.update(settings)
        self.branches[branch or self.default_branch] = protection
        return protection


class GitHubServer:
    """Threaded Werkzeug server on 127.0.0.1:<random port>; see the module docstring."""

    def __init__(self, org_login: str = "acme", token: str = DEFAULT_TOKEN) -> None:
        self.org_login = org_login
        self.token = token
        self.scopes: str | None = DEFAULT_SCOPES
        self.latency = 0.0
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self.reset()
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True,
                                   request_handler=_QuietHandler)
        self.base_url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="github-standin", daemon=True)

    # ---- lifecycle -----------------------------------------------------------------
    def start(self) -> GitHubServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        """Back to a compliant-looking empty organization with no faults."""
        self.org: dict[str, Any] = {
            "two_factor_requirement_enabled": True,
            "default_repository_permission": "read",
            "members_can_create_public_repositories": False,
            "members_can_delete_repositories": False,
        }
        self.members: dict[str, dict[str, Any]] = {}
        self.outside_collaborators: dict[str, dict[str, Any]] = {}
        self.hooks: list[dict[str, Any]] = []
        self.repos: dict[str, Repo] = {}
        self.rulesets: dict[int, dict[str, Any]] = {}
        self.faults: list[Fault] = []
        #: Organization GitHub Actions settings (served only to tokens with admin:org).
        self.actions: dict[str, Any] = {"enabled_repositories": "all", "allowed_actions": "selected"}
        self.selected_actions: dict[str, Any] = {"github_owned_allowed": True, "verified_allowed": False,
                                                 "patterns_allowed": []}
        self.workflow_permissions: dict[str, Any] = {"default_workflow_permissions": "read",
                                                     "can_approve_pull_request_reviews": False}
        self.fork_pr_approval: dict[str, Any] = {"approval_policy": "all_external_contributors"}
        #: Whether the token's user owns the organization (GitHub serves organization-wide alert lists
        #: only to owners and security managers).
        self.org_owner = True
        self.scopes = DEFAULT_SCOPES
        self.latency = 0.0
        self.requests = []

    # ---- configuration -------------------------------------------------------------
    def add_member(self, login: str, two_factor: bool = True, role: str = "member") -> None:
        self.members[login] = {"login": login, "two_factor": two_factor, "role": role}

    def add_outside_collaborator(self, login: str, two_factor: bool = True) -> None:
        self.outside_collaborators[login] = {"login": login, "two_factor": two_factor}

    def add_hook(self, url: str, insecure_ssl: str = "0", active: bool = True) -> None:
        hook_id = len(self.hooks) + 1
        self.hooks.append({"id": hook_id, "name": "web", "active": active, "events": ["push"],
                           "config": {"url": url, "content_type": "json", "insecure_ssl": insecure_ssl}})

    def add_repo(self, name: str, **fields: Any) -> Repo:
        repo = Repo(name=name, owner=self.org_login, **fields)
        self.repos[name] = repo
        return repo

    def add_ruleset(self, repo_name: str, rules: list[dict[str, Any]], branch: str | None = None,
                    bypass_actors: list[dict[str, Any]] | None = None,
                    source_type: str = "Repository") -> int:
        """A ruleset targeting `branch` (default branch if None) of one repository."""
        ruleset_id = 1000 + len(self.rulesets)
        repo = self.repos[repo_name]
        self.rulesets[ruleset_id] = {
            "id": ruleset_id, "name": f"ruleset-{ruleset_id}", "repo": repo_name,
            "branch": branch or repo.default_branch, "rules": rules, "enforcement": "active",
            "source_type": source_type, "bypass_actors": bypass_actors or [],
        }
        return ruleset_id

    def fail(self, pattern: str, status: int, message: str | None = None, *, times: int | None = None,
             accepted_scopes: str | None = None, scopes: str | None = None,
             headers: dict[str, str] | None = None) -> None:
        """Answer requests whose path matches `pattern` with an error status."""
        extra = dict(headers or {})
        if accepted_scopes is not None:
            extra["X-Accepted-OAuth-Scopes"] = accepted_scopes
        if scopes is not None:
            extra["X-OAuth-Scopes"] = scopes
        default = {401: "Bad credentials", 403: "Resource not accessible by integration",
                   404: "Not Found"}.get(status, "Server Error")
        self.faults.append(Fault(pattern, status, {"message": message or default}, extra, times))

    def secondary_rate_limit(self, pattern: str, retry_after: int = 1, times: int | None = None) -> None:
        self.fail(pattern, 403, "You have exceeded a secondary rate limit. Please wait a few minutes "
                  "before you try again.", times=times, headers={"Retry-After": str(retry_after)})

    def request_count(self, pattern: str = "") -> int:
        return sum(1 for _, p in self.requests if re.search(pattern, p))

    # ---- HTTP ----------------------------------------------------------------------
    def _wsgi(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        return self._handle(request)(environ, start_response)

    def _handle(self, request: Request) -> Response:
        path = request.path
        query = request.query_string.decode()
        with self._lock:
            self.requests.append((request.method, path + (f"?{query}" if query else "")))
        if self.latency:
            time.sleep(self.latency)
        auth = request.headers.get("Authorization", "")
        if auth not in (f"token {self.token}", f"Bearer {self.token}"):
            return self._json({"message": "Bad credentials"}, 401)
        with self._lock:
            for fault in self.faults:
                if fault.matches(path):
                    if fault.times is not None:
                        fault.times -= 1
                    return self._json(fault.body, fault.status, fault.headers)
        for pattern, handler in self._routes():
            match = re.fullmatch(pattern, path)
            if match:
                return handler(request, *match.groups())
        return self._json({"message": "Not Found"}, 404)

    def _routes(self) -> list[tuple[str, Any]]:
        return [
            (r"/user", self._user),
            (r"/orgs/([^/]+)", self._org),
            (r"/orgs/([^/]+)/members", self._members),
            (r"/orgs/([^/]+)/outside_collaborators", self._outside_collaborators),
            (r"/orgs/([^/]+)/hooks", self._hooks),
            (r"/orgs/([^/]+)/repos", self._org_repos),
            (r"/orgs/([^/]+)/dependabot/alerts", self._org_dependabot_alerts),
            (r"/orgs/([^/]+)/actions/permissions", self._org_actions("actions")),
            (r"/orgs/([^/]+)/actions/permissions/selected-actions", self._org_actions("selected_actions")),
            (r"/orgs/([^/]+)/actions/permissions/workflow", self._org_actions("workflow_permissions")),
            (r"/orgs/([^/]+)/actions/permissions/fork-pr-contributor-approval",
             self._org_actions("fork_pr_approval")),
            (r"/repos/([^/]+)/([^/]+)", self._repo),
            (r"/repos/([^/]+)/([^/]+)/branches/([^/]+)", self._branch),
            (r"/repos/([^/]+)/([^/]+)/branches/([^/]+)/protection", self._protection),
            (r"/repos/([^/]+)/([^/]+)/rules/branches/([^/]+)", self._branch_rules),
            (r"/repos/([^/]+)/([^/]+)/rulesets/(\d+)", self._ruleset),
            (r"/repos/([^/]+)/([^/]+)/vulnerability-alerts", self._vulnerability_alerts),
            (r"/repos/([^/]+)/([^/]+)/dependabot/alerts", self._dependabot_alerts),
            (r"/repos/([^/]+)/([^/]+)/contents/?(.*)", self._contents),
            (r"/repos/([^/]+)/([^/]+)/code-scanning/alerts", self._code_scanning_alerts),
            (r"/repos/([^/]+)/([^/]+)/keys", self._deploy_keys),
            (r"/repos/([^/]+)/([^/]+)/collaborators", self._collaborators),
            (r"/repos/([^/]+)/([^/]+)/actions/permissions/workflow", self._repo_workflow_permissions),
            (r"/graphql", self._graphql),
        ]

    def _json(self, body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        response = Response(json.dumps(body), status=status, mimetype="application/json")
        if self.scopes is not None:  # None imitates a fine-grained token (GitHub sends no header)
            response.headers["X-OAuth-Scopes"] = self.scopes
        response.headers["X-RateLimit-Remaining"] = "4999"
        for k, v in (headers or {}).items():
            response.headers[k] = v
        return response

    def _not_found(self) -> Response:
        return self._json({"message": "Not Found"}, 404)

    def _page(self, request: Request, items: list[Any]) -> Response:
        per_page = max(1, min(100, int(request.args.get("per_page", 30))))
        page = max(1, int(request.args.get("page", 1)))
        chunk = items[(page - 1) * per_page: page * per_page]
        last = max(1, -(-len(items) // per_page))
        links = []
        base = f"{self.base_url}{request.path}"
        params = {k: v for k, v in request.args.items() if k != "page"}
        if page < last:
            links.append(f'<{base}?{urlencode({**params, "page": page + 1})}>; rel="next"')
            links.append(f'<{base}?{urlencode({**params, "page": last})}>; rel="last"')
        if page > 1:
            links.append(f'<{base}?{urlencode({**params, "page": 1})}>; rel="first"')
            links.append(f'<{base}?{urlencode({**params, "page": page - 1})}>; rel="prev"')
        return self._json(chunk, headers={"Link": ", ".join(links)} if links else None)

    def _org_json(self) -> dict[str, Any]:
        """Repository counts cover every repository, seen by the token or not (like GitHub's).

        A key set to None in `self.org` is left out (what GitHub does for non-owners).
        """
        private = sum(1 for r in self.repos.values() if r.private)
        body = {"login": self.org_login, "id": 1, "url": f"{self.base_url}/orgs/{self.org_login}",
                "type": "Organization", "public_repos": len(self.repos) - private,
                "total_private_repos": private, "owned_private_repos": private, **self.org}
        return {k: v for k, v in body.items() if v is not None}

    def _repo_json(self, repo: Repo) -> dict[str, Any]:
        body = {
            "id": abs(hash(repo.full_name)) % 10**8, "name": repo.name, "full_name": repo.full_name,
            "owner": {"login": repo.owner, "type": "Organization"}, "private": repo.private,
            "visibility": "private" if repo.private else "public", "archived": repo.archived,
            "default_branch": repo.default_branch, "pushed_at": repo.pushed_at,
            "url": f"{self.base_url}/repos/{repo.full_name}",
            "permissions": {"admin": repo.admin, "maintain": repo.admin, "push": True, "triage": True,
                            "pull": True},
        }
        if repo.security_and_analysis is not None:
            analysis = dict(repo.security_and_analysis)
            if not repo.vulnerability_alerts:  # as GitHub: security updates cannot stay on without alerts
                analysis["dependabot_security_updates"] = {"status": "disabled"}
            body["security_and_analysis"] = analysis
        return body

    def _find_repo(self, owner: str, name: str) -> Repo | None:
        repo = self.repos.get(name) if owner == self.org_login else None
        return repo if repo is not None and repo.visible else None

    def _user(self, request: Request) -> Response:
        return self._json({"login": "standin-bot", "id": 42, "type": "User"})

    def _org(self, request: Request, login: str) -> Response:
        return self._json(self._org_json()) if login == self.org_login else self._not_found()

    def _members(self, request: Request, login: str) -> Response:
        if login != self.org_login:
            return self._not_found()
        members = list(self.members.values())
        if request.args.get("filter") == "2fa_disabled":
            members = [m for m in members if not m["two_factor"]]
        role = request.args.get("role", "all")
        if role != "all":
            members = [m for m in members if m["role"] == role]
        return self._page(request, [{"login": m["login"], "id": i + 1, "type": "User"}
                                    for i, m in enumerate(members)])

    def _outside_collaborators(self, request: Request, login: str) -> Response:
        if login != self.org_login:
            return self._not_found()
        # As GitHub's: everyone who is an outside collaborator of any of the organization's repositories.
        everyone = {login: {"login": login, "two_factor": True} for repo in self.repos.values()
                    for login, c in repo.collaborators.items() if c["outside"]}
        people = list({**everyone, **self.outside_collaborators}.values())
        if request.args.get("filter") == "2fa_disabled":
            people = [p for p in people if not p["two_factor"]]
        return self._page(request, [{"login": p["login"], "id": 1000 + i, "type": "User"}
                                    for i, p in enumerate(people)])

    def _hooks(self, request: Request, login: str) -> Response:
        return self._page(request, self.hooks) if login == self.org_login else self._not_found()

    def _org_repos(self, request: Request, login: str) -> Response:
        if login != self.org_login:
            return self._not_found()
        return self._page(request, [self._repo_json(r) for r in self.repos.values() if r.visible])

    def _repo(self, request: Request, owner: str, name: str) -> Response:
        repo = self._find_repo(owner, name)
        return self._json(self._repo_json(repo)) if repo else self._not_found()

    def _branch(self, request: Request, owner: str, name: str, branch: str) -> Response:
        repo = self._find_repo(owner, name)
        if repo is None or branch not in repo.branches:
            return self._json({"message": "Branch not found"}, 404)
        protected = repo.branches[branch] is not None or bool(self._rules_for(repo, branch))
        return self._json({"name": branch, "protected": protected,
                           "commit": {"sha": "0" * 40, "url": ""},
                           "url": f"{self.base_url}/repos/{repo.full_name}/branches/{branch}"})

    def _protection(self, request: Request, owner: str, name: str, branch: str) -> Response:
        repo = self._find_repo(owner, name)
        if repo is None or branch not in repo.branches:
            return self._json({"message": "Branch not found"}, 404)
        if not repo.admin:  # GitHub hides protection from non-admins behind a plain 404
            return self._not_found()
        protection = repo.branches[branch]
        if protection is None:
            return self._json({"message": "Branch not protected"}, 404)
        return self._json({"url": f"{self.base_url}/repos/{repo.full_name}/branches/{branch}/protection",
                           **protection})

    def _rules_for(self, repo: Repo, branch: str) -> list[dict[str, Any]]:
        rules = []
        for ruleset in self.rulesets.values():
            if ruleset["repo"] == repo.name and ruleset["branch"] == branch:
                for rule in ruleset["rules"]:
                    rules.append({**rule, "ruleset_id": ruleset["id"],
                                  "ruleset_source_type": ruleset["source_type"],
                                  "ruleset_source": repo.full_name})
        return rules

    def _branch_rules(self, request: Request, owner: str, name: str, branch: str) -> Response:
        repo = self._find_repo(owner, name)
        return self._page(request, self._rules_for(repo, branch)) if repo else self._not_found()

    def _ruleset(self, request: Request, owner: str, name: str, ruleset_id: str) -> Response:
        ruleset = self.rulesets.get(int(ruleset_id))
        if ruleset is None or self._find_repo(owner, name) is None:
            return self._not_found()
        keys = ["id", "name", "enforcement", "source_type", "rules"]
        if self.repos[name].admin:  # GitHub shows the bypass list only to who may edit the ruleset
            keys.append("bypass_actors")
        return self._json({k: ruleset[k] for k in keys})

    def _vulnerability_alerts(self, request: Request, owner: str, name: str) -> Response:
        repo = self._find_repo(owner, name)
        if repo is None or not repo.vulnerability_alerts or not repo.admin:
            return self._not_found()
        return Response(status=204)

    def _dependabot_alerts(self, request: Request, owner: str, name: str) -> Response:
        repo = self._find_repo(owner, name)
        if repo is None:
            return self._not_found()
        if not repo.vulnerability_alerts:
            return self._json({"message": "Dependabot alerts are disabled for this repository."}, 403)
        state = request.args.get("state")
        alerts = [a for a in repo.dependabot_alerts if state is None or a["state"] in state.split(",")]
        return self._page(request, alerts)

    def _org_dependabot_alerts(self, request: Request, login: str) -> Response:
        """Open alerts of every repository whose alerts are on, each naming its repository, paged by
        cursor (`after`) as GitHub pages this list; only owners and security managers may read it."""
        if login != self.org_login:
            return self._not_found()
        if not self.org_owner:
            return self._json({"message": "You must be an organization owner or security manager to "
                                          "access this resource."}, 403)
        state = request.args.get("state")
        alerts = [{**a, "repository": {"full_name": r.full_name, "name": r.name}}
                  for r in self.repos.values() if r.vulnerability_alerts
                  for a in r.dependabot_alerts if state is None or a["state"] in state.split(",")]
        per_page = max(1, min(100, int(request.args.get("per_page", 30))))
        start = int(base64.b64decode(request.args["after"]).decode()) if request.args.get("after") else 0
        chunk = alerts[start:start + per_page]
        headers = None
        if start + per_page < len(alerts):
            params = {k: v for k, v in request.args.items() if k != "after"}
            cursor = base64.b64encode(str(start + per_page).encode()).decode()
            headers = {"Link": f'<{self.base_url}{request.path}?{urlencode({**params, "after": cursor})}>; '
                               'rel="next"'}
        return self._json(chunk, headers=headers)

    def _contents(self, request: Request, owner: str, name: str, path: str) -> Response:
        repo = self._find_repo(owner, name)
        if repo is None:
            return self._not_found()
        path = path.rstrip("/")
        if path not in repo.files:  # a directory ("" the top) lists its direct children (files and subdirectories)
            prefix = f"{path}/" if path else ""
            children = sorted({f[len(prefix):].split("/", 1)[0] for f in repo.files if f.startswith(prefix)})
            if not children:  # as GitHub: no such directory, or an empty repository
                return self._not_found()
            return self._json([{"type": "dir" if f"{prefix}{c}" not in repo.files else "file", "name": c,
                                "path": f"{prefix}{c}", "sha": "2" * 40,
                                "size": len(repo.files.get(f"{prefix}{c}", "").encode()),
                                "url": f"{self.base_url}/repos/{repo.full_name}/contents/{prefix}{c}"}
                               for c in children])
        content = repo.files[path].encode()
        return self._json({"type": "file", "name": path.rsplit("/", 1)[-1], "path": path,
                           "sha": "1" * 40, "size": len(content), "encoding": "base64",
                           "content": base64.b64encode(content).decode(),
                           "url": f"{self.base_url}/repos/{repo.full_name}/contents/{path}"})

    def _org_actions(self, attribute: str) -> Any:
        """A handler for one organization Actions setting: GitHub wants admin:org for each."""
        def handler(request: Request, login: str) -> Response:
            if login != self.org_login:
                return self._not_found()
            if self.scopes is not None and "admin:org" not in [s.strip() for s in self.scopes.split(",")]:
                return self._json({"message": "Resource not accessible by personal access token"}, 403,
                                  {"X-Accepted-OAuth-Scopes": "admin:org"})
            return self._json(dict(getattr(self, attribute)))
        return handler

    def _code_scanning_alerts(self, request: Request, owner: str, name: str) -> Response:
        repo = self._find_repo(owner, name)
        if repo is None:
            return self._not_found()
        analysis = repo.security_and_analysis or {}
        if repo.private and all((analysis.get(f) or {}).get("status") == "disabled"
                                for f in ("code_security", "advanced_security")):
            return self._json({"message": "Advanced Security must be enabled for this repository to use code "
                                          "scanning."}, 403)
        if not repo.code_scanning_enabled:
            return self._json({"message": "no analysis found"}, 404)
        state = request.args.get("state")
        return self._page(request, [a for a in repo.code_scanning_alerts if state is None or a["state"] == state])

    def _deploy_keys(self, request: Request, owner: str, name: str) -> Response:
        repo = self._find_repo(owner, name)
        if repo is None or not repo.admin:  # deploy keys are an admin's business: others get 404
            return self._not_found()
        return self._page(request, repo.deploy_keys)

    def _collaborators(self, request: Request, owner: str, name: str) -> Response:
        repo = self._find_repo(owner, name)
        if repo is None:
            return self._not_found()
        affiliation = request.args.get("affiliation", "all")
        levels = ["pull", "triage", "push", "maintain", "admin"]
        people = []
        for i, (login, c) in enumerate(sorted(repo.collaborators.items())):
            if affiliation in ("outside", "direct") and c["outside"] != (affiliation == "outside"):
                continue
            rank = levels.index(c["permission"])
            people.append({"login": login, "id": 2000 + i, "type": "User",
                           "permissions": {lvl: rank >= levels.index(lvl) for lvl in levels},
                           "role_name": {"pull": "read", "push": "write"}.get(c["permission"], c["permission"])})
        return self._page(request, people)

    def _repo_workflow_permissions(self, request: Request, owner: str, name: str) -> Response:
        repo = self._find_repo(owner, name)
        if repo is None:
            return self._not_found()
        if not repo.admin:
            return self._json({"message": "Must have admin rights to Repository."}, 403)
        return self._json(dict(repo.workflow_permissions))

    # ---- GraphQL --------------------------------------------------------------------
    def _graphql(self, request: Request) -> Response:
        """GitHub answers queries with HTTP 200, errors (with their `type`) beside the partial data."""
        if request.method != "POST":
            return self._not_found()
        body = request.get_json(silent=True) or {}
        result = graphql_sync(GRAPHQL_SCHEMA, str(body.get("query") or ""),
                              root_value={"repository": self._gql_repository}, variable_values=body.get("variables"))
        answer: dict[str, Any] = {"data": result.data}
        if result.errors:
            answer["errors"] = [{**({"type": e.extensions["type"]} if e.extensions and "type" in e.extensions
                                    else {}), **{k: v for k, v in e.formatted.items() if k != "extensions"}}
                                for e in result.errors]
        return self._json(answer)

    def _gql_repository(self, info: Any, owner: str, name: str, followRenames: bool = True) -> dict[str, Any]:
        repo = self._find_repo(owner, name)
        if repo is None:
            raise GraphQLError(f"Could not resolve to a Repository with the name '{owner}/{name}'.",
                               extensions={"type": "NOT_FOUND"})
        return {"nameWithOwner": repo.full_name,
                "object": lambda info, expression=None, oid=None: self._gql_object(repo, expression),
                "deployKeys": lambda info, **page: self._gql_deploy_keys(repo, **page)}

    @staticmethod
    def _gql_object(repo: Repo, expression: str | None) -> dict[str, Any] | None:
        """Only "HEAD:" (the top directory of the default branch); None for an empty repository."""
        if expression != "HEAD:" or not repo.files:
            return None
        children = sorted({f.split("/", 1)[0] for f in repo.files})
        return {"__typename": "Tree", "oid": "3" * 40, "entries": [
            {"name": c, "path": c, "type": "blob" if c in repo.files else "tree",
             "mode": 0o100644 if c in repo.files else 0o040000, "oid": "2" * 40} for c in children]}

    @staticmethod
    def _gql_deploy_keys(repo: Repo, first: int | None = None, after: str | None = None, last: int | None = None,
                         before: str | None = None) -> dict[str, Any]:
        if not repo.admin:
            raise GraphQLError("Resource not accessible by integration", extensions={"type": "FORBIDDEN"})
        if first is None or not 1 <= first <= 100:
            raise GraphQLError("You must provide a `first` value of 1 to 100 to properly paginate the "
                               "`deployKeys` connection.", extensions={"type": "ARGUMENT_LIMIT"})
        start = int(base64.b64decode(after).decode()) if after else 0
        chunk = repo.deploy_keys[start:start + first]
        end = start + len(chunk)
        return {"totalCount": len(repo.deploy_keys),
                "pageInfo": {"hasNextPage": end < len(repo.deploy_keys), "hasPreviousPage": start > 0,
                             "startCursor": base64.b64encode(str(start).encode()).decode(),
                             "endCursor": base64.b64encode(str(end).encode()).decode()},
                "nodes": [{"id": base64.b64encode(f"DeployKey:{k['id']}".encode()).decode(), "key": k["key"],
                           "title": k["title"], "readOnly": k["read_only"], "createdAt": k["created_at"],
                           "verified": k["verified"], "enabled": k.get("enabled", True)} for k in chunk]}


_shared: GitHubServer | None = None


@pytest.fixture
def github_server() -> Iterator[GitHubServer]:
    """A started stand-in (one per test session, reset before each test)."""
    global _shared
    if _shared is None:
        _shared = GitHubServer().start()
    _shared.reset()
    yield _shared
    _shared.reset()
