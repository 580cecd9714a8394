"""Errors services raise; each carries a message fit to show a person as-is."""

from __future__ import annotations


class ServiceError(Exception):
    """Base class: `str(exc)` is a clear, specific, user-facing sentence."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def message_slots(self, *fields: str) -> tuple[str, ...]:
        """For forms: the message under the field it names, else in a last, general slot."""
        general = "" if self.field in fields else self.message
        return (*(self.message if self.field == f else "" for f in fields), general)


class ValidationError(ServiceError):
    """Bad input; nothing was written."""


class NotFound(ServiceError):
    """Missing or not visible to the caller; the two are indistinguishable on purpose."""

    status_code = 404


class PermissionDenied(ServiceError):
    """The caller belongs to the organization but their role does not allow this."""

    status_code = 403


class AuthenticationRequired(ServiceError):
    status_code = 401


class Conflict(ServiceError):
    status_code = 409


class LimitExceeded(ServiceError):
    """The organization's plan does not allow more of this."""

    status_code = 402


class RateLimited(ServiceError):
    """Too many attempts: try again after `retry_after` seconds (sent as HTTP Retry-After)."""

    status_code = 429

    def __init__(self, message: str, *, retry_after: int = 60, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.retry_after = retry_after


class StorageFull(ServiceError):
    """The server could not write a file (disk or file-size limit full); nothing was saved."""

    status_code = 507


class FileMissing(ServiceError):
    """The database names a file that is no longer in storage (deleted behind the app's back)."""

    status_code = 410
