"""AWS errors in words a person can act on; secrets never appear in them.

Also decides which errors mean "this region cannot be used" (not opted in, denied by an
organization policy) as opposed to "this one API is not allowed" (a missing permission):
the first skips the region once, the second is an ERROR of the checks that needed the API.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)

DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError",
          "UnauthorizedAccess", "Forbidden"}
THROTTLED = {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException",
             "SlowDown", "RequestThrottled"}
BAD_CREDS = {"InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException",
             "InvalidAccessKeyId", "ExpiredToken", "ExpiredTokenException"}
#: The account has not enabled (opted in to) the region.
NOT_OPTED_IN = {"OptInRequired", "InvalidRegion"}


def code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


def describe_error(exc: BaseException, service: str = "", region: str | None = None,
                   secrets: dict[str, Any] | None = None) -> str:
    """Turn a boto error into one sentence that says what failed and what to fix."""
    where = f" in {region}" if region else ""
    if isinstance(exc, ClientError):
        err = code(exc) or "Unknown"
        op = f"{service}:{exc.operation_name}" if service else exc.operation_name
        if err in DENIED:
            if by_organization_policy(exc):
                return (f"Access denied calling {op}{where} by an organization policy (SCP): ask the "
                        f"organization's administrators, or restrict the integration's regions.")
            return (f"Access denied calling {op}{where}: grant the scanning identity read access "
                    f"(e.g. the SecurityAudit managed policy).")
        attempts = _attempts(exc)
        if err in THROTTLED:
            return (f"AWS throttled {op}{where} (HTTP {_status(exc)} {err}) on all {attempts} attempts; "
                    f"the account's API rate limit is exhausted, run the scan again later.")
        if _status(exc) >= 500:
            return (f"AWS {service or 'API'} outage{where}: {op} answered HTTP {_status(exc)} ({err}) on all "
                    f"{attempts} attempts; the failure is on AWS's side, the next scan tries again.")
        if err in BAD_CREDS:
            return (f"AWS rejected the credentials calling {op}{where} ({err}): check the access key id "
                    f"and secret access key, and that the key is active.")
        if err in NOT_OPTED_IN:
            return (f"{f'Region {region}' if region else 'A region'} is not enabled for this account ({err}): "
                    f"enable the opt-in region in the AWS console or remove it from the integration's regions.")
        if err == "AuthFailure":
            return (f"AWS could not validate the credentials calling {op}{where} (AuthFailure): the key may be "
                    f"inactive or deleted, the server clock wrong, or the credentials not valid in that region.")
        message = scrub(str(exc.response.get("Error", {}).get("Message", "")), secrets)
        return f"{op}{where} failed: {err}: {message}".rstrip(": ")
    if isinstance(exc, EndpointConnectionError):
        return (f"Could not reach the AWS {service or 'API'} endpoint{where}: the region may not exist "
                f"or the network/endpoint_url is unreachable.")
    if isinstance(exc, ConnectTimeoutError | ReadTimeoutError):
        return f"Timed out talking to AWS {service or 'API'}{where}; the region may be unreachable."
    if isinstance(exc, NoCredentialsError):
        return ("No AWS credentials were found: set the integration's access key id and secret access key "
                "(or give this server AWS credentials when AWS_USE_HOST_CREDENTIALS=true).")
    if isinstance(exc, BotoCoreError):
        return f"AWS {service or 'API'} call{where} failed: {scrub(str(exc), secrets)}"
    return f"{type(exc).__name__}: {scrub(str(exc), secrets)}"


def _status(exc: ClientError) -> int:
    """The HTTP status of the last answer (0 if unknown)."""
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return status if isinstance(status, int) else 0


def _attempts(exc: ClientError) -> int:
    """How many times botocore sent the call (its retries plus the first attempt)."""
    retries = exc.response.get("ResponseMetadata", {}).get("RetryAttempts")
    return (retries if isinstance(retries, int) else 0) + 1


def by_organization_policy(exc: ClientError) -> bool:
    """AWS names the SCP in the message of an explicit organization deny."""
    message = str(exc.response.get("Error", {}).get("Message", "")).lower()
    return "service control policy" in message


def describe_assume_role_error(exc: BaseException, secrets: dict[str, Any]) -> str:
    if isinstance(exc, ClientError) and code(exc) in DENIED:
        return ("AWS denied AssumeRole: check the role's trust policy allows this account/user to assume it "
                "and that the external id matches the one in the trust policy's sts:ExternalId condition.")
    return describe_error(exc, "sts", None, secrets)


def scrub(text: str, secrets: dict[str, Any] | None) -> str:
    for value in (secrets or {}).values():
        if isinstance(value, str) and len(value) >= 4:
            text = text.replace(value, "***")
    return text
