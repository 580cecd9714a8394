"""Elastic Load Balancing v2 collectors (regional): load balancers with their attributes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from compliance_app.providers.aws.collectors._registry import collector, paginate

if TYPE_CHECKING:
    from compliance_app.providers.aws.session import AwsSession

#: The attributes the checks read; the rest (timeouts, routing options) stay out of the evidence.
_ATTRIBUTES = ("access_logs.s3.enabled", "access_logs.s3.bucket", "access_logs.s3.prefix")


@collector("elbv2.load_balancers")
def _elbv2_load_balancers(s: AwsSession, region: str) -> list[dict[str, Any]]:
    """Application, network and gateway load balancers; attributes read concurrently, per-LB errors kept."""
    elb = s.client("elbv2", region)

    def one(lb: dict[str, Any]) -> dict[str, Any]:
        row = {k: lb.get(k) for k in ("LoadBalancerArn", "LoadBalancerName", "Type", "Scheme")}
        try:
            attrs = elb.describe_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"])["Attributes"]
        except (ClientError, BotoCoreError) as exc:
            row["__error__"] = s.describe(exc, "elbv2", region)
            return row
        row["Attributes"] = {a["Key"]: a.get("Value") for a in attrs if a.get("Key") in _ATTRIBUTES}
        return row

    return s.fan_out(one, paginate(elb, "describe_load_balancers", "LoadBalancers"))
