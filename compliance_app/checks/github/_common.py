"""Shared shapes of GitHub checks: organization-level and per-repository.

A subclass collects through the provider session (`collect`) and decides in a pure
`evaluate` on plain data, so the decision is testable without any HTTP. "Could not read"
(CollectionError) becomes an ERROR finding for the resource it concerns, never PASS.
"""

from __future__ import annotations

from typing import Any

from compliance_app.checks.base import Check, Finding
from compliance_app.vocabulary import CollectionError, EvidenceStatus

PASS, FAIL, ERROR = EvidenceStatus.PASS, EvidenceStatus.FAIL, EvidenceStatus.ERROR


def finding(resource: str, ok: bool | None, message: str, raw: dict[str, Any]) -> Finding:
    """ok=None means the data needed was not available: ERROR, with the message as reason."""
    status = ERROR if ok is None else (PASS if ok else FAIL)
    return Finding(resource_id=resource, status=status, message=message, raw_data=raw)


def sample(items: list[Any], limit: int = 50) -> list[Any]:
    """Trim long lists in proofs; counts are reported separately."""
    return items[:limit]


class OrganizationCheck(Check):
    """One finding for the organization (resource id = its login)."""

    def collect(self, session: Any) -> Any:  # pragma: no cover - interface
        raise NotImplementedError

    def evaluate(self, login: str, data: Any, session: Any) -> Finding:  # pragma: no cover - interface
        raise NotImplementedError

    def run(self, session: Any) -> list[Finding]:
        try:
            data = self.collect(session)
        except CollectionError as exc:
            return [Finding.error(session.org_login, exc.reason)]
        return [self.evaluate(session.org_login, data, session)]


def unseen_repositories(session: Any, public_only: bool = False) -> Finding | None:
    """ERROR for the organization when the token lists fewer repositories than it has.

    Without it a token limited to some repositories would let every repository check pass
    on what it saw; with it the check cannot be PASS (and still FAILs on what it saw).
    A check of public repositories only minds unseen public ones.
    """
    try:
        seen = session.collect("repository_coverage")
    except CollectionError:  # the listing itself failed: reported by the caller already
        return None
    if not seen["missing_public" if public_only else "missing"]:
        return None
    return Finding(resource_id=session.org_login, status=ERROR, message=seen["note"],
                   raw_data={"organization": session.org_login, "repositories_seen": len(seen["repositories"]),
                             "repositories_in_organization": seen["in_organization"],
                             "not_checked": seen["missing"]})


class RepositoryCheck(Check):
    """One finding per repository (resource id = full_name), plus one ERROR for the
    organization when the token does not see all of its repositories.

    Archived repositories are read-only, so their settings no longer matter and they are
    skipped unless `include_archived`; `public_only` checks skip private repositories.
    `evaluate` may return None when the check does not apply (e.g. an empty repository).
    No repository in scope at all returns [] (meta.when_empty: not applicable).
    Repositories are read concurrently on the session's bounded pool (the session memoizes,
    so checks sharing a read still cost one request).
    """

    include_archived = False
    public_only = False

    def collect(self, session: Any, repo: dict[str, Any]) -> Any:
        return None

    def evaluate(self, repo: dict[str, Any], data: Any) -> Finding | None:  # pragma: no cover
        raise NotImplementedError

    def applies_to(self, repo: dict[str, Any]) -> bool:
        if repo.get("archived") and not self.include_archived:
            return False
        return not (self.public_only and repo.get("private"))

    def run(self, session: Any) -> list[Finding]:
        try:
            repos = session.collect("repositories")
        except CollectionError as exc:
            return [Finding.error(session.org_login, exc.reason)]
        def one(repo: dict[str, Any]) -> Finding | None:
            try:
                data = self.collect(session, repo)
            except CollectionError as exc:
                return Finding.error(repo["full_name"], exc.reason)
            return self.evaluate(repo, data)

        targets = [r for r in repos if self.applies_to(r)]
        # Per-repository reads are independent: the session's bounded pool runs them (results in order).
        fan_out = getattr(session, "fan_out", None)
        results = fan_out(one, targets) if fan_out else [one(r) for r in targets]
        return [f for f in [*results, unseen_repositories(session, self.public_only)] if f is not None]
