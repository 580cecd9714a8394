"""One scan of an organization in its own process, for bench/scan_latency.py.

    DATABASE_URL=... python -m bench._scan_latency_worker ORGANIZATION_ID

Prints one JSON line: wall time of the audit, the longest chain of dependent API calls and
the calls made more than once (from providers/callchain.py), peak RSS and CPU seconds of
this process, and the audit's outcome. A process of its own so its peak RSS is the scan's, not the servers'.
"""

from __future__ import annotations

import json
import re
import resource
import sys
import time
import uuid
from collections import Counter


def _peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM). Not ru_maxrss: Linux carries the forking parent's peak
    (the bench process, holding moto's whole account) over into the child's across exec."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


#: GitHub paths with their names and ids replaced, so calls group by endpoint.
_GITHUB_TEMPLATE = [(re.compile(p), r) for p, r in (
    (r"^https?://[^/]+", ""), (r"[{?].*$", ""), (r"^/orgs/[^/]+", "/orgs/{org}"),
    (r"^/repos/[^/]+/[^/]+", "/repos/{repo}"), (r"/branches/[^/]+", "/branches/{branch}"),
    (r"/rulesets/\d+", "/rulesets/{id}"), (r"/contents/.+", "/contents/{path}"))]


def _operation(service: str, operation: str, key: str) -> str:
    """An AWS call's operation name, or a GitHub call's endpoint (GET /repos/{repo}/keys)."""
    if service != "github":
        return operation
    for pattern, replacement in _GITHUB_TEMPLATE:
        key = pattern.sub(replacement, key)
    return f"{operation} {key}"


def main() -> int:
    from compliance_app.db import session_scope
    from compliance_app.models import Audit
    from compliance_app.providers import callchain
    from compliance_app.services import audit_queue, engine, scans
    from compliance_app.services.authz import Actor

    org_id = uuid.UUID(sys.argv[1])
    audit = scans.request_scan(Actor.system("bench"), org_id)
    audit_queue.claim_audit(audit.id, "bench:1")
    with callchain.recording() as recorder:
        start = time.perf_counter()
        engine.run_audit(audit.id, "bench:1")
        wall = time.perf_counter() - start
    with session_scope() as s:
        done = s.get(Audit, audit.id)
        outcome = {"status": str(done.status), "score": done.score, "counts": done.counts}
    # Polling for the credential report repeats one call by design; pages differ by their token.
    repeated = {f"{svc}:{op} {key[:120]}": n for (svc, op, key), n in recorder.calls.items()
                if n > 1 and op != "GenerateCredentialReport"}
    operations = Counter(f"{svc} {_operation(svc, op, key)}" for (svc, op, key) in recorder.calls.elements())
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"wall": wall, "longest": recorder.longest, "calls": sum(recorder.calls.values()),
                      "repeated": repeated, "rss_mb": _peak_rss_mb(), "cpu": usage.ru_utime + usage.ru_stime,
                      "operations": operations, "outcome": outcome}, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
