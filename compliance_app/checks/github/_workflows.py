"""Reading parsed GitHub Actions workflows (plain data from yaml.safe_load) for the workflow checks.

Pure functions over the mappings PyYAML returns; anything of an unexpected type (a hostile or
broken file) is skipped rather than trusted, and never raises. GitHub's workflow syntax:
`on` (which YAML 1.1 reads as the boolean key True) is a string, a list or a mapping of
events; `jobs.<id>.steps[*]` carry `uses` (an action) or `run` (a shell script), and
`jobs.<id>.uses` calls a reusable workflow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Triggers that run with the base repository's secrets and a write token on an event
#: that untrusted code (a fork's pull request) can cause.
PRIVILEGED_TRIGGERS = ("pull_request_target", "workflow_run")
#: Expressions naming the untrusted head of a pull request or of the triggering run
#: (compared without spaces, lower case).
UNTRUSTED_HEAD = (
    "github.event.pull_request.head.sha", "github.event.pull_request.head.ref",
    "github.event.pull_request.head.repo.full_name", "github.event.pull_request.merge_commit_sha",
    "github.event.pull_request.number", "github.event.number", "github.head_ref",
    "github.event.workflow_run.head_sha", "github.event.workflow_run.head_branch",
    "github.event.workflow_run.head_commit.id", "github.event.workflow_run.head_repository.full_name",
    "github.event.workflow_run.pull_requests",
)
#: Owners whose actions are GitHub's own (not third-party).
GITHUB_OWNED = ("actions", "github")
#: Shell commands that bring a ref into the workspace.
_GIT_FETCHES = {("git", "fetch"), ("git", "checkout"), ("git", "pull"), ("git", "switch")}
_HEX = set("0123456789abcdef")


def triggers(workflow: dict[str, Any]) -> list[str]:
    """The events that start the workflow (`on`, read by YAML 1.1 as the key True)."""
    on = workflow["on"] if "on" in workflow else workflow.get(True)
    if isinstance(on, str):
        return [on]
    if isinstance(on, list):
        return [e for e in on if isinstance(e, str)]
    if isinstance(on, dict):
        return [e for e in on if isinstance(e, str)]
    return []


def _jobs(workflow: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    jobs = workflow.get("jobs")
    if not isinstance(jobs, dict):
        return []
    return [(str(name), job) for name, job in jobs.items() if isinstance(job, dict)]


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    steps = job.get("steps")
    return [s for s in steps if isinstance(s, dict)] if isinstance(steps, list) else []


def _squash(value: Any) -> str:
    return "".join(str(value).split()).lower() if isinstance(value, str | int) else ""


def _names_untrusted_head(value: Any) -> bool:
    text = _squash(value)
    return "${{" in text and any(expr in text for expr in UNTRUSTED_HEAD)


def _untrusted_checkout(step: dict[str, Any]) -> str | None:
    """How the step fetches the untrusted head, or None."""
    uses = step.get("uses")
    if isinstance(uses, str) and uses.strip().lower().startswith("actions/checkout@"):
        with_ = step.get("with") if isinstance(step.get("with"), dict) else {}
        for field in ("ref", "repository"):
            if _names_untrusted_head(with_.get(field)):
                return f"actions/checkout with {field}: {str(with_.get(field)).strip()[:200]}"
    run = step.get("run")
    if isinstance(run, str):
        commands = _commands(run)
        if ("gh", "pr", "checkout") in commands:
            return "run: gh pr checkout"
        if _names_untrusted_head(run) and commands & _GIT_FETCHES:
            return "run: git fetches the pull request head"
    return None


def _without_expressions(script: str) -> str:
    """The script with every ${{ ... }} expression removed (its words are not commands)."""
    kept, rest = [], script
    while "${{" in rest:
        before, _, after = rest.partition("${{")
        kept.append(before)
        rest = after.partition("}}")[2]
    return " ".join([*kept, rest])


def _commands(script: str) -> set[tuple[str, ...]]:
    """Every run of two or three consecutive words of the script (outside expressions), lower case."""
    words = [w.strip(";&|()'\"") for w in _without_expressions(script).lower().split()]
    words = [w for w in words if w]
    return {tuple(words[i:i + n]) for n in (2, 3) for i in range(len(words) - n + 1)}


def _executes(step: dict[str, Any]) -> bool:
    """Whether a step runs code from the checked-out tree (a script, or a local action)."""
    uses = step.get("uses")
    return isinstance(step.get("run"), str) or (isinstance(uses, str) and uses.strip().startswith("./"))


@dataclass(frozen=True)
class UntrustedCheckout:
    """A job of a privileged workflow that checks out the untrusted head and then runs code."""

    file: str
    job: str
    trigger: str
    checkout: str

    def as_proof(self) -> dict[str, str]:
        return {"file": self.file, "job": self.job, "trigger": self.trigger, "checkout": self.checkout}


def untrusted_checkouts(path: str, workflow: dict[str, Any]) -> list[UntrustedCheckout]:
    """Jobs of a pull_request_target / workflow_run workflow that check out the head and run it."""
    privileged = [t for t in triggers(workflow) if t in PRIVILEGED_TRIGGERS]
    if not privileged:
        return []
    found = []
    for name, job in _jobs(workflow):
        steps = _steps(job)
        for index, step in enumerate(steps):
            how = _untrusted_checkout(step)
            # A script that fetches the head may run it itself; actions/checkout only fetches.
            if how and (how.startswith("run:") or any(_executes(s) for s in steps[index + 1:])):
                found.append(UntrustedCheckout(path, name, "/".join(privileged), how))
                break
    return found


def _is_full_sha(ref: str) -> bool:
    return len(ref) in (40, 64) and set(ref.lower()) <= _HEX


def unpinned_references(workflow: dict[str, Any], own_owner: str) -> list[dict[str, str]]:
    """Third-party actions and reusable workflows not pinned to a full commit SHA.

    Local actions (./...), GitHub's own (actions/*, github/*) and the organization's own are
    not third-party; a docker:// image counts as pinned only with an @sha256: digest.
    """
    refs: list[tuple[str, str]] = []
    for name, job in _jobs(workflow):
        if isinstance(job.get("uses"), str):
            refs.append((name, job["uses"]))
        refs += [(name, s["uses"]) for s in _steps(job) if isinstance(s.get("uses"), str)]
    unpinned = []
    for job, uses in refs:
        reference = uses.strip()
        if reference.startswith("./"):
            continue
        if reference.lower().startswith("docker://"):
            if "@sha256:" not in reference.lower():
                unpinned.append({"job": job, "uses": reference[:200], "why": "docker image without a digest"})
            continue
        target, _, ref = reference.partition("@")
        owner = target.split("/", 1)[0].lower()
        if owner in GITHUB_OWNED or owner == own_owner.lower():
            continue
        if not _is_full_sha(ref):
            why = f"pinned to '{ref[:80]}', not a commit SHA" if ref else "no version given"
            unpinned.append({"job": job, "uses": reference[:200], "why": why})
    return unpinned
