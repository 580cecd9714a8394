"""The Checks page's filter is a service rule: services/catalog.py."""

from __future__ import annotations

from compliance_app.services import catalog


def test_catalog_filters_and_orders_checks():
    everything, size = catalog.list_checks()
    assert len(everything) == size > 20
    ranks = [catalog.SEVERITY_ORDER.index(str(m.severity)) for m in everything]
    assert ranks == sorted(ranks), "most severe first"
    aws_high, _ = catalog.list_checks(provider="aws", severity="high")
    assert aws_high and all(str(m.provider) == "aws" and str(m.severity) == "high" for m in aws_high)
    soc2, _ = catalog.list_checks(framework="SOC 2")
    assert soc2 and all(m.frameworks.get("SOC 2") for m in soc2)
    two_words, _ = catalog.list_checks(search="bucket public")
    assert two_words and all("bucket" in (m.key + m.title + m.description + m.rationale + m.service).lower()
                             for m in two_words)
    assert catalog.list_checks(search="no-such-words-anywhere")[0] == []
    assert catalog.get_check(everything[0].key) == everything[0] and catalog.get_check("nope") is None


def test_the_pager_says_1_audit_not_1_audits():
    from compliance_app.components.table import _singular, pager
    from compliance_app.pages.audits import AuditsState

    assert [_singular(n) for n in ("audits", "checks", "entries")] == ["audit", "check", "entry"]
    rendered = str(pager(AuditsState, "audits").render())
    assert '" audit"' in rendered and '" audits"' in rendered
