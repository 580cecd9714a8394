"""The background worker: APScheduler jobs plus a loop that runs queued audits."""
