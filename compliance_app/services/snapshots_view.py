"""What the snapshots page shows, read in one transaction authorized once.

The page reloads it on every open, pin, unpin, new link, revoke and page change. Read through
the separate services (the list, the chain labels, the audits to freeze, the links) it took
five transactions and four authorizations, one of them repeated for the audits' authors.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from compliance_app.db import session_scope
from compliance_app.models import AuditStatus
from compliance_app.services.authz import Actor, Permission, authorize
from compliance_app.services.dashboard import AuditRow, audit_rows_in
from compliance_app.services.scans import audit_filters
from compliance_app.services.shares import LinkInfo, links_in
from compliance_app.services.snapshot_signing import ChainOverview, overview_in
from compliance_app.services.snapshots import SnapshotPage, snapshots_in


@dataclass(frozen=True)
class SnapshotsView:
    snapshots: SnapshotPage
    #: The chain head and a label per listed snapshot.
    chain: ChainOverview
    #: The newest completed audits, which the create form offers.
    completed_audits: list[AuditRow]
    #: The organization's links, newest first; empty for callers who may not manage them.
    links: list[LinkInfo]


def snapshots_view(actor: Actor, org_id: uuid.UUID, page: int = 1, audits: int = 20) -> SnapshotsView:
    """Page `page` of the snapshots with their chain labels, the `audits` newest completed audits,
    and the links when the caller may manage them (as list_snapshots, chain_overview,
    dashboard.list_audit_rows and shares.list_links answer)."""
    status, first, page_size = audit_filters(AuditStatus.COMPLETED, 1, audits)
    with session_scope() as s:
        access = authorize(s, actor, org_id, Permission.READ)
        listed = snapshots_in(s, org_id, page)
        return SnapshotsView(
            snapshots=listed,
            chain=overview_in(s, org_id, [item.id for item in listed.items]),
            completed_audits=audit_rows_in(s, org_id, status, None, None, first, page_size).items,
            links=links_in(s, org_id) if access.can(Permission.MANAGE_SHARES) else [],
        )
