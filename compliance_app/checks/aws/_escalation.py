"""Which IAM actions a policy lets its holder use to raise their own privileges.

The action sets are the publicly documented escalation paths (Rhino Security Labs' "AWS IAM
privilege escalation" research, also used by Prowler and pmapper): each set, granted together,
lets a principal obtain permissions it was not given, e.g. iam:CreatePolicyVersion rewrites a
policy it holds, iam:PassRole with lambda:CreateFunction and lambda:InvokeFunction runs code as
a more powerful role.

Reading is conservative, since this check must not miss a path:
- Allow statements grant their actions whatever their Resource or Condition (a narrower
  resource may still be a path; the evidence shows the statement to review);
- Allow with NotAction grants every action it does not exclude;
- only an unconditional Deny on Resource "*" takes an action away (Deny with NotAction takes
  away everything it does not list);
- patterns are matched case-insensitively with IAM's wildcards (* and ?).
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from compliance_app.checks.aws._admin_access import as_list, load_document

ESCALATION_PATHS: tuple[frozenset[str], ...] = tuple(frozenset(path) for path in (
    {"iam:CreatePolicyVersion"},
    {"iam:SetDefaultPolicyVersion"},
    {"iam:CreateAccessKey"},
    {"iam:CreateLoginProfile"},
    {"iam:UpdateLoginProfile"},
    {"iam:AttachUserPolicy"},
    {"iam:AttachGroupPolicy"},
    {"iam:AttachRolePolicy"},
    {"iam:PutUserPolicy"},
    {"iam:PutGroupPolicy"},
    {"iam:PutRolePolicy"},
    {"iam:AddUserToGroup"},
    {"iam:UpdateAssumeRolePolicy", "sts:AssumeRole"},
    {"iam:PassRole", "ec2:RunInstances"},
    {"iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"},
    {"iam:PassRole", "lambda:CreateFunction", "lambda:CreateEventSourceMapping"},
    {"lambda:UpdateFunctionCode"},
    {"iam:PassRole", "glue:CreateDevEndpoint"},
    {"glue:UpdateDevEndpoint"},
    {"iam:PassRole", "cloudformation:CreateStack"},
    {"iam:PassRole", "datapipeline:CreatePipeline", "datapipeline:PutPipelineDefinition"},
    {"iam:PassRole", "sagemaker:CreateNotebookInstance", "sagemaker:CreatePresignedNotebookInstanceUrl"},
    {"iam:PassRole", "codestar:CreateProject"},
))
ESCALATION_ACTIONS = frozenset().union(*ESCALATION_PATHS)


def _matches(pattern: str, action: str) -> bool:
    return fnmatchcase(action.lower(), str(pattern).lower().replace("[", "[[]"))


def _statement_actions(statement: dict[str, Any]) -> set[str]:
    """The escalation actions a statement names (Action) or leaves in (NotAction)."""
    if "NotAction" in statement:
        excluded = as_list(statement["NotAction"])
        return {a for a in ESCALATION_ACTIONS if not any(_matches(p, a) for p in excluded)}
    return {a for a in ESCALATION_ACTIONS if any(_matches(p, a) for p in as_list(statement.get("Action")))}


def _unconditional_on_everything(statement: dict[str, Any]) -> bool:
    return not statement.get("Condition") and "NotResource" not in statement and \
        "*" in [str(r) for r in as_list(statement.get("Resource"))]


def escalation_paths(document: Any) -> tuple[list[list[str]], list[dict[str, Any]]]:
    """(the escalation paths fully granted, the Allow statements granting their actions)."""
    allowed: set[str] = set()
    denied: set[str] = set()
    granting: list[dict[str, Any]] = []
    for statement in as_list(load_document(document).get("Statement")):
        if not isinstance(statement, dict):
            continue
        effect = str(statement.get("Effect", "")).lower()
        actions = _statement_actions(statement)
        if effect == "allow" and actions:
            allowed |= actions
            granting.append(statement)
        elif effect == "deny" and _unconditional_on_everything(statement):
            denied |= actions
    usable = allowed - denied
    paths = sorted(sorted(path) for path in ESCALATION_PATHS if path <= usable)
    return paths, granting
