"""POST /api/stripe/webhook: Stripe's subscription events, verified before anything changes.

Answers 200 for every genuine event (including ones we ignore or cannot match, so Stripe
stops retrying), 400 when verification or parsing fails, 503 when billing is not
configured (Stripe keeps retrying, so events are not lost while an operator fixes it).

The body is only read once the request could be genuine (billing configured, a
Stripe-Signature header of the right shape), and then at most MAX_BODY bytes of it,
counted as they arrive: Stripe's events are a few kilobytes.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from compliance_app.api._body import BodyTooLarge, limited
from compliance_app.services import plans
from compliance_app.services.billing import BillingNotConfigured, WebhookRejected, handle_webhook

#: Far above any Stripe event (their payloads are a few KB), far below a memory problem.
MAX_BODY = 512 * 1024


def _could_verify(signature: str) -> bool:
    """Stripe sends "t=<unix time>,v1=<hex>[,v1=…]"; anything else can never verify."""
    if not signature or len(signature) > 2048:
        return False
    pairs = [part.partition("=") for part in signature.split(",")]
    timestamps = [v for k, _, v in pairs if k.strip() == "t"]
    signatures = [v for k, _, v in pairs if k.strip() == "v1"]
    return (
        len(timestamps) == 1
        and timestamps[0].strip().isdigit()
        and any(v.strip() and all(c in "0123456789abcdef" for c in v.strip()) for v in signatures)
    )


def _error(message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def stripe_webhook(request: Request) -> JSONResponse:
    if not plans.billing_enabled():
        return _error("billing is not configured", 503)
    signature = request.headers.get("stripe-signature", "")
    if not _could_verify(signature):
        return _error("Webhook rejected: invalid signature.", 400)
    try:
        payload = await limited(request, MAX_BODY).body()
    except BodyTooLarge:
        return _error("Webhook rejected: body too large.", 413)
    try:
        await run_in_threadpool(handle_webhook, payload, signature)
    except BillingNotConfigured:
        return _error("billing is not configured", 503)
    except WebhookRejected as exc:
        return _error(exc.message, 400)
    return JSONResponse({"received": True})


ROUTES = [Route("/api/stripe/webhook", stripe_webhook, methods=["POST"])]
