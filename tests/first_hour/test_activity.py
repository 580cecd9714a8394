"""Activity reads as sentences, not codes and ids (finish 12)."""

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
