"""The garbage collector's settings for a long-running process (the worker, the web backend).

CPython's cyclic collector runs after every 700 net allocations of container objects, and every
100th run traverses every object the process holds, the imported SDKs' data included (botocore's
service models, Reflex's compiled pages). A scan allocates millions of short-lived objects
(parsed API answers, findings, evidence rows) and frees nearly all of them by reference
counting: the collections found almost nothing to free and stopped every thread for up to
0.3 s each (bench scan_latency: no API call started anywhere for 0.12-0.34 s, seven times
a scan; 2 of the scan's 6 CPU seconds went to the collector, peak RSS the same without it).

`tune()` moves what the process holds at start (modules, the check catalog) out of the
collector's sight (`gc.freeze`: those objects live as long as the process) and runs the
youngest generation after 50,000 allocations instead of 700, the older ones less often.
Cycles are still collected, later and in fewer passes.
"""

from __future__ import annotations

import gc

#: (youngest, middle, oldest) generation thresholds; CPython's default is (700, 10, 10).
THRESHOLDS = (50_000, 20, 100)


def tune() -> None:
    """Call once, after the process has imported what it runs with and before it takes work."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
