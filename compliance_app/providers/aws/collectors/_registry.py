"""The collector registry: name -> (session, region) -> raw data. Global collectors ignore region."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from compliance_app.providers.aws.session import AwsSession

Collector = Callable[["AwsSession", str], Any]
COLLECTORS: dict[str, Collector] = {}


def collector(name: str) -> Callable[[Collector], Collector]:
    def register(fn: Collector) -> Collector:
        COLLECTORS[name] = fn
        return fn
    return register


def paginate(client: Any, op: str, key: str, **kwargs: Any) -> list[Any]:
    items: list[Any] = []
    for page in client.get_paginator(op).paginate(**kwargs):
        items.extend(page.get(key, []))
    return items
