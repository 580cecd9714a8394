""""Test connection" for an AWS integration: credentials, role, and the regions a scan would cover."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from compliance_app.providers.aws.errors import describe_error
from compliance_app.providers.aws.session import AwsSession, parse_config
from compliance_app.providers.base import ConnectionResult
from compliance_app.vocabulary import CollectionError


def test_connection(config: dict[str, Any], secrets: dict[str, Any]) -> ConnectionResult:
    """Prove the credentials work, the role can be assumed, and say which regions a scan covers.

    A region the integration names explicitly but that cannot be scanned fails the test (the
    person asked for it); regions skipped during discovery (an SCP denying them) are listed.
    """
    try:
        regions, _, role_arn = parse_config(config or {})
    except ValueError as exc:
        return ConnectionResult(False, str(exc))
    secrets = secrets or {}
    session = AwsSession(config, secrets)
    problem = session.credentials_problem()
    if problem:
        return ConnectionResult(False, problem)
    try:
        session._client_from(session._base, "sts", session.home_region).get_caller_identity()
        identity = session.client("sts").get_caller_identity()
        plan = session.region_plan()
    except CollectionError as exc:
        return ConnectionResult(False, exc.reason)
    except (ClientError, BotoCoreError) as exc:
        return ConnectionResult(False, describe_error(exc, "sts", None, secrets))
    finally:
        session.close()
    details: dict[str, Any] = {"account_id": identity.get("Account"), "arn": identity.get("Arn"),
                               "regions": {**{r: "ok" for r in plan.scanned}, **plan.skipped},
                               "notes": plan.notes}
    if regions and plan.skipped:
        return ConnectionResult(False, " ".join(plan.skipped.values()), details)
    who = "assumed role " + role_arn if role_arn else details["arn"]
    scope = (f"{len(plan.scanned)} region(s)" if regions
             else f"all {len(plan.scanned)} enabled regions")
    skipped = f"; skipped {', '.join(f'{r} ({why})' for r, why in plan.skipped.items())}" if plan.skipped else ""
    return ConnectionResult(True, f"Connected to AWS account {details['account_id']} as {who} "
                                  f"({scope}{skipped}).", details)


test_connection.__test__ = False  # type: ignore[attr-defined]  # not a pytest test when imported
