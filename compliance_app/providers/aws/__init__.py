"""AWS provider: sessions, region discovery, collectors and the connection test.

- session.py: AwsSession (clients, memoized collection, coverage) and role assumption
- regions.py: which regions a scan covers (discovery, restriction, probing)
- errors.py: boto errors in words a person can act on
- collectors/: the raw reads, one module per group of services
- connection.py: "Test connection"
"""

from compliance_app.providers.aws.collectors import COLLECTORS
from compliance_app.providers.aws.connection import test_connection
from compliance_app.providers.aws.errors import describe_error
from compliance_app.providers.aws.session import AwsSession, parse_config

__all__ = ["COLLECTORS", "AwsSession", "describe_error", "open_session", "parse_config", "test_connection"]


def open_session(config: dict, secrets: dict) -> AwsSession:
    return AwsSession(config, secrets)
