"""Activity reads as sentences, not codes and ids."""

from __future__ import annotations

from compliance_app.services.activity import SENTENCES, sentence


def test_entries_read_as_sentences():
    assert sentence("risk.accepted", "ann@example.com", "exception:1",
                    {"question": "github_org_2fa_required", "resource_id": "acme",
                     "expires_at": "2027-01-31T00:00:00+00:00"}) == (
        "ann@example.com accepted the risk of github_org_2fa_required for acme until 31 Jan 2027.")
    assert sentence("integration.added", "bob", "", {"provider": "aws", "name": "Prod"}) == (
        "bob connected AWS “Prod”.")
    assert sentence("integration.tested", "bob", "", {"provider": "github", "ok": False}) == (
        "bob tested the GitHub connection: failing.")
    assert sentence("member.added", "ann", "carl@example.com", {"role": "viewer"}) == (
        "ann added carl@example.com as viewer.")
    assert sentence("snapshot.retention", "", "", {"deleted": 3, "retention_days": 90}) == (
        "3 unpinned snapshots older than 90 days were deleted.")
    assert sentence("something.new", "ann", "x:1", {}) == "ann: something.new (x:1)."
    for action in SENTENCES:  # every template formats whatever the meta holds
        assert sentence(action, "ann", "", {}).endswith(".")


def test_dates_are_iso_utc_underneath_and_the_page_formats_them_in_the_reader_s_locale():
    from datetime import UTC, datetime, timedelta, timezone

    from compliance_app.components.figures import iso_utc, local_time

    moment = datetime(2026, 11, 27, 15, 5, 9, 123, tzinfo=timezone(timedelta(hours=1)))
    assert iso_utc(moment) == "2026-11-27T14:05:09Z"
    assert iso_utc(datetime(2026, 1, 2, 3, 4, tzinfo=UTC)) == "2026-01-02T03:04:00Z" and iso_utc(None) == ""
    rendered = str(local_time("2026-11-27T14:05:09Z", "27 Nov 2026, 14:05 UTC").render())
    assert "toLocaleString" in rendered and "27 Nov 2026, 14:05 UTC" in rendered  # UTC on hover


def test_the_activity_page_names_people_rather_than_emails(db):
    """'Ann accepted the risk …', not 'ann@example.com accepted …'; a person without a name
    keeps their email, and entries no person made keep their label."""
    from compliance_app.db import session_scope
    from compliance_app.services import activity, organizations
    from compliance_app.services.authz import Actor
    from tests.factories import actor_for, add_member, make_org, make_user

    ann = make_user("ann@example.com", name="Ann")
    org = make_org(ann)
    nameless = make_user("bob@example.com", name="")
    add_member(org, nameless)
    with session_scope() as s:
        activity.record(s, actor_for(ann), "risk.accepted", organization_id=org.id,
                        meta={"question": "github_org_2fa_required", "expires_at": "2027-01-31T00:00:00+00:00"})
        activity.record(s, actor_for(nameless), "scan.requested", organization_id=org.id)
        activity.record(s, Actor.system("scheduler"), "scan.requested", organization_id=org.id)
    rows = organizations.list_activity(actor_for(ann), org.id).rows
    sentences = [activity.sentence(r.action, r.who, r.target, r.meta) for r in rows]
    assert "Ann accepted the risk of github_org_2fa_required until 31 Jan 2027." in sentences
    assert "bob@example.com ran a scan." in sentences and "scheduler ran a scan." in sentences
    assert not any("ann@example.com" in line for line in sentences)
    assert {r.actor for r in rows} == {"ann@example.com", "bob@example.com", "scheduler"}  # kept, shown on hover
