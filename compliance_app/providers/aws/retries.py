"""How one AWS call is retried: botocore's standard policy, with its backoff scaled by settings.

botocore retries throttling (Throttling, RequestLimitExceeded, 429, ...) and transient
failures (HTTP 500/502/503/504, connection errors) up to `max_attempts` attempts, waiting
rand(0, 1) x base x 2^attempt between them (base 1 s for throttling, 50 ms otherwise,
capped at 20 s), and stops early when the client's retry quota runs dry (a whole service
failing does not multiply the calls by the attempts). Adaptive mode adds a client-side rate
limiter, shared by every thread of the client, that slows down after a throttled answer.

`AWS_RETRY_BACKOFF` multiplies those waits (1 = botocore's own); the attempts come from
`AWS_MAX_ATTEMPTS`. botocore takes no backoff setting, so `use_retry_policy` puts a
handler built from botocore's own retry classes, with the scaled backoff, in place of the
one the client registered; the rate limiter is left as botocore installed it.
"""

from __future__ import annotations

from typing import Any

from botocore.retries import quota, standard


class ScaledBackoff(standard.ExponentialBackoff):
    """botocore's exponential backoff with jitter, each wait multiplied by `scale`."""

    def __init__(self, scale: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._scale = scale

    def delay_amount(self, context: Any) -> float:
        return super().delay_amount(context) * self._scale


def use_retry_policy(client: Any, max_attempts: int, backoff_scale: float) -> None:
    """Retry `client`'s calls up to `max_attempts` attempts with the backoff scaled by `backoff_scale`."""
    name = client.meta.service_model.service_id.hyphenize()
    unique_id = f"retry-config-{name}"
    client.meta.events.unregister(f"needs-retry.{name}", unique_id=unique_id)
    adapter = standard.RetryEventAdapter()
    throttling = standard.ThrottlingErrorDetector(adapter)
    retry_quota = standard.RetryQuotaChecker(quota.RetryQuota(), throttling)
    handler = standard.RetryHandler(
        retry_policy=standard.RetryPolicy(
            retry_checker=standard.StandardRetryConditions(max_attempts=max_attempts),
            retry_backoff=ScaledBackoff(backoff_scale, service_name=name, throttling_detector=throttling),
        ),
        retry_event_adapter=adapter,
        retry_quota=retry_quota,
        service_name=name,
    )
    client.meta.events.register(f"after-call.{name}", retry_quota.release_retry_quota)
    client.meta.events.register(f"needs-retry.{name}", handler.needs_retry, unique_id=unique_id)
