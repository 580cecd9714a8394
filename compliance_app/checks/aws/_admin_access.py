"""One evaluator for "does this IAM policy grant administrative access?", shared by the three
policy checks (customer-managed, inline, attached AWS-managed).

A statement is administrative when it Allows every IAM action on every IAM resource:
whoever may do that can attach AdministratorAccess to themselves, so "*" on "*" is only
the most obvious case. Both halves are read in their two forms:
- Action: a pattern matching every action ("*", "*:*") or every IAM action ("iam:*",
  "i*:*"); NotAction: every action except the listed ones, administrative unless the list
  excludes all of IAM ("Allow NotAction s3:DeleteBucket" or "NotAction iam:CreateUser" still
  leave iam:AttachUserPolicy allowed);
- Resource: "*" or an ARN pattern for every IAM resource ("arn:*", "arn:aws:iam::*:*");
  NotResource: every resource except the listed ones, all-covering unless the list excludes
  all of IAM.
Action and resource names are case-insensitive in IAM, and so are the patterns here.
Conditions are kept in the evidence but do not make a statement safe (CIS "*:*").
"""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import unquote


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def load_document(document: Any) -> dict[str, Any]:
    """Policy documents arrive as dicts (boto decodes them) or URL-encoded JSON strings."""
    if isinstance(document, str):
        document = json.loads(unquote(document))
    return document if isinstance(document, dict) else {}


def _split(pattern: str, parts: int) -> list[str]:
    return (pattern.lower().split(":", parts - 1) + [""] * parts)[:parts]


def _matches_every_action(pattern: str) -> bool:
    service, action = _split(pattern, 2)
    if ":" not in pattern:
        return set(pattern) == {"*"}
    return set(service) == {"*"} and set(action) == {"*"}


def _matches_every_iam_action(pattern: str) -> bool:
    service, action = _split(pattern, 2)
    if ":" not in pattern:
        return set(pattern) == {"*"}
    return fnmatchcase("iam", service) and set(action) == {"*"}


def _matches_every_iam_resource(pattern: str) -> bool:
    """"*", or an ARN pattern for every resource of IAM ("arn:*", "arn:aws:iam::123456789012:*")."""
    if set(pattern) == {"*"}:
        return True
    fields = _split(pattern, 6)
    if fields[0] != "arn" or not fnmatchcase("iam", fields[2] or "*"):
        return False
    rest = ":".join(fields[5:]) if pattern.count(":") >= 5 else "*"
    return set(rest) == {"*"}


def _action_scope(statement: dict[str, Any]) -> str | None:
    if "NotAction" in statement:
        excluded = [str(p) for p in as_list(statement["NotAction"])]
        if not any(_matches_every_iam_action(p) for p in excluded):
            return f"every action except {', '.join(excluded)}" if excluded else "every action"
        return None
    actions = [str(p) for p in as_list(statement.get("Action"))]
    if any(_matches_every_action(p) for p in actions):
        return "every action"
    if any(_matches_every_iam_action(p) for p in actions):
        return "every IAM action"
    return None


def _resource_scope(statement: dict[str, Any]) -> str | None:
    if "NotResource" in statement:
        excluded = [str(p) for p in as_list(statement["NotResource"])]
        if not any(_matches_every_iam_resource(p) for p in excluded):
            return f"every resource except {', '.join(excluded)}" if excluded else "every resource"
        return None
    patterns = [str(p) for p in as_list(statement.get("Resource"))]
    if any(set(p) == {"*"} for p in patterns):
        return "every resource"
    covering = [p for p in patterns if _matches_every_iam_resource(p)]
    return f"every IAM resource ({', '.join(covering)})" if covering else None


def admin_statements(document: Any) -> list[dict[str, Any]]:
    """The Allow statements of `document` that grant administrative access, each with a `Why`."""
    found = []
    for statement in as_list(load_document(document).get("Statement")):
        if not isinstance(statement, dict) or str(statement.get("Effect", "")).lower() != "allow":
            continue
        actions, resources = _action_scope(statement), _resource_scope(statement)
        if actions and resources:
            found.append({**statement, "Why": f"allows {actions} on {resources}"})
    return found
