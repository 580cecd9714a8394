"""POST /api/stripe/webhook: Stripe's subscription events, verified before anything changes.

Answers 200 for every genuine event (including ones we ignore or cannot match, so Stripe
stops retrying), 400 when verification or parsing fails, 503 when billing is not
configured (Stripe keeps retrying, so events are not lost while an operator fixes it).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from compliance_app.services.billing import BillingNotConfigured, WebhookRejected, handle_webhook


async def stripe_webhook(request: Request) -> JSONResponse:
    payload = await request.body()
    signature = request.headers.get("stripe-signature", "")
    try:
        await run_in_threadpool(handle_webhook, payload, signature)
    except BillingNotConfigured:
        return JSONResponse({"error": "billing is not configured"}, status_code=503)
    except WebhookRejected as exc:
        return JSONResponse({"error": exc.message}, status_code=400)
    return JSONResponse({"received": True})


ROUTES = [Route("/api/stripe/webhook", stripe_webhook, methods=["POST"])]
