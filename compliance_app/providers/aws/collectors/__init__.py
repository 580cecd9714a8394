"""Collectors: the raw AWS reads the checks evaluate, one module per group of services.

Importing this package registers every collector in COLLECTORS.
"""

from compliance_app.providers.aws.collectors import data, ec2, iam, monitoring, s3
from compliance_app.providers.aws.collectors._registry import COLLECTORS

__all__ = ["COLLECTORS", "data", "ec2", "iam", "monitoring", "s3"]
