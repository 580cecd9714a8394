"""GitHub provider: collects organization and repository data for the GitHub checks.

A `GitHubSession` is shared by every check of one scan, possibly from several threads:
`collect(name, **kw)` memoizes each API read (including its failure) so nine branch
checks cost one branch-protection read per repository, and concurrent callers of the same
key wait for the first one. PyGithub's connection object is not thread-safe (it keeps the
pending request on the connection), so each thread gets its own `Github` client.

Per-repository reads fan out on the session's bounded pool (GITHUB_POOL_SIZE, at most 8:
GitHub's secondary rate limits punish bursts). Every request holds a slot of the session's
`Throttle` (providers/fanout.py): a rate-limit answer (403/429 with Retry-After, or
X-RateLimit-Remaining 0) halves how many requests may be in flight and makes every thread
wait out GitHub's delay, instead of each thread retrying on its own.

Retries are ours, not urllib3's, so they are bounded and visible: 5xx and timeouts are
retried `max_attempts` times with exponential backoff; rate limits are waited out only
while the total wait stays within `rate_limit_wait` seconds. Anything still failing
becomes a `CollectionError` whose reason a person can act on (naming the missing token
scope when GitHub's headers say which one). The token never appears in a reason.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import requests
from github import Auth, Github, GithubException

from compliance_app.providers import callchain, endpoints
from compliance_app.providers.base import CollectionError, ConnectionResult
from compliance_app.providers.fanout import FanOutPool, Throttle
from compliance_app.providers.github_batch import ASK_REST, BatchReads
from compliance_app.providers.github_http import read_environment_once
from compliance_app.providers.github_scopes import REQUIRED, SATISFIED_BY, checks_lacking
from compliance_app.providers.github_supply_chain import SupplyChainReads
from compliance_app.settings import get_settings

DEFAULT_BASE_URL = "https://api.github.com"
DEFAULT_MAX_ADMINS = 3
#: Classic-token scopes most checks need, each satisfied by any scope of its set (github_scopes.py).
REQUIRED_SCOPES: dict[str, set[str]] = {s: set(SATISFIED_BY[s]) for s in REQUIRED}
#: Least-privilege scope to name first when GitHub accepts several.
_SCOPE_PREFERENCE = ("read:org", "repo", "security_events", "admin:org_hook", "public_repo")
#: What GitHub says for classic protection of a branch that has none, when the token may read it.
_NOT_PROTECTED = "Branch not protected"
#: How GitHub's 403 to a repository's Dependabot alert list starts when its alerts are switched off.
_ALERTS_OFF = "dependabot alerts are disabled"
#: GitHub's contents API lists at most this many entries of a directory (the rest need the Git trees API).
LISTING_LIMIT = 1000
#: What GitHub says for the protection of a branch that does not exist (an empty repository's default).
_NO_BRANCH = "Branch not found"
#: The classic protection settings the checks decide on.
_CLASSIC_KEYS = ("required_status_checks", "enforce_admins", "required_pull_request_reviews",
                 "required_signatures", "allow_force_pushes", "allow_deletions", "required_conversation_resolution")
#: Fields of a ruleset bypass actor the checks decide on (GitHub's repository-ruleset-bypass-actor).
_ACTOR_KEYS = ("actor_type", "actor_id", "bypass_mode")

T = TypeVar("T")


@dataclass
class _Entry:
    done: threading.Event = field(default_factory=threading.Event)
    value: Any = None
    error: CollectionError | None = None
    #: Call-chain depth at which the value was obtained (providers/callchain.py).
    depth: int = 0


def _next_link(link_header: str | None) -> str | None:
    for part in (link_header or "").split(","):
        match = re.match(r'\s*<([^>]+)>;\s*rel="next"', part)
        if match:
            return match.group(1)
    return None


def _header(exc: GithubException, name: str) -> str | None:
    return {k.lower(): v for k, v in (exc.headers or {}).items()}.get(name.lower())


def _scopes(value: str | None) -> list[str]:
    return [s.strip() for s in (value or "").split(",") if s.strip()]


def _github_message(exc: GithubException) -> str:
    data = exc.data if isinstance(exc.data, dict) else {}
    return str(data.get("message") or exc.message or "no message").strip()


def _is_rate_limited(exc: GithubException) -> bool:
    if exc.status not in (403, 429):
        return False
    message = _github_message(exc).lower()
    return ("rate limit" in message or _header(exc, "retry-after") is not None
            or _header(exc, "x-ratelimit-remaining") == "0")


def _rate_limit_delay(exc: GithubException) -> float:
    retry_after = _header(exc, "retry-after")
    if retry_after and retry_after.strip().isdigit():
        return float(retry_after)
    reset = _header(exc, "x-ratelimit-reset")
    if reset and reset.strip().isdigit():
        return max(0.0, float(reset) - time.time())
    return 60.0  # GitHub's advice for secondary limits without a header


def _alert_summary(alert: dict[str, Any]) -> dict[str, Any]:
    """The fields of a Dependabot alert the checks decide on and show."""
    advisory = alert.get("security_advisory") or {}
    vulnerability = alert.get("security_vulnerability") or {}
    package = vulnerability.get("package") or (alert.get("dependency") or {}).get("package") or {}
    return {"number": alert.get("number"), "ghsa_id": advisory.get("ghsa_id"),
            "severity": vulnerability.get("severity") or advisory.get("severity"), "package": package.get("name")}


def missing_scope_hint(exc: GithubException) -> str:
    """ " — the token lacks the 'read:org' scope (has: repo)" when GitHub's headers say so."""
    accepted = _scopes(_header(exc, "x-accepted-oauth-scopes"))
    granted = _header(exc, "x-oauth-scopes")
    if not accepted or granted is None or set(accepted) & set(_scopes(granted)):
        return ""
    preferred = next((s for s in _SCOPE_PREFERENCE if s in accepted), accepted[0])
    has = ", ".join(_scopes(granted)) or "no scopes"
    return f" — the token lacks the '{preferred}' scope (accepted: {', '.join(accepted)}; token has: {has})"


def describe_error(exc: GithubException, what: str) -> str:
    """A readable reason for a GitHub error response."""
    status = exc.status
    if status == 401:
        return f"GitHub rejected the token (HTTP 401: bad, expired or revoked credentials) reading {what}."
    if status == 403:
        hint = missing_scope_hint(exc)
        if hint:
            return f"GitHub denied access to {what} (HTTP 403){hint}."
        return (f"GitHub denied access to {what} (HTTP 403: {_github_message(exc)}); the token lacks "
                "permission or the feature is not available on this plan.")
    if status == 404:
        return f"GitHub returned 404 for {what}: it does not exist or the token cannot see it."
    return f"GitHub answered HTTP {status} reading {what}: {_github_message(exc)}"


class GitHubSession(SupplyChainReads, BatchReads):
    """Reads one GitHub organization for a scan. config: github_org, base_url?, max_admins?.

    Tuning keys (config, all optional): timeout (s, default 15), max_attempts (default
    GITHUB_MAX_ATTEMPTS, 3), retry_backoff (s, default GITHUB_RETRY_BACKOFF, 1.0),
    rate_limit_wait (s, default 60).
    """

    def __init__(self, config: dict[str, Any], secrets: dict[str, Any]) -> None:
        login = str(config.get("github_org") or "").strip()
        if not login:
            raise CollectionError("The GitHub integration has no organization configured.")
        if not secrets.get("token"):
            raise CollectionError("The GitHub integration has no token stored.")
        self.org_login = login
        self.base_url = str(config.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
        self.max_admins = int(config.get("max_admins") or DEFAULT_MAX_ADMINS)
        self.timeout = int(config.get("timeout", 15))
        settings = get_settings()
        self.max_attempts = max(1, int(config.get("max_attempts", settings.github_max_attempts)))
        self.retry_backoff = float(config.get("retry_backoff", settings.github_retry_backoff))
        self.rate_limit_wait = float(config.get("rate_limit_wait", 60.0))
        pool_size = min(8, settings.github_pool_size)  # GitHub's secondary limits punish more
        self._pool = FanOutPool(pool_size, "github-call")
        self._throttle = Throttle(pool_size)
        self._token = str(secrets["token"])
        self._local = threading.local()
        self._lock = threading.Lock()
        self._cache: dict[tuple, _Entry] = {}

    def __repr__(self) -> str:  # never the token
        return f"GitHubSession(org={self.org_login!r}, base_url={self.base_url!r})"

    @property
    def scope(self) -> str:
        """The resource id the engine gives a check's "nothing in scope" or crash row."""
        return self.org_login

    def coverage(self) -> dict[str, Any]:
        """What this scan read of the organization (Audit.scope; engine contract, no secrets).

        Called after the checks ran, so it only reads the memoized collections again.
        """
        report: dict[str, Any] = {"provider": "github", "account": self.org_login, "scanned": [],
                                  "skipped": {}, "notes": []}
        try:
            seen = self.collect("repository_coverage")
        except CollectionError as exc:
            report["notes"].append(f"The repositories of {self.org_login} could not be listed: {exc.reason}")
            return report
        report["scanned"] = seen["repositories"]
        report["repositories_seen"] = len(seen["repositories"])
        report["repositories_in_organization"] = seen["in_organization"]
        if seen["note"]:
            report["notes"].append(seen["note"])
        return report

    # ---- plumbing ------------------------------------------------------------------
    def client(self) -> Github:
        """This thread's PyGithub client (lazy objects: nothing is fetched until read)."""
        gh = getattr(self._local, "gh", None)
        if gh is None:
            gh = Github(auth=Auth.Token(self._token), base_url=self.base_url, per_page=100,
                        timeout=self.timeout, retry=None, seconds_between_requests=None,
                        seconds_between_writes=None, lazy=True)
            if self.base_url != DEFAULT_BASE_URL:  # tenant-set: connect only to vetted addresses
                endpoints.pin_pygithub(gh)
            read_environment_once(gh)
            self._local.gh = gh
        return gh

    def close(self) -> None:
        gh = getattr(self._local, "gh", None)
        if gh is not None:
            gh.close()
            self._local.gh = None
        self._pool.close()

    def fan_out(self, fn: Callable[[Any], T], items: list[Any]) -> list[T]:
        """[fn(item) for item in items] on the session's bounded pool (independent reads, e.g. per repository)."""
        return self._pool.map(fn, items)

    def call(self, what: str, fn: Callable[[], T]) -> T:
        """Run one read with bounded retries; failures become CollectionError(reason)."""
        waited = 0.0
        for attempt in range(1, self.max_attempts + 1):
            last = attempt == self.max_attempts
            try:
                with self._throttle.slot():
                    value = fn()
                self._throttle.succeeded()
                return value
            except GithubException as exc:
                if _is_rate_limited(exc):
                    delay = _rate_limit_delay(exc)
                    if not last and waited + delay <= self.rate_limit_wait:
                        self._throttle.throttled(delay)  # every thread waits before its next request
                        waited += delay
                        continue
                    raise CollectionError(
                        f"GitHub rate limit reached reading {what} (HTTP {exc.status}: "
                        f"{_github_message(exc)}); gave up after waiting {waited:.0f}s, "
                        f"GitHub asked for {delay:.0f}s more."
                    ) from None
                if exc.status >= 500 and not last:
                    time.sleep(self.retry_backoff * 2 ** (attempt - 1))
                    continue
                if exc.status >= 500:
                    raise CollectionError(
                        f"GitHub outage: HTTP {exc.status} ({_github_message(exc)}) reading {what} on all "
                        f"{attempt} attempts; the failure is on GitHub's side, the next scan tries again."
                    ) from None
                raise CollectionError(describe_error(exc, what)) from None
            except requests.Timeout:
                if not last:
                    time.sleep(self.retry_backoff * 2 ** (attempt - 1))
                    continue
                raise CollectionError(
                    f"GitHub at {self.base_url} did not answer within {self.timeout}s reading {what} "
                    f"({attempt} attempts)."
                ) from None
            except requests.ConnectionError as exc:
                raise CollectionError(f"Cannot reach GitHub at {self.base_url} reading {what}: "
                                      f"{type(exc).__name__}.") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def collect(self, name: str, **kw: Any) -> Any:
        """Memoized, thread-safe read of `name` (see the _fetch_* methods for the names)."""
        key = (name, tuple(sorted(kw.items())))
        with self._lock:
            entry = self._cache.get(key)
            owner = entry is None
            if owner:
                entry = self._cache[key] = _Entry()
        if owner:
            fetch = getattr(self, f"_fetch_{name}", None)
            if fetch is None:
                raise KeyError(f"unknown GitHub collection {name!r}")
            try:
                entry.value = fetch(**kw)
            except CollectionError as exc:
                entry.error = exc
            except Exception as exc:  # an unexpected shape must not hang other waiters
                entry.error = CollectionError(f"Unexpected error reading GitHub {name}: {type(exc).__name__}")
            finally:
                entry.depth = callchain.depth()
                entry.done.set()
        else:
            entry.done.wait()
            callchain.reach(entry.depth)
        if entry.error is not None:
            raise entry.error
        return entry.value

    def _get(self, path: str, **params: Any) -> Any:
        callchain.record("github", "GET", path + json.dumps(params, sort_keys=True))
        _, data = self.client().requester.requestJsonAndCheck("GET", path, parameters=params or None)
        return data

    def _get_all(self, path: str, **params: Any) -> list[Any]:
        """Every page of a list endpoint, following GitHub's Link headers."""
        requester = self.client().requester
        url: str | None = path
        query: dict[str, Any] | None = {**params, "per_page": 100}
        items: list[Any] = []
        while url:
            callchain.record("github", "GET", url + json.dumps(query, sort_keys=True))
            headers, data = requester.requestJsonAndCheck("GET", url, parameters=query)
            items.extend(data or [])
            url, query = _next_link(headers.get("link")), None
        return items

    # ---- collections (one API concept each, returned as plain data) ---------------
    def _fetch_organization(self) -> dict[str, Any]:
        return self.call(f"organization '{self.org_login}' settings",
                         lambda: self._get(f"/orgs/{self.org_login}"))

    def _fetch_members(self, filter_: str | None = None, role: str | None = None) -> list[str]:
        params = {k: v for k, v in (("filter", filter_), ("role", role)) if v}
        label = " ".join(f"{k}={v}" for k, v in params.items()) or "all"
        return self.call(f"members of '{self.org_login}' ({label})", lambda: sorted(
            m["login"] for m in self._get_all(f"/orgs/{self.org_login}/members", **params)))

    def _fetch_hooks(self) -> list[dict[str, Any]]:
        def read() -> list[dict[str, Any]]:
            return [{"id": h.get("id"), "active": h.get("active"),
                     "url": (h.get("config") or {}).get("url", ""),
                     "insecure_ssl": str((h.get("config") or {}).get("insecure_ssl", "0"))}
                    for h in self._get_all(f"/orgs/{self.org_login}/hooks")]

        return self.call(f"webhooks of '{self.org_login}'", read)

    def _fetch_repositories(self) -> list[dict[str, Any]]:
        """Every repository the token can list; `admin` is the token user's admin right on it."""
        keys = ("full_name", "name", "private", "visibility", "archived", "default_branch", "pushed_at",
                "security_and_analysis")
        return self.call(f"repositories of '{self.org_login}'", lambda: [
            {**{k: r.get(k) for k in keys}, "admin": (r.get("permissions") or {}).get("admin")}
            for r in self._get_all(f"/orgs/{self.org_login}/repos", type="all")])

    def _fetch_repository_coverage(self) -> dict[str, Any]:
        """The repositories the token lists, against the counts the organization reports.

        A fine-grained token limited to some repositories (or a user who cannot read them all)
        lists fewer than the organization has, and nothing else says so: the repository checks
        would pass on what they saw. `missing` counts the ones not seen (`missing_public` the
        public ones among them, for checks of public repositories); `note` says it in
        words, or says that the comparison was impossible. Public and private are compared
        apart, so extra internal repositories on one side never hide missing ones on the other.
        """
        repos = self.collect("repositories")
        names = sorted(r["full_name"] for r in repos)
        seen_private = sum(1 for r in repos if r.get("private"))
        seen_public = len(repos) - seen_private
        result: dict[str, Any] = {"repositories": names, "in_organization": None, "missing": 0,
                                  "missing_public": 0, "note": None}
        try:
            org = self.collect("organization")
        except CollectionError as exc:
            result["note"] = (f"Could not compare the {len(repos)} repositories the token sees with the "
                              f"repository counts of {self.org_login}: {exc.reason}")
            return result
        public = org.get("public_repos")
        private = org.get("owned_private_repos", org.get("total_private_repos"))
        if not isinstance(public, int):
            result["note"] = (f"GitHub did not return the repository counts of {self.org_login}; the scan "
                              f"cannot confirm that the {len(repos)} repositories the token sees are all of them.")
            return result
        missing = result["missing_public"] = max(0, public - seen_public)
        if isinstance(private, int):
            missing += max(0, private - seen_private)
            result["in_organization"] = len(repos) + missing
        result["missing"] = missing
        if missing:
            total = len(repos) + missing
            result["note"] = (f"The token sees {len(repos)} of {total} repositories of {self.org_login}; the "
                              f"other {missing} were not checked. Give the token access to all repositories "
                              "(a fine-grained token's 'Repository access: All repositories', or a user who "
                              "can read every repository).")
        elif not isinstance(private, int):
            result["note"] = (f"GitHub did not return the private repository count of {self.org_login} (the "
                              "token's user is not an owner), so the scan cannot confirm that every private "
                              f"repository was read; all {public} public repositories were seen.")
        return result

    def _fetch_outside_collaborators(self, filter_: str | None = None) -> list[str]:
        params = {"filter": filter_} if filter_ else {}
        label = f"filter={filter_}" if filter_ else "all"
        return self.call(f"outside collaborators of '{self.org_login}' ({label})", lambda: sorted(
            m["login"] for m in self._get_all(f"/orgs/{self.org_login}/outside_collaborators", **params)))

    def _fetch_branch_protection(self, repo: str, branch: str) -> dict[str, Any]:
        """Classic protection AND the rulesets that apply to the branch, side by side.

        Reading both is what keeps a repository protected only by rulesets from being
        reported unprotected. Classic protection is readable only with admin rights: when it
        cannot be read, `classic_error` says why and the checks that rulesets alone do not
        settle become ERROR, not "not protected". `rulesets` maps each ruleset id to its
        bypass actors, or None when the token may not see them.
        """
        what = f"branch '{branch}' of {repo}"
        missing = {"branch": branch, "exists": False, "protected": False, "classic": None,
                   "classic_error": None, "rules": [], "rulesets": {}}
        seen = None
        if self._token_is_admin(repo):  # one request settles existence and classic protection
            seen = self.call(f"classic protection of {what}", lambda: self._protection_as_admin(repo, branch))
        if seen is not None:
            exists, classic = seen
            if not exists:
                return missing
            # GitHub's own `protected` flag was not read: classic protection and the rules decide.
            return self._with_rules(repo, branch, {"protected": None, "classic": classic, "classic_error": None})
        info = self.call(what, lambda: self._get_or_none(f"/repos/{repo}/branches/{branch}"))
        if info is None:  # empty repository: nothing to protect yet
            return missing
        protected = bool(info.get("protected"))
        classic, classic_error = None, None
        if protected:
            try:
                classic = self.call(f"classic protection of {what}", lambda: self._protection(repo, branch))
            except CollectionError as exc:
                classic_error = f"{exc.reason.rstrip('.')}; GitHub marks the branch protected"
        return self._with_rules(repo, branch, {"protected": protected, "classic": classic,
                                               "classic_error": classic_error})

    def _token_is_admin(self, repo: str) -> bool:
        """Whether the repository listing says the token's user administers `repo` (no request of its own)."""
        try:
            repos = self.collect("repositories")
        except CollectionError:
            return False
        return any(r["full_name"] == repo and r.get("admin") is True for r in repos)

    def _protection_as_admin(self, repo: str, branch: str) -> tuple[bool, dict[str, Any] | None] | None:
        """(branch exists, classic protection or None), read with an admin's token from the protection
        endpoint alone; None when GitHub hides it after all (a fine-grained token without
        'Administration: read' answers a plain 404)."""
        try:
            data = self._get(f"/repos/{repo}/branches/{branch}/protection")
        except GithubException as exc:
            if exc.status != 404:
                raise
            message = _github_message(exc)
            if message == _NOT_PROTECTED:
                return True, None
            if message == _NO_BRANCH:
                return False, None
            return None
        return True, {k: data.get(k) for k in _CLASSIC_KEYS}

    def _with_rules(self, repo: str, branch: str, classic: dict[str, Any]) -> dict[str, Any]:
        """The branch's protection record: `classic` ({protected, classic, classic_error}) and its rulesets."""
        what = f"branch '{branch}' of {repo}"
        rules = self.call(f"rulesets for {what}", lambda: self._rules(repo, branch))
        rulesets: dict[int, list[dict[str, Any]] | None] = {}
        for rule_id in sorted({r["ruleset_id"] for r in rules if r.get("ruleset_id") is not None}):
            rulesets[rule_id] = self._ruleset_bypass_actors(repo, rule_id)
        return {"branch": branch, "exists": True, **classic, "rules": rules,
                "rulesets": {str(k): v for k, v in rulesets.items()}}

    def _get_or_none(self, path: str) -> Any:
        try:
            return self._get(path)
        except GithubException as exc:
            if exc.status == 404:
                return None
            raise

    def _protection(self, repo: str, branch: str) -> dict[str, Any] | None:
        """Classic protection, None when the branch has none (rulesets may still apply).

        GitHub answers 404 both for "Branch not protected" and, hiding the endpoint, to tokens
        without admin rights; only the first means there is no classic rule.
        """
        try:
            data = self._get(f"/repos/{repo}/branches/{branch}/protection")
        except GithubException as exc:
            if exc.status != 404:
                raise
            if _github_message(exc) == _NOT_PROTECTED:
                return None
            raise CollectionError(
                f"the token cannot read branch protection of {repo}@{branch} (GitHub answers 404 without "
                "admin rights: the token needs admin access to the repository, or the fine-grained "
                "permission 'Administration: read')") from None
        return {k: data.get(k) for k in _CLASSIC_KEYS}

    def _rules(self, repo: str, branch: str) -> list[dict[str, Any]]:
        try:
            rules = self._get_all(f"/repos/{repo}/rules/branches/{branch}")
        except GithubException as exc:
            if exc.status == 404:  # servers without rulesets (older GitHub Enterprise)
                return []
            raise
        return [{k: r.get(k) for k in ("type", "parameters", "ruleset_id", "ruleset_source_type")}
                for r in rules]

    def _ruleset_bypass_actors(self, repo: str, ruleset_id: int) -> list[dict[str, Any]] | None:
        """Who may bypass the ruleset, None if the token cannot see its bypass list.

        GitHub returns `bypass_actors` only to who may edit the ruleset (admins).
        """
        try:
            data = self.call(f"ruleset {ruleset_id} of {repo}",
                             lambda: self._get(f"/repos/{repo}/rulesets/{ruleset_id}"))
        except CollectionError:
            return None
        actors = data.get("bypass_actors")
        if not isinstance(actors, list):
            return None
        return [{k: a.get(k) for k in _ACTOR_KEYS} for a in actors if isinstance(a, dict)]

    def _fetch_vulnerability_alerts(self, repo: str, admin: bool | None = None) -> bool:
        """Whether Dependabot alerts are on. `admin`: the token user's admin right on the repo.

        The list of open alerts answers it for any token that may read alerts (GitHub refuses
        the list of a repository whose alerts are off with 403 "Dependabot alerts are disabled"),
        and the alerts check reads that list anyway: no request of its own. Otherwise the
        setting itself is asked; GitHub answers 404 there both for "alerts off" and to tokens
        without admin rights, so a 404 means "off" only when the token is known to be an admin.
        """
        try:
            return bool(self.collect("dependabot_alert_list", repo=repo)["enabled"])
        except CollectionError:
            pass  # the token may not read alerts, or GitHub failed: the setting may still be readable

        def read() -> bool:
            requester = self.client().requester
            callchain.record("github", "GET", f"/repos/{repo}/vulnerability-alerts")
            status, headers, body = requester.requestJson("GET", f"/repos/{repo}/vulnerability-alerts")
            if status == 204:
                return True
            if status == 404 and admin is True:
                return False
            if status == 404:
                raise CollectionError(
                    f"The token cannot read the Dependabot alert setting of {repo} (GitHub answers 404 "
                    "without admin rights: the token needs admin access to the repository, or the "
                    "fine-grained permission 'Administration: read').")
            raise requester.createException(status, headers, json.loads(body) if body else {})

        return self.call(f"Dependabot alert setting of {repo}", read)

    def _fetch_dependabot_alerts(self, repo: str) -> list[dict[str, Any]]:
        listed = self.collect("dependabot_alert_list", repo=repo)
        if not listed["enabled"]:
            raise CollectionError(f"GitHub denied access to open Dependabot alerts of {repo} (HTTP 403: "
                                  f"{listed['reason']}): there are no alerts to read while they are off.")
        return listed["alerts"]

    def _fetch_dependabot_alert_list(self, repo: str) -> dict[str, Any]:
        """{"enabled", "reason", "alerts"}: the open alerts, or enabled False when GitHub says alerts are off.

        A repository whose Dependabot security updates are on (the repository listing's
        security_and_analysis says so) has its alerts on: GitHub documents that "the Dependabot
        security updates feature is available for repositories where you have enabled the
        dependency graph and Dependabot alerts", and its settings page warns that "disabling
        Dependabot alerts will also disable Dependabot security updates". For such a repository the
        organization's open-alert list (a few pages for every repository) holds all of its open
        alerts, so it costs no request of its own. Without that proof (security updates off, the
        block hidden from a non-admin), or when the organization's list cannot be read (the token's
        user is no owner or security manager), the repository's own list answers both questions.
        """
        if self._security_updates_on(repo):
            try:
                by_repository = self.collect("organization_dependabot_alerts")
            except CollectionError:
                pass  # not readable for this token, or GitHub failed: each repository is asked
            else:
                return {"enabled": True, "reason": None, "alerts": by_repository.get(repo, [])}

        def read() -> dict[str, Any]:
            try:
                listed = self._get_all(f"/repos/{repo}/dependabot/alerts", state="open")
            except GithubException as exc:
                if exc.status == 403 and _github_message(exc).lower().startswith(_ALERTS_OFF):
                    return {"enabled": False, "reason": _github_message(exc), "alerts": []}
                raise
            return {"enabled": True, "reason": None, "alerts": [_alert_summary(a) for a in listed]}

        return self.call(f"open Dependabot alerts of {repo}", read)

    def _security_updates_on(self, repo: str) -> bool:
        """Whether the repository listing shows Dependabot security updates on (no request of its own)."""
        return self._analysis_status(repo, "dependabot_security_updates") == "enabled"

    def _listed(self, repo: str) -> dict[str, Any] | None:
        """The repository's entry in the memoized repository listing, None if it is not there."""
        try:
            repos = self.collect("repositories")
        except CollectionError:
            return None
        return next((r for r in repos if r["full_name"] == repo), None)

    def _analysis_status(self, repo: str, feature: str) -> str | None:
        """security_and_analysis[feature].status from the repository listing; None when GitHub did not say."""
        listed = self._listed(repo) or {}
        return ((listed.get("security_and_analysis") or {}).get(feature) or {}).get("status")

    def _fetch_organization_dependabot_alerts(self) -> dict[str, list[dict[str, Any]]]:
        """{repository full name: its open Dependabot alerts}, from the organization-wide list.

        GitHub serves it only to organization owners and security managers; any failure is a
        CollectionError and the callers ask each repository instead.
        """
        def read() -> dict[str, list[dict[str, Any]]]:
            by_repository: dict[str, list[dict[str, Any]]] = {}
            for a in self._get_all(f"/orgs/{self.org_login}/dependabot/alerts", state="open"):
                name = (a.get("repository") or {}).get("full_name")
                if not name:  # an alert no repository can be charged with proves nothing about any
                    raise CollectionError(f"GitHub listed an open Dependabot alert of '{self.org_login}' "
                                          "without its repository.")
                by_repository.setdefault(name, []).append(_alert_summary(a))
            return by_repository

        return self.call(f"open Dependabot alerts of '{self.org_login}'", read)

    def _fetch_first_file(self, repo: str, paths: tuple[str, ...]) -> str | None:
        """The first of `paths` that exists in the default branch, or None.

        Answered from the listings of the directories the paths are in (memoized, so CODEOWNERS,
        SECURITY.md and the workflows share them), not one request per path. A listing GitHub
        may have cut short proves no file absent: the path is then asked for itself.
        """
        for path in paths:
            parent, _, name = path.rpartition("/")
            listing = self.collect("directory", repo=repo, path=parent)
            if listing is not None and len(listing) >= LISTING_LIMIT:
                found = self.call(f"{path} in {repo}", lambda p=path: self._exists(repo, p))
            else:
                found = listing is not None and any(e["name"] == name for e in listing)
            if found:
                return path
        return None

    def _fetch_directory(self, repo: str, path: str) -> list[dict[str, Any]] | None:
        """The entries ({"name", "path", "type"}) of a directory of the default branch; None if there is none.

        `path` "" is the root, read for many repositories at once in one GraphQL query
        (providers/github_batch.py), or through REST when that query cannot settle it. A
        subdirectory is asked for only when its parent lists it, so a repository without
        .github/ or docs/ costs no request of its own for any file check.
        """
        if not path:
            batched = self._batched(repo, "root")
            if batched is not ASK_REST:
                return batched
        else:
            parent, _, name = path.rpartition("/")
            above = self.collect("directory", repo=repo, path=parent)
            if above is None or (len(above) < LISTING_LIMIT
                                 and not any(e["name"] == name and e["type"] == "dir" for e in above)):
                return None

        def read() -> list[dict[str, Any]] | None:
            data = self._get_or_none(f"/repos/{repo}/contents/{path}")  # 404: no such directory, or empty
            if data is None:
                return None
            if not isinstance(data, list):
                raise CollectionError(f"{path} in {repo} is not a directory.")
            return [{k: e.get(k) for k in ("name", "path", "type")} for e in data if isinstance(e, dict)]

        return self.call(f"{path or 'the top directory'} of {repo}", read)

    def _exists(self, repo: str, path: str) -> bool:
        return self._get_or_none(f"/repos/{repo}/contents/{path}") is not None


def open_session(config: dict[str, Any], secrets: dict[str, Any]) -> GitHubSession:
    return GitHubSession(config, secrets)


def test_connection(config: dict[str, Any], secrets: dict[str, Any]) -> ConnectionResult:
    """Token valid? Scopes enough? Organization visible? One specific message for each."""
    try:
        session = GitHubSession({**config, "max_attempts": 1, "timeout": config.get("timeout", 10)}, secrets)
    except CollectionError as exc:
        return ConnectionResult(ok=False, message=exc.reason)
    requester = session.client().requester
    try:
        headers, user = requester.requestJsonAndCheck("GET", "/user")
        scopes_header = headers.get("x-oauth-scopes")
        details: dict[str, Any] = {"login": user.get("login"), "base_url": session.base_url}
        if scopes_header is not None:  # classic token: GitHub lists its scopes
            granted = set(_scopes(scopes_header))
            details["scopes"] = sorted(granted)
            missing = [name for name, any_of in REQUIRED_SCOPES.items() if not granted & any_of]
            if missing:
                return ConnectionResult(
                    ok=False, details=details,
                    message=(f"The GitHub token is missing scope(s) {', '.join(missing)} "
                             f"(it has: {', '.join(sorted(granted)) or 'none'}); create a token with "
                             "repo, read:org and security_events."))
        org = requester.requestJsonAndCheck("GET", f"/orgs/{session.org_login}")[1]
        details["organization"] = org.get("login")
    except GithubException as exc:
        if exc.status == 401:
            message = "GitHub rejected the token: it is invalid, expired or revoked (HTTP 401)."
        elif exc.status == 404:
            message = (f"GitHub organization '{session.org_login}' was not found at {session.base_url}, "
                       "or the token cannot see it.")
        else:
            message = describe_error(exc, f"organization '{session.org_login}'")
        return ConnectionResult(ok=False, message=message)
    except requests.Timeout:
        return ConnectionResult(ok=False, message=f"GitHub at {session.base_url} did not answer within "
                                                  f"{session.timeout}s (timeout).")
    except requests.ConnectionError:
        return ConnectionResult(ok=False, message=f"Cannot reach GitHub at {session.base_url}: the endpoint "
                                                  "is unreachable (connection failed).")
    finally:
        session.close()
    message = f"Connected to GitHub organization '{session.org_login}' as '{details['login']}'."
    if "scopes" in details:  # classic token: say which checks its scopes leave unreadable
        lacking = checks_lacking(details["scopes"])
        details["checks_lacking_scope"] = lacking
        for scope, keys in lacking.items():
            message += (f" Without the {scope} scope {len(keys)} check(s) cannot run and will show ERROR: "
                        f"{', '.join(keys)}.")
    return ConnectionResult(ok=True, details=details, message=message)


test_connection.__test__ = False  # not a pytest test when imported into a test module
