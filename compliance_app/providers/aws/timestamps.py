"""AWS timestamps parsed with the standard library instead of dateutil.

botocore turns every timestamp of a response into a datetime through dateutil's general
parser, ~0.3 ms each: a scan reading thousands of snapshots, users and buckets spent about
8% of the worker's CPU there (bench scan_latency --profile). AWS writes them as ISO 8601
(XML and most JSON protocols), which `datetime.fromisoformat` reads in microseconds; anything
else (epoch seconds, RFC 822 dates) still goes to botocore's own parser, so the values are
the same datetimes as before.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from botocore.utils import parse_timestamp as botocore_parse_timestamp

#: 2024-05-01T12:00:00Z, 2024-05-01T12:00:00.123Z, 2024-05-01T12:00:00+02:00: with a time zone, always.
_ISO_8601 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})")


def parse_timestamp(value: Any) -> datetime:
    """A response's timestamp as a timezone-aware datetime."""
    if isinstance(value, str) and _ISO_8601.fullmatch(value):
        return datetime.fromisoformat(value)
    return botocore_parse_timestamp(value)


def use_fast_timestamps(core_session: Any) -> None:
    """Every client made from this botocore session parses timestamps with `parse_timestamp`."""
    core_session.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=parse_timestamp)
