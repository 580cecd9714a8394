"""All tables, imported here so SQLModel.metadata (and Alembic) sees every one."""

from compliance_app.models.api_token import ApiToken, TokenScope
from compliance_app.models.audit import (
    ACTIVE_AUDIT_STATUSES,
    Audit,
    AuditStatus,
    Evidence,
    EvidenceStatus,
)
from compliance_app.models.billing import StripeEvent
from compliance_app.models.history import ScanHistory
from compliance_app.models.integration import Integration, Provider
from compliance_app.models.keys import KeyFingerprint
from compliance_app.models.notification import (
    DeliveryStatus,
    NotificationChannel,
    NotificationLog,
    NotificationOutbox,
    NotificationRule,
    NotificationSettings,
    NotificationSubscription,
)
from compliance_app.models.organization import (
    ActivityLog,
    Invitation,
    Membership,
    Organization,
    Role,
    ScanFrequency,
    SubscriptionStatus,
)
from compliance_app.models.proof import Proof
from compliance_app.models.question import SEVERITY_WEIGHT, Question, Severity
from compliance_app.models.risk import RiskAcceptanceException
from compliance_app.models.snapshot import AuditSnapshot, PublicLink
from compliance_app.models.sso import SsoDomainRule, SsoLoginRequest
from compliance_app.models.user import LoginAttempt, User, UserSession

__all__ = [
    "ACTIVE_AUDIT_STATUSES",
    "SEVERITY_WEIGHT",
    "ActivityLog",
    "ApiToken",
    "Audit",
    "AuditSnapshot",
    "AuditStatus",
    "DeliveryStatus",
    "Evidence",
    "EvidenceStatus",
    "Integration",
    "Invitation",
    "KeyFingerprint",
    "LoginAttempt",
    "Membership",
    "NotificationChannel",
    "NotificationLog",
    "NotificationOutbox",
    "NotificationRule",
    "NotificationSettings",
    "NotificationSubscription",
    "Organization",
    "Proof",
    "Provider",
    "PublicLink",
    "Question",
    "RiskAcceptanceException",
    "Role",
    "ScanFrequency",
    "ScanHistory",
    "Severity",
    "SsoDomainRule",
    "SsoLoginRequest",
    "StripeEvent",
    "SubscriptionStatus",
    "TokenScope",
    "User",
    "UserSession",
]
