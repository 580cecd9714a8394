"""WAFv2 web ACLs with their logging configuration (regional; CloudFront ACLs from us-east-1)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from compliance_app.providers.aws.collectors._registry import collector
from compliance_app.providers.aws.errors import code

if TYPE_CHECKING:
    from compliance_app.providers.aws.session import AwsSession

#: CloudFront web ACLs are global and are only listed through us-east-1.
CLOUDFRONT_HOME = "us-east-1"


def _web_acls(waf: Any, scope: str) -> list[dict[str, Any]]:
    """ListWebACLs has no boto paginator: follow NextMarker."""
    acls: list[dict[str, Any]] = []
    params: dict[str, Any] = {"Scope": scope, "Limit": 100}
    while True:
        page = waf.list_web_acls(**params)
        acls.extend({**a, "Scope": scope} for a in page.get("WebACLs", []))
        if not page.get("NextMarker") or not page.get("WebACLs"):
            return acls
        params["NextMarker"] = page["NextMarker"]


@collector("wafv2.web_acls")
def _wafv2_web_acls(s: AwsSession, region: str) -> list[dict[str, Any]]:
    """Each web ACL with LogDestinationConfigs ([] = logging not configured) or __error__."""
    waf = s.client("wafv2", region)
    scopes = ["REGIONAL", "CLOUDFRONT"] if region == CLOUDFRONT_HOME else ["REGIONAL"]
    acls = [acl for scope in scopes for acl in _web_acls(waf, scope)]

    def one(acl: dict[str, Any]) -> dict[str, Any]:
        out = {k: acl.get(k) for k in ("Name", "Id", "ARN", "Scope")}
        try:
            config = waf.get_logging_configuration(ResourceArn=acl["ARN"])["LoggingConfiguration"]
            out["LogDestinationConfigs"] = config.get("LogDestinationConfigs") or []
        except ClientError as exc:
            if code(exc) != "WAFNonexistentItemException":
                out["__error__"] = s.describe(exc, "wafv2", region)
            else:
                out["LogDestinationConfigs"] = []
        except BotoCoreError as exc:
            out["__error__"] = s.describe(exc, "wafv2", region)
        return out

    return s.fan_out(one, acls)
