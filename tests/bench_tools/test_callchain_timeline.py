"""providers/callchain.py keeps when and where each call started only when asked (bench --timeline)."""

from __future__ import annotations

import threading
import time

from compliance_app.providers import callchain


def test_a_timeline_names_each_calls_start_thread_and_depth() -> None:
    before = time.monotonic()
    with callchain.recording(timeline=True) as recorder:
        callchain.start_chain()
        callchain.record("s3", "ListBuckets")
        callchain.record("s3", "GetBucketAcl", "bucket-a")
    assert recorder.timeline is not None
    (first, second) = recorder.timeline
    assert before <= first[0] <= second[0] <= time.monotonic()
    assert first[1:] == (threading.current_thread().name, "s3", "ListBuckets", 1)
    assert second[2:] == ("s3", "GetBucketAcl", 2)


def test_without_a_timeline_only_the_calls_are_kept() -> None:
    with callchain.recording() as recorder:
        callchain.start_chain()
        callchain.record("s3", "ListBuckets")
    assert recorder.timeline is None
    assert sum(recorder.calls.values()) == 1
